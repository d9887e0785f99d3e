"""One small model per construct torch.fx cannot trace: a ``Gate`` module whose ``forward`` does it,
inside a ``Net`` with a traceable stem and head, and a ``create_feature_extractor`` call on it."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

# construct -> (the failing statement in Gate.forward, the construct's name in the finding)
CONSTRUCTS: dict[str, tuple[str, str]] = {
    "control-flow": ("if x.sum() > 0:\n    x = -x", "control flow on a traced value"),
    "iteration": ("x = torch.stack([row * 2 for row in x])", "iteration over a traced value"),
    "len": ("x = x * len(x)", "len() of a traced value"),
    "int": ("x = x * int(x.sum())", "int() of a traced value"),
    "float": ("x = x * float(x.mean())", "float() of a traced value"),
    "bool": ("x = x if bool(x.any()) else -x", "bool() of a traced value"),
    "range": ("for _ in range(x.shape[0] * x.sum()):\n    x = x + 1", "a traced value used as a Python integer"),
    "numpy": ("x = torch.from_numpy(np.asarray(x))", "a traced value passed to numpy"),
    "size-arithmetic": ("if x.shape[0] * x.shape[-1] > 2:\n    x = -x", "torch.Size arithmetic deciding control flow"),
    "starred": ("x = torch.stack((*x,))", "*args unpacking of a traced value"),
    "assert": ("assert x.abs().sum() >= 0", "assert on a traced value"),
    "c-function": ("x = x * cmath.sqrt(x.mean()).real", "a traced value passed to a C function"),
    "not-a-submodule": ("x = nn.Linear(4, 4)(x)", "a call into a module that is not a submodule"),
    "callable-object": ("x = Scale(4)(x)", "a call into an object that is not an nn.Module"),
}

GATE_LINE = 16  # the line of the construct in every generated file

# construct -> a definition the file adds after ``Net``, and the line (in it, 1-based) that fails
HELPERS: dict[str, tuple[str, int]] = {
    "callable-object": (
        """\
class Scale:
    def __init__(self, n):
        self.weight = torch.ones(n)

    def __call__(self, x):
        if x.sum() > 0:
            x = x * self.weight
        return x
""",
        6,
    ),
}


def model_source(construct: str, return_nodes: tuple[str, ...] = ("gate", "head")) -> str:
    """A script whose ``Gate.forward`` does ``construct`` (at ``GATE_LINE``), ending in the call."""
    statement = textwrap.indent(CONSTRUCTS[construct][0], " " * 8)
    helper = f"{HELPERS[construct][0]}\n\n" if construct in HELPERS else ""
    return f"""\
import cmath

import numpy as np
import torch
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        x = self.fc(x)
{statement}
        return x.relu()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(4, 4)
        self.gate = Gate()
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.gate(self.stem(x)))


{helper}extractor = create_feature_extractor(Net(), return_nodes=[{", ".join(f'"{n}"' for n in return_nodes)}])
"""


def failing_line(construct: str) -> int:
    """The 1-based line of ``model_source(construct)`` that torch.fx fails at."""
    if construct not in HELPERS:
        return GATE_LINE
    lines = model_source(construct).splitlines()
    return lines.index(HELPERS[construct][0].splitlines()[0]) + HELPERS[construct][1]


def load(path: Path) -> ModuleType:
    """Import the script at ``path`` as a fresh module (running its call)."""
    name = f"untraceable_{path.stem}_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module

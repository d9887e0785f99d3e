"""One small model per construct torch.fx cannot trace: a ``Gate`` module whose ``forward`` does it,
inside a ``Net`` with a traceable stem and head, and a ``create_feature_extractor`` call on it."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

# construct -> (the failing line in Gate.forward, the construct's name in the finding)
CONSTRUCTS: dict[str, tuple[str, str]] = {
    "control-flow": ("if x.sum() > 0:\n    x = -x", "control flow on a traced value"),
    "iteration": ("x = torch.stack([row * 2 for row in x])", "iteration over a traced value"),
    "len": ("x = x * len(x)", "len() of a traced value"),
    "int": ("x = x * int(x.sum())", "int() of a traced value"),
    "float": ("x = x * float(x.mean())", "float() of a traced value"),
    "bool": ("x = x if bool(x.any()) else -x", "bool() of a traced value"),
    "range": ("for _ in range(x.shape[0] * x.sum()):\n    x = x + 1", "a traced value used as a Python integer"),
    "numpy": ("x = torch.from_numpy(np.asarray(x))", "a traced value passed to numpy"),
}

GATE_LINE = 14  # the line of the construct in every generated file


def model_source(construct: str, return_nodes: tuple[str, ...] = ("gate", "head")) -> str:
    """A script whose ``Gate.forward`` does ``construct`` (at ``GATE_LINE``), ending in the call."""
    statement = textwrap.indent(CONSTRUCTS[construct][0], " " * 8)
    return f"""\
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


extractor = create_feature_extractor(Net(), return_nodes=[{", ".join(f'"{n}"' for n in return_nodes)}])
"""


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

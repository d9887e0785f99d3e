"""One small project per kind of verified fix: a module-level function to wrap, a defaulted argument of the
root ``forward`` to make concrete, and a leaf class or a function that lives in another module of the
workspace (the fix imports it). Each has the file with the call, before and after its fix."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

CREATE_IMPORT = "from torchvision.models.feature_extraction import create_feature_extractor\n"
HEADER = """\
import torch
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor

"""

GATED = """\
def gated(x):
    if x.sum() > 0:
        x = -x
    return x
"""

GATE = """\
class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        x = self.fc(x)
        x = x * len(x)
        return x.relu()
"""

WRAPPED_NET = """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(gated(self.stem(x)))
"""

FLAGGED_NET = """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x, flip=False):
        x = self.stem(x)
        if flip:
            x = -x
        return self.head(x)
"""

GATED_NET = """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(4, 4)
        self.gate = Gate()
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.gate(self.stem(x)))
"""

CALL = 'extractor = create_feature_extractor(Net(), return_nodes=["stem", "head"])\n'
TRAIN_HEADER = (
    "from torchvision.models.feature_extraction import create_feature_extractor\n\nfrom {package}.nets import Net\n"
)


@dataclass(frozen=True)
class FixProject:
    """Files of a project (path -> text); ``call_file`` holds the call, and reads ``fixed`` after the fix."""

    files: dict[str, str]
    call_file: str
    fixed: str
    title: str  # the code action's title
    sentence: str  # the end of the finding's message
    construct: str  # the construct the finding names
    fix_node: str  # a node the traced graph has thanks to the fix: the wrapped call, the leaf, the guard
    packages: tuple[str, ...] = field(default=())  # top-level packages the project's modules live in

    def write(self, root: Path) -> None:
        for path, text in self.files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)


def _in_other_module(kind: str, name: str, folder: str) -> FixProject:
    """``Net`` in ``<name>/nets.py`` uses ``Gate`` (kind "leaf") or ``gated`` (kind "wrap") from a sibling
    module; the call is in ``train_<name>.py``, which imports only ``Net``. With ``folder`` (the files' own
    folder, under the workspace root) the modules are imported as ``folder.name.nets``."""
    package = f"{folder}.{name}" if folder else name
    helper_module, helper, net, defined = (
        ("blocks", GATE, GATED_NET, "Gate") if kind == "leaf" else ("ops", GATED, WRAPPED_NET, "gated")
    )
    nets = f"{HEADER.replace(CREATE_IMPORT, '')}from {package}.{helper_module} import {defined}\n\n\n{net}"
    nodes = '["gate", "head"]' if kind == "leaf" else '["stem", "head"]'
    call = f"extractor = create_feature_extractor(Net(), return_nodes={nodes})\n"
    train = f"{TRAIN_HEADER.format(package=package)}\n{call}"
    key = "leaf_modules" if kind == "leaf" else "autowrap_functions"
    fixed_call = call.replace("Net(), ", f'Net(), tracer_kwargs={{"{key}": [{defined}]}}, ')
    fixed = f"{TRAIN_HEADER.format(package=package)}from {package}.{helper_module} import {defined}\n\n{fixed_call}"
    if kind == "leaf":
        title = 'Make `Gate` a leaf: tracer_kwargs={"leaf_modules": [Gate]}'
        sentence = "fix: make `Gate` a leaf (the model then traces); the nodes inside `gate` stop being selectable"
        construct = "len() of a traced value"
    else:
        title = 'Wrap `gated`: tracer_kwargs={"autowrap_functions": [gated]}'
        sentence = (
            "fix: wrap `gated` with autowrap_functions (the model then traces); what `gated` computes is one node"
        )
        construct = "control flow on a traced value"
    files = {
        f"{name}/__init__.py": "",
        f"{name}/{helper_module}.py": f"{HEADER.replace(CREATE_IMPORT, '')}\n{helper}",
        f"{name}/nets.py": nets,
        f"train_{name}.py": train,
    }
    fix_node = "gate" if kind == "leaf" else "gated"
    top = package.split(".")[0]
    return FixProject(files, f"train_{name}.py", fixed, title, sentence, construct, fix_node, (top,))


def projects(folder: str = "") -> dict[str, FixProject]:
    """Every fix kind's project; with ``folder``, for files in that folder of the workspace root."""
    return {
        "wrap": FixProject(
            {"model_wrap.py": f"{HEADER}\n{GATED}\n\n{WRAPPED_NET}\n\n{CALL}"},
            "model_wrap.py",
            f"{HEADER}\n{GATED}\n\n{WRAPPED_NET}\n\n"
            + CALL.replace("Net(), ", 'Net(), tracer_kwargs={"autowrap_functions": [gated]}, '),
            'Wrap `gated`: tracer_kwargs={"autowrap_functions": [gated]}',
            "fix: wrap `gated` with autowrap_functions (the model then traces); what `gated` computes is one node",
            "control flow on a traced value",
            "gated",
        ),
        "concrete": FixProject(
            {"model_concrete.py": f"{HEADER}\n{FLAGGED_NET}\n\n{CALL}"},
            "model_concrete.py",
            f"{HEADER}\n{FLAGGED_NET}\n\n" + CALL.replace("Net(), ", 'Net(), concrete_args={"flip": False}, '),
            'Trace with `flip=False`: concrete_args={"flip": False}',
            "fix: trace with `flip=False`, the default, in concrete_args (the model then traces);"
            " the graph has only the branches of that value",
            "control flow on a non-tensor argument of forward",
            "_assert",  # torch.fx guards a concrete argument: flip == False is asserted
        ),
        "leaf-imported": _in_other_module("leaf", "gatepkg", folder),
        "wrap-imported": _in_other_module("wrap", "wrappkg", folder),
    }


PROJECTS = projects()


def load_call_file(root: Path, project: FixProject) -> ModuleType:
    """Import the project's call file from ``root`` (running its call), its packages fresh."""
    sys.path.insert(0, str(root))
    try:
        for name in [m for m in sys.modules if m.split(".")[0] in project.packages]:
            del sys.modules[name]
        module_name = Path(project.call_file).stem
        sys.modules.pop(module_name, None)
        return importlib.import_module(module_name)
    finally:
        sys.path.remove(str(root))

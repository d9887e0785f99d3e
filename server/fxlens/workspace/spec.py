"""``ModelSpec``: how the worker must build the model a call site names, as plain data.

The workspace analysis produces it without running anything; the worker consumes it. Argument
values are Python literal source text (``"[2, 2, 2, 2]"``, ``"10"``), evaluated in the worker with
``ast.literal_eval``, so lists stay lists and tuples stay tuples across the JSON channel.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from fxlens.jsondata import from_json, to_json
from fxlens.nodes import InputOrigin, SourceLocation
from fxlens.workspace.callsite import Library, Range

Builder = Literal["torchvision", "timm", "workspace"]

DEFAULT_INPUT_SHAPE: tuple[int, ...] = (1, 3, 224, 224)


@dataclass(frozen=True)
class InputSpec:
    """The example input: one tensor shape per positional input of ``forward``, and where it comes from."""

    shapes: tuple[tuple[int, ...], ...] = (DEFAULT_INPUT_SHAPE,)
    dtype: str = "float32"
    origin: InputOrigin = "default"  # the worker replaces a default by metadata or first-layer when it can
    location: SourceLocation | None = None  # where the file shows it, for origin == "file"


@dataclass(frozen=True)
class TracerSettings:
    """Tracer configuration for the call: the library's defaults plus literal ``tracer_kwargs``.

    Classes and functions are named as ``"module:QualName"`` so the worker can import them.
    """

    library: Library = "torchvision"  # whose defaults apply (timm adds its notrace registries)
    leaf_modules: tuple[str, ...] = ()
    autowrap_modules: tuple[str, ...] = ()  # module names, added to the library defaults
    autowrap_functions: tuple[str, ...] = ()
    other: tuple[tuple[str, str], ...] = ()  # remaining literal tracer kwargs, as source text


@dataclass(frozen=True)
class ModelSpec:
    """How to build and trace one model.

    ``builder`` says where the callable comes from: ``torchvision`` (``module`` is
    ``torchvision.models`` or a submodule, ``callable`` a builder or ``get_model``), ``timm``
    (``timm.create_model``) or ``workspace`` (``file`` defines ``callable``, a class or factory,
    imported as module ``module`` with ``workspace_root`` on ``sys.path``).
    """

    builder: Builder
    module: str  # importable module name
    callable: str  # attribute path inside the module: "resnet50", "MyNet", "Outer.Inner"
    display_name: str  # what progress and messages call it: "resnet50", "MyNet(width=32)"
    args: tuple[str, ...] = ()  # positional constructor arguments, literal source text
    kwargs: tuple[tuple[str, str], ...] = ()  # keyword constructor arguments, literal source text
    attributes: tuple[str, ...] = ()  # attribute chain followed after construction
    children: tuple[int | None, int | None] | None = None  # then nn.Sequential(*list(model.children())[a:b])
    file: str = ""  # absolute path of the defining file, for workspace models
    workspace_root: str = ""  # put on sys.path (with src/) before importing ``module``
    weights_requested: bool = False  # the code asked for pretrained weights; the build ignores them
    tracer: TracerSettings = field(default_factory=TracerSettings)
    concrete_args: str = ""  # literal source text of a dict, or "" for none
    example_input: InputSpec = field(default_factory=InputSpec)

    def key(self) -> str:
        """A stable hash of what determines the table (not file contents, not where the input is)."""
        where_free = replace(self, example_input=replace(self.example_input, location=None))
        blob = json.dumps(to_json(where_free), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def to_json(self) -> dict:
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict) -> ModelSpec:
        return from_json(cls, data)


def script_folder(file: str | None) -> list[Path]:
    """``[folder of file]`` when that folder is not a package (``python folder/file.py`` puts it on
    ``sys.path``), else ``[]``."""
    if not file:
        return []
    folder = Path(file).parent
    return [] if (folder / "__init__.py").is_file() else [folder]


@dataclass(frozen=True)
class Unresolved:
    """Why the model of a call could not be determined statically, and where."""

    reason: str
    range: Range

"""The node table as plain data: what a traced model offers to ``create_feature_extractor``.

These types never import torch. The worker computes them (``fxlens.fx.table``) and sends them
as JSON; the language server, the lint rules and the CLI read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from fxlens.jsondata import from_json, to_json

Mode = Literal["train", "eval"]
MODES: tuple[Mode, Mode] = ("train", "eval")

ProblemKind = Literal[
    "import",  # the model's module (or torch) could not be imported
    "construction",  # building the model raised
    "trace",  # torch.fx could not trace it
    "shape",  # shape propagation failed (e.g. wrong input size)
    "timeout",  # the worker did not answer in time
    "crash",  # the worker process died
    "memory",  # the worker ran out of its memory cap
    "resolve",  # the call's model could not be resolved statically
    "config",  # invalid configuration
]

ShapePath = Literal["meta", "fake", "real"]  # meta tensors, fake tensors, a real CPU run on random weights


@dataclass(frozen=True)
class SourceLocation:
    """A line of user code: the statement that produced a node, or where an error happened."""

    file: str
    line: int  # 1-based
    text: str = ""


@dataclass(frozen=True)
class TensorMeta:
    """Shape and dtype of one tensor, as a shape propagation on ``meta`` tensors found them."""

    shape: tuple[int, ...]
    dtype: str  # "float32", "int64", ...

    def describe(self) -> str:
        """``1×64×56×56`` (dtype left out for float32, the common case)."""
        dims = "×".join(str(d) for d in self.shape) if self.shape else "scalar"
        return dims if self.dtype == "float32" else f"{dims} {self.dtype}"


@dataclass(frozen=True)
class OutputDesc:
    """What a node returns: a tensor, a tuple/list/dict of tensors, or something else."""

    kind: Literal["tensor", "sequence", "other"]
    tensors: tuple[TensorMeta, ...] = ()
    type_name: str = ""  # the Python type for "sequence" and "other" (``tuple``, ``int``, ``Size``)

    @property
    def is_tensor(self) -> bool:
        return self.kind == "tensor"

    def describe(self) -> str:
        """``1×64×56×56``, ``tuple(1×10, 1×10)`` or ``not a tensor (int)``."""
        if self.kind == "tensor":
            return self.tensors[0].describe()
        if self.kind == "sequence":
            return f"{self.type_name}({', '.join(t.describe() for t in self.tensors)})"
        return f"not a tensor ({self.type_name})" if self.type_name else "not a tensor"


@dataclass(frozen=True)
class NodeInfo:
    """One node of a traced graph, under the name ``create_feature_extractor`` accepts."""

    name: str  # torchvision's qualified node name, e.g. ``layer1.0.relu_1``
    op: str  # placeholder, get_attr, call_function, call_method, call_module
    target: str  # readable target: ``torch.nn.Conv2d``, ``torch.add``, ``Tensor.flatten``
    module_path: str = ""  # the qualified path of the innermost module executing the node
    module_type: str = ""  # for call_module: the module's class, ``torch.nn.modules.conv.Conv2d``
    source: SourceLocation | None = None  # the statement in the user's forward
    output: OutputDesc | None = None  # None when shapes were not propagated
    overwritten_by: str = ""  # the first later in-place node that overwrites this output (graph not pruned)
    # data flow, as indices into the same mode's rows (fxlens.selection judges pruned graphs with it):
    inputs: tuple[int, ...] = ()  # the nodes it uses
    writes: int = -1  # for an in-place node: the node whose tensor it modifies
    shares: int = -1  # the node whose tensor it returns (in-place ops, views), when not its own
    kept: bool = False  # dead-code elimination keeps it even when no output needs it (placeholders, asserts)


InputOrigin = Literal["given", "file", "config", "metadata", "first-layer", "default"]
USER_ORIGINS: frozenset[InputOrigin] = frozenset({"given", "file", "config"})  # inputs the user chose
ORIGIN_LABELS: dict[InputOrigin, str] = {
    "given": "given",
    "file": "file",
    "config": "configuration",
    "metadata": "model metadata",
    "first-layer": "first layer",
    "default": "default",
}


@dataclass(frozen=True)
class InputInfo:
    """The example input the shapes were computed for, and where it came from."""

    shapes: tuple[tuple[int, ...], ...]
    origin: InputOrigin = "given"
    location: SourceLocation | None = None  # where the file shows it, for origin == "file"
    detail: str = ""  # how it was chosen, e.g. "Inception_V3_Weights.DEFAULT transforms: crop size 299"

    @property
    def user_given(self) -> bool:
        """True when the user chose this input (argument, file, configuration), not fxlens."""
        return self.origin in USER_ORIGINS

    def describe(self) -> str:
        """``1×3×299×299 (model metadata: Inception_V3_Weights.DEFAULT transforms: crop size 299)``."""
        dims = ", ".join("×".join(str(d) for d in s) for s in self.shapes)
        label = ORIGIN_LABELS[self.origin]
        return f"{dims} ({label}: {self.detail})" if self.detail else f"{dims} ({label})"


@dataclass(frozen=True)
class ShapeFailure:
    """Why output shapes are missing in one mode: the first node that no shape path could compute.

    Nodes that do not depend on it keep their shapes; ``missing`` counts the rows without one.
    """

    mode: Mode
    node: str  # the node whose output could not be computed
    message: str  # "computing the output of `conv1` ... failed: RuntimeError: ..."
    location: SourceLocation | None = None  # the model line that failed
    tried: tuple[ShapePath, ...] = ()  # the paths tried, in order
    missing: int = 0

    def describe(self) -> str:
        return f"shape unavailable: {self.message}"


ModuleEntryKind = Literal["module", "parameter", "buffer"]


@dataclass(frozen=True)
class ModuleEntry:
    """One path ``get_submodule`` / ``get_parameter`` / ``get_buffer`` accept: a submodule (from
    ``named_modules()``), a parameter or a buffer, with what hover shows of it."""

    path: str  # ``layer3.1``, ``layer3.1.conv1.weight``
    kind: ModuleEntryKind
    type_name: str  # a module's qualified class (``torch.nn.Conv2d``); ``Parameter`` / ``Tensor`` otherwise
    parameters: int = 0  # a module: the parameters it holds, recursively; a parameter: its size
    shape: tuple[int, ...] = ()  # a parameter's or buffer's shape
    outputs: tuple[tuple[Mode, str], ...] = ()  # a module, per mode: the node whose output is the module's

    def output_node(self, mode: Mode) -> str:
        """The node that gives this module's output in ``mode`` ("" when the module never runs)."""
        return next((name for m, name in self.outputs if m == mode), "")


@dataclass(frozen=True)
class FeatureEntry:
    """One entry of a timm model's ``feature_info``: what ``out_indices`` index ``i`` returns."""

    module: str  # the module whose output it is (``layer2``)
    channels: int
    reduction: int  # the stride relative to the input


@dataclass(frozen=True)
class NodeTable:
    """The nodes of a model in train and eval mode, in execution order."""

    model_type: str  # qualified class name of the traced module
    train: tuple[NodeInfo, ...]
    eval: tuple[NodeInfo, ...]
    example_input: InputInfo | None = None
    built_on: Literal["meta", "cpu", "given"] = "given"  # where build_model constructed it
    notes: tuple[str, ...] = ()  # plain-language remarks (CPU fallback, default input, ...)
    shape_paths: tuple[tuple[Mode, ShapePath], ...] = ()  # per mode, the deepest path that produced shapes
    shape_failures: tuple[ShapeFailure, ...] = ()  # per mode with missing shapes, why
    modules: tuple[ModuleEntry, ...] = ()  # submodules, parameters and buffers, as named_modules() lists them
    features: tuple[FeatureEntry, ...] = ()  # a timm model's feature_info (what out_indices index)
    returns: tuple[tuple[Mode, OutputDesc], ...] = ()  # per mode whose output was computed, what forward returns

    def module(self, path: str) -> ModuleEntry | None:
        """The submodule, parameter or buffer at ``path`` (None: the model has none there)."""
        return self._modules.get(path)

    @cached_property
    def _modules(self) -> dict[str, ModuleEntry]:
        return {entry.path: entry for entry in self.modules}

    @property
    def shape_failure(self) -> ShapeFailure | None:
        """The first mode's reason for missing shapes, or None when every node has its shape."""
        return self.shape_failures[0] if self.shape_failures else None

    def returned(self, mode: Mode) -> OutputDesc | None:
        """What the model's ``forward`` returns in ``mode`` (None: not computed)."""
        return next((desc for m, desc in self.returns if m == mode), None)

    def shape_failure_in(self, mode: Mode) -> ShapeFailure | None:
        return next((f for f in self.shape_failures if f.mode == mode), None)

    def shape_path(self, mode: Mode) -> ShapePath | None:
        """``meta``, ``fake`` or ``real``: how ``mode``'s shapes were computed (None: not at all)."""
        return next((path for m, path in self.shape_paths if m == mode), None)

    def nodes(self, mode: Mode) -> tuple[NodeInfo, ...]:
        return self.train if mode == "train" else self.eval

    def names(self, mode: Mode) -> list[str]:
        return [n.name for n in self.nodes(mode)]

    def find(self, mode: Mode, name: str) -> NodeInfo | None:
        index = self._by_name[mode].get(name)
        return None if index is None else self.nodes(mode)[index]

    def selected(self, mode: Mode, query: str) -> NodeInfo | None:
        """The node ``query`` returns in ``mode``: itself, or for a module prefix the last node
        executed under it (``fxlens.selection.select_outputs`` for a single query); None if none."""
        index = self._selections[mode].get(query)
        return None if index is None else self.nodes(mode)[index]

    @cached_property
    def _by_name(self) -> dict[Mode, dict[str, int]]:
        return {mode: {node.name: i for i, node in enumerate(self.nodes(mode))} for mode in MODES}

    @cached_property
    def _selections(self) -> dict[Mode, dict[str, int]]:
        """Every node name and module prefix → the index it selects; later nodes overwrite earlier."""
        selections: dict[Mode, dict[str, int]] = {}
        for mode in MODES:
            last: dict[str, int] = {}
            for index, node in enumerate(self.nodes(mode)):
                parts = node.name.split(".")
                for depth in range(1, len(parts) + 1):
                    last[".".join(parts[:depth])] = index
            selections[mode] = last
        return selections

    def to_json(self) -> dict:
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict) -> NodeTable:
        return from_json(cls, data)


@dataclass(frozen=True)
class Problem:
    """Why a model has no node table: the error kind, the message and where in user code."""

    kind: ProblemKind
    message: str
    location: SourceLocation | None = None  # the frame in user code where it happened
    hint: str = ""  # what to do about it
    node: str = ""  # for shape errors: the node whose shape could not be computed
    mode: Mode | Literal[""] = ""
    details: tuple[str, ...] = field(default=())  # e.g. the traceback's user frames
    # for trace errors, the verified fix: the change of the trace settings with which the worker traced the
    # model in both modes. ``module:QualName`` leaf modules, and the module paths that become single nodes
    # with them (nodes inside are not selectable); ``module:QualName`` functions to autowrap; root forward
    # arguments with the Python literal to give in ``concrete_args``.
    leaf_fix: tuple[str, ...] = ()
    leaf_paths: tuple[str, ...] = ()
    wrap_fix: tuple[str, ...] = ()
    concrete_fix: tuple[tuple[str, str], ...] = ()
    # set per document that calls the model (never by the worker): the import statements the fix's names
    # need in that document, inserted before 0-based line ``fix_import_line``
    fix_imports: tuple[str, ...] = ()
    fix_import_line: int = 0

    @property
    def has_fix(self) -> bool:
        """True when the worker found a verified fix (of any kind)."""
        return bool(self.leaf_fix or self.wrap_fix or self.concrete_fix)

    def to_json(self) -> dict:
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict) -> Problem:
        return from_json(cls, data)


def exception_summary(error: BaseException) -> str:
    """``TypeError: first line of the message``: an exception in one line, for messages."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__

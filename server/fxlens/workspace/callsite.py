"""``CallSite``: one call found in a file whose strings name parts of a model (a *site*).

``create_feature_extractor`` / ``get_graph_node_names`` name fx nodes; ``get_submodule``,
``get_parameter``, ``get_buffer``, ``named_modules()`` lookups and torchvision's
``IntermediateLayerGetter`` / ``BackboneWithFPN`` / ``resnet_fpn_backbone`` name module paths; timm's
``create_model(..., out_indices=...)`` and ``forward_intermediates(x, indices=...)`` index ``feature_info``.

Plain data produced by ``fxlens.workspace.parse`` from source text (no torch, nothing executed).
Positions are 0-based lines and 0-based columns counted in Unicode code points of the line
(Python ``str`` indices); the LSP layer converts columns to the client's encoding at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fxlens.jsondata import from_json, to_json

Library = Literal["torchvision", "timm", "fxlens"]  # whose feature-extraction function a call uses

NodeArgKind = Literal[
    "return_nodes",
    "train_return_nodes",
    "eval_return_nodes",
    "module_path",
    "return_layers",
    "train_names",  # a name looked up in the train-mode list get_graph_node_names returns
    "eval_names",
    "attention_names",  # timm AttentionExtract(names=[...]): fnmatch patterns (or regexes) over fx node names
    "attention_modules",  # the same with method="hook": patterns over module paths
]
NODE_ARG_KINDS: tuple[NodeArgKind, ...] = ("return_nodes", "train_return_nodes", "eval_return_nodes")
# the strings of the other kinds of site name module paths (``named_modules()``), not fx nodes
MODULE_ARG_KINDS: tuple[NodeArgKind, ...] = ("module_path", "return_layers", "attention_modules")
# exact node names looked up in get_graph_node_names' lists (no module prefixes)
NAME_LIST_KINDS: tuple[NodeArgKind, ...] = ("train_names", "eval_names")

SiteFunction = Literal[
    "create_feature_extractor",
    "get_graph_node_names",
    "get_submodule",  # model.get_submodule("layer3.1"), a forward hook registered on it included
    "get_parameter",
    "get_buffer",
    "named_modules",  # dict(model.named_modules())["layer3.1"]
    "named_modules_loop",  # for name, m in model.named_modules(): if name == "layer4": ...
    "IntermediateLayerGetter",
    "BackboneWithFPN",
    "resnet_fpn_backbone",
    "create_model",  # timm.create_model(name, features_only=True, out_indices=(...))
    "forward_intermediates",  # timm: model.forward_intermediates(x, indices=3 or [...])
    "AttentionExtract",  # timm.utils.AttentionExtract(model, names=[...], mode=..., method=...)
]


@dataclass(frozen=True, order=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True)
class Range:
    start: Position
    end: Position

    def contains(self, pos: Position) -> bool:
        """True when ``pos`` lies inside or at either edge (a cursor at the end still counts)."""
        return self.start <= pos <= self.end


@dataclass(frozen=True)
class StringLiteral:
    """A string literal: its value and the range of its content (inside the quotes)."""

    value: str  # the content typed so far (escape sequences decoded where complete)
    range: Range  # content only, excluding prefix and quotes
    literal_range: Range  # the whole literal including quotes
    terminated: bool = True  # False while the closing quote is not typed yet
    # True for a value computed by a comprehension: ``range`` is then that of the expression that
    # yields it (``f"layer{i}"``), shared by every value it yields, and is not the value's text
    computed: bool = False


@dataclass(frozen=True)
class NodeQuery:
    """One node-name string (a list/tuple/set item or a dict key) and its output name, if any."""

    name: StringLiteral
    output: StringLiteral | None = None  # the dict value, when it is a string literal


@dataclass(frozen=True)
class NodeArgument:
    """The ``return_nodes`` / ``train_return_nodes`` / ``eval_return_nodes`` argument of a call.

    The queries are read from the collection literal the value leads to: the value itself, or a
    literal bound to a name (``fxlens.workspace.bindings``), possibly in another file; their
    ranges are where the strings are written.
    """

    kind: NodeArgKind
    form: Literal["list", "tuple", "set", "dict", "string", "other"]  # "other": not a literal; "string": one
    queries: tuple[NodeQuery, ...]
    range: Range  # the argument's value, in the call
    by_keyword: bool
    complete: bool = True  # False when the collection literal is unterminated or has errors
    keyword_range: Range | None = None  # ``return_nodes=`` through the value's end; None when positional
    literal_range: Range | None = None  # the collection the queries were read from; None when there is none
    literal_file: str = ""  # the file (absolute path) holding that collection when not the call's ("": the call's)
    via: str = ""  # the expression followed from the call to the collection (``taps``, ``self.taps``); "": inline
    imported: str = ""  # the import the value comes from (``.config.TAPS``) while not read from that module yet


@dataclass(frozen=True)
class IntItem:
    """One integer literal of an argument (``None`` value: an item that is not an integer literal)."""

    value: int | None
    range: Range


@dataclass(frozen=True)
class IntArgument:
    """An argument written as an integer or a list/tuple of integers (``returned_layers=[2, 3]``)."""

    name: str  # the parameter: ``returned_layers``, ``trainable_layers``, ``in_channels_list``, ...
    items: tuple[IntItem, ...]
    range: Range  # the value in the call
    is_list: bool  # a list/tuple literal (False: one integer)


@dataclass(frozen=True)
class CallSite:
    """A recognised call and everything the lint rules and the resolver need from it."""

    function: SiteFunction
    library: Library  # where the function was imported from
    range: Range  # the whole call
    model_expr: str  # source text of the model argument ("" when missing)
    model_range: Range | None
    node_arguments: tuple[NodeArgument, ...] = ()
    tracer_kwargs: str = ""  # literal source text, "" when absent or not a literal
    tracer_kwargs_range: Range | None = None  # the tracer_kwargs value in the call, None when absent
    concrete_args: str = ""
    suppress_diff_warning: bool | None = None
    int_arguments: tuple[IntArgument, ...] = ()  # BackboneWithFPN / resnet_fpn_backbone numbers, timm indices
    options: tuple[tuple[str, str], ...] = ()  # literal keyword values that decide a namespace (``method``)

    def argument(self, kind: NodeArgKind) -> NodeArgument | None:
        return next((a for a in self.node_arguments if a.kind == kind), None)

    def int_argument(self, name: str) -> IntArgument | None:
        return next((a for a in self.int_arguments if a.name == name), None)

    def to_json(self) -> dict:
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict) -> CallSite:
        return from_json(cls, data)

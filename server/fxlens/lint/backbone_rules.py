"""Rules for torchvision's backbone wrappers: ``IntermediateLayerGetter`` / ``BackboneWithFPN``
``return_layers`` (direct children, distinct output names), ``BackboneWithFPN``'s
``in_channels_list`` against the real channels, ``resnet_fpn_backbone``'s layer ranges."""

from __future__ import annotations

from collections.abc import Iterator

from fxlens.lint.call_rules import collapsed_outputs
from fxlens.lint.findings import Finding, Fix, TextEdit
from fxlens.lint.registry import Scope, finding, rule
from fxlens.lint.suggest import closest_paths, did_you_mean_finding
from fxlens.nodes import ModuleEntry, NodeTable
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite, NodeQuery

GETTERS = ("IntermediateLayerGetter", "BackboneWithFPN")
RETURNED_LAYERS = range(1, 5)  # resnet_fpn_backbone: "Each returned layer should be in the range [1,4]"
TRAINABLE_LAYERS = range(0, 6)  # "Trainable layers should be in the range [0,5]"


def layer_queries(site: CallSite) -> list[NodeQuery]:
    """The typed ``return_layers`` keys of an ``IntermediateLayerGetter`` / ``BackboneWithFPN`` call."""
    argument = site.argument("return_layers") if site.function in GETTERS else None
    if argument is None or any(q.name.computed for q in argument.queries):
        return []
    return [q for q in argument.queries if q.name.terminated]


def children(table: NodeTable) -> list[ModuleEntry]:
    """The model's direct children, in ``named_children()`` order."""
    return [e for e in table.modules if e.kind == "module" and "." not in e.path]


@rule(
    "FXL018",
    "return-layer-not-child",
    "error",
    Scope.SITE,
    "a return_layers key that is not a direct child of the model: IntermediateLayerGetter raises ValueError",
    needs_trace=True,
)
def return_layer_not_child(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """Keys must be names of ``model.named_children()``; a grandchild (``layer4.1``) or a typo raises."""
    if not isinstance(state, NodeTable) or not state.modules:
        return
    direct = children(state)
    names = {e.path for e in direct}
    for query in layer_queries(site):
        key = query.name.value
        if key in names:
            continue
        if state.module(key) is not None:
            child = key.split(".")[0]
            what = f"`{key}` is inside `{child}`, not a direct child of the model"
            suggestions = [child]
        else:
            suggestions = closest_paths(key, direct)
            what = f"`{key}` is not a child of {state.model_type.rsplit('.', 1)[-1]}"
        yield did_you_mean_finding(
            "FXL018",
            f"{what}: {site.function} raises ValueError: return_layers are not present in model",
            query.name.range,
            suggestions,
        )


@rule(
    "FXL019",
    "duplicate-return-layer-name",
    "error",
    Scope.SITE,
    "two return_layers share an output name and collapse into one output",
)
def duplicate_return_layer_name(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """Repeated ``return_layers`` values: the getter's output dict keeps one of them."""
    outputs = ((q, q.output) for q in layer_queries(site) if q.output is not None)
    yield from collapsed_outputs("FXL019", outputs, "return_layers")


@rule(
    "FXL020",
    "in-channels-mismatch",
    "error",
    Scope.SITE,
    "BackboneWithFPN's in_channels_list differs from the channels of the returned layers",
    needs_trace=True,
)
def in_channels_mismatch(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """The FPN's input convolutions expect ``in_channels_list``; the layers give others: the first
    forward fails with a shape error. The fix writes the real channels, in the getter's output order."""
    given = site.int_argument("in_channels_list") if site.function == "BackboneWithFPN" else None
    if given is None or not given.is_list or not isinstance(state, NodeTable):
        return
    keys = {q.name.value for q in layer_queries(site)}
    argument = site.argument("return_layers")
    if argument is None or argument.form != "dict" or len(keys) != len(argument.queries):
        return
    returned = [e for e in children(state) if e.path in keys]  # the getter's outputs, in children order
    if len(returned) != len(keys):
        return  # FXL018's case
    channels = [output_channels(e, state) for e in returned]
    if any(c is None for c in channels):
        return
    written = [item.value for item in given.items]
    if written == channels:
        return
    right = "[" + ", ".join(str(c) for c in channels) + "]"
    layers = ", ".join(f"`{e.path}` {c}" for e, c in zip(returned, channels, strict=True))
    yield finding(
        "FXL020",
        f"in_channels_list {_written(written)} does not match the returned layers' channels ({layers}): "
        f"the FPN's first forward raises RuntimeError; use {right}",
        given.range,
        fixes=(Fix(f"Use {right}", (TextEdit(given.range, right),), safe=True),),
    )


def output_channels(entry: ModuleEntry, table: NodeTable) -> int | None:
    """The channel count (dimension 1) of a module's output in eval mode, when it is one tensor."""
    node = table.find("eval", entry.output_node("eval")) if entry.output_node("eval") else None
    if node is None or node.output is None or node.output.kind != "tensor":
        return None
    shape = node.output.tensors[0].shape
    return shape[1] if len(shape) >= 2 else None


def _written(values: list[int | None]) -> str:
    return "[" + ", ".join("?" if v is None else str(v) for v in values) + "]"


@rule(
    "FXL021",
    "returned-layers-out-of-range",
    "error",
    Scope.SITE,
    "resnet_fpn_backbone's returned_layers must lie in [1, 4]",
)
def returned_layers_out_of_range(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """Each of ``returned_layers`` names ``layer1`` … ``layer4``; anything else raises ValueError."""
    given = site.int_argument("returned_layers") if site.function == "resnet_fpn_backbone" else None
    for item in given.items if given is not None and given.is_list else ():
        if item.value is not None and item.value not in RETURNED_LAYERS:
            yield finding(
                "FXL021",
                f"returned layer {item.value} is out of range: resnet_fpn_backbone raises ValueError: "
                "Each returned layer should be in the range [1,4]",
                item.range,
            )


@rule(
    "FXL022",
    "trainable-layers-out-of-range",
    "error",
    Scope.SITE,
    "resnet_fpn_backbone's trainable_layers must lie in [0, 5]",
)
def trainable_layers_out_of_range(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """``trainable_layers`` counts the stages left trainable, 0 to 5; anything else raises ValueError."""
    given = site.int_argument("trainable_layers") if site.function == "resnet_fpn_backbone" else None
    if given is None or given.is_list or not given.items:
        return
    value = given.items[0].value
    if value is not None and value not in TRAINABLE_LAYERS:
        yield finding(
            "FXL022",
            f"trainable_layers={value} is out of range: resnet_fpn_backbone raises ValueError: "
            "Trainable layers should be in the range [0,5]",
            given.range,
        )

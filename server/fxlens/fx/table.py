"""The node table: every node ``create_feature_extractor`` accepts, with what it is and returns.

For each mode the model is traced once with ``NodePathTracer`` (recording the model line behind
each node) and its graph is run by ``fxlens.fx.shapes`` (meta tensors first, so output shapes cost
no weight memory and no arithmetic). A failed shape pass costs shapes, never names.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import fx, nn
from torch.fx.node import _get_qualified_name

from fxlens.fx.dataflow import data_flow
from fxlens.fx.defaults import with_defaults
from fxlens.fx.modules import feature_entries, module_entries, qualified_class_name
from fxlens.fx.shapes import InputLike, Propagation, propagate, tensor_meta
from fxlens.fx.tracer import NodePathTracer, is_model_file, source_line
from fxlens.nodes import (
    MODES,
    InputInfo,
    Mode,
    NodeInfo,
    NodeTable,
    OutputDesc,
    Problem,
    ShapeFailure,
    SourceLocation,
    exception_summary,
)
from fxlens.selection import first_overwriters

DEFAULT_INPUT_SHAPE = (1, 3, 224, 224)


class NodeTableError(Exception):
    """Tracing failed; ``problem`` says how and where in the model's code."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def node_table(
    model: nn.Module,
    example_inputs: Sequence[InputLike] | None = None,
    *,
    tracer_kwargs: dict[str, Any] | None = None,
    concrete_args: dict[str, Any] | None = None,
) -> NodeTable:
    """Trace ``model`` in train and eval mode and describe every named node, with output shapes.

    ``example_inputs`` are tensors or shapes (float32 tensors of that shape are made on the
    model's device); without them the input is one ``1×3×224×224`` image, and the table says so.
    Only a failed trace raises (``NodeTableError``): when outputs cannot be computed, every node
    is still listed, and ``NodeTable.shape_failures`` says why shapes are missing.
    The model's training flag is restored afterwards.
    """
    kwargs = with_defaults(tracer_kwargs)
    inputs, input_info = _example_inputs(example_inputs)
    notes = [] if input_info.origin == "given" else [f"no example input given: shapes assume {input_info.describe()}"]
    was_training = model.training
    try:
        traced = {mode: _trace(model, mode, kwargs, concrete_args, notes) for mode in MODES}
        shapes = {"eval": _shapes(traced["eval"], inputs, "eval", notes)}
        model.train()
        if shapes["eval"].failure is None and _same_shapes_in_both_modes(traced["train"], traced["eval"]):
            same = dict(zip(traced["eval"].graph.nodes, traced["train"].graph.nodes, strict=True))
            outputs = {same[node]: value for node, value in shapes["eval"].outputs.items()}
            owners = {same[node]: same[owner] for node, owner in shapes["eval"].owners.items()}
            shapes["train"] = replace(shapes["eval"], outputs=outputs, owners=owners)
        else:
            shapes["train"] = _shapes(traced["train"], inputs, "train", notes)
    finally:
        model.train(was_training)
    failures = tuple(_shape_failure(traced[m], shapes[m], m) for m in MODES if shapes[m].failure is not None)
    rows = {m: _rows(traced[m], shapes[m], m) for m in MODES}
    return NodeTable(
        model_type=qualified_class_name(type(model)),
        train=rows["train"],
        eval=rows["eval"],
        modules=module_entries(model, rows),
        features=feature_entries(model),
        example_input=input_info,
        notes=tuple(dict.fromkeys(notes)),
        shape_paths=tuple((m, shapes[m].path) for m in MODES if shapes[m].path is not None),
        shape_failures=failures,
        returns=tuple((m, desc) for m in MODES if (desc := _returned(traced[m], shapes[m])) is not None),
    )


def _example_inputs(given: Sequence[InputLike] | None) -> tuple[list[InputLike], InputInfo]:
    if given is None:
        return [DEFAULT_INPUT_SHAPE], InputInfo(shapes=(DEFAULT_INPUT_SHAPE,), origin="default")
    shapes = tuple(tuple(x.shape) if isinstance(x, torch.Tensor) else tuple(int(d) for d in x) for x in given)
    return list(given), InputInfo(shapes=shapes, origin="given")


@dataclass(frozen=True)
class _Traced:
    """One mode's trace: the tracer (names, scopes, sources) and the graph module it produced."""

    tracer: NodePathTracer
    graph_module: fx.GraphModule

    @property
    def graph(self) -> fx.Graph:
        return self.graph_module.graph


def _trace(
    model: nn.Module, mode: Mode, tracer_kwargs: dict[str, Any], concrete_args: dict[str, Any] | None, notes: list[str]
) -> _Traced:
    """Trace ``model`` in ``mode`` (leaving it in that mode) with node sources recorded."""
    if model.train(mode == "train") is None:
        notes.append(
            "the model's train() returns None: torchvision's get_graph_node_names fails on it "
            "(create_feature_extractor does not use the return value)"
        )
    tracer = NodePathTracer(record_sources=True, **tracer_kwargs)
    try:
        graph = tracer.trace(model, concrete_args=concrete_args)
    except Exception as error:
        raise NodeTableError(trace_problem(error, mode)) from error
    return _Traced(tracer, fx.GraphModule(tracer.root, graph, type(model).__name__))


def _same_shapes_in_both_modes(train: _Traced, eval_: _Traced) -> bool:
    """True when one propagation serves both modes: identical graphs whose leaves are all torch's
    or torchvision.ops' modules (their output shapes do not depend on the mode)."""

    def signature(traced: _Traced) -> list[tuple[str, Any]]:
        return [(n.op, n.target) for n in traced.graph.nodes]

    return signature(train) == signature(eval_) and all(
        type(train.graph_module.get_submodule(n.target)).__module__.startswith(("torch.nn.", "torchvision.ops."))
        for n in train.graph.nodes
        if n.op == "call_module"
    )


def _rows(traced: _Traced, shapes: Propagation, mode: Mode) -> tuple[NodeInfo, ...]:
    """The table rows of one mode, in execution order."""
    tracer, graph_module = traced.tracer, traced.graph_module
    listed = list(tracer.node_to_qualname)
    flows = data_flow(graph_module, listed, mode, shapes.owners)
    rows = []
    for node, flow in zip(listed, flows, strict=True):
        module_path = node.target if node.op == "call_module" else tracer.node_to_module_path[node]
        rows.append(
            NodeInfo(
                name=tracer.node_to_qualname[node],
                op=node.op,
                target=_readable_target(graph_module, node),
                module_path=module_path,
                module_type=type(tracer.root.get_submodule(module_path)).__name__,
                source=_location(tracer, node),
                output=_describe_output(shapes.outputs[node]) if node in shapes.outputs else None,
                inputs=flow.inputs,
                writes=flow.writes,
                shares=flow.shares,
                kept=flow.kept,
            )
        )
    overwriters = first_overwriters(rows)
    return tuple(
        replace(row, overwritten_by=rows[overwriters[i]].name) if i in overwriters else row
        for i, row in enumerate(rows)
    )


def _shapes(traced: _Traced, inputs: list[InputLike], mode: Mode, notes: list[str]) -> Propagation:
    """Every node's output that can be computed, and why the others cannot.

    A train graph that fails to run (typically batch norm refusing a batch of one) is run again
    with its modules in eval mode: their output shapes are the same, and a note says so.
    """
    graph_module, tracer = traced.graph_module, traced.tracer
    result = propagate(graph_module, inputs)
    if result.failure is not None and mode == "train":
        graph_module.eval()
        try:
            retry = propagate(graph_module, inputs)
        finally:
            graph_module.train()
        if len(retry.outputs) > len(result.outputs):
            failing = tracer.node_to_qualname.get(result.failure.node, result.failure.node.name)
            notes.append(
                f"train-mode shapes were computed with modules in eval mode, because `{failing}` fails "
                f"in train mode with this input ({exception_summary(result.failure.error)})"
            )
            result = retry
    first = result.first_failure
    if result.path in ("fake", "real") and first is not None and first.path != result.path:
        how = "fake tensors" if result.path == "fake" else "a real CPU run on random weights"
        failing = tracer.node_to_qualname.get(first.node, first.node.name)
        notes.append(
            f"{mode}-mode shapes come from {how}: on {first.path} tensors `{failing}` fails "
            f"({exception_summary(first.error)})"
        )
    return result


def _shape_failure(traced: _Traced, result: Propagation, mode: Mode) -> ShapeFailure:
    """What the table says about a mode whose shapes are (partly) missing."""
    failure, tracer = result.failure, traced.tracer
    name = tracer.node_to_qualname.get(failure.node, failure.node.name)
    what = f"`{name}`"
    if failure.node.op == "call_module":
        module = repr(traced.graph_module.get_submodule(failure.node.target))
        what += f" ({module})" if "\n" not in module and len(module) <= 100 else ""
    given = f" from {failure.given}" if failure.given else ""
    return ShapeFailure(
        mode=mode,
        node=name,
        message=f"computing the output of {what}{given} failed: {exception_summary(failure.error)}",
        location=_failure_location(failure.error, tracer, failure.node),
        tried=result.tried,
        missing=sum(1 for node in tracer.node_to_qualname if node not in result.outputs),
    )


def _failure_location(error: BaseException, tracer: NodePathTracer, node: fx.Node) -> SourceLocation | None:
    """The innermost model line in the error's traceback (inside a leaf module), else the node's line."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if is_model_file(f.filename)]
    if frames:
        return SourceLocation(frames[-1].filename, frames[-1].lineno or 0, (frames[-1].line or "").strip())
    return _location(tracer, node)


def _location(tracer: NodePathTracer, node: fx.Node) -> SourceLocation | None:
    file_line = tracer.node_to_source.get(node)
    return SourceLocation(file_line[0], file_line[1], source_line(*file_line)) if file_line else None


def _returned(traced: _Traced, shapes: Propagation) -> OutputDesc | None:
    """What the graph's ``output`` node returns, when every node it returns was computed."""
    (output,) = (node for node in traced.graph.nodes if node.op == "output")
    if any(node not in shapes.outputs for node in output.all_input_nodes):
        return None
    return _describe_output(fx.node.map_arg(output.args[0], shapes.outputs.__getitem__))


def _describe_output(value: Any) -> OutputDesc:
    if isinstance(value, torch.Tensor):
        return OutputDesc("tensor", (tensor_meta(value),))
    leaves = _tensor_leaves(value)
    if leaves:
        return OutputDesc("sequence", tuple(tensor_meta(t) for t in leaves), type(value).__name__)
    return OutputDesc("other", (), type(value).__name__)


def _tensor_leaves(value: Any) -> list[torch.Tensor] | None:
    """The tensors in a (nested) tuple/list/dict made only of tensors, else None."""
    if isinstance(value, torch.Size):
        return None
    if isinstance(value, dict):
        value = list(value.values())
    if not isinstance(value, (tuple, list)) or not value:
        return None
    leaves: list[torch.Tensor] = []
    for item in value:
        if isinstance(item, torch.Tensor):
            leaves.append(item)
        elif (nested := _tensor_leaves(item)) is not None:
            leaves.extend(nested)
        else:
            return None
    return leaves


def _readable_target(graph_module: fx.GraphModule, node: fx.Node) -> str:
    """``torch.nn.Conv2d``, ``torch.add``, ``operator.add``, ``Tensor.flatten``, ``input``."""
    if node.op == "call_module":
        return qualified_class_name(type(graph_module.get_submodule(node.target)))
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    if node.op == "call_function":
        try:
            return _get_qualified_name(node.target).replace("_operator.", "operator.", 1)
        except Exception:  # noqa: BLE001 - an unusual callable still gets a readable name
            return getattr(node.target, "__qualname__", repr(node.target))
    if node.op == "placeholder":
        return "input"
    return str(node.target)


_HINTS = (
    (
        "symbolically traced variables cannot be used as inputs to control flow",
        "control flow depends on a traced value: pass the deciding argument in concrete_args, or make "
        "the module a leaf (tracer_kwargs={'leaf_modules': [...]})",
    ),
    (
        "Proxy object cannot be iterated",
        "the code iterates over a traced value (unpacking or looping over a tensor): make that module a "
        "leaf (tracer_kwargs={'leaf_modules': [...]}) or wrap the function with autowrap_functions",
    ),
    (
        "object has no attribute 'graph'",
        "an overridden train()/eval() may return None instead of self",
    ),
)


def trace_problem(error: BaseException, mode: Mode | None = None) -> Problem:
    """A ``Problem`` for a failed trace: the message, the model line that failed, and a hint."""
    message = exception_summary(error)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if is_model_file(f.filename)]
    location = None
    if frames:
        frame = frames[-1]
        location = SourceLocation(frame.filename, frame.lineno or 0, (frame.line or "").strip())
    hint = next((h for needle, h in _HINTS if needle in str(error)), "")
    details = tuple(f"{f.filename}:{f.lineno}: {(f.line or '').strip()}" for f in frames)
    return Problem(kind="trace", message=message, location=location, hint=hint, mode=mode or "", details=details)

"""Each node's data flow as table indices: what it uses, whose tensor it writes in place, whose it shares.

With these, ``fxlens.selection`` judges torch-free which outputs of a feature extractor a later
in-place op overwrites once ``create_feature_extractor`` has pruned the graph to the requested
outputs (``eliminate_dead_code``). A tensor's owner is the node that created its storage: an
in-place op returns its input's tensor, a view (``flatten``, ``view``, indexing) shares its base's —
as the shape pass observed them, else (no shapes) through in-place ops only.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

from torch import fx, nn

from fxlens.nodes import Mode

_INPLACE_OPERATORS = {operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.iand, operator.ior}
_DROPOUT_FUNCTIONS = {"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"}


@dataclass(frozen=True)
class Flow:
    """One listed node's data flow, as indices into its mode's rows (-1: none)."""

    inputs: tuple[int, ...]
    writes: int  # the owner of the tensor this in-place node modifies
    shares: int  # the owner of the tensor this node returns, when it is not its own
    kept: bool  # dead-code elimination keeps it even when unused (placeholders, asserts, random ops)


def data_flow(
    graph_module: fx.GraphModule, listed: list[fx.Node], mode: Mode, owners: dict[fx.Node, fx.Node]
) -> list[Flow]:
    """The flow of each ``listed`` node, in order; ``owners`` are the storage owners the shape pass saw."""
    index = {node: i for i, node in enumerate(listed)}
    owner_of: dict[fx.Node, fx.Node] = {}
    for node in graph_module.graph.nodes:
        mutated = _mutated_input(graph_module, node, mode)
        if node in owners:
            owner_of[node] = owner_of.get(owners[node], owners[node])
        elif mutated is not None:
            owner_of[node] = owner_of.get(mutated, mutated)
    flows = []
    for node in listed:
        mutated = _mutated_input(graph_module, node, mode)
        owner = owner_of.get(node, node)
        flows.append(
            Flow(
                inputs=tuple(sorted(_listed_inputs(node, index))),
                writes=index.get(owner_of.get(mutated, mutated), -1) if mutated is not None else -1,
                shares=index.get(owner, -1) if owner is not node else -1,
                kept=node.is_impure(),
            )
        )
    return flows


def _listed_inputs(node: fx.Node, index: dict[fx.Node, int]) -> set[int]:
    """The listed nodes ``node`` uses, looking through unlisted ones (constants, buffers)."""
    found: set[int] = set()
    for used in node.all_input_nodes:
        found |= {index[used]} if used in index else _listed_inputs(used, index)
    return found


def _mutated_input(graph_module: fx.GraphModule, node: fx.Node, mode: Mode) -> fx.Node | None:
    """The input whose tensor ``node`` modifies in place in ``mode``, or None."""
    if not node.args or not isinstance(node.args[0], fx.Node):
        return None
    return node.args[0] if _is_inplace(graph_module, node, mode) else None


def _is_inplace(graph_module: fx.GraphModule, node: fx.Node, mode: Mode) -> bool:
    """In-place modules (``inplace=True``), ``Tensor.op_`` methods, ``F.op(inplace=True)``, ``+=`` — and
    dropout only where it changes values: in train mode with ``p > 0``."""
    if node.op == "call_module":
        module = graph_module.get_submodule(node.target)
        if isinstance(module, nn.modules.dropout._DropoutNd) and (mode == "eval" or module.p == 0):
            return False
        return getattr(module, "inplace", False) is True
    if node.op == "call_method":
        return node.target.endswith("_") and not node.target.startswith("_") and node.target != "requires_grad_"
    if node.op == "call_function":
        name = getattr(node.target, "__name__", "")
        if name in _DROPOUT_FUNCTIONS:
            training = node.kwargs.get("training", node.args[2] if len(node.args) > 2 else True)
            inplace = node.kwargs.get("inplace", node.args[3] if len(node.args) > 3 else False)
            return inplace is True and training is True
        if node.kwargs.get("inplace") is True or node.target in _INPLACE_OPERATORS:
            return True
        return name.endswith("_") and not name.startswith("_")
    return False

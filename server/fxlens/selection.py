"""How ``create_feature_extractor`` validates, selects and prunes nodes, as plain functions (no torch).

The library (``fxlens.fx.extractor``) and the lint rules (``fxlens.lint``) share these, so the
linter's verdicts are the library's behaviour, not a re-description of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from fxlens.nodes import Mode, NodeInfo, NodeTable

MISSING_NODE_HINT = (
    "Hint: use `get_graph_node_names` to make sure the `return_nodes` you specified are present. "
    "It may even be that you need to specify `train_return_nodes` and `eval_return_nodes` separately."
)
NOTHING_GIVEN = "Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` together, should be specified"
ONLY_ONE_MODE = "If any of `train_return_nodes` and `eval_return_nodes` are specified, then both should be specified"
BOTH_FORMS = "If `train_return_nodes` and `eval_return_nodes` are specified, then both should be specified"


def argument_error(has_return_nodes: bool, has_train: bool, has_eval: bool) -> str | None:
    """torchvision's message for a rejected combination of node arguments, or None if accepted."""
    if not (has_return_nodes or has_train or has_eval):
        return NOTHING_GIVEN
    if has_train != has_eval:
        return ONLY_ONE_MODE
    if has_return_nodes == has_train:
        return BOTH_FORMS
    return None


def missing_node_message(query: str) -> str:
    return f"node: '{query}' is not present in model. {MISSING_NODE_HINT}"


def query_pattern(query: str) -> re.Pattern[str]:
    """torchvision's check, compiled: ``query`` is an unescaped regex (``.`` matches anything).

    Raises ``re.error`` for queries that are not valid regular expressions (``"head("``).
    """
    return re.compile(rf"^{query}(\.|$)")


def query_is_present(query: str, names: Iterable[str]) -> bool:
    """True when torchvision's check accepts ``query`` for a model with these node names."""
    pattern = query_pattern(query)
    return any(pattern.match(name) is not None for name in names)


def select_outputs(names: list[str], queries: Mapping[str, str]) -> dict[str, int]:
    """Which node each query returns: ``{output_name: index into names}``, in execution order.

    Walks the nodes last to first; a node goes to the first query (in the given order) whose
    dot components are a prefix of its name, so a module query selects the last node executed
    under it, and each query is satisfied once. A query that matches no node is left out.
    """
    pending = dict(queries)
    chosen: dict[str, int] = {}
    for index in range(len(names) - 1, -1, -1):
        parts = names[index].split(".")
        for query, output_name in pending.items():
            if ".".join(parts[: query.count(".") + 1]) == query:
                chosen[output_name] = index
                del pending[query]
                break
    return dict(reversed(chosen.items()))


def live_nodes(nodes: Sequence[NodeInfo], outputs: Iterable[int]) -> set[int]:
    """The nodes ``eliminate_dead_code`` keeps when ``outputs`` are returned: those, the nodes it never
    removes (placeholders, asserts, random ops), and every node they use."""
    stack = [*outputs, *(i for i, node in enumerate(nodes) if node.kept)]
    live: set[int] = set()
    while stack:
        index = stack.pop()
        if index not in live:
            live.add(index)
            stack.extend(nodes[index].inputs)
    return live


def first_overwriters(nodes: Sequence[NodeInfo], live: set[int] | None = None) -> dict[int, int]:
    """``{node: the first later in-place node that modifies its tensor}``, among ``live`` nodes (all if None).

    A node's tensor is the one it shares (in-place result, view) or its own; a writer modifies the
    tensor of the node it ``writes``.
    """
    writers: dict[int, list[int]] = {}
    for index, node in enumerate(nodes):
        if node.writes >= 0 and (live is None or index in live):
            writers.setdefault(node.writes, []).append(index)
    found = {}
    for index, node in enumerate(nodes):
        owner = node.shares if node.shares >= 0 else index
        later = next((w for w in writers.get(owner, ()) if w > index), None)
        if later is not None:
            found[index] = later
    return found


def overwrite_after_pruning(table: NodeTable, mode: Mode, selected_node_names: Iterable[str]) -> dict[str, str]:
    """``{selected node: the in-place node that overwrites it}`` in the extractor that returns exactly
    these nodes in ``mode``: ``create_feature_extractor`` prunes what no output needs, so an in-place op
    only an unrequested node would run is gone (``["layer1.0.bn1"]`` alone is not overwritten)."""
    nodes = table.nodes(mode)
    index = {node.name: i for i, node in enumerate(nodes)}
    selected = [index[name] for name in selected_node_names if name in index]
    found = first_overwriters(nodes, live_nodes(nodes, selected))
    return {nodes[i].name: nodes[found[i]].name for i in selected if i in found}

"""Rules for what an accepted name really returns: nothing, another node, stale or non-tensor values."""

from __future__ import annotations

from collections.abc import Iterator

from fxlens.lint.findings import Finding, Fix, TextEdit
from fxlens.lint.registry import Scope, finding, rule
from fxlens.lint.table_views import Selected
from fxlens.nodes import NodeInfo
from fxlens.selection import query_pattern


@rule(
    "FXL003",
    "dot-wildcard-query",
    "error",
    Scope.SELECTION,
    "the name passes torchvision's check only because `.` is a regex wildcard, and selects nothing",
)
def dot_wildcard_query(check: Selected) -> Iterator[Finding]:
    """Accepted by the check (``.`` matches any character) but selecting no node."""
    if check.alone is None:
        matched = next(n.name for n in check.nodes if query_pattern(check.name).match(n.name))
        yield finding(
            "FXL003",
            f"`{check.name}` passes torchvision's check only because `.` is a regex wildcard (it matches "
            f"`{matched}`), but selects no node: the key is silently missing from the output",
            check.query.name.range,
            fixes=(Fix(f"Change to `{matched}`", (TextEdit(check.query.name.range, matched),), safe=True),),
        )


@rule(
    "FXL005",
    "overlapping-queries",
    "warning",
    Scope.SELECTION,
    "an earlier query consumes the node a later one would select",
)
def overlapping_queries(check: Selected) -> Iterator[Finding]:
    """The node this query would select alone goes to an earlier query."""
    if check.alone is None or check.chosen == check.alone:
        return
    names = [n.name for n in check.nodes]
    taker = next(q.name.value for q in check.queries if check.together.get(q.name.value) == check.alone)
    gets = (
        f"returns `{names[check.chosen]}`"
        if check.chosen is not None
        else "selects nothing (its key is missing from the output)"
    )
    yield finding(
        "FXL005",
        f"`{check.name}` {gets}{check.in_mode} instead of `{names[check.alone]}`: the earlier query `{taker}` "
        f"takes that node (each node goes to the first query that matches it)",
        check.query.name.range,
    )


@rule(
    "FXL007",
    "overwritten-in-place",
    "warning",
    Scope.SELECTION,
    "a later in-place operation overwrites the selected output",
)
def overwritten_in_place(check: Selected) -> Iterator[Finding]:
    """The returned tensor holds the values after a later in-place op, not the node's own — judged on
    the graph the extractor keeps: pruned to the call's outputs, as ``create_feature_extractor`` does."""
    node = _chosen(check)
    overwriter = check.overwritten.get(node.name) if node is not None else None
    if node is not None and overwriter is not None:
        yield finding(
            "FXL007",
            f"{_selected(check)} is overwritten in place by `{overwriter}` later{check.overwritten_in_mode}: the "
            f"extractor returns the values after `{overwriter}`, not the ones `{node.name}` computed",
            check.query.name.range,
        )


@rule("FXL008", "non-tensor-node", "warning", Scope.SELECTION, "the selected node's output is not a tensor")
def non_tensor_node(check: Selected) -> Iterator[Finding]:
    """A selected node that returns a size, a bool or another non-tensor value."""
    node = _chosen(check)
    if node is not None and node.output is not None and node.output.kind == "other":
        yield finding(
            "FXL008",
            f"{_selected(check)} returns {_non_tensor(node)}{check.in_mode}, not a tensor",
            check.query.name.range,
        )


def _chosen(check: Selected) -> NodeInfo | None:
    """The node the query returns, when it returns one and is not an FXL003 case."""
    return check.nodes[check.chosen] if check.alone is not None and check.chosen is not None else None


def _selected(check: Selected) -> str:
    node = _chosen(check)
    return f"`{check.name}`" + ("" if node is None or node.name == check.name else f" (node `{node.name}`)")


def _non_tensor(node: NodeInfo) -> str:
    """``a Size``, ``an int``: what a node returns that is not a tensor."""
    kind = node.output.type_name if node.output is not None else ""
    if not kind:
        return "a value"
    return f"{'an' if kind[0].lower() in 'aeiou' else 'a'} {kind}"

"""What the table rules look at: each query checked against the node table, per mode.

``Presence`` is a query missing from a mode its argument needs; ``Selected`` is what an accepted
query returns in one mode, alone and together with the argument's other queries — computed with
``fxlens.selection``, the code the library runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fxlens.lint.call_rules import regex_error
from fxlens.nodes import MODES, Mode, NodeInfo, NodeTable
from fxlens.selection import overwrite_after_pruning, query_is_present, select_outputs
from fxlens.workspace.callsite import CallSite, NodeArgKind, NodeArgument, NodeQuery

ARGUMENT_MODES: dict[NodeArgKind, tuple[Mode, ...]] = {
    "return_nodes": MODES,
    "train_return_nodes": ("train",),
    "eval_return_nodes": ("eval",),
    "module_path": MODES,
    "return_layers": MODES,
    "train_names": ("train",),
    "eval_names": ("eval",),
    "attention_names": MODES,
    "attention_modules": MODES,
}


@dataclass(frozen=True)
class Presence:
    """A query that is missing from at least one of the modes its argument needs."""

    site: CallSite
    argument: NodeArgument
    query: NodeQuery
    present: tuple[Mode, ...]  # the modes that have it (possibly none)
    table: NodeTable

    @property
    def name(self) -> str:
        return self.query.name.value

    @property
    def wanted(self) -> tuple[Mode, ...]:
        return ARGUMENT_MODES[self.argument.kind]


@dataclass(frozen=True)
class Selected:
    """What one accepted query selects in one mode, alone and beside the argument's other queries."""

    query: NodeQuery
    queries: tuple[NodeQuery, ...]  # the argument's accepted queries in this mode, in order
    nodes: tuple[NodeInfo, ...]  # the mode's nodes in execution order
    alone: int | None  # the node index the query selects by itself (None: nothing)
    chosen: int | None  # the node index it gets beside the others (None: nothing)
    together: dict[str, int]  # every query's chosen node index
    in_mode: str  # how messages name the mode ("" when both modes have the same nodes)
    overwritten: dict[str, str]  # selected node -> the in-place node that overwrites it in the pruned extractor
    overwritten_in_mode: str  # how FXL007 names the mode: in-place ops (Dropout) can differ when the nodes do not

    @property
    def name(self) -> str:
        return self.query.name.value


def checked_queries(argument: NodeArgument) -> list[NodeQuery]:
    """The queries the table rules judge: complete, non-empty strings that are valid regular
    expressions (``""`` is a name being typed, not a mistake yet)."""
    return [q for q in argument.queries if q.name.terminated and q.name.value and regex_error(q.name.value) is None]


def presences(site: CallSite, argument: NodeArgument, table: NodeTable) -> Iterator[Presence]:
    """Each checked query missing from a mode the argument needs."""
    wanted = ARGUMENT_MODES[argument.kind]
    for query in checked_queries(argument):
        present = tuple(m for m in MODES if query_is_present(query.name.value, table.names(m)))
        if not all(mode in present for mode in wanted):
            yield Presence(site, argument, query, present, table)


def selections(argument: NodeArgument, table: NodeTable) -> Iterator[Selected]:
    """What each query present in a mode selects there, in each mode the argument needs. When both
    modes have the same nodes, messages name no mode — except an overwrite that happens in only one
    (a Dropout is in-place only in training)."""
    queries = checked_queries(argument)
    modes = ARGUMENT_MODES[argument.kind]
    same_graphs = len(modes) == 2 and table.names("train") == table.names("eval")
    per_mode = {}
    for mode in modes:
        names = table.names(mode)
        usable = tuple(q for q in queries if query_is_present(q.name.value, names))
        together = select_outputs(names, {q.name.value: q.name.value for q in usable})
        overwritten = overwrite_after_pruning(table, mode, [names[i] for i in together.values()])
        per_mode[mode] = (names, usable, together, overwritten)
    same_overwrites = len({repr(sorted(v[3].items())) for v in per_mode.values()}) == 1
    for mode, (names, usable, together, overwritten) in per_mode.items():
        nodes = tuple(table.nodes(mode))
        in_mode = "" if same_graphs else f" in {mode} mode"
        overwritten_in_mode = "" if same_graphs and same_overwrites else f" in {mode} mode"
        for query in usable:
            name = query.name.value
            alone = select_outputs(names, {name: name}).get(name)
            yield Selected(
                query, usable, nodes, alone, together.get(name), together, in_mode, overwritten, overwritten_in_mode
            )

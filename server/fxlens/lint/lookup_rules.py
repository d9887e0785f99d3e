"""Rules for node names looked up in the lists ``get_graph_node_names`` returns: a name that is not
in its mode's list (a membership test that never holds, an ``index`` that raises ValueError)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, rule
from fxlens.lint.suggest import did_you_mean_finding, edit_distance
from fxlens.nodes import Mode, NodeTable
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite

LIST_MODES: dict[str, Mode] = {"train_names": "train", "eval_names": "eval"}


@rule(
    "FXL023",
    "unlisted-node-name",
    "error",
    Scope.SITE,
    "a name looked up in get_graph_node_names' list that the list does not hold",
    needs_trace=True,
)
def unlisted_node_name(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """The lists hold exact node names: a module prefix (``layer4``) or a typo is never found."""
    if site.function != "get_graph_node_names" or not isinstance(state, NodeTable):
        return
    for argument in site.node_arguments:
        mode = LIST_MODES.get(argument.kind)
        if mode is None:
            continue
        names = state.names(mode)
        listed = set(names)
        for query in argument.queries:
            name = query.name.value
            if not query.name.terminated or name in listed:
                continue
            similar = difflib.get_close_matches(name, names, n=10, cutoff=0.6)
            selected = state.selected(mode, name)
            suggestions = ([selected.name] if selected is not None else []) + sorted(
                (s for s in similar if selected is None or s != selected.name), key=lambda s: edit_distance(name, s)
            )
            suggestions = suggestions[:3]
            what = "a module prefix, not a node name" if selected is not None else "not a node name"
            yield did_you_mean_finding(
                "FXL023",
                f"`{name}` is not in the {mode}-mode list get_graph_node_names returns ({what}): a membership "
                "test never holds and .index raises ValueError",
                query.name.range,
                suggestions,
            )

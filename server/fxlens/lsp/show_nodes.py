"""``fxlens/showNodes`` and ``fxlens/nodeTable``: the node table of the call under (or nearest above)
the cursor, as Markdown for any editor and as structured data for the VS Code node view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lsprotocol import types

from fxlens.lint.table_views import ARGUMENT_MODES, checked_queries
from fxlens.nodes import MODES, Mode, NodeTable
from fxlens.render import as_markdown
from fxlens.selection import query_is_present, select_outputs
from fxlens.workspace.callsite import CallSite, Position, Range
from fxlens.workspace.parse import ParsedDocument


def call_site_at(doc: ParsedDocument, cursor: Position) -> CallSite:
    """The call whose start is nearest above ``cursor``, else the document's first call."""
    if not doc.call_sites:
        raise ValueError("no create_feature_extractor or get_graph_node_names call in this document")
    above = [s for s in doc.call_sites if s.range.start <= cursor]
    return max(above, key=lambda s: s.range.start, default=doc.call_sites[0])


def node_view(table: NodeTable, display_name: str) -> dict[str, str]:
    """The answer to ``fxlens/showNodes``: a title and the table as Markdown."""
    title = f"Nodes of {display_name}"
    return {"title": title, "markdown": as_markdown(table, title)}


def selected_names(site: CallSite, table: NodeTable) -> dict[Mode, list[str]]:
    """Per mode, the nodes the call's node arguments return, in execution order — chosen by
    ``select_outputs``, the library's own rule, in the modes each argument applies to."""
    chosen: dict[Mode, set[int]] = {mode: set() for mode in MODES}
    for argument in site.node_arguments:
        queries = [q.name.value for q in checked_queries(argument)]
        for mode in ARGUMENT_MODES[argument.kind]:
            names = table.names(mode)
            usable = {q: q for q in queries if query_is_present(q, names)}
            chosen[mode].update(select_outputs(names, usable).values())
    return {mode: [table.names(mode)[i] for i in sorted(chosen[mode])] for mode in MODES}


def node_table_view(
    site: CallSite, table: NodeTable, display_name: str, to_range: Callable[[Range], types.Range]
) -> dict[str, Any]:
    """The answer to ``fxlens/nodeTable``: the whole table, what the call selects per mode, the example
    input, and where the call's node-argument collections are written in this document (for edits)."""
    arguments = [
        {"kind": a.kind, "form": a.form, "range": _plain(to_range(a.literal_range))}
        for a in site.node_arguments
        if a.literal_range is not None and not a.literal_file
    ]
    return {
        "title": f"Nodes of {display_name}",
        "model": display_name,
        "table": table.to_json(),
        "selected": selected_names(site, table),
        "input": table.example_input.describe() if table.example_input is not None else "",
        "call": _plain(to_range(site.range)),
        "arguments": arguments,
    }


def _plain(range_: types.Range) -> dict[str, dict[str, int]]:
    """An LSP range as plain JSON."""
    return {
        "start": {"line": range_.start.line, "character": range_.start.character},
        "end": {"line": range_.end.line, "character": range_.end.character},
    }

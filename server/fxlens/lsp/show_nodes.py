"""``fxlens/showNodes``: the node table of the call under (or nearest above) the cursor, as Markdown."""

from __future__ import annotations

from fxlens.nodes import NodeTable
from fxlens.render import as_markdown
from fxlens.workspace.callsite import CallSite, Position
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

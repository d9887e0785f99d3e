"""Go to definition: from a node-name string to the line of ``forward`` that produced the node."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from fxlens.lsp.describe import meaning
from fxlens.nodes import NodeTable


def node_location(query: str, table: NodeTable) -> types.Location | None:
    """Where the node ``query`` selects was created (for a module prefix: its selected node)."""
    found = meaning(query, table)
    node = found.any_node() if found else None
    if node is None or node.source is None or not Path(node.source.file).is_file():
        return None
    line = node.source.line - 1
    return types.Location(
        Path(node.source.file).as_uri(), types.Range(types.Position(line, 0), types.Position(line, 0))
    )

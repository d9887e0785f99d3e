"""Inlay hints: the output shape after each node-name string (off unless the setting is on)."""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from fxlens.lsp.describe import ARGUMENT_MODES, meaning
from fxlens.nodes import NodeTable
from fxlens.workspace.callsite import MODULE_ARG_KINDS, CallSite, Position, Range


def shape_hints(site: CallSite, table: NodeTable, to_range: Callable[[Range], types.Range]) -> list[types.InlayHint]:
    """One hint per known node string, showing the selected node's output (eval mode if it has one)."""
    hints = []
    for argument in site.node_arguments:
        if argument.kind in MODULE_ARG_KINDS:
            continue  # a module path: fx node names are another namespace
        for query in argument.queries:
            found = meaning(query.name.value, table) if query.name.terminated else None
            if found is None:
                continue
            modes = ARGUMENT_MODES[argument.kind]
            node = next((found.nodes[m] for m in reversed(modes) if found.nodes[m] is not None), None)
            if node is None or node.output is None:
                continue
            end = query.name.literal_range.end
            hints.append(
                types.InlayHint(
                    position=to_range(Range(end, Position(end.line, end.column))).start,
                    label=f": {node.output.describe()}",
                    kind=types.InlayHintKind.Type,
                    padding_left=False,
                )
            )
    return hints

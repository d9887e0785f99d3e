"""Positions between fxlens (code-point columns) and the client (its negotiated encoding)."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from fxlens.workspace.callsite import Position, Range


def to_client_range(document: TextDocument, range_: Range) -> types.Range:
    return document.range_to_client_units(
        ServerTextRange(
            ServerTextPosition(range_.start.line, range_.start.column),
            ServerTextPosition(range_.end.line, range_.end.column),
        )
    )


def from_client_position(document: TextDocument, position: types.Position) -> Position:
    server = document.position_from_client_units(position)
    return Position(server.line, server.character)

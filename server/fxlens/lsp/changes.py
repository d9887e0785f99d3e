"""LSP content changes as fxlens ``TextChange``s: each range read against the text before it."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from fxlens.lsp.positions import Positions
from fxlens.workspace.text import LineIndex, TextChange


def text_changes(
    lines: LineIndex, changes: Sequence[types.TextDocumentContentChangeEvent], encoding: str | None
) -> list[TextChange]:
    """The changes of one ``didChange``, in code points; in a batch each change is relative to the
    text after the ones before it, so later ranges are read against that text."""
    converted = []
    for change in changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            edit = TextChange(change.text, Positions(lines.lines, encoding).range_from_client(change.range))
        else:
            edit = TextChange(change.text)
        converted.append(edit)
        if len(changes) > 1:
            lines = LineIndex(lines.apply(edit))
    return converted

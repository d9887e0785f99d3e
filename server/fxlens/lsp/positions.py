"""Positions between fxlens (code-point columns) and the client (its negotiated encoding).

Conversions run against fxlens's own lines of the text (``fxlens.workspace.text.split_lines``: CRLF,
CR and LF, as LSP counts lines), so the empty line after a final newline is a line like any other:
pygls' document codec would move a position there to the end of the line before, which puts text
typed on a new last line before that line's newline.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.text import EditableText, TextChange

_ENCODINGS = frozenset(types.PositionEncodingKind)


_CODECS = {types.PositionEncodingKind.Utf8: ("utf-8", 1), types.PositionEncodingKind.Utf16: ("utf-16-le", 2)}


def _units(char: str, encoding: str) -> int:
    """How many code units of ``encoding`` one code point takes."""
    if encoding == types.PositionEncodingKind.Utf32:
        return 1
    if encoding == types.PositionEncodingKind.Utf8:
        return len(char.encode("utf-8", "surrogatepass"))  # a lone surrogate: 3, as U+FFFD
    return 2 if ord(char) > 0xFFFF else 1


def _count(text: str, encoding: str) -> int:
    """How many code units of ``encoding`` a text takes (a lone surrogate counts as one code point)."""
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    codec, size = _CODECS[encoding]
    return len(text.encode(codec, "surrogatepass")) // size


class Positions:
    """Converts positions for one version of a document's text, in the client's position encoding.

    Each conversion encodes at most the line it is on, in C: the cost does not grow with the text.
    """

    def __init__(self, lines: Sequence[str], encoding: str | None = types.PositionEncodingKind.Utf16) -> None:
        self.lines = lines
        self.encoding: str = encoding if encoding in _ENCODINGS else types.PositionEncodingKind.Utf16

    def _line(self, number: int) -> str:
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def from_client(self, position: types.Position) -> Position:
        """The code-point position of a client position (columns past the line end stay past it; a column
        inside a character is the position after it)."""
        line = self._line(position.line)
        if line.isascii() or self.encoding == types.PositionEncodingKind.Utf32:
            return Position(position.line, position.character)
        codec, size = _CODECS[self.encoding]
        try:
            data = line.encode(codec)
        except UnicodeEncodeError:  # lone surrogates: counted one by one
            return Position(position.line, self._walk(line, position.character))
        units = len(data) // size
        if position.character >= units:
            return Position(position.line, len(line) + position.character - units)
        return Position(position.line, len(data[: position.character * size].decode(codec, "replace")))

    def _walk(self, line: str, character: int) -> int:
        units = column = 0
        for char in line:
            if units >= character:
                return column
            units += _units(char, self.encoding)
            column += 1
        return column + max(character - units, 0)

    def to_client(self, position: Position) -> types.Position:
        """The client position of a code-point position."""
        line = self._line(position.line)
        if line.isascii():
            return types.Position(position.line, position.column)
        head = line[: position.column]
        return types.Position(position.line, _count(head, self.encoding) + position.column - len(head))

    def range_from_client(self, range_: types.Range) -> Range:
        """The code-point range of a client range."""
        return Range(self.from_client(range_.start), self.from_client(range_.end))

    def range_to_client(self, range_: Range) -> types.Range:
        """The client range of a code-point range."""
        return types.Range(self.to_client(range_.start), self.to_client(range_.end))


def client_changes(
    text: str, changes: Sequence[types.TextDocumentContentChangeEvent], encoding: str | None
) -> list[TextChange]:
    """One ``didChange``'s content changes in code points, each read against the text the changes before
    it left, in one pass (a change costs the lines it touches, not the text): for ``ParsedDocument.edit``."""
    editable = EditableText(text)
    positions = Positions(editable.lines, encoding)  # reads the lines live, as they are edited
    result = []
    for change in changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            edit = TextChange(change.text, positions.range_from_client(change.range))
        else:
            edit = TextChange(change.text)
        editable.apply(edit)
        result.append(edit)
    return result

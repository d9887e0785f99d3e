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

_ENCODINGS = frozenset(types.PositionEncodingKind)


def _units(char: str, encoding: str) -> int:
    """How many code units of ``encoding`` one code point takes."""
    if encoding == types.PositionEncodingKind.Utf32:
        return 1
    if encoding == types.PositionEncodingKind.Utf8:
        return len(char.encode("utf-8", "surrogatepass"))  # a lone surrogate: 3, as U+FFFD
    return 2 if ord(char) > 0xFFFF else 1


class Positions:
    """Converts positions for one version of a document's text, in the client's position encoding."""

    def __init__(self, lines: Sequence[str], encoding: str | None = types.PositionEncodingKind.Utf16) -> None:
        self.lines = lines
        self.encoding: str = encoding if encoding in _ENCODINGS else types.PositionEncodingKind.Utf16

    def _line(self, number: int) -> str:
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def from_client(self, position: types.Position) -> Position:
        """The code-point position of a client position (columns past the line end stay past it)."""
        line = self._line(position.line)
        if line.isascii():
            return Position(position.line, position.character)
        units = column = 0
        for char in line:
            if units >= position.character:
                break
            units += _units(char, self.encoding)
            column += 1
        return Position(position.line, column + max(position.character - units, 0))

    def to_client(self, position: Position) -> types.Position:
        """The client position of a code-point position."""
        line = self._line(position.line)
        if line.isascii():
            return types.Position(position.line, position.column)
        head = line[: position.column]
        return types.Position(position.line, sum(_units(c, self.encoding) for c in head) + position.column - len(head))

    def range_from_client(self, range_: types.Range) -> Range:
        """The code-point range of a client range."""
        return Range(self.from_client(range_.start), self.from_client(range_.end))

    def range_to_client(self, range_: Range) -> types.Range:
        """The client range of a code-point range."""
        return types.Range(self.to_client(range_.start), self.to_client(range_.end))

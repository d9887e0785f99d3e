"""Positions in a document: code-point ``Position`` ↔ UTF-8 byte offsets and tree-sitter points.

``CallSite`` positions count code points; tree-sitter counts bytes. ``LineIndex`` converts between
the two for one text, touching only the lines it is asked about (ASCII lines convert for free).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from itertools import accumulate

from fxlens.workspace.callsite import Position, Range

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def readable(text: str) -> str:
    """``text`` with each lone surrogate (which UTF-8 cannot encode) replaced by U+FFFD.

    Both take one code point and one UTF-16 unit, so every position in the text stays put.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(REPLACEMENT, text)
    return text


def first_unreadable(text: str) -> int | None:
    """The code-point offset of the first lone surrogate in ``text`` (read as U+FFFD), or None."""
    if text.isascii():
        return None
    found = _LONE_SURROGATE.search(text)
    return found.start() if found else None


def utf8(text: str) -> bytes:
    """The UTF-8 bytes fxlens parses for ``text``: lone surrogates become U+FFFD (three bytes each)."""
    return readable(text).encode("utf-8")


@dataclass(frozen=True)
class TextChange:
    """An LSP ``didChange`` content change: replace ``range`` (None: the whole text) by ``text``."""

    text: str
    range: Range | None = None


class LineIndex:
    """Line starts and column conversions for one immutable text (lines split on ``\\n``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = readable(text).split("\n")
        self._byte_starts: list[int] | None = None
        self._starts: list[int] | None = None

    @property
    def source(self) -> bytes:
        """The UTF-8 bytes tree-sitter parses for this text (see ``utf8``)."""
        return "\n".join(self.lines).encode("utf-8")

    @property
    def byte_starts(self) -> list[int]:
        """UTF-8 byte offset where each line starts."""
        if self._byte_starts is None:
            sizes = map(len, self.lines) if self.text.isascii() else (len(line.encode("utf-8")) for line in self.lines)
            self._byte_starts = [0, *accumulate(size + 1 for size in sizes)][: len(self.lines)]
        return self._byte_starts

    def clamp(self, pos: Position) -> Position:
        """The nearest position that exists in the text (past-the-end columns move to the line end)."""
        if pos.line >= len(self.lines):
            return Position(len(self.lines) - 1, len(self.lines[-1]))
        line = max(pos.line, 0)
        return Position(line, min(max(pos.column, 0), len(self.lines[line])))

    def point(self, pos: Position) -> tuple[int, int]:
        """The tree-sitter point (row, byte column) of a code-point position."""
        pos = self.clamp(pos)
        line = self.lines[pos.line]
        if line.isascii():
            return (pos.line, pos.column)
        return (pos.line, len(line[: pos.column].encode("utf-8")))

    def offset(self, pos: Position) -> int:
        """The UTF-8 byte offset of a code-point position."""
        row, column = self.point(pos)
        return self.byte_starts[row] + column

    def position(self, point: tuple[int, int]) -> Position:
        """The code-point position of a tree-sitter point (row, byte column)."""
        row, column = point
        if row >= len(self.lines):
            return Position(len(self.lines) - 1, len(self.lines[-1]))
        line = self.lines[row]
        if line.isascii():
            return Position(row, column)
        return Position(row, len(line.encode("utf-8")[:column].decode("utf-8", errors="ignore")))

    @property
    def starts(self) -> list[int]:
        """Code-point offset where each line starts."""
        if self._starts is None:
            self._starts = [0, *accumulate(len(line) + 1 for line in self.lines)][: len(self.lines)]
        return self._starts

    def index(self, pos: Position) -> int:
        """The code-point offset of a position (clamped into the text)."""
        pos = self.clamp(pos)
        return self.starts[pos.line] + pos.column

    def position_of(self, index: int) -> Position:
        """The position of a code-point offset (clamped into the text)."""
        line = max(bisect.bisect_right(self.starts, index) - 1, 0)
        return self.clamp(Position(line, index - self.starts[line]))

    def apply(self, change: TextChange) -> str:
        """The text after one content change (a range past the end is clamped to it)."""
        if change.range is None:
            return change.text
        start, end = self.index(change.range.start), self.index(change.range.end)
        return self.text[:start] + change.text + self.text[max(start, end) :]

    def slice(self, rng: Range) -> str:
        """The text inside ``rng``."""
        start, end = self.clamp(rng.start), self.clamp(rng.end)
        if start.line == end.line:
            return self.lines[start.line][start.column : end.column]
        middle = self.lines[start.line + 1 : end.line]
        return "\n".join([self.lines[start.line][start.column :], *middle, self.lines[end.line][: end.column]])


def byte_point_after(start: tuple[int, int], inserted: bytes) -> tuple[int, int]:
    """The tree-sitter point where bytes inserted at point ``start`` end."""
    newlines = inserted.count(b"\n")
    if newlines == 0:
        return (start[0], start[1] + len(inserted))
    return (start[0] + newlines, len(inserted) - inserted.rfind(b"\n") - 1)

"""Positions in a document: code-point ``Position`` ↔ UTF-8 byte offsets and tree-sitter points.

``CallSite`` positions count code points; tree-sitter counts bytes. ``LineIndex`` converts between
the two for one text, touching only the lines it is asked about (ASCII lines convert for free).
Lines break at CRLF, CR and LF, as in LSP and in Python's universal newlines (``split_lines``); every
text is readable (``readable``: a lone surrogate reads as U+FFFD, which has its length).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, chain

from fxlens.workspace.callsite import Position, Range

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_BREAK = re.compile("\r\n|\r|\n")  # the line breaks of LSP and of Python's universal newlines
_LONE_CR = re.compile("\r(?!\n)")
_KEEPING_BREAKS = re.compile("[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_COMMENT_LINES = re.compile(rb"^(?:[ \t\f]*(?:\#[^\r\n]*)?\r?\n)+", re.MULTILINE)
_COMMENT = re.compile(rb"\#[^\r\n]*")
_COMMENT_RUN = 16  # ``#`` in a run of comment lines from which they are parsed as blank lines
REPLACEMENT = "\ufffd"
_CHUNK = 64  # code points between two known byte columns of a long line
_LONG = 4 * _CHUNK  # a line this long (in code points) gets its columns indexed


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their breaks, split on CRLF, CR and LF only — as LSP counts lines
    (``str.splitlines`` also splits on U+2028, VT, FS and others, which LSP does not)."""
    return _BREAK.split(text)


def split_lines_keeping_breaks(text: str) -> list[str]:
    """The lines of ``text`` with their breaks (CRLF, CR or LF; never U+2028 and the like), for
    ``linecache`` and diffs: the lines as Python and LSP count them."""
    return _KEEPING_BREAKS.findall(text)


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
    """The code-point offset of the first lone surrogate in ``text`` (read as U+FFFD), or None: for a
    caller that tells the user (a client sent one, or a file's invalid UTF-8 was decoded with
    ``surrogateescape``)."""
    if text.isascii():
        return None
    found = _LONE_SURROGATE.search(text)
    return found.start() if found else None


@dataclass(frozen=True)
class TextChange:
    """An LSP ``didChange`` content change: replace ``range`` (None: the whole text) by ``text``."""

    text: str
    range: Range | None = None


def _blank_comment_runs(source: bytes) -> bytes:
    """``source`` with the comments of every run of comment lines (blank lines may come between) that
    holds at least ``_COMMENT_RUN`` ``#`` replaced by spaces of the same length.

    tree-sitter-python's scanner reads such a run again for each line of it (a 1 MB file ending in
    10,000 comment lines takes minutes); whitespace it reads once. Comment-only lines carry nothing
    fxlens reads (a suppression comment silences findings on its own line, and these have none);
    inside a triple-quoted string such lines are blanked too, which changes no node of a model.
    """
    if b"#" not in source:
        return source
    runs = [run for run in _COMMENT_LINES.finditer(source) if run.group().count(b"#") >= _COMMENT_RUN]
    if not runs:
        return source
    blanked = bytearray(source)
    for run in runs:
        for comment in _COMMENT.finditer(source, run.start(), run.end()):
            blanked[comment.start() : comment.end()] = b" " * (comment.end() - comment.start())
    return bytes(blanked)


class LineIndex:
    """Line starts and column conversions for one immutable text (lines split as LSP splits them)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._readable = readable(text)
        self.lines = split_lines(self._readable)
        self._starts: list[int] | None = None
        self._byte_starts: list[int] | None = None
        self._long: dict[int, _Columns] = {}  # long non-ASCII lines seen so far

    @cached_property
    def source(self) -> bytes:
        """The UTF-8 bytes tree-sitter parses, as long as the text's: lone CRs read as LF (tree-sitter's
        rows are then these lines, as for Python's universal newlines), lone surrogates as U+FFFD, and
        the comments of long runs of comment lines as spaces (see ``_blank_comment_runs``)."""
        return _blank_comment_runs(_LONE_CR.sub("\n", self._readable).encode("utf-8"))

    @property
    def byte_starts(self) -> list[int]:
        """UTF-8 byte offset where each line starts."""
        if self._byte_starts is None:
            if self.text.isascii():
                self._byte_starts = self.starts
            else:
                starts, lines = self.starts, self.lines
                breaks = (starts[i + 1] - starts[i] - len(lines[i]) for i in range(len(lines) - 1))
                sizes = (len(line.encode("utf-8")) + size for line, size in zip(lines, breaks, strict=False))
                self._byte_starts = [0, *accumulate(sizes)]
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
        if len(line) > _LONG:
            return (pos.line, self._columns(pos.line).byte(pos.column))
        return (pos.line, len(line[: pos.column].encode("utf-8")))

    def offset(self, pos: Position) -> int:
        """The UTF-8 byte offset of a code-point position."""
        row, column = self.point(pos)
        return self.byte_starts[row] + column

    def position(self, point: tuple[int, int]) -> Position:
        """The code-point position of a tree-sitter point (row, byte column); a point in a line break
        is the end of its line."""
        row, column = point
        if row >= len(self.lines):
            return Position(len(self.lines) - 1, len(self.lines[-1]))
        line = self.lines[row]
        if line.isascii():
            return Position(row, min(column, len(line)))
        if len(line) > _LONG:
            return Position(row, self._columns(row).column(column))
        return Position(row, len(line.encode("utf-8")[:column].decode("utf-8", errors="ignore")))

    def _columns(self, row: int) -> _Columns:
        found = self._long.get(row)
        if found is None:
            found = self._long[row] = _Columns(self.lines[row])
        return found

    @property
    def starts(self) -> list[int]:
        """Code-point offset where each line starts."""
        if self._starts is None:
            self._starts = [0, *(found.end() for found in _BREAK.finditer(self.text))]
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
        """The text inside ``rng`` (lone surrogates read as U+FFFD)."""
        return self._readable[self.index(rng.start) : max(self.index(rng.start), self.index(rng.end))]


class _Columns:
    """Code-point ↔ UTF-8 byte columns of one long non-ASCII line in time bounded by ``_CHUNK``: the
    byte column of every ``_CHUNK``-th code point is known (so a long line is not encoded per lookup)."""

    def __init__(self, line: str) -> None:
        self.line = line
        self.data = line.encode("utf-8")
        chunks = (len(line[at : at + _CHUNK].encode("utf-8")) for at in range(0, len(line), _CHUNK))
        self.marks = [0, *accumulate(chunks)]

    def byte(self, column: int) -> int:
        chunk = column // _CHUNK
        return self.marks[chunk] + len(self.line[chunk * _CHUNK : column].encode("utf-8"))

    def column(self, byte: int) -> int:
        chunk = bisect.bisect_right(self.marks, byte) - 1
        return chunk * _CHUNK + len(self.data[self.marks[chunk] : byte].decode("utf-8", errors="ignore"))


class EditableText:
    """A text edited change by change, in code points: a change costs the lines it touches, not the text."""

    def __init__(self, text: str) -> None:
        self.lines: list[str] = []  # without their breaks; read live by position converters
        self._breaks: list[str] = []  # the break after each line ("" after the last)
        self._reset(text)

    def _reset(self, text: str) -> None:
        self.lines[:] = split_lines(text)
        self._breaks[:] = [*_BREAK.findall(text), ""]

    @property
    def text(self) -> str:
        """The text as edited so far."""
        return "".join(chain.from_iterable(zip(self.lines, self._breaks, strict=True)))

    def apply(self, change: TextChange) -> None:
        """Apply one content change (a range past the end is clamped to it, as ``LineIndex.apply`` does)."""
        if change.range is None:
            self._reset(change.text)
            return
        start, end = self._clamp(change.range.start), self._clamp(change.range.end)
        end = max(start, end)
        first, last = start.line, end.line
        trailing = self._breaks[last]
        piece = self.lines[first][: start.column] + change.text + self.lines[last][end.column :] + trailing
        if first > 0 and self._breaks[first - 1] == "\r" and piece.startswith("\n"):
            first -= 1  # a CR before the edit and an LF at its start now make one CRLF break
            piece = self.lines[first] + "\r" + piece
        lines, breaks = split_lines(piece), _BREAK.findall(piece)
        if trailing:
            lines.pop()  # the empty "line" after the piece's own final break
        else:
            breaks.append("")
        self.lines[first : last + 1] = lines
        self._breaks[first : last + 1] = breaks

    def _clamp(self, pos: Position) -> Position:
        if pos.line >= len(self.lines):
            return Position(len(self.lines) - 1, len(self.lines[-1]))
        line = max(pos.line, 0)
        return Position(line, min(max(pos.column, 0), len(self.lines[line])))


def apply_changes(text: str, changes: Iterable[TextChange]) -> str:
    """The text after content changes applied one after another, in time linear in the text and changes."""
    editable = EditableText(text)
    for change in changes:
        editable.apply(change)
    return editable.text


def byte_point_after(start: tuple[int, int], inserted: bytes) -> tuple[int, int]:
    """The tree-sitter point where bytes inserted at point ``start`` end."""
    newlines = inserted.count(b"\n")
    if newlines == 0:
        return (start[0], start[1] + len(inserted))
    return (start[0] + newlines, len(inserted) - inserted.rfind(b"\n") - 1)

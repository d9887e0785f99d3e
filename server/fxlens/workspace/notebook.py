"""A notebook's code cells as one virtual script, with positions mapped both ways, and ``.ipynb`` files.

The code cells, in order, are joined by line breaks into one Python text with one line index
(markdown and raw cells are skipped). IPython syntax that is not Python — line magics ``%…``, cell
magics ``%%…`` (the whole cell), shell lines ``!…`` and ``x = !…`` — is blanked to spaces, so every
position in the virtual script is the same line and column of its cell. ``read_notebook`` reads
nbformat 4 JSON (clear ``NotebookError`` otherwise); ``write_sources`` writes back new cell sources
and leaves everything else (outputs, metadata, key order, indentation) as it was.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.text import split_lines

_BREAK = re.compile("\r\n|\r|\n")
_IPYTHON_LINE = re.compile(r"[ \t]*(?:[A-Za-z_][\w.]*[ \t]*=[ \t]*)?[%!]")  # %magic, !shell, x = !shell
_NOT_BREAK = re.compile(r"[^\r\n]")
_LINE_WITH_BREAK = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class NotebookError(ValueError):
    """A file that is not a readable nbformat 4 notebook."""


@dataclass(frozen=True)
class Cell:
    """One cell of a notebook: its kind (``code``, ``markdown``, ``raw``), its source and its key
    (the client's cell URI in the editor, kept as given; ``""`` for a cell read from a file)."""

    kind: str
    source: str
    key: str = ""


@dataclass(frozen=True)
class CellSpan:
    """Where one code cell sits in the virtual script."""

    index: int  # the cell's place among all cells of the notebook, from 0
    key: str
    start: int  # its first line in the virtual script
    lines: int  # how many lines it has (a final line break starts an empty last line)

    @property
    def end(self) -> int:
        """The line after its last one."""
        return self.start + self.lines

    def contains(self, line: int) -> bool:
        return self.start <= line < self.end


@dataclass(frozen=True)
class VirtualScript:
    """The code cells of a notebook as one script, and where each cell is in it."""

    text: str
    spans: tuple[CellSpan, ...]

    def span_at(self, line: int) -> CellSpan | None:
        """The cell holding virtual line ``line`` (None: outside every cell)."""
        found = bisect.bisect_right([s.start for s in self.spans], line) - 1
        if found < 0 or not self.spans[found].contains(line):
            return None
        return self.spans[found]

    def span_of(self, key: str) -> CellSpan | None:
        """The code cell with this key (None: not a code cell of the notebook)."""
        return next((s for s in self.spans if s.key == key), None)

    def to_cell(self, pos: Position) -> tuple[CellSpan, Position] | None:
        """The cell and in-cell position of a virtual position."""
        span = self.span_at(pos.line)
        return None if span is None else (span, Position(pos.line - span.start, pos.column))

    def range_to_cell(self, rng: Range) -> tuple[CellSpan, Range] | None:
        """The cell of a range's start and the range in it; an end in a later cell is cut at the cell's end."""
        found = self.to_cell(rng.start)
        if found is None:
            return None
        span, start = found
        end = Position(rng.end.line - span.start, rng.end.column)
        if not span.contains(rng.end.line):
            last = self.text_lines[span.end - 1]
            end = Position(span.lines - 1, len(last))
        return span, Range(start, end)

    @staticmethod
    def from_cell(span: CellSpan, pos: Position) -> Position:
        """The virtual position of a position in cell ``span``."""
        return Position(pos.line + span.start, pos.column)

    @cached_property
    def text_lines(self) -> list[str]:
        return split_lines(self.text)


def blank_ipython(source: str) -> str:
    """``source`` with IPython-only lines (and a whole ``%%`` cell) turned into spaces of the same length."""
    if source.lstrip(" \t").startswith("%%"):
        return _NOT_BREAK.sub(" ", source)
    if "%" not in source and "!" not in source:
        return source
    pieces = _BREAK.split(source)
    breaks = [*_BREAK.findall(source), ""]
    blanked = []
    continued = False  # the line before ended in a backslash inside a magic: this one belongs to it
    for line in pieces:
        magic = continued or _IPYTHON_LINE.match(line) is not None
        blanked.append(" " * len(line) if magic else line)
        continued = magic and line.endswith("\\")
    return "".join(line + end for line, end in zip(blanked, breaks, strict=True))


def virtual_script(cells: Sequence[Cell]) -> VirtualScript:
    """The code cells of ``cells`` joined into one script, each starting on a new line."""
    texts, spans, line = [], [], 0
    for index, cell in enumerate(cells):
        if cell.kind != "code":
            continue
        text = blank_ipython(cell.source)
        count = 1 + text.count("\n") + text.count("\r") - text.count("\r\n")  # as split_lines counts, faster
        spans.append(CellSpan(index, cell.key, line, count))
        texts.append(text)
        line += count
    return VirtualScript("\n".join(texts), tuple(spans))


@dataclass(frozen=True)
class NotebookFile:
    """An ``.ipynb`` file as read: its JSON (kept whole for writing back) and its cells."""

    data: dict[str, Any]
    cells: tuple[Cell, ...]
    indent: int | None  # the file's JSON indentation, kept when writing back
    final_newline: bool

    @property
    def script(self) -> VirtualScript:
        return virtual_script(self.cells)


def read_notebook(text: str) -> NotebookFile:
    """The notebook in ``text``; ``NotebookError`` says why when it is not JSON or not nbformat 4."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"not a notebook: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a notebook: the JSON has no `cells` list")
    if data.get("nbformat") != 4:
        raise NotebookError(
            f"not an nbformat 4 notebook (nbformat is {data.get('nbformat')!r}); fxlens reads nbformat 4"
        )
    cells = []
    for number, cell in enumerate(data["cells"], 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"cell {number} is not a cell (no `cell_type`)")
        cells.append(Cell(cell["cell_type"], _source_text(cell.get("source", ""), number)))
    return NotebookFile(data, tuple(cells), _indent(text), text.endswith("\n"))


def _source_text(source: Any, number: int) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(piece, str) for piece in source):
        return "".join(source)
    raise NotebookError(f"cell {number}: `source` is neither a string nor a list of strings")


def _indent(text: str) -> int | None:
    """The indentation of the JSON's first nested line (None: all on one line)."""
    lines = text.splitlines()
    if len(lines) < 2:
        return None
    second = lines[1]
    return len(second) - len(second.lstrip(" "))


def write_sources(notebook: NotebookFile, sources: Mapping[int, str]) -> str:
    """The notebook's JSON text with the cells at ``sources``' indexes given new sources, nothing else changed.

    A source stored as a list of lines stays a list of lines (each keeping its line break)."""
    cells = [dict(cell) for cell in notebook.data["cells"]]
    for index, source in sources.items():
        old = cells[index].get("source", "")
        cells[index]["source"] = _LINE_WITH_BREAK.findall(source) if isinstance(old, list) else source
    data = {**notebook.data, "cells": cells}
    text = json.dumps(data, indent=notebook.indent, ensure_ascii=False)
    return text + "\n" if notebook.final_newline else text

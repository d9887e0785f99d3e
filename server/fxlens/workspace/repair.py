"""Make half-typed Python parseable by inserting what the user has not typed yet.

While completing inside ``return_nodes=["layer1.`` the file has an unterminated string and open
brackets, and tree-sitter's error recovery then flattens the call into an ``ERROR`` node. Inside
the statements that hold errors, this module closes strings at the end of their line, closes open
brackets where the statement evidently ends (the next line is not indented deeper and does not
start with a closing bracket), and fills a missing operand or dict value with ``_``. Text is only
inserted, never removed or moved, so every original position maps back exactly. ``error_windows``
finds the statements to complete, in one walk of the tree; the tokenizer matches every character, so
any text can be repaired, and a window holds at most ``MAX_DEPTH`` open brackets (memory stays bounded).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby

from tree_sitter import Node

from fxlens.workspace.callsite import Position

# Total: ``newline``, ``space`` (any other whitespace), ``name`` (word characters) and ``op`` (neither)
# together match every character, so any text tokenizes.
_TOKEN = re.compile(
    r"""
    (?P<newline>\n)
  | (?P<space>[^\S\n]+)
  | (?P<comment>\#[^\n]*)
  | (?P<continuation>\\\n)
  | (?P<string>(?:[rRbBuUfF]{1,2})?(?:'''|\"\"\"|'|\"))
  | (?P<name>\w+)
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<comma>,)
  | (?P<colon>:(?!=))
  | (?P<op>[^\s\w])
    """,
    re.VERBOSE,
)
_STRING_BODY = {
    '"': re.compile(r'(?:\\[\s\S]|[^\\\n"])*'),
    "'": re.compile(r"(?:\\[\s\S]|[^\\\n'])*"),
    '"""': re.compile(r'(?:\\[\s\S]|"(?!"")|[^\\"])*'),
    "'''": re.compile(r"(?:\\[\s\S]|'(?!'')|[^\\'])*"),
}
_CLOSER = {"(": ")", "[": "]", "{": "}"}
_ORIGIN = Position(0, 0)
MAX_DEPTH = 1000  # open brackets a window may hold (Python's tokenizer accepts 200); deeper, it stays as typed
_STATEMENT_PARENTS = frozenset({"module", "block"})
_KEYWORD_OPERATORS = frozenset({"and", "or", "not", "in", "is", "if", "else", "lambda", "await"})


@dataclass(frozen=True)
class Insertion:
    """Text inserted at an original position (code points)."""

    position: Position
    text: str


@dataclass(frozen=True)
class Repair:
    """A repaired text and how to map its positions back to the original one."""

    text: str
    insertions: tuple[Insertion, ...]  # sorted by position

    @cached_property
    def _by_line(self) -> dict[int, tuple[Insertion, ...]]:
        return {line: tuple(group) for line, group in groupby(self.insertions, key=lambda ins: ins.position.line)}

    def on_line(self, line: int) -> tuple[Insertion, ...]:
        """The insertions on one line, in order."""
        return self._by_line.get(line, ())

    def on_lines(self, first: int, last: int) -> tuple[Insertion, ...]:
        """The insertions on lines ``first`` to ``last`` (inclusive), in order."""
        low = bisect.bisect_left(self.insertions, first, key=_line)
        return self.insertions[low : bisect.bisect_right(self.insertions, last, lo=low, key=_line)]

    def between(self, first: Position, last: Position) -> tuple[Insertion, ...]:
        """The insertions at positions from ``first`` to ``last`` (inclusive), in order."""
        low = bisect.bisect_left(self.insertions, first, key=_position)
        return self.insertions[low : bisect.bisect_right(self.insertions, last, lo=low, key=_position)]

    def to_original(self, pos: Position) -> Position:
        """The original position of a position in the repaired text (inserted text maps to its anchor)."""
        shift = 0
        for ins in self.on_line(pos.line):
            start = ins.position.column + shift
            if pos.column < start:
                break
            if pos.column < start + len(ins.text):
                return ins.position
            shift += len(ins.text)
        return Position(pos.line, pos.column - shift)

    def to_repaired(self, pos: Position) -> Position:
        """The repaired-text position of an original position (before text inserted there)."""
        shift = sum(len(ins.text) for ins in self.on_line(pos.line) if ins.position.column < pos.column)
        return Position(pos.line, pos.column + shift)


def _position(insertion: Insertion) -> Position:
    return insertion.position


def _line(insertion: Insertion) -> int:
    return insertion.position.line


@dataclass
class _Bracket:
    char: str
    colon_seen: bool = False  # a top-level ``:`` occurred: this ``{`` is a dict
    item_has_colon: bool = False
    item_nonempty: bool = False


@dataclass
class _Scanner:
    """Tokenizes one window of lines and records the insertions that complete it."""

    lines: list[str]
    first: int  # index of the window's first line
    last: int
    inserted: list[Insertion] = field(default_factory=list)
    stack: list[_Bracket] = field(default_factory=list)
    last_kind: str = "open"  # kind of the last significant token
    last_end: Position = _ORIGIN
    logical_indent: int = 0
    next_code: tuple[int, int | None] = (-1, -1)  # (from, line): the last answer of ``_next_code_line``

    def run(self) -> None:
        text = "\n".join(self.lines[self.first : self.last + 1])
        starts = [0]
        starts += [m.end() for m in re.finditer("\n", text)]
        self.last_end = Position(self.first, 0)
        self.logical_indent = _indent(self.lines[self.first])
        at = 0
        while at < len(text):
            match = _TOKEN.match(text, at)
            assert match is not None  # the pattern is total (see ``_TOKEN``)
            kind, value = str(match.lastgroup), match.group()
            at = match.end()
            line = bisect.bisect_right(starts, match.start()) - 1
            start = Position(self.first + line, match.start() - starts[line])
            end = Position(start.line, start.column + len(value))
            if kind == "string":
                at, end = self._string(text, at, value.lstrip("rRbBuUfF"), starts)
                self._operand(end)
            elif kind == "newline":
                self._end_of_line(start.line)
            elif kind in ("space", "comment", "continuation"):
                continue
            elif kind == "open":
                if len(self.stack) >= MAX_DEPTH:  # bounded memory: nothing Python parses is this deep
                    self.inserted.clear()
                    self.stack.clear()
                    return
                if not self.stack:
                    self.logical_indent = _indent(self.lines[start.line])
                self._item()
                self.stack.append(_Bracket(value))
                self._significant("open", end)
            elif kind == "close":
                self._close(value, end)
            elif kind == "comma":
                self._complete_pair()
                if self.stack:
                    self.stack[-1].item_has_colon = self.stack[-1].item_nonempty = False
                self._significant("comma", end)
            elif kind == "colon":
                if self.stack:
                    self.stack[-1].colon_seen = self.stack[-1].item_has_colon = True
                self._significant("op", end)
            elif kind == "name" and value in _KEYWORD_OPERATORS:
                self._item()
                self._significant("op", end)
            elif kind == "name":
                self._operand(end)
            else:
                if value == "*" and self.stack and not self.stack[-1].item_nonempty:
                    self.stack[-1].item_has_colon = True  # ``**mapping`` is a complete dict item
                self._item()
                self._significant("op", end)
        if self.stack:
            self._close_all(self.last_end)

    def _string(self, text: str, at: int, quote: str, starts: list[int]) -> tuple[int, Position]:
        body = _STRING_BODY[quote].match(text, at)
        assert body is not None  # the body patterns accept the empty string
        end = body.end()
        line = bisect.bisect_right(starts, end) - 1
        pos = Position(self.first + line, end - starts[line])
        if text.startswith(quote, end):
            return end + len(quote), Position(pos.line, pos.column + len(quote))
        self.inserted.append(Insertion(pos, quote))
        return end, pos

    def _item(self) -> None:
        if self.stack:
            self.stack[-1].item_nonempty = True

    def _operand(self, end: Position) -> None:
        self._item()
        self._significant("operand", end)

    def _significant(self, kind: str, end: Position) -> None:
        self.last_kind, self.last_end = kind, end

    def _end_of_line(self, line: int) -> None:
        if not self.stack:
            return
        following = self._next_code_line(line + 1)
        if following is None:
            self._close_all(self.last_end)
            return
        code = self.lines[following].lstrip(" \t")
        if _indent(self.lines[following]) <= self.logical_indent and code[:1] not in ")]}":
            self._close_all(self.last_end)

    def _next_code_line(self, start: int) -> int | None:
        """The first line from ``start`` on that holds code; remembered, so a run of comments is read once."""
        known_from, known = self.next_code
        if known_from <= start and (known is None or start <= known):
            return known
        found = _next_code_line(self.lines, start)
        self.next_code = (start, found)
        return found

    def _close(self, char: str, end: Position) -> None:
        depth = next(
            (i for i in range(len(self.stack) - 1, -1, -1) if _CLOSER[self.stack[i].char] == char),
            None,
        )
        if depth is None:
            return  # a stray closer: nothing to complete
        if depth < len(self.stack) - 1:
            self._close_innermost(len(self.stack) - 1 - depth, self.last_end)
        self._complete_pair()
        self.stack.pop()
        self._operand(end)

    def _complete_pair(self) -> None:
        """A dict item typed without its ``: value`` so far gets a placeholder value."""
        if self.stack and _needs_value(self.stack[-1]):
            self.inserted.append(Insertion(self.last_end, ": _"))
            self.stack[-1].item_has_colon = True

    def _close_all(self, at: Position) -> None:
        self._close_innermost(len(self.stack), at)
        self.last_kind = "operand"

    def _close_innermost(self, count: int, at: Position) -> None:
        pieces = []
        for _ in range(count):
            bracket = self.stack.pop()
            if self.last_kind == "op":
                pieces.append("_")
            if _needs_value(bracket):
                pieces.append(": _")
            pieces.append(_CLOSER[bracket.char])
            self.last_kind = "operand"
            if self.stack:
                self.stack[-1].item_nonempty = True
        self.inserted.append(Insertion(at, "".join(pieces)))


def _needs_value(bracket: _Bracket) -> bool:
    return bracket.char == "{" and bracket.colon_seen and bracket.item_nonempty and not bracket.item_has_colon


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _next_code_line(lines: list[str], start: int) -> int | None:
    for number in range(start, len(lines)):
        code = lines[number].strip()
        if code and not code.startswith("#"):
            return number
    return None


def repair(lines: list[str], windows: list[tuple[int, int]]) -> Repair | None:
    """Complete the statements in ``windows`` (inclusive line spans); None when nothing is missing."""
    inserted: list[Insertion] = []
    for first, last in windows:
        scanner = _Scanner(lines, first, last)
        scanner.run()
        inserted.extend(scanner.inserted)
    if not inserted:
        return None
    inserted.sort(key=lambda ins: ins.position)  # stable: same-position insertions keep their order
    patched = list(lines)
    for line, group in groupby(inserted, key=lambda ins: ins.position.line):
        text, pieces, previous = lines[line], [], 0
        for ins in group:
            pieces += [text[previous : ins.position.column], ins.text]
            previous = ins.position.column
        patched[line] = "".join(pieces) + text[previous:]
    return Repair("\n".join(patched), tuple(inserted))


def error_windows(root: Node) -> list[tuple[int, int]]:
    """Line spans of the statements that hold syntax errors, merged.

    One cursor walk into the subtrees that hold errors, carrying each node's statement down (asking a
    node for its parent would make tree-sitter walk down from the root again, for every error).
    """
    spans: list[tuple[int, int]] = []
    cursor = root.walk()
    shared: list[Node | None] = []  # per depth: the statement of the cursor's siblings (None: each is one)
    while True:
        node = cursor.node
        assert node is not None  # a cursor always stands on a node
        statement = (shared[-1] or node) if shared else node
        if node.is_error or node.is_missing:
            spans.append((statement.start_point[0], max(statement.end_point[0], node.end_point[0])))
        elif node.has_error and cursor.goto_first_child():
            shared.append(None if node.type in _STATEMENT_PARENTS else statement)
            continue
        while not cursor.goto_next_sibling():
            if not shared:
                return _merged(spans)
            cursor.goto_parent()
            shared.pop()


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged

"""Parse a document once per version and answer what the editor asks about it.

``parse_document`` builds a ``ParsedDocument`` (tree, call sites); ``ParsedDocument.edit`` applies
LSP content changes with tree-sitter's incremental parsing; ``cursor_context`` says which call,
argument and string a position is in and what has been typed so far — also while the code is
half-typed, thanks to ``fxlens.workspace.repair``. Columns are code points (the LSP layer converts
from UTF-16 at the edge).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Tree

from fxlens.workspace.callsite import CallSite, NodeArgKind, NodeArgument, NodeQuery, Position, Range, StringLiteral
from fxlens.workspace.callsites import find_call_sites
from fxlens.workspace.repair import repair
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax
from fxlens.workspace.text import LineIndex, TextChange, byte_point_after, utf8

PYTHON = Language(tree_sitter_python.language())
_PARSER = Parser(PYTHON)
_STATEMENT_PARENTS = frozenset({"module", "block"})


@dataclass(frozen=True, eq=False)
class ParsedDocument:
    """One version of a document: its text, syntax trees and the feature-extraction calls in it."""

    uri: str
    text: str
    version: int
    tree: Tree  # the tree of ``text`` itself, kept for incremental reparsing
    syntax: Syntax  # the tree call sites are read from: ``tree``, or that of the repaired text
    symbols: Symbols
    call_sites: tuple[CallSite, ...]
    call_nodes: tuple[Node, ...]  # the call node of each call site (in ``syntax``)
    site_keys: tuple[Hashable, ...] = field(default=(), repr=False)  # what each site depends on, for reuse

    @cached_property
    def lines(self) -> LineIndex:
        """Line index of the text as typed."""
        return self.syntax.parsed if self.syntax.repair is None else LineIndex(self.text)

    def edit(self, changes: Sequence[TextChange], version: int) -> ParsedDocument:
        """The next version after LSP content changes, reparsed incrementally."""
        text, tree = self.text, self.tree.copy()
        for change in changes:
            if change.range is None:
                text, tree = change.text, None
                continue
            lines = LineIndex(text)
            start, end = lines.clamp(change.range.start), lines.clamp(change.range.end)
            start_byte, old_end_byte = lines.offset(start), lines.offset(end)
            inserted = utf8(change.text)
            if tree is not None:
                start_point = lines.point(start)
                tree.edit(
                    start_byte=start_byte,
                    old_end_byte=old_end_byte,
                    new_end_byte=start_byte + len(inserted),
                    start_point=start_point,
                    old_end_point=lines.point(end),
                    new_end_point=byte_point_after(start_point, inserted),
                )
            text = lines.apply(change)
        return _build(self.uri, text, version, tree, self)

    def call_node(self, site: CallSite) -> Node:
        """The tree node of one of this document's call sites."""
        return self.call_nodes[self.call_sites.index(site)]


def parse_document(uri: str, text: str, version: int = 0) -> ParsedDocument:
    """Parse a whole document from scratch."""
    return _build(uri, text, version, None, None)


def _build(uri: str, text: str, version: int, edited: Tree | None, previous: ParsedDocument | None) -> ParsedDocument:
    lines = LineIndex(text)
    source = lines.source
    tree = _PARSER.parse(source, edited) if edited is not None else _PARSER.parse(source)
    syntax = Syntax(tree, lines)
    if tree.root_node.has_error:
        fixed = repair(lines.lines, _error_windows(tree.root_node))
        if fixed is not None:
            repaired = LineIndex(fixed.text)
            new = fixed.text.encode("utf-8")
            before = previous.syntax if previous is not None else None
            fixed_tree = _reparse(before.tree, before.source, new) if before is not None else _PARSER.parse(new)
            syntax = Syntax(fixed_tree, repaired, fixed)
    symbols = Symbols(syntax.tree, syntax.source)
    known = dict(zip(previous.site_keys, previous.call_sites)) if previous is not None else None
    found = find_call_sites(syntax, symbols, known)
    return ParsedDocument(
        uri=uri,
        text=text,
        version=version,
        tree=tree,
        syntax=syntax,
        symbols=symbols,
        call_sites=tuple(f.site for f in found),
        call_nodes=tuple(f.node for f in found),
        site_keys=tuple(f.key for f in found),
    )


def _reparse(base: Tree, old: bytes, new: bytes) -> Tree:
    """Parse ``new``, reusing ``base`` (the tree of ``old``) for the unchanged prefix and suffix."""
    prefix = _common_prefix(old, new)
    suffix = _common_prefix(old[prefix:][::-1], new[prefix:][::-1])
    tree = base.copy()
    start_point = _point(new, prefix)
    tree.edit(
        start_byte=prefix,
        old_end_byte=len(old) - suffix,
        new_end_byte=len(new) - suffix,
        start_point=start_point,
        old_end_point=_point(old, len(old) - suffix),
        new_end_point=_point(new, len(new) - suffix),
    )
    return _PARSER.parse(new, tree)


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the common prefix, by binary search over slice comparisons (C speed)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _point(data: bytes, offset: int) -> tuple[int, int]:
    return (data.count(b"\n", 0, offset), offset - data.rfind(b"\n", 0, offset) - 1)


def _error_windows(root: Node) -> list[tuple[int, int]]:
    """Line spans of the statements that hold syntax errors, merged."""
    spans: list[tuple[int, int]] = []
    pending = [root]
    while pending:
        node = pending.pop()
        if node.is_error or node.is_missing:
            statement = node
            while statement.parent is not None and statement.parent.type not in _STATEMENT_PARENTS:
                statement = statement.parent
            spans.append((statement.start_point[0], max(statement.end_point[0], node.end_point[0])))
        else:
            pending.extend(child for child in node.children if child.has_error or child.is_missing)
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


Role = Literal["node", "output"]


@dataclass(frozen=True)
class CursorContext:
    """Where a cursor is inside a node argument, and what has been typed in its string so far."""

    call_site: CallSite
    kind: NodeArgKind
    argument: NodeArgument
    role: Role  # "node": a node name (list item or dict key); "output": a dict value
    query: NodeQuery | None = None  # the query the cursor's string belongs to
    string: StringLiteral | None = None  # None when the cursor is not inside a string yet
    prefix: str = ""  # the string's text from its opening quote to the cursor, as typed


def cursor_context(doc: ParsedDocument, pos: Position) -> CursorContext | None:
    """What the cursor is in: call site, argument, string and typed prefix; None outside node arguments."""
    candidates = [site for site in doc.call_sites if _reaches(doc, site.range, pos)]
    for site in sorted(candidates, key=lambda s: s.range.start, reverse=True):
        for argument in site.node_arguments:
            for query in argument.queries:
                strings: tuple[tuple[Role, StringLiteral | None], ...] = (
                    ("node", query.name),
                    ("output", query.output),
                )
                for role, string in strings:
                    if string is not None and string.range.contains(pos):
                        prefix = doc.lines.slice(Range(string.range.start, pos))
                        return CursorContext(site, argument.kind, argument, role, query, string, prefix)
            if _inside(doc, argument, pos):
                return CursorContext(site, argument.kind, argument, _role_at(doc, argument, pos))
    return None


def _inside(doc: ParsedDocument, argument: NodeArgument, pos: Position) -> bool:
    """After the opening bracket and before the closing one; for an unclosed one, up to the next text."""
    start, end = argument.range.start, argument.range.end
    if argument.complete or pos < end:
        return start < pos < end
    return _reaches(doc, argument.range, pos)


def _reaches(doc: ParsedDocument, rng: Range, pos: Position) -> bool:
    """Inside ``rng``, or after it on its last line with only spaces in between (typing goes on)."""
    if rng.contains(pos):
        return True
    return pos.line == rng.end.line and pos > rng.end and not doc.lines.slice(Range(rng.end, pos)).strip()


def _role_at(doc: ParsedDocument, argument: NodeArgument, pos: Position) -> Role:
    """Outside any string: in a dict, after a ``:`` means an output name is expected."""
    if argument.form != "dict":
        return "node"
    before = doc.lines.slice(Range(argument.range.start, pos)).rstrip()
    return "output" if before.endswith(":") else "node"


__all__ = [
    "CursorContext",
    "ParsedDocument",
    "TextChange",
    "cursor_context",
    "parse_document",
]

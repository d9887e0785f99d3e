"""Parse a document once per version and answer what the editor asks about it.

``parse_document`` builds a ``ParsedDocument`` (tree, call sites, the literals they read their
node names from); ``ParsedDocument.edit`` applies LSP content changes with tree-sitter's
incremental parsing; ``cursor_context`` says which calls, argument and string a position is in and
what has been typed so far — in the call or in a literal bound to a name elsewhere in the file, also
while the code is half-typed, thanks to ``fxlens.workspace.repair``; ``index_context`` says which timm
index (``out_indices``, ``forward_intermediates``' ``indices``) an integer under the cursor is. Columns
are code points (the LSP layer converts from UTF-16 at the edge).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, NamedTuple

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Tree

from fxlens.workspace.callsite import (
    CallSite,
    IntArgument,
    IntItem,
    NodeArgKind,
    NodeArgument,
    NodeQuery,
    Position,
    Range,
    StringLiteral,
)
from fxlens.workspace.callsites import find_call_sites
from fxlens.workspace.module_sites import INDEX_PARAMETERS
from fxlens.workspace.repair import error_windows as _error_windows
from fxlens.workspace.repair import repair
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax
from fxlens.workspace.text import LineIndex, TextChange, apply_changes

PYTHON = Language(tree_sitter_python.language())
_PARSERS = threading.local()  # a tree-sitter Parser is not thread-safe: one per thread that parses


def _parser() -> Parser:
    found = getattr(_PARSERS, "parser", None)
    if found is None:
        found = _PARSERS.parser = Parser(PYTHON)
    return found


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
    def literal_uses(self) -> tuple[LiteralUse, ...]:
        """Each literal of this document that node arguments read, with every argument that reads it."""
        return literal_uses(self.call_sites)

    @cached_property
    def lines(self) -> LineIndex:
        """Line index of the text as typed."""
        return self.syntax.parsed if self.syntax.repair is None else LineIndex(self.text)

    def edit(self, changes: Sequence[TextChange], version: int) -> ParsedDocument:
        """The next version after LSP content changes (applied in one pass), reparsed incrementally."""
        text = apply_changes(self.text, changes)
        old = self.lines.source  # the bytes ``self.tree`` was parsed from
        return _build(self.uri, text, version, _edited(self.tree, old, LineIndex(text).source), self)

    def call_node(self, site: CallSite) -> Node:
        """The tree node of one of this document's call sites."""
        return self.call_nodes[self.call_sites.index(site)]


def parse_document(uri: str, text: str, version: int = 0) -> ParsedDocument:
    """Parse a whole document from scratch."""
    return _build(uri, text, version, None, None)


def _build(uri: str, text: str, version: int, edited: Tree | None, previous: ParsedDocument | None) -> ParsedDocument:
    lines = LineIndex(text)
    source = lines.source
    tree = _parser().parse(source, edited) if edited is not None else _parser().parse(source)
    syntax = Syntax(tree, lines)
    if tree.root_node.has_error:
        fixed = repair(lines.lines, _error_windows(tree.root_node))
        if fixed is not None:
            repaired = LineIndex(fixed.text)
            new = repaired.source
            before = previous.syntax if previous is not None else None
            fixed_tree = _reparse(before.tree, before.source, new) if before is not None else _parser().parse(new)
            syntax = Syntax(fixed_tree, repaired, fixed)
    symbols = Symbols(syntax.tree, syntax.source)
    known = dict(zip(previous.site_keys, previous.call_sites, strict=True)) if previous is not None else None
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
    return _parser().parse(new, _edited(base, old, new))


def _edited(base: Tree, old: bytes, new: bytes) -> Tree:
    """A copy of ``base`` (the tree of ``old``) told of one edit that turns ``old`` into ``new``: the span
    between their common prefix and suffix (however many changes made it, found in linear time)."""
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
    tree = base.copy()
    tree.edit(
        start_byte=prefix,
        old_end_byte=len(old) - suffix,
        new_end_byte=len(new) - suffix,
        start_point=_point(new, prefix),
        old_end_point=_point(old, len(old) - suffix),
        new_end_point=_point(new, len(new) - suffix),
    )
    return tree


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the common prefix, by binary search over memoryview comparisons (C speed, no copies)."""
    first, second = memoryview(a), memoryview(b)
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if first[:middle] == second[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the common suffix, at most ``limit`` bytes long."""
    first, second = memoryview(a), memoryview(b)
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if first[len(a) - middle :] == second[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def _point(data: bytes, offset: int) -> tuple[int, int]:
    return (data.count(b"\n", 0, offset), offset - data.rfind(b"\n", 0, offset) - 1)


Role = Literal["node", "output"]


class ArgumentUse(NamedTuple):
    """One call's node argument that reads a literal."""

    site: CallSite  # as its document's ``call_sites`` hold it
    argument: NodeArgument
    uri: str = ""  # the document of the call when it is not the literal's ("": the same document)


@dataclass(frozen=True)
class LiteralUse:
    """A literal of the document (or an argument value that is none) and the arguments that read it."""

    range: Range  # the literal, brackets included; for a value that is not a literal, the value in the call
    uses: tuple[ArgumentUse, ...]  # in source order of the calls


def literal_uses(call_sites: Sequence[CallSite]) -> tuple[LiteralUse, ...]:
    """Group the node arguments of a document's calls by the literal (in that document) they read."""
    grouped: dict[Range, list[ArgumentUse]] = {}
    for site in call_sites:
        for argument in site.node_arguments:
            if argument.literal_file:
                continue  # the literal is in another document
            region = argument.literal_range
            if region is None and argument.form == "other" and not argument.via:
                region = argument.range  # a value fxlens cannot read: typing goes on in the call
            if region is not None:
                grouped.setdefault(region, []).append(ArgumentUse(site, argument))
    return tuple(LiteralUse(region, tuple(uses)) for region, uses in grouped.items())


@dataclass(frozen=True)
class CursorContext:
    """Where a cursor is inside a node argument's literal, and what has been typed in its string so far.

    ``call_site``, ``kind`` and ``argument`` are those of the first call that reads the literal;
    ``uses`` lists every call and argument that reads it (one literal may feed several calls).
    """

    call_site: CallSite
    kind: NodeArgKind
    argument: NodeArgument
    role: Role  # "node": a node name (list item or dict key); "output": a dict value
    query: NodeQuery | None = None  # the query the cursor's string belongs to
    string: StringLiteral | None = None  # None when the cursor is not inside a string yet
    prefix: str = ""  # the string's text from its opening quote to the cursor, as typed
    uses: tuple[ArgumentUse, ...] = ()

    @property
    def call_sites(self) -> tuple[CallSite, ...]:
        """Every call whose node argument reads the literal the cursor is in."""
        return tuple(use.site for use in self.uses) or (self.call_site,)


def cursor_context(doc: ParsedDocument, pos: Position, elsewhere: Sequence[LiteralUse] = ()) -> CursorContext | None:
    """What the cursor is in: calls, argument, string and typed prefix; None outside node-argument literals.

    ``elsewhere``: literals of ``doc`` that calls in other documents read (``imported_uses``).
    """
    grouped: dict[Range, list[ArgumentUse]] = {}
    for use in (*doc.literal_uses, *elsewhere):
        if _reaches(doc, use.range, pos):
            grouped.setdefault(use.range, []).extend(use.uses)
    candidates = [LiteralUse(region, tuple(uses)) for region, uses in grouped.items()]
    for literal in sorted(candidates, key=lambda u: u.range.start, reverse=True):
        site, argument = literal.uses[0].site, literal.uses[0].argument
        if any(q.name.computed for q in argument.queries):
            continue  # a comprehension: its strings are templates, not names to complete
        for query in argument.queries:
            strings: tuple[tuple[Role, StringLiteral | None], ...] = (("node", query.name), ("output", query.output))
            for role, string in strings:
                if string is not None and string.range.contains(pos):
                    prefix = doc.lines.slice(Range(string.range.start, pos))
                    return CursorContext(site, argument.kind, argument, role, query, string, prefix, literal.uses)
        if _inside(doc, literal.range, argument.complete, pos):
            role = _role_at(doc, literal.range, argument.form, pos)
            return CursorContext(site, argument.kind, argument, role, uses=literal.uses)
    return None


@dataclass(frozen=True)
class IndexContext:
    """The cursor on an integer that indexes a timm model's ``feature_info``: an ``out_indices`` entry of
    ``create_model(..., features_only=True)`` or the ``indices`` of ``forward_intermediates`` (an entry,
    or the int that takes the last ``n``)."""

    call_site: CallSite
    argument: IntArgument
    item: IntItem


def index_context(doc: ParsedDocument, pos: Position) -> IndexContext | None:
    """The timm index under the cursor, or None (not on an integer literal of such an argument)."""
    for site in doc.call_sites:
        parameter = INDEX_PARAMETERS.get(site.function)
        argument = site.int_argument(parameter) if parameter is not None else None
        if argument is None or not argument.range.contains(pos):
            continue
        for item in argument.items:
            if item.value is not None and item.range.contains(pos):
                return IndexContext(site, argument, item)
    return None


def _inside(doc: ParsedDocument, region: Range, complete: bool, pos: Position) -> bool:
    """After the opening bracket and before the closing one; for an unclosed one, up to the next text."""
    start, end = region.start, region.end
    if complete or pos < end:
        return start < pos < end
    return _reaches(doc, region, pos)


def _reaches(doc: ParsedDocument, rng: Range, pos: Position) -> bool:
    """Inside ``rng``, or after it on its last line with only spaces in between (typing goes on)."""
    if rng.contains(pos):
        return True
    return pos.line == rng.end.line and pos > rng.end and not doc.lines.slice(Range(rng.end, pos)).strip()


def _role_at(doc: ParsedDocument, region: Range, form: str, pos: Position) -> Role:
    """Outside any string: in a dict, after a ``:`` means an output name is expected."""
    if form != "dict":
        return "node"
    before = doc.lines.slice(Range(region.start, pos)).rstrip()
    return "output" if before.endswith(":") else "node"


__all__ = [
    "ArgumentUse",
    "CursorContext",
    "IndexContext",
    "LiteralUse",
    "ParsedDocument",
    "TextChange",
    "cursor_context",
    "index_context",
    "parse_document",
]

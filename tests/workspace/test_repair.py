"""Repair of half-typed code and the text layer under it: total over every text a client can send."""

from __future__ import annotations

import pytest
import tree_sitter_python
from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.parse import TextChange, cursor_context, parse_document
from fxlens.workspace.repair import error_windows
from fxlens.workspace.text import LineIndex
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Language, Node, Parser

PARSER = Parser(Language(tree_sitter_python.language()))
HEADER = "from torchvision.models.feature_extraction import create_feature_extractor as cfe\n"
# Every character Python counts as whitespace that the old token pattern left unmatched.
UNICODE_SPACES = "\x0b\x1c\x1d\x1e\x1f\x85\xa0" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u3000"


@pytest.mark.parametrize("space", list(UNICODE_SPACES), ids=lambda c: f"U+{ord(c):04X}")
def test_unicode_whitespace_in_a_broken_statement_still_gets_completion(space: str) -> None:
    """Python rejects most of these outside strings; the half-typed call is still completed."""
    text = HEADER + f"fe = cfe(m,{space}['layer1.\n"
    doc = parse_document("x.py", text, 1)
    assert len(doc.call_sites) == 1
    context = cursor_context(doc, Position(1, len(text.split("\n")[1])))
    assert context is not None and context.string is not None
    assert (context.prefix, context.string.terminated) == ("layer1.", False)


def test_a_lone_surrogate_is_read_as_a_replacement_character_and_positions_hold() -> None:
    text = HEADER + "x = '\ud800'\nfe = cfe(m, ['layer1.\n"
    doc = parse_document("x.py", text, 1)
    (site,) = doc.call_sites
    assert site.range.start == Position(2, 5)
    after = doc.edit([TextChange("\udc00", Range(Position(2, 0), Position(2, 0)))], 2)
    assert after.text == HEADER + "x = '\ud800'\n\udc00fe = cfe(m, ['layer1.\n"
    assert after.call_sites[0].range.start == Position(2, 6)


SPICY = st.sampled_from(
    [
        *UNICODE_SPACES,
        *("\ud800", "\udfff", "\r", "\r\n", "\n", "\t", "\f", "\ufeff", "\u200f", "e\u0301", "😋", "#"),
        *("'", '"', "'''", "[", "]", "{", "}", "(", ")", ",", ":", "\\", "cfe(m, ", "layer1.", " ", "x", "**"),
    ]
)


@st.composite
def hostile_texts(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.one_of(SPICY, st.text(max_size=4)), max_size=40))
    return HEADER + "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(hostile_texts())
def test_any_text_parses_and_every_range_stays_inside_it(text: str) -> None:
    doc = parse_document("x.py", text, 0)
    lines = doc.lines
    for site in doc.call_sites:
        for rng in [site.range] + [a.range for a in site.node_arguments]:
            assert lines.clamp(rng.start) == rng.start and lines.clamp(rng.end) == rng.end
            assert rng.start <= rng.end
    end = lines.clamp(Position(10**9, 0))
    cursor_context(doc, end)


@settings(max_examples=150, deadline=None)
@given(hostile_texts(), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 5), SPICY), max_size=5))
def test_any_edit_applies_and_gives_the_text_a_fresh_parse_reads(text: str, edits: list[tuple[int, int, str]]) -> None:
    doc = parse_document("x.py", text, 0)
    for offset, length, inserted in edits:
        start = min(offset, len(text))
        end = min(start + length, len(text))
        rng = Range(doc.lines.position_of(start), doc.lines.position_of(end))
        text = doc.lines.apply(TextChange(inserted, rng))
        doc = doc.edit([TextChange(inserted, rng)], doc.version + 1)
        assert doc.text == text


def windows_by_climbing(root: Node) -> list[tuple[int, int]]:
    """The specification of ``error_windows``: from each error, climb to the statement that holds it."""
    spans = []
    pending = [root]
    while pending:
        node = pending.pop()
        if node.is_error or node.is_missing:
            statement = node
            while statement.parent is not None and statement.parent.type not in ("module", "block"):
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


NESTED = st.sampled_from(
    ["def f(x):\n", "    ", "class C:\n", "if x:\n", "[", "(", "{", "'", ")", ":", "\n", "x", " = "]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(NESTED, SPICY), max_size=60))
def test_error_windows_are_the_statements_that_hold_the_errors(pieces: list[str]) -> None:
    tree = PARSER.parse(LineIndex("".join(pieces)).source)
    assert error_windows(tree.root_node) == windows_by_climbing(tree.root_node)


def test_a_pasted_block_of_broken_statements_is_repaired_statement_by_statement() -> None:
    block = "def f(x):\n    y = cfe(x, ['layer1.', {'a': \n    return g(y, [1, 2\n"
    doc = parse_document("x.py", HEADER + block * 300, 1)
    assert len(doc.call_sites) == 300
    assert doc.syntax.repair is not None and len(doc.syntax.repair.insertions) == 600
    for number, site in enumerate(doc.call_sites):
        assert site.range.start == Position(2 + 3 * number, 8)
        context = cursor_context(doc, Position(2 + 3 * number, 24))
        assert context is not None and context.string is not None and context.prefix == "layer1."


def test_a_long_run_of_comment_lines_inside_open_brackets_is_read_once_and_repaired() -> None:
    text = HEADER + "fe = cfe(m, [\n" + "    # a comment\n" * 5000 + "    'layer1.\n"
    doc = parse_document("x.py", text, 1)
    (site,) = doc.call_sites
    assert [query.name.value for query in site.node_arguments[0].queries] == ["layer1."]

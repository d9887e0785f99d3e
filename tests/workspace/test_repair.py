"""Repair of half-typed code and the text layer under it: total over every text a client can send."""

from __future__ import annotations

import pytest
from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.parse import TextChange, cursor_context, parse_document
from hypothesis import given, settings
from hypothesis import strategies as st

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

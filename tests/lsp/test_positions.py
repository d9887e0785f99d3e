"""Client positions (UTF-16 by default) ↔ fxlens code-point columns, against fxlens's own lines; the
changes of one ``didChange`` converted in one pass."""

from __future__ import annotations

from fxlens.lsp.positions import Positions, client_changes
from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.text import LineIndex, TextChange, apply_changes
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

LINES = ['x = "😋é"  # ok', "model = resnet18()", ""]


def test_the_empty_line_after_a_final_newline_is_a_real_line() -> None:
    positions = Positions(LINES)
    assert positions.from_client(types.Position(2, 0)) == Position(2, 0)
    assert positions.to_client(Position(2, 0)) == types.Position(2, 0)


def test_an_astral_character_takes_two_utf16_units_and_one_code_point() -> None:
    positions = Positions(LINES)
    closing_quote = LINES[0].index('"', 5)
    assert positions.from_client(types.Position(0, closing_quote + 1)) == Position(0, closing_quote)
    assert positions.to_client(Position(0, closing_quote)) == types.Position(0, closing_quote + 1)


def test_utf8_and_utf32_clients_count_their_own_units() -> None:
    utf8 = Positions(LINES, types.PositionEncodingKind.Utf8)
    utf32 = Positions(LINES, types.PositionEncodingKind.Utf32)
    end = Position(0, len(LINES[0]))
    assert utf8.to_client(end).character == len(LINES[0].encode("utf-8"))
    assert utf32.to_client(end).character == len(LINES[0])
    assert utf8.from_client(utf8.to_client(end)) == end


def test_columns_past_the_line_end_stay_past_it_for_the_parser_to_clamp() -> None:
    assert Positions(LINES).from_client(types.Position(0, 100)) == Position(0, 100 - 1)


def test_a_position_inside_a_surrogate_pair_or_a_utf8_sequence_is_the_one_after_the_character() -> None:
    line = ["a😋b"]
    assert Positions(line).from_client(types.Position(0, 2)) == Position(0, 2)
    assert Positions(line, types.PositionEncodingKind.Utf8).from_client(types.Position(0, 3)) == Position(0, 2)


def test_lone_surrogates_count_one_utf16_unit_each_even_when_they_look_like_a_pair() -> None:
    positions = Positions(["\ud83d\ude00x"])  # two lone surrogates, as a client can send them
    assert positions.from_client(types.Position(0, 2)) == Position(0, 2)
    assert positions.to_client(Position(0, 3)) == types.Position(0, 3)
    assert Positions(["\ud800x"], types.PositionEncodingKind.Utf8).to_client(Position(0, 1)) == types.Position(0, 3)


def partial(start: tuple[int, int], end: tuple[int, int], text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(*start), types.Position(*end)), text=text
    )


def test_each_change_of_a_did_change_is_read_against_the_text_the_changes_before_it_left() -> None:
    text = "😋 = 1\r\nx = 2\ry = 3\n"
    changes = [
        partial((0, 2), (0, 2), "é"),  # after the emoji: UTF-16 column 2 is code point 1
        partial((1, 0), (1, 0), "😋"),  # the lone CR ends line 1 for the client too
        partial((1, 2), (1, 3), ""),  # line 1 is "😋x = 2" now: UTF-16 2 is after the emoji
        types.TextDocumentContentChangeWholeDocument(text="a\rb"),
        partial((1, 0), (1, 1), "c😋"),
    ]
    converted = client_changes(text, changes, types.PositionEncodingKind.Utf16)
    assert converted[0] == TextChange("é", Range(Position(0, 1), Position(0, 1)))
    assert converted[2] == TextChange("", Range(Position(1, 1), Position(1, 2)))
    assert converted[3] == TextChange("a\rb")
    assert apply_changes(text, converted) == "a\rc😋"
    assert apply_changes(text, converted[:3]) == "😋é = 1\r\n😋 = 2\ry = 3\n"


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.sampled_from("ab😋é\r\n\u2028"), max_size=12),
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), st.integers(0, 3), st.text("x😋\r\n", max_size=3))),
)
def test_converting_changes_in_one_pass_matches_converting_each_against_a_fresh_copy(
    text: str, edits: list[tuple[int, int, int, str]]
) -> None:
    changes = [partial((line, character), (line, character + length), new) for line, character, length, new in edits]
    expected_text, expected = text, []
    for change in changes:
        edit = TextChange(change.text, Positions(LineIndex(expected_text).lines).range_from_client(change.range))
        expected.append(edit)
        expected_text = LineIndex(expected_text).apply(edit)
    assert client_changes(text, changes, None) == expected

"""Client positions (UTF-16 by default) ↔ fxlens code-point columns, against fxlens's own lines."""

from __future__ import annotations

from fxlens.lsp.positions import Positions
from fxlens.workspace.callsite import Position
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

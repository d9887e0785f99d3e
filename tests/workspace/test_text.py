"""Lines break where LSP breaks them (CRLF, CR, LF), the same for the server and for ``fxlens check``."""

from __future__ import annotations

import io

import pytest
from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.parse import parse_document
from fxlens.workspace.text import EditableText, LineIndex, TextChange, apply_changes, first_unreadable, split_lines
from hypothesis import given, settings
from hypothesis import strategies as st

HEADER = "from torchvision.models.feature_extraction import create_feature_extractor as cfe\n"


def universal_newlines(text: str) -> str:
    """What ``fxlens check`` reads: a file opened in text mode translates CR and CRLF to LF."""
    return io.TextIOWrapper(io.BytesIO(text.encode("utf-8", "surrogatepass")), "utf-8", "surrogatepass").read()


def test_lines_break_at_crlf_cr_and_lf_only() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    assert split_lines("a\r\r\nb\n\r") == ["a", "", "b", "", ""]
    assert split_lines("a\u2028b\x0bc\x0cd\x1ce\x85f") == ["a\u2028b\x0bc\x0cd\x1ce\x85f"]  # splitlines() splits 6
    assert split_lines("") == [""]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_call_after_any_line_break_has_the_position_check_reports(newline: str) -> None:
    text = HEADER + newline.join(["x = 1", "fe = cfe(m, ['layer1', 'é'])", "y = 2"]) + newline
    server, check = parse_document("x.py", text, 1), parse_document("x.py", universal_newlines(text), 1)
    assert not server.tree.root_node.has_error
    assert server.call_sites == check.call_sites
    assert server.call_sites[0].range.start == Position(2, 5)


def test_byte_offsets_count_each_break_as_typed() -> None:
    text = "é\r\nx\ry\nz"
    index = LineIndex(text)
    assert index.lines == ["é", "x", "y", "z"]
    assert [index.offset(Position(line, 0)) for line in range(4)] == [0, 4, 6, 8]
    assert index.offset(Position(0, 99)) == 2  # past the end of a line: before its break
    assert index.source == "é\r\nx\ny\nz".encode()  # a lone CR reads as LF, tree-sitter's only break
    assert index.position((0, 3)) == Position(0, 1)  # a point inside CRLF is the end of the line
    assert index.slice(Range(Position(0, 1), Position(2, 1))) == "\r\nx\ry"


def test_code_point_offsets_and_positions_round_trip_across_mixed_breaks() -> None:
    text = "ab\r\n\rc\n😋"
    index = LineIndex(text)
    for offset, position in [(0, (0, 0)), (2, (0, 2)), (4, (1, 0)), (5, (2, 0)), (7, (3, 0)), (8, (3, 1))]:
        assert index.position_of(offset) == Position(*position)
        assert index.index(Position(*position)) == offset


def test_a_lone_surrogate_is_found_and_reads_as_a_replacement_character() -> None:
    index = LineIndex("x = '\udc80'\n")
    assert first_unreadable(index.text) == 5 and first_unreadable("x = 'é'") is None
    assert index.source == "x = '\ufffd'\n".encode()
    assert index.offset(Position(0, 7)) == 9


def test_an_lf_typed_after_a_lone_cr_makes_one_crlf_break() -> None:
    editable = EditableText("a\rb")
    editable.apply(TextChange("\n", Range(Position(1, 0), Position(1, 0))))
    assert (editable.text, editable.lines) == ("a\r\nb", ["a", "b"])
    editable.apply(TextChange("", Range(Position(0, 1), Position(1, 0))))
    assert (editable.text, editable.lines) == ("ab", ["ab"])


def test_deleting_the_text_between_a_cr_and_an_lf_joins_them() -> None:
    editable = EditableText("a\rX\nb")
    editable.apply(TextChange("", Range(Position(1, 0), Position(1, 1))))
    assert (editable.text, editable.lines) == ("a\r\nb", ["a", "b"])


PIECES = st.sampled_from(["\r", "\n", "\r\n", "a", "é", "😋", "", "\u2028", "\ud800"])


@st.composite
def texts_and_changes(draw: st.DrawFn) -> tuple[str, list[TextChange]]:
    text = "".join(draw(st.lists(PIECES, max_size=12)))
    changes = []
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.integers(0, 9)) == 0:
            changes.append(TextChange("".join(draw(st.lists(PIECES, max_size=4)))))
            continue
        start = Position(draw(st.integers(-1, 5)), draw(st.integers(-1, 4)))
        end = Position(draw(st.integers(-1, 5)), draw(st.integers(-1, 4)))
        changes.append(TextChange("".join(draw(st.lists(PIECES, max_size=4))), Range(min(start, end), max(start, end))))
    return text, changes


@settings(max_examples=400, deadline=None)
@given(texts_and_changes())
def test_applying_changes_in_one_pass_gives_what_applying_them_one_by_one_gives(
    case: tuple[str, list[TextChange]],
) -> None:
    text, changes = case
    expected = text
    for change in changes:
        expected = LineIndex(expected).apply(change)
    assert apply_changes(text, changes) == expected
    editable = EditableText(text)
    for change in changes:
        editable.apply(change)
    assert editable.lines == split_lines(expected)


def test_columns_of_a_long_non_ascii_line_convert_as_on_a_short_one() -> None:
    line = "".join(["a", "é", "😋", "e\u0301", "\u202e", "\ufeff", "\u05d0"][i % 7] for i in range(1000))
    index = LineIndex("x\n" + line + "\n")
    data = line.encode("utf-8")
    for column in range(0, len(line) + 1, 7):
        byte = len(line[:column].encode("utf-8"))
        assert index.point(Position(1, column)) == (1, byte)
        assert index.position((1, byte)) == Position(1, column)
        assert index.position((1, byte + 1)) == Position(1, len(data[: byte + 1].decode("utf-8", "ignore")))

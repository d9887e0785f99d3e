"""Parsing: incremental edits give what a fresh parse gives, positions are code points, no torch import."""

from __future__ import annotations

import subprocess
import sys

from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.literals import NotLiteral, fold
from fxlens.workspace.parse import TextChange, cursor_context, parse_document
from hypothesis import given, settings
from hypothesis import strategies as st

SOURCE = (
    "from torchvision.models.feature_extraction import create_feature_extractor as cfe\n"
    "from torchvision.models import resnet18\n"
    "# größe: a comment with non-ASCII text\n"
    "fe = cfe(resnet18(), {'layer1': 'ä', 'fc': 'out'})\n"
    "def f(m):\n"
    "    return cfe(m, ['layer4'])\n"
)


def test_columns_count_code_points_not_bytes() -> None:
    doc = parse_document("x.py", SOURCE, 1)
    output = doc.call_sites[0].node_arguments[0].queries[0].output
    assert output is not None
    assert output.range == Range(Position(3, 33), Position(3, 34))
    assert doc.lines.slice(output.range) == "ä"


def test_edit_inserting_a_string_updates_the_call_site() -> None:
    doc = parse_document("x.py", SOURCE, 1)
    after = doc.edit([TextChange(", 'layer2'", Range(Position(5, 27), Position(5, 27)))], 2)
    assert after.version == 2
    assert [q.name.value for q in after.call_sites[1].node_arguments[0].queries] == ["layer4", "layer2"]
    assert doc.call_sites[1].node_arguments[0].queries[0].name.value == "layer4"  # the old version is untouched


def test_an_edit_rebuilds_only_the_calls_it_touched() -> None:
    doc = parse_document("x.py", SOURCE, 1)
    after = doc.edit([TextChange(", 'layer2'", Range(Position(5, 27), Position(5, 27)))], 2)
    assert after.call_sites[0] is doc.call_sites[0] and after.call_sites[1] is not doc.call_sites[1]
    moved = after.edit([TextChange("\n", Range(Position(2, 0), Position(2, 0)))], 3)  # a line above both
    assert moved.call_sites == parse_document("x.py", moved.text, 3).call_sites
    assert [site.range.start.line for site in moved.call_sites] == [4, 6]


def test_full_text_change_replaces_the_document() -> None:
    doc = parse_document("x.py", SOURCE, 1).edit([TextChange("x = 1\n")], 2)
    assert doc.call_sites == ()


def test_cursor_right_after_an_opening_quote_while_typing() -> None:
    doc = parse_document("x.py", SOURCE, 1)
    typing = doc.edit([TextChange(", '", Range(Position(5, 27), Position(5, 27)))], 2)
    context = cursor_context(typing, Position(5, 30))
    assert context is not None and context.string is not None
    assert (context.prefix, context.string.terminated, context.argument.complete) == ("", False, False)


@st.composite
def edits(draw: st.DrawFn) -> list[tuple[int, int, str]]:
    pieces = st.sampled_from(["'", '"', "[", "]", "{", "}", "(", ")", ",", ":", "layer1.", "\n", "ä", " ", "x", ""])
    result = []
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(SOURCE)))
        length = draw(st.integers(0, 5))
        result.append((start, length, "".join(draw(st.lists(pieces, max_size=4)))))
    return result


@settings(max_examples=150, deadline=None)
@given(edits())
def test_incremental_edits_then_undo_give_the_original_call_sites(changes: list[tuple[int, int, str]]) -> None:
    """Keystrokes through half-typed states and back: the incremental parse ends where it started.

    (For invalid text, tree-sitter's error recovery may legitimately differ between an incremental
    and a fresh parse, so exact equality with a fresh parse is required only of valid text.)
    """
    doc = parse_document("x.py", SOURCE, 0)
    text = SOURCE
    undo: list[tuple[int, int, str]] = []
    for start, length, inserted in changes:
        start = min(start, len(text))
        end = min(start + length, len(text))
        undo.append((start, start + len(inserted), text[start:end]))
        doc = doc.edit([TextChange(inserted, Range(_position(text, start), _position(text, end)))], doc.version + 1)
        text = text[:start] + inserted + text[end:]
        assert doc.text == text
        fresh = parse_document("x.py", text, 0)
        if not fresh.tree.root_node.has_error:
            assert doc.call_sites == fresh.call_sites
    for start, end, removed in reversed(undo):
        doc = doc.edit([TextChange(removed, Range(_position(text, start), _position(text, end)))], doc.version + 1)
        text = text[:start] + removed + text[end:]
    assert doc.text == SOURCE
    assert doc.call_sites == parse_document("x.py", SOURCE, 0).call_sites


def _position(text: str, offset: int) -> Position:
    before = text[:offset]
    return Position(before.count("\n"), offset - before.rfind("\n") - 1)


def test_folding_constants_and_arithmetic() -> None:
    names = {"BASE": 16, "NAME": "b"}
    assert fold("(BASE * 2, BASE // 4, -1)", names.__getitem__) == "(32, 4, -1)"
    assert fold("'a' + NAME", names.__getitem__) == "'ab'"
    assert fold("{'k': [1, 2.5, None, True]}", names.__getitem__) == "{'k': [1, 2.5, None, True]}"


def test_folding_refuses_calls_huge_values_and_non_finite_numbers() -> None:
    def unknown(name: str) -> object:
        raise NotLiteral(f"`{name}` is unknown")

    for source in ("int('3')", "[0] * 10**7", "10 ** 1000", "1e308 * 10", "x.y"):
        try:
            fold(source, unknown)
        except NotLiteral:
            continue
        raise AssertionError(f"{source} folded")


def test_workspace_modules_never_import_torch() -> None:
    code = (
        "import sys\n"
        "import fxlens.workspace.parse, fxlens.workspace.resolve, fxlens.workspace.config, fxlens.workspace.modules\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'torchvision' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""Pathological text reads right: long comment runs, long mixed-script lines, deep nesting, huge lists.

(How long they take is measured in ``bench/bench_text.py``; these tests check the answers.)
"""

from __future__ import annotations

from fxlens.workspace.callsite import Position
from fxlens.workspace.parse import cursor_context, parse_document
from fxlens.workspace.repair import MAX_DEPTH
from fxlens.workspace.text import LineIndex

HEADER = (
    "from torchvision.models.feature_extraction import create_feature_extractor as cfe\n"
    "from torchvision.models import resnet18\n"
    "m = resnet18()\n"
)
MIXED = "😋e\u0301\u05d0\u05d1\ufeff\u202e👍🏽ß"  # astral, combining, RTL, BOM, override, modifier


def test_the_comments_of_a_long_comment_run_are_parsed_as_blanks_of_the_same_length() -> None:
    run = "    # größe of the layer\n" * 40
    text = HEADER + "def f():\n    x = 1\n" + run + "    return cfe(m, ['layer1'])  # fxlens: ignore\n# short\n"
    index = LineIndex(text)
    assert len(index.source) == len(text.encode("utf-8"))
    assert b"gr" not in index.source  # the run is blank...
    assert index.source.endswith(b"# fxlens: ignore\n# short\n")  # ...other comments stay
    doc = parse_document("x.py", text, 1)
    assert not doc.tree.root_node.has_error
    assert doc.call_sites[0].range.start == Position(45, 11)


def test_a_half_typed_call_after_thousands_of_comment_lines_is_completed() -> None:
    text = HEADER + "x = 1\n" + "# a comment line\n" * 5000 + "fe = cfe(m, ['layer1."
    doc = parse_document("x.py", text, 1)
    context = cursor_context(doc, Position(5004, len("fe = cfe(m, ['layer1.")))
    assert context is not None and context.prefix == "layer1."


def test_a_long_line_of_mixed_scripts_in_a_half_typed_string_keeps_its_positions() -> None:
    typed = MIXED * 2000
    text = HEADER + f"fe = cfe(m, ['{typed}"
    doc = parse_document("x.py", text, 1)
    context = cursor_context(doc, Position(3, len("fe = cfe(m, ['") + len(typed)))
    assert context is not None and context.string is not None
    assert context.prefix == typed and not context.string.terminated
    middle = cursor_context(doc, Position(3, len("fe = cfe(m, ['") + 5))
    assert middle is not None and middle.prefix == typed[:5]


def test_brackets_nested_beyond_the_bound_leave_their_window_as_typed() -> None:
    """Memory stays bounded; tree-sitter's error recovery then spans the file, so nothing is repaired."""
    text = HEADER + "x = " + "[" * (MAX_DEPTH * 50) + "\nfe = cfe(m, ['layer1'])\n"
    doc = parse_document("x.py", text, 1)
    assert doc.syntax.repair is None
    assert doc.lines.lines[-2] == "fe = cfe(m, ['layer1'])"


def test_brackets_nested_up_to_the_bound_are_closed() -> None:
    text = HEADER + "x = " + "[" * (MAX_DEPTH - 1) + "\n"
    doc = parse_document("x.py", text, 1)
    assert doc.syntax.repair is not None
    assert doc.syntax.repair.insertions[0].text == "]" * (MAX_DEPTH - 1)
    assert not doc.syntax.tree.root_node.has_error


def test_every_item_of_a_long_half_typed_list_is_a_query_at_its_own_position() -> None:
    items = [f"'layer{i % 4 + 1}'" for i in range(20_000)]
    text = HEADER + "fe = cfe(m, [" + ", ".join(items) + ", 'lay"
    doc = parse_document("x.py", text, 1)
    (site,) = doc.call_sites
    queries = site.node_arguments[0].queries
    assert len(queries) == 20_001
    assert queries[-2].name.range.start == Position(3, len("fe = cfe(m, [") + len(", ".join(items)) - 7)
    assert queries[-1].name.value == "lay"

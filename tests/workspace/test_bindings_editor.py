"""Bound literals in the editor: the cursor in a literal above its call, one literal feeding several
calls, incremental edits of the literal, and literals imported from other workspace modules."""

from __future__ import annotations

from pathlib import Path

from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.imported import imported_uses, with_imported_literals
from fxlens.workspace.modules import Workspace
from fxlens.workspace.parse import ParsedDocument, TextChange, cursor_context, parse_document
from hypothesis import given, settings
from hypothesis import strategies as st

CURSOR = "‸"
HEAD = "from torchvision.models.feature_extraction import create_feature_extractor\nimport torchvision\n"
SHARED = (
    HEAD + 'TAPS = {"layer1": "low", "layer4": "high"}\n'
    "\n"
    "def build_a():\n"
    "    return create_feature_extractor(torchvision.models.resnet18(), return_nodes=TAPS)\n"
    "\n"
    "def build_b():\n"
    "    m = torchvision.models.resnet50()\n"
    "    return create_feature_extractor(m, train_return_nodes=TAPS, eval_return_nodes=TAPS)\n"
)


def _at(source: str) -> tuple[ParsedDocument, Position]:
    before = source[: source.index(CURSOR)]
    doc = parse_document("main.py", source.replace(CURSOR, ""), 1)
    return doc, Position(before.count("\n"), len(before) - before.rfind("\n") - 1)


def _edit(doc: ParsedDocument, line: int, column: int, text: str, length: int = 0) -> ParsedDocument:
    change = TextChange(text, Range(Position(line, column), Position(line, column + length)))
    return doc.edit([change], doc.version + 1)


def test_the_cursor_in_a_literal_above_its_call_gets_that_call() -> None:
    doc, cursor = _at(
        HEAD
        + 'taps = ["layer1", "lay‸"]\nm = create_feature_extractor(torchvision.models.resnet18(), return_nodes=taps)\n'
    )
    context = cursor_context(doc, cursor)
    assert context is not None and context.string is not None
    assert (context.kind, context.role, context.prefix, context.string.value) == ("return_nodes", "node", "lay", "lay")
    assert context.call_site is doc.call_sites[0] and context.call_sites == (doc.call_sites[0],)


def test_the_cursor_on_an_output_name_and_between_items_of_a_bound_literal() -> None:
    source = HEAD + 'taps = {"layer1": "lo‸w"}\ncreate_feature_extractor(torchvision.models.resnet18(), taps)\n'
    context = cursor_context(*_at(source))
    assert context is not None and context.string is not None
    assert (context.role, context.string.value, context.prefix) == ("output", "low", "lo")
    source = HEAD + 'taps = ["layer1", ‸]\ncreate_feature_extractor(torchvision.models.resnet18(), taps)\n'
    context = cursor_context(*_at(source))
    assert context is not None and (context.role, context.string, context.prefix) == ("node", None, "")


def test_a_half_typed_literal_above_its_call_gives_the_typed_prefix() -> None:
    doc, cursor = _at(
        HEAD + 'taps = ["layer1", "la‸\ncreate_feature_extractor(torchvision.models.resnet18(), return_nodes=taps)\n'
    )
    context = cursor_context(doc, cursor)
    assert context is not None and context.string is not None
    assert (context.prefix, context.string.terminated, context.argument.complete) == ("la", False, False)
    assert [q.name.value for q in doc.call_sites[0].node_arguments[0].queries] == ["layer1", "la"]


def test_a_multi_line_literal_being_typed_in_a_function_above_its_call() -> None:
    doc, cursor = _at(
        HEAD + "def build(m):\n    taps = [\n        'layer1',\n        'lay‸\n"
        "    return create_feature_extractor(m, return_nodes=taps)\n"
    )
    context = cursor_context(doc, cursor)
    assert context is not None and context.string is not None
    assert (context.prefix, context.string.terminated, context.call_site) == ("lay", False, doc.call_sites[0])


def test_a_literal_in_init_gets_the_call_in_another_method() -> None:
    doc, cursor = _at(
        HEAD + "class Probe:\n    def __init__(self):\n"
        '        self.taps = ["layer2", "‸"]\n'
        "    def extractor(self, m):\n        return create_feature_extractor(m, return_nodes=self.taps)\n"
    )
    context = cursor_context(doc, cursor)
    assert context is not None and context.string is not None
    assert (context.call_site, context.argument.via, context.prefix) == (doc.call_sites[0], "self.taps", "")


def test_a_literal_feeding_two_calls_exposes_both() -> None:
    at = SHARED.index('"layer4"') + 4
    doc, cursor = _at(SHARED[:at] + CURSOR + SHARED[at:])
    context = cursor_context(doc, cursor)
    assert context is not None and context.string is not None and context.string.value == "layer4"
    assert context.call_sites == (doc.call_sites[0], doc.call_sites[1], doc.call_sites[1])
    assert [use.argument.kind for use in context.uses] == ["return_nodes", "train_return_nodes", "eval_return_nodes"]
    assert [site.model_expr for site in context.call_sites][:2] == ["torchvision.models.resnet18()", "m"]
    assert (context.call_site, context.kind, context.prefix) == (doc.call_sites[0], "return_nodes", "lay")


def test_no_context_in_the_name_at_the_call_in_a_comprehension_or_in_an_unused_literal() -> None:
    source = (
        HEAD + 'taps = ["layer1"]\nunused = ["lay"]\ncreate_feature_extractor(torchvision.models.resnet18(), ta‸ps)\n'
    )
    assert cursor_context(*_at(source)) is None
    source = (
        HEAD + 'taps = ["layer1"]\nunused = ["la‸y"]\ncreate_feature_extractor(torchvision.models.resnet18(), taps)\n'
    )
    assert cursor_context(*_at(source)) is None
    source = HEAD + 'create_feature_extractor(torchvision.models.resnet18(), [f"lay‸er{i}" for i in range(1, 3)])\n'
    assert cursor_context(*_at(source)) is None


def test_editing_the_bound_literal_updates_the_sites_queries() -> None:
    doc = parse_document("main.py", SHARED, 1)
    line = SHARED.split("\n").index('TAPS = {"layer1": "low", "layer4": "high"}')
    after = _edit(doc, line, len('TAPS = {"layer1": "low"'), ', "layer2": "mid"')
    assert [[q.name.value for q in s.node_arguments[0].queries] for s in after.call_sites] == [
        ["layer1", "layer2", "layer4"],
        ["layer1", "layer2", "layer4"],
    ]
    assert after.call_sites == parse_document("main.py", after.text, 2).call_sites
    renamed = _edit(after, line, len('TAPS = {"layer'), "3", 1)
    assert renamed.call_sites[0].node_arguments[0].queries[0].name.value == "layer3"


def test_an_edit_away_from_the_literal_and_the_call_reuses_the_site() -> None:
    doc = parse_document("main.py", SHARED, 1)
    line = SHARED.split("\n").index("def build_b():") + 2  # the second call's line
    after = _edit(doc, line, len("    return "), "(")
    after = _edit(after, line, len(after.text.split("\n")[line]), ")")
    assert after.call_sites[0] is doc.call_sites[0] and after.call_sites[1] is not doc.call_sites[1]


def test_a_new_binding_between_the_literal_and_the_call_takes_over() -> None:
    source = HEAD + 'taps = ["layer1"]\n\ncreate_feature_extractor(torchvision.models.resnet18(), taps)\n'
    doc = parse_document("main.py", source, 1)
    after = _edit(doc, source.count("\n") - 2, 0, 'taps = ["fc"]')
    assert [q.name.value for q in after.call_sites[0].node_arguments[0].queries] == ["fc"]


@st.composite
def edits(draw: st.DrawFn) -> list[tuple[int, int, str]]:
    pieces = st.sampled_from(["'", '"', "[", "]", "{", "}", ",", ":", "layer1.", "\n", "TAPS", "=", " ", "x", ""])
    result = []
    for _ in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, len(SHARED)))
        result.append((start, draw(st.integers(0, 5)), "".join(draw(st.lists(pieces, max_size=4)))))
    return result


@settings(max_examples=120, deadline=None)
@given(edits())
def test_incremental_edits_around_a_bound_literal_match_a_fresh_parse(changes: list[tuple[int, int, str]]) -> None:
    """Whatever is typed (in the literal, between it and the calls, in the calls), reused sites stay right."""
    doc, text = parse_document("main.py", SHARED, 0), SHARED
    for start, length, inserted in changes:
        start, end = min(start, len(text)), min(start + length, len(text))
        change = TextChange(inserted, Range(_position(text, start), _position(text, end)))
        doc, text = doc.edit([change], doc.version + 1), text[:start] + inserted + text[end:]
        fresh = parse_document("main.py", text, 0)
        if not fresh.tree.root_node.has_error:
            assert doc.call_sites == fresh.call_sites


def _position(text: str, offset: int) -> Position:
    before = text[:offset]
    return Position(before.count("\n"), offset - before.rfind("\n") - 1)


# -- literals in other workspace modules ---------------------------------------------------------

FILES = {
    "pkg/__init__.py": "from .config import TAPS as EXPORTED\n",
    "pkg/config.py": 'from .base import BASE\nTAPS = {"layer2": "c3", "layer3": "c4"}\nALIAS = BASE\n',
    "pkg/base.py": 'BASE = ["layer1"]\n',
}
CALLS = (
    "from .config import TAPS\n"
    "from . import config\n"
    "from pkg import EXPORTED\n"
    "from .config import ALIAS\n"
    "from torchvision.models import MISSING\n"
    "m = torchvision.models.resnet18()\n"
    "create_feature_extractor(m, return_nodes=TAPS)\n"
    "create_feature_extractor(m, config.TAPS)\n"
    "create_feature_extractor(m, EXPORTED)\n"
    "create_feature_extractor(m, ALIAS)\n"
    "create_feature_extractor(m, MISSING)\n"
)


def test_constants_imported_from_workspace_modules_are_read_there(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    workspace = Workspace(tmp_path)
    doc = parse_document(str(tmp_path / "pkg/train.py"), HEAD + CALLS, 1)
    sites = [with_imported_literals(doc, site, workspace) for site in doc.call_sites]
    arguments = [site.node_arguments[0] for site in sites]
    config, base = str(tmp_path / "pkg/config.py"), str(tmp_path / "pkg/base.py")
    assert [(a.literal_file, [q.name.value for q in a.queries]) for a in arguments] == [
        (config, ["layer2", "layer3"]),
        (config, ["layer2", "layer3"]),
        (config, ["layer2", "layer3"]),
        (base, ["layer1"]),
        ("", []),
    ]
    assert arguments[-1].imported == "torchvision.models.MISSING"  # not a workspace module: left as it was
    config_lines = FILES["pkg/config.py"].split("\n")
    for query in arguments[0].queries:
        rng = query.name.range
        assert config_lines[rng.start.line][rng.start.column : rng.end.column] == query.name.value
    assert (arguments[0].form, arguments[0].via, arguments[0].imported) == ("dict", "TAPS", "")
    assert doc.literal_uses == parse_document(doc.uri, doc.text).literal_uses  # the document's own parse is untouched


def test_a_site_without_imported_values_is_returned_as_it_is(tmp_path: Path) -> None:
    doc = parse_document(str(tmp_path / "main.py"), SHARED, 1)
    assert with_imported_literals(doc, doc.call_sites[0], Workspace(tmp_path)) is doc.call_sites[0]


def test_the_cursor_in_a_literal_of_another_module_gets_the_calls_that_import_it(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    workspace = Workspace(tmp_path)
    readers = [
        parse_document(str(tmp_path / "pkg/train.py"), HEAD + CALLS, 1),
        parse_document(str(tmp_path / "pkg/evaluate.py"), HEAD + "from .config import TAPS\n" + CALLS, 1),
    ]
    config = workspace.document(str(tmp_path / "pkg/config.py"))
    assert config is not None
    cursor = Position(1, FILES["pkg/config.py"].split("\n")[1].index("layer3") + 3)
    assert cursor_context(config, cursor) is None  # nothing in config.py itself reads it
    context = cursor_context(config, cursor, imported_uses(config.uri, readers, workspace))
    assert context is not None and context.string is not None
    assert (context.string.value, context.prefix, context.role) == ("layer3", "lay", "node")
    assert [(use.uri, use.site) for use in context.uses] == [
        (readers[0].uri, readers[0].call_sites[0]),
        (readers[0].uri, readers[0].call_sites[1]),
        (readers[0].uri, readers[0].call_sites[2]),
        (readers[1].uri, readers[1].call_sites[0]),
        (readers[1].uri, readers[1].call_sites[1]),
        (readers[1].uri, readers[1].call_sites[2]),
    ]
    assert context.call_site is readers[0].call_sites[0]

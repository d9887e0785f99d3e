"""The LSP feature functions on real node tables, without a client."""

from __future__ import annotations

import pytest
from fxlens.lint import Finding
from fxlens.lsp.completion import candidates, completion_list
from fxlens.lsp.describe import as_markup, hover_markdown, meaning
from fxlens.lsp.diagnostics import configured
from fxlens.lsp.settings import Settings, parse_settings
from fxlens.selection import select_outputs
from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.parse import CursorContext, cursor_context, parse_document
from lsprotocol import types

torchvision = pytest.importorskip("torchvision", reason="features are checked on torchvision's models")
from fxlens.fx import build_model, node_table  # noqa: E402


@pytest.fixture(scope="module")
def googlenet():
    model = build_model(torchvision.models.googlenet, weights=None, init_weights=False).model
    return node_table(model, [(2, 3, 64, 64)])


def test_return_nodes_candidates_list_shared_names_in_order_and_one_mode_names_last(googlenet) -> None:
    listed = candidates(googlenet, "return_nodes")
    names = [name for name, _ in listed]
    assert names[:3] == ["x", "conv1", "conv1.conv"]
    assert names.index("inception3a") < names.index("inception3a.branch1") < names.index("inception3a.branch1.conv")
    first_marked = next(i for i, (_, mark) in enumerate(listed) if mark)
    assert all(mark == "train only" for _, mark in listed[first_marked:])
    assert {"aux1", "aux1.fc2", "aux2.fc2"} <= {name for name, mark in listed[first_marked:]}
    assert len(names) == len(set(names))


def test_mode_arguments_offer_that_modes_names_only(googlenet) -> None:
    assert "aux1.fc2" in [n for n, _ in candidates(googlenet, "train_return_nodes")]
    assert "aux1.fc2" not in [n for n, _ in candidates(googlenet, "eval_return_nodes")]
    assert all(mark == "" for _, mark in candidates(googlenet, "eval_return_nodes"))


def test_a_module_prefix_means_the_last_node_under_it(googlenet) -> None:
    found = meaning("inception3a", googlenet)
    assert found.is_prefix and found.nodes["eval"].name == "inception3a.cat"
    assert meaning("nope", googlenet) is None
    assert "absent in eval" in hover_markdown("aux2.fc2", googlenet)


def test_hover_on_a_module_prefix_names_the_module_first_then_the_node_it_selects(googlenet) -> None:
    headline = hover_markdown("inception3a", googlenet).split("  \n")[0]
    assert headline == "**`inception3a`** — module `Inception`, selects `inception3a.cat`, `torch.cat`"
    block = hover_markdown("inception3a.branch1", googlenet).split("  \n")[0]
    selects = "selects `inception3a.branch1.relu`, `torch.nn.functional.relu`"
    assert block == f"**`inception3a.branch1`** — module `BasicConv2d`, {selects}"
    exact = hover_markdown("inception3a.branch1.conv", googlenet).split("  \n")[0]
    assert exact == "**`inception3a.branch1.conv`** — call_module `torch.nn.Conv2d`"


def test_the_tables_selection_index_agrees_with_create_feature_extractors_rule(googlenet) -> None:
    for mode in ("train", "eval"):
        names = googlenet.names(mode)
        queries = {".".join(name.split(".")[:depth]) for name in names for depth in range(1, name.count(".") + 2)}
        for query in queries:  # one query at a time: queries given together consume each other's nodes
            (index,) = select_outputs(names, {query: query}).values()
            assert googlenet.selected(mode, query).name == names[index]


def test_settings_keep_defaults_for_bad_values_and_name_the_key() -> None:
    settings, errors = parse_settings(
        {
            "traceTimeout": "soon",
            "defaultInputShape": [1, 3, 64, 64],
            "rules": {"FXL007": "off", "FXL001": "loud"},
            "colour": 1,
        }
    )
    assert settings == Settings(default_input_shape=(1, 3, 64, 64), rules={"FXL007": "off"})
    assert [e.split(" ")[0] for e in errors] == ["fxlens.traceTimeout", "fxlens.rules.FXL001", "unknown"]
    assert parse_settings([1, 2])[1] == ["fxlens settings must be an object, not list"]


def test_configured_severities_override_and_off_removes() -> None:
    where = Range(Position(0, 0), Position(0, 1))
    findings = [
        Finding("FXL001", "unknown-node", "error", "m", where),
        Finding("FXL007", "overwritten-in-place", "warning", "m", where),
    ]
    shown = configured(findings, {"FXL001": "warning", "FXL007": "off"})
    assert [(f.code, f.severity) for f in shown] == [("FXL001", "warning")]


def _context_in(snippet: str, marker: str = "|") -> CursorContext:
    """The cursor context at ``marker`` in a script calling create_feature_extractor."""
    text = "from torchvision.models.feature_extraction import create_feature_extractor\n" + snippet
    line = text.count("\n", 0, text.index(marker))
    column = text.index(marker) - (text.rfind("\n", 0, text.index(marker)) + 1)
    context = cursor_context(parse_document("file:///x.py", text.replace(marker, ""), 1), Position(line, column))
    assert context is not None
    return context


def test_completion_lists_names_under_the_typed_module_with_a_whole_string_edit(googlenet) -> None:
    context = _context_in('create_feature_extractor(m, return_nodes=["inception3a.br|"])')
    string = types.Range(types.Position(1, 43), types.Position(1, 57))
    listed = completion_list(context, googlenet, string, "key")
    labels = [item.label for item in listed.items]
    assert labels[0] == "inception3a.branch1" and all(label.startswith("inception3a.") for label in labels)
    assert all(item.text_edit.range == string and item.text_edit.new_text == item.label for item in listed.items)
    assert all(item.data == {"table": "key"} for item in listed.items) and listed.item_defaults is None


def test_completion_moves_the_shared_range_and_data_into_item_defaults_when_the_client_applies_them(googlenet) -> None:
    context = _context_in('create_feature_extractor(m, return_nodes=["|"])')
    string = types.Range(types.Position(1, 43), types.Position(1, 43))
    listed = completion_list(context, googlenet, string, "key", item_defaults=["editRange", "data"])
    assert listed.item_defaults.edit_range == string and listed.item_defaults.data == {"table": "key"}
    assert all(item.text_edit is None and item.data is None for item in listed.items)
    assert len(listed.items) == len(candidates(googlenet, "return_nodes"))


def test_completion_before_any_quote_inserts_quoted_names(googlenet) -> None:
    listed = completion_list(
        _context_in("create_feature_extractor(m, return_nodes=[|])"), googlenet, None, "key", ["editRange"]
    )
    assert listed.items[0].insert_text == '"x"' and listed.items[0].text_edit is None and listed.item_defaults is None


def test_hover_text_is_plain_for_a_client_that_lists_no_markdown(googlenet) -> None:
    markdown = hover_markdown("inception3a", googlenet)
    assert as_markup(markdown, None).kind == types.MarkupKind.Markdown
    plain = as_markup(markdown, [types.MarkupKind.PlainText])
    assert plain.kind == types.MarkupKind.PlainText and "`" not in plain.value and "**" not in plain.value
    assert "selects inception3a.cat" in plain.value

"""The language server end to end: a real client over stdio, real worker, torchvision models."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest
import pytest_lsp
from conftest_lsp import SERVER, codes, diagnostics_where, initialize_params, make_workspace, open_document, position_of
from lsprotocol import types
from pytest_lsp import LanguageClient

pytest.importorskip("torchvision", reason="the server traces torchvision models")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = make_workspace(tmp_path_factory.mktemp("workspace"))
    lsp_client.root = root  # type: ignore[attr-defined]
    await lsp_client.initialize_session(initialize_params(root, {"inlayHints": True}))
    yield
    await lsp_client.shutdown_session()


def root_of(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined]


async def test_diagnostics_reach_the_client_for_torchvision_and_workspace_models(client: LanguageClient) -> None:
    uri = open_document(client, root_of(client) / "train.py")
    diagnostics = await diagnostics_where(client, uri, lambda d: {"FXL001", "FXL002"} <= set(codes(d)))
    unknown = next(d for d in diagnostics if d.code == "FXL001")
    assert "`layer1.0.relu2` is not a node of ResNet" in unknown.message and "`layer1.0.relu_1`" in unknown.message
    assert unknown.severity == types.DiagnosticSeverity.Error and unknown.source == "fxlens"
    line = (root_of(client) / "train.py").read_text().splitlines()[unknown.range.start.line]
    assert line[unknown.range.start.character : unknown.range.end.character] == "layer1.0.relu2"
    mode_only = next(d for d in diagnostics if d.code == "FXL002")
    assert "`aux` exists only in train mode" in mode_only.message
    assert any(
        report.title.startswith("Tracing ")
        for reports in client.progress_reports.values()
        for report in reports
        if isinstance(report, types.WorkDoneProgressBegin)
    )


async def test_quick_fix_replaces_the_unknown_name(client: LanguageClient) -> None:
    path = root_of(client) / "train.py"
    uri = path.as_uri()
    diagnostics = await diagnostics_where(client, uri, lambda d: "FXL001" in codes(d))
    unknown = next(d for d in diagnostics if d.code == "FXL001")
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), unknown.range, types.CodeActionContext([unknown]))
    )
    fix = next(a for a in actions if a.title == "Change to `layer1.0.relu_1`")
    (change,) = fix.edit.document_changes
    assert change.text_document.version == 1
    (edit,) = change.edits
    lines = path.read_text().splitlines()
    row = lines[edit.range.start.line]
    lines[edit.range.start.line] = row[: edit.range.start.character] + edit.new_text + row[edit.range.end.character :]
    assert 'return_nodes=["layer1.0.relu_1", "layer4"]' in "\n".join(lines)


async def test_completion_offers_every_node_with_its_shape_and_replaces_the_whole_string(
    client: LanguageClient,
) -> None:
    uri = (root_of(client) / "train.py").as_uri()
    text = (root_of(client) / "train.py").read_text()
    position = position_of(text, "layer1.0.relu2", len("layer1.0."))
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), position)
    )
    items = {item.label: item for item in result.items}
    assert not result.is_incomplete
    assert "layer1.0.relu_1" in items and "layer1.0.conv1" in items and "fc" not in items
    item = items["layer1.0.relu_1"]
    assert item.detail == "call_module ReLU · 1×64×16×16"
    start = position_of(text, "layer1.0.relu2")
    assert (item.text_edit.range.start, item.text_edit.range.end.character) == (
        start,
        start.character + len("layer1.0.relu2"),
    )
    assert item.text_edit.new_text == "layer1.0.relu_1"
    resolved = await client.completion_item_resolve_async(item)  # documentation comes lazily: it is the hover
    assert (
        "| eval | 1×64×16×16" in resolved.documentation.value
        and "module `layer1.0.relu` (ReLU)" in resolved.documentation.value
    )
    labels = [i.label for i in sorted(result.items, key=lambda i: i.sort_text)]
    assert labels.index("layer1.0.conv1") < labels.index("layer1.0.bn1") < labels.index("layer1.0.relu_1")


async def test_hover_shows_op_shapes_per_mode_source_and_what_a_prefix_selects(client: LanguageClient) -> None:
    path = root_of(client) / "train.py"
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(path.as_uri()), position_of(path.read_text(), '"layer4"', 2))
    )
    text = result.contents.value
    assert "module prefix: selects `layer4.1.relu_1`" in text
    assert "| train | 1×512×2×2 float32 (`layer4.1.relu_1`) |" in text and "| eval |" in text
    assert "resnet.py:" in text and "input: 1×3×64×64 (file)" in text


async def test_hover_on_a_train_only_node_says_it_is_absent_in_eval(client: LanguageClient) -> None:
    path = root_of(client) / "train.py"
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(path.as_uri()), position_of(path.read_text(), '"aux"', 2))
    )
    assert "absent in eval" in result.contents.value and "call_module `torch.nn.Linear`" in result.contents.value


async def test_definition_jumps_to_the_producing_line_in_the_workspace_model(client: LanguageClient) -> None:
    path = root_of(client) / "train.py"
    location = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(path.as_uri()), position_of(path.read_text(), '"head"', 2))
    )
    blocks = root_of(client) / "nets" / "blocks.py"
    assert location.uri == blocks.as_uri()
    # the train graph's `head` node comes from the training branch of forward
    assert (
        blocks.read_text().splitlines()[location.range.start.line].strip()
        == "return self.head(pooled) + self.aux(pooled)"
    )


async def test_inlay_hints_show_output_shapes(client: LanguageClient) -> None:
    path = root_of(client) / "train.py"
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier(path.as_uri()), types.Range(types.Position(0, 0), types.Position(20, 0))
        )
    )
    assert ": 1×512×2×2" in [h.label for h in hints] and ": 1×10" in [h.label for h in hints]


async def test_editing_a_model_file_refreshes_the_documents_that_use_it(client: LanguageClient) -> None:
    train = (root_of(client) / "train.py").as_uri()
    blocks = root_of(client) / "nets" / "blocks.py"
    uri = open_document(client, blocks)
    text = blocks.read_text()
    start = position_of(text, "self.aux(pooled)", len("self."))
    end = types.Position(start.line, start.character + len("aux"))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri),
            [types.TextDocumentContentChangePartial(types.Range(start, end), "head")],
        )
    )
    diagnostics = await diagnostics_where(client, train, lambda d: "FXL002" not in codes(d) and len(codes(d)) >= 1)
    # `aux` is still defined in __init__ but no longer used by forward: unknown now, not train-only.
    assert any(d.code == "FXL001" and "`aux`" in d.message for d in diagnostics)


async def test_a_document_edited_while_tracing_gets_the_latest_versions_diagnostics(client: LanguageClient) -> None:
    path = root_of(client) / "vit.py"
    path.write_text(
        textwrap.dedent("""
        from torchvision.models import vit_b_16
        from torchvision.models.feature_extraction import create_feature_extractor
        extractor = create_feature_extractor(vit_b_16(), return_nodes=["encoder.ln"])
    """)
    )
    uri = open_document(client, path)
    text = path.read_text()
    start = position_of(text, '"encoder.ln"', 1)
    end = types.Position(start.line, start.character + len("encoder.ln"))
    for version, name in ((2, "encoder.lnx"), (3, "encoder.layers.encoder_layer_0.ln_2")):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [types.TextDocumentContentChangePartial(types.Range(start, end), name)],
            )
        )
        end = types.Position(start.line, start.character + len(name))
    diagnostics = await diagnostics_where(client, uri, lambda d: "FXL010" in codes(d))
    assert (
        codes(diagnostics) == ["FXL010"] and "listed as `encoder.layers.encoder_layer_0.ln_1`" in diagnostics[0].message
    )


async def test_configuration_changes_turn_rules_off_and_bad_values_are_reported(client: LanguageClient) -> None:
    train = (root_of(client) / "train.py").as_uri()
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"fxlens": {"rules": {"FXL001": "off", "FXL999": "error"}, "traceTimeout": -1}}
        )
    )
    diagnostics = await diagnostics_where(client, train, lambda d: "FXL001" not in codes(d))
    assert "FXL001" not in codes(diagnostics)
    messages = [m.message for m in client.messages]
    assert any("unknown rule FXL999" in m for m in messages) and any("traceTimeout" in m for m in messages)


async def test_the_server_process_never_loads_torch(client: LanguageClient) -> None:
    maps = Path(f"/proc/{client._server.pid}/maps").read_text()
    assert "libtorch" not in maps and "torch/_C" not in maps


async def test_show_nodes_returns_the_table_of_the_call_under_the_cursor(client: LanguageClient) -> None:
    path = root_of(client) / "train.py"
    position = position_of(path.read_text(), "TinyNet(width=8)")
    result = await client.protocol.send_request_async(
        "fxlens/showNodes",
        {"textDocument": {"uri": path.as_uri()}, "position": {"line": position.line, "character": position.character}},
    )
    assert result.title == "Nodes of TinyNet(width=8)"
    rows = result.markdown.splitlines()
    assert "| `head` | call_module | `Linear` | 1×10 | 1×10 |" in rows  # (as edited by an earlier test, unsaved)
    assert "| `add` *(train only)* | call_function | `operator.add` | 1×10 | — |" in rows


async def test_completion_says_when_the_table_is_not_ready_and_answers_once_it_is(client: LanguageClient) -> None:
    path = root_of(client) / "slow.py"
    path.write_text(
        textwrap.dedent("""
        import time
        import torch
        from torch import nn
        from torchvision.models.feature_extraction import create_feature_extractor

        class Slow(nn.Module):
            def __init__(self):
                super().__init__()
                time.sleep(3)
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(x)

        extractor = create_feature_extractor(Slow(), return_nodes=[""])
        extractor(torch.rand(2, 4))
    """)
    )
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, path.read_text()))
    )
    params = types.CompletionParams(types.TextDocumentIdentifier(uri), position_of(path.read_text(), '[""]', 2))
    first = await client.text_document_completion_async(params)
    assert first.is_incomplete and first.items[0].label.startswith("fxlens: tracing the model")
    await diagnostics_where(client, uri, lambda d: True)
    for _ in range(20):
        later = await client.text_document_completion_async(params)
        if not later.is_incomplete:
            break
        await asyncio.sleep(0.5)
    assert [item.label for item in later.items] == ["x", "fc"]


async def test_completion_inside_a_call_typed_keystroke_by_keystroke(client: LanguageClient) -> None:
    """What VS Code sends while typing: one incremental change per key, brackets and quotes auto-closed."""
    path = root_of(client) / "typing.py"
    path.write_text(
        "from torchvision.models import resnet18\nfrom torchvision.models.feature_extraction import create_feature_extractor\n\nmodel = resnet18(weights=None)\n"
    )
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, path.read_text()))
    )
    line, column, version = 4, 0, 1
    for key in 'more = create_feature_extractor(model, return_nodes=["layer1.0.re':
        version += 1
        typed = key + {"(": ")", "[": "]", '"': '"'}.get(key, "")
        at = types.Position(line, column)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version, uri),
                [types.TextDocumentContentChangePartial(types.Range(at, at), typed)],
            )
        )
        column += 1
    params = types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, column))
    for _ in range(40):
        result = await client.text_document_completion_async(params)
        if result is not None and not result.is_incomplete:
            break
        await asyncio.sleep(0.5)
    labels = [item.label for item in result.items]
    assert "layer1.0.relu_1" in labels
    edit = next(item for item in result.items if item.label == "layer1.0.relu_1").text_edit
    assert (edit.range.start.character, edit.range.end.character) == (column - len("layer1.0.re"), column)


async def test_several_changes_in_one_notification_apply_one_after_another(client: LanguageClient) -> None:
    """Each change's range is relative to the text after the changes before it (LSP's rule), in
    UTF-16 units: the second change's columns count the emoji the first one typed as two."""
    path = root_of(client) / "batched.py"
    path.write_text(
        "from torchvision.models import resnet18\nfrom torchvision.models.feature_extraction import create_feature_extractor\n"
    )
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, path.read_text()))
    )
    line = 'x = "😋"; f = create_feature_extractor(resnet18(), return_nodes=["layer1.0.relu2"])'
    digit = line.index("relu2") + len("relu") + 1  # UTF-16 column of the `2`: the emoji is two units
    at = types.Position(2, 0)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri),
            [
                types.TextDocumentContentChangePartial(types.Range(at, at), line),
                types.TextDocumentContentChangePartial(
                    types.Range(types.Position(2, digit), types.Position(2, digit + 1)), "_1"
                ),
            ],
        )
    )
    inside = types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(2, line.index("layer1") + 2))
    for _ in range(40):  # until the model is traced
        hover = await client.text_document_hover_async(inside)
        if hover is not None:
            break
        await asyncio.sleep(0.5)
    assert hover.contents.value.startswith("**`layer1.0.relu_1`**")
    assert hover.range == types.Range(
        types.Position(2, line.index("layer1") + 1),
        types.Position(2, line.index("layer1") + 1 + len("layer1.0.relu_1")),
    )

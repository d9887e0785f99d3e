"""The language server end to end: a real client over stdio, real worker, torchvision models.

One server serves the module; each test has its own folder and documents (``documents``) and sets
back the settings it pushes (``settings``), so the tests pass alone and in any order.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest
import pytest_lsp
from conftest_lsp import BLOCKS, SERVER, TRAIN, codes, initialize_params, position_of, range_of, write_project
from fxlens.lint import RULES
from fxlens.lint.docs import rule_doc_uri
from isolation import Documents, PushedSettings
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of, wait_for

pytest.importorskip("torchvision", reason="the server traces torchvision models")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

ERROR, WARNING = types.DiagnosticSeverity.Error, types.DiagnosticSeverity.Warning


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("workspace"), {"inlayHints": True}))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def train(documents: Documents) -> Path:
    """This test's copy of the script using resnet18 and the workspace's TinyNet."""
    return write_project(documents.folder)


UNKNOWN_RELU2 = types.Diagnostic(  # what the server says about `layer1.0.relu2` in TRAIN
    range=range_of(TRAIN, "layer1.0.relu2"),
    message="`layer1.0.relu2` is not a node of ResNet;"
    " did you mean `layer1.0.relu`, `layer1.0.relu_1`, `layer1.1.relu`?",
    severity=ERROR,
    code="FXL001",
    code_description=types.CodeDescription(href=rule_doc_uri("FXL001")),
    source="fxlens",
    data={"name": "unknown-node"},
)
AUX_TRAIN_ONLY = types.Diagnostic(  # and about `aux`, a node of TinyNet's train graph only
    range=range_of(TRAIN, '"aux"', 1, len("aux")),
    message="`aux` exists only in train mode: create_feature_extractor raises ValueError for eval mode;"
    " give train_return_nodes and eval_return_nodes separately",
    severity=WARNING,
    code="FXL002",
    code_description=types.CodeDescription(href=rule_doc_uri("FXL002")),
    source="fxlens",
    data={"name": "mode-only-node"},
)


async def traced(client: RecordingClient, documents: Documents, train: Path) -> tuple[str, Sequence[types.Diagnostic]]:
    """Open the script and wait for the findings of its traced models (both calls' rules)."""
    uri = documents.open(train)
    found = await diagnostics_of(
        client, uri, lambda d: {"FXL001", "FXL002"} <= set(codes(d)), what="FXL001 and FXL002 (traced)", version=1
    )
    return uri, found


async def test_diagnostics_reach_the_client_for_torchvision_and_workspace_models(
    client: RecordingClient, documents: Documents, train: Path
) -> None:
    _, diagnostics = await traced(client, documents, train)
    assert list(diagnostics) == [UNKNOWN_RELU2, AUX_TRAIN_ONLY]
    unknown = diagnostics[0]
    line = TRAIN.splitlines()[unknown.range.start.line]
    assert line[unknown.range.start.character : unknown.range.end.character] == "layer1.0.relu2"


async def test_a_trace_that_takes_a_while_is_shown_as_progress(client: RecordingClient, documents: Documents) -> None:
    script = documents.write(
        "sleepy.py",
        textwrap.dedent("""
            import time
            import torch
            from torch import nn
            from torchvision.models.feature_extraction import create_feature_extractor

            class Sleepy(nn.Module):
                def __init__(self):
                    super().__init__()
                    time.sleep(1)
                    self.fc = nn.Linear(4, 2)

                def forward(self, x):
                    return self.fc(x)

            extractor = create_feature_extractor(Sleepy(), return_nodes=["fc"])
            extractor(torch.rand(2, 4))
        """),
    )
    documents.open(script)
    title = "Tracing Sleepy (train, eval)…"

    def sleepy() -> list[list[types.ProgressParams]]:
        return [r for r in client.progress_reports.values() if r and getattr(r[0], "title", None) == title]

    (progress,) = await wait_for(
        client,
        sleepy,
        lambda found: len(found) == 1 and isinstance(found[0][-1], types.WorkDoneProgressEnd),
        what=f"the end of the progress {title!r}",
    )
    assert progress == [types.WorkDoneProgressBegin(title=title, cancellable=False), types.WorkDoneProgressEnd()]


async def test_quick_fix_replaces_the_unknown_name(client: RecordingClient, documents: Documents, train: Path) -> None:
    uri, diagnostics = await traced(client, documents, train)
    unknown = diagnostics[0]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), unknown.range, types.CodeActionContext([unknown]))
    )
    fix = next(a for a in actions if a.title == "Change to `layer1.0.relu_1`")
    (change,) = fix.edit.document_changes
    assert change.text_document.version == 1
    (edit,) = change.edits
    lines = TRAIN.splitlines()
    row = lines[edit.range.start.line]
    lines[edit.range.start.line] = row[: edit.range.start.character] + edit.new_text + row[edit.range.end.character :]
    assert 'return_nodes=["layer1.0.relu_1", "layer4"]' in "\n".join(lines)
    renames = [a for a in actions if a.title.startswith("Change to ")]  # the did-you-mean fixes
    assert renames == [
        types.CodeAction(
            title=f"Change to `{name}`",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=(unknown,),  # sequences arrive as tuples
            is_preferred=False,
            edit=types.WorkspaceEdit(
                document_changes=(
                    types.TextDocumentEdit(
                        types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=1),
                        (types.TextEdit(unknown.range, name),),
                    ),
                )
            ),
        )
        for name in ("layer1.0.relu", "layer1.0.relu_1", "layer1.1.relu")  # the names the message suggests
    ]


async def test_completion_offers_every_node_with_its_shape_and_replaces_the_whole_string(
    client: RecordingClient, documents: Documents, train: Path
) -> None:
    uri, _ = await traced(client, documents, train)
    position = position_of(TRAIN, "layer1.0.relu2", len("layer1.0."))
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), position)
    )
    items = {item.label: item for item in result.items}
    assert not result.is_incomplete
    assert "layer1.0.relu_1" in items and "layer1.0.conv1" in items and "fc" not in items
    item = items["layer1.0.relu_1"]
    assert item.detail == "call_module ReLU · 1×64×16×16"
    start = position_of(TRAIN, "layer1.0.relu2")
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


async def test_hover_shows_op_shapes_per_mode_source_and_what_a_prefix_selects(
    client: RecordingClient, documents: Documents, train: Path
) -> None:
    uri, _ = await traced(client, documents, train)
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position_of(TRAIN, '"layer4"', 2))
    )
    hovered = result.contents.value
    assert hovered.startswith("**`layer4`** — module `Sequential`, selects `layer4.1.relu_1`, a `ReLU`")
    assert "module prefix: selects `layer4.1.relu_1`" in hovered
    assert "| train | 1×512×2×2 float32 (`layer4.1.relu_1`) |" in hovered and "| eval |" in hovered
    assert "resnet.py:" in hovered and "input: 1×3×64×64 (file)" in hovered
    assert result.range == range_of(TRAIN, '"layer4"', 1, len("layer4"))


async def test_hover_on_a_train_only_node_says_it_is_absent_in_eval(
    client: RecordingClient, documents: Documents, train: Path
) -> None:
    uri, _ = await traced(client, documents, train)
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position_of(TRAIN, '"aux"', 2))
    )
    assert "absent in eval" in result.contents.value and "call_module `torch.nn.Linear`" in result.contents.value
    line = BLOCKS.splitlines().index("            return self.head(pooled) + self.aux(pooled)") + 1
    assert result.contents == types.MarkupContent(
        types.MarkupKind.Markdown,
        "  \n".join(
            [
                "**`aux`** — call_module `torch.nn.Linear`",
                "module `aux` (Linear)",
                "",
                "| mode | output |",
                "| --- | --- |",
                "| train | 1×10 float32 |",
                "| eval | absent in eval |",
                "",
                f"from `blocks.py:{line}`: `return self.head(pooled) + self.aux(pooled)`",
                "input: 1×3×224×224 (default)",
            ]
        ),
    )
    assert result.range == range_of(TRAIN, '"aux"', 1, len("aux"))


async def test_definition_jumps_to_the_producing_line_in_the_workspace_model(
    client: RecordingClient, documents: Documents, train: Path
) -> None:
    uri, _ = await traced(client, documents, train)
    location = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), position_of(TRAIN, '"head"', 2))
    )
    blocks = documents.folder / "nets" / "blocks.py"
    # the train graph's `head` node comes from the training branch of forward
    line = BLOCKS.splitlines().index("            return self.head(pooled) + self.aux(pooled)")
    assert location == types.Location(blocks.as_uri(), types.Range(types.Position(line, 0), types.Position(line, 0)))


async def test_inlay_hints_show_output_shapes(client: RecordingClient, documents: Documents, train: Path) -> None:
    uri, _ = await traced(client, documents, train)
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier(uri), types.Range(types.Position(0, 0), types.Position(20, 0))
        )
    )
    assert list(hints) == [  # after each known name (the unknown `layer1.0.relu2` has none)
        types.InlayHint(range_of(TRAIN, f'"{name}"').end, label, kind=types.InlayHintKind.Type, padding_left=False)
        for name, label in (("layer4", ": 1×512×2×2"), ("head", ": 1×10"), ("aux", ": 1×10"))
    ]


async def test_editing_a_model_file_refreshes_the_documents_that_use_it(
    client: RecordingClient, documents: Documents, train: Path
) -> None:
    train_uri, _ = await traced(client, documents, train)
    blocks = documents.folder / "nets" / "blocks.py"
    uri = documents.open(blocks)
    documents.change(uri, 2, (range_of(BLOCKS, "self.aux(pooled)", len("self."), len("aux")), "head"))
    diagnostics = await diagnostics_of(
        client, train_uri, lambda d: "FXL002" not in codes(d), what="`aux` no longer train-only", version=1
    )
    # `aux` is still defined in __init__ but no longer used by forward: unknown now, not train-only.
    assert list(diagnostics) == [
        UNKNOWN_RELU2,
        types.Diagnostic(
            range=range_of(TRAIN, '"aux"', 1, len("aux")),
            message="`aux` is not a node of TinyNet",
            severity=ERROR,
            code="FXL001",
            code_description=types.CodeDescription(href=rule_doc_uri("FXL001")),
            source="fxlens",
            data={"name": "unknown-node"},
        ),
    ]


async def test_a_document_edited_while_tracing_gets_the_latest_versions_diagnostics(
    client: RecordingClient, documents: Documents
) -> None:
    text = textwrap.dedent("""
        from torchvision.models import vit_b_16
        from torchvision.models.feature_extraction import create_feature_extractor
        extractor = create_feature_extractor(vit_b_16(), return_nodes=["encoder.ln"])
    """)
    uri = documents.open(documents.write("vit.py", text))
    where = range_of(text, '"encoder.ln"', 1, len("encoder.ln"))
    for version, name in ((2, "encoder.lnx"), (3, "encoder.layers.encoder_layer_0.ln_2")):
        documents.change(uri, version, (where, name))
        where = types.Range(where.start, types.Position(where.start.line, where.start.character + len(name)))
    diagnostics = await diagnostics_of(client, uri, lambda d: "FXL010" in codes(d), what="FXL010", version=3)
    assert list(diagnostics) == [
        types.Diagnostic(
            range=where,
            message="`encoder.layers.encoder_layer_0.ln_2` is the module `encoder.layers.encoder_layer_0.ln_2`,"
            " but torchvision strips a final `_<digits>` and renumbers, so it is listed as"
            " `encoder.layers.encoder_layer_0.ln_1`",
            severity=ERROR,
            code="FXL010",
            code_description=types.CodeDescription(href=rule_doc_uri("FXL010")),
            source="fxlens",
            data={"name": "renumbered-module-name"},
        )
    ]
    assert "listed as `encoder.layers.encoder_layer_0.ln_1`" in diagnostics[0].message


async def test_configuration_changes_turn_rules_off_and_bad_values_are_reported(
    client: RecordingClient, documents: Documents, train: Path, settings: PushedSettings
) -> None:
    uri, _ = await traced(client, documents, train)
    settings.push({"rules": {"FXL001": "off", "FXL999": "error"}, "traceTimeout": -1})
    diagnostics = await diagnostics_of(
        client, uri, lambda d: codes(d) == ["FXL002"], what="FXL002 alone (FXL001 is off)", version=1
    )
    assert list(diagnostics) == [AUX_TRAIN_ONLY]
    codes_known = f"{min(RULES)}-{max(RULES)}"
    assert documents.messages() == [
        types.ShowMessageParams(
            types.MessageType.Warning,
            f"fxlens: fxlens.rules: unknown rule FXL999; codes are {codes_known} (using the default)",
        ),
        types.ShowMessageParams(
            types.MessageType.Warning,
            "fxlens: fxlens.traceTimeout must be a positive number of seconds, not -1 (using the default)",
        ),
    ]
    messages = [m.message for m in documents.messages()]
    assert any("unknown rule FXL999" in m for m in messages) and any("traceTimeout" in m for m in messages)


async def test_the_server_process_never_loads_torch(client: RecordingClient, documents: Documents, train: Path) -> None:
    await traced(client, documents, train)  # the worker has imported torch and traced by now
    maps = memory_map(client._server.pid)
    assert "libtorch" not in maps and "torch/_C" not in maps


def memory_map(pid: int) -> str:
    """The files mapped into process ``pid``'s memory (``/proc/PID/maps``)."""
    return Path(f"/proc/{pid}/maps").read_text()


async def test_show_nodes_returns_the_table_of_the_call_under_the_cursor(
    client: RecordingClient, documents: Documents, train: Path
) -> None:
    uri = documents.open(train)
    position = position_of(TRAIN, "TinyNet(width=8)")
    result = await client.protocol.send_request_async(
        "fxlens/showNodes",
        {"textDocument": {"uri": uri}, "position": {"line": position.line, "character": position.character}},
    )
    assert result.title == "Nodes of TinyNet(width=8)"
    rows = result.markdown.splitlines()
    assert "| `head` | call_module | `Linear` | 1×10 | 1×10 |" in rows
    assert "| `add` *(train only)* | call_function | `operator.add` | 1×10 | — |" in rows
    assert result.markdown == textwrap.dedent(f"""\
        # Nodes of TinyNet(width=8)

        `{documents.folder.name}.nets.blocks.TinyNet`

        | node | op | module/target | train | eval |
        | --- | --- | --- | --- | --- |
        | `x` | placeholder | `input` | 1×3×224×224 | 1×3×224×224 |
        | `stem` | call_module | `Conv2d` | 1×8×224×224 | 1×8×224×224 |
        | `mean` | call_method | `Tensor.mean` | 1×8 | 1×8 |
        | `head` | call_module | `Linear` | 1×10 | 1×10 |
        | `aux` *(train only)* | call_module | `Linear` | 1×10 | — |
        | `add` *(train only)* | call_function | `operator.add` | 1×10 | — |

        - input: 1×3×224×224 (default)
        - no example input in the file or configuration: shapes assume 1×3×224×224""")


async def test_completion_is_an_incomplete_empty_list_until_the_model_is_traced_then_the_names(
    client: RecordingClient, documents: Documents
) -> None:
    text = textwrap.dedent("""
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
    uri = documents.open(documents.write("slow.py", text))
    params = types.CompletionParams(types.TextDocumentIdentifier(uri), position_of(text, '[""]', 2))
    first = await client.text_document_completion_async(params)  # never waits for the trace
    assert first == types.CompletionList(is_incomplete=True, items=())  # the editor asks again as the user types
    later = await wait_for(
        client,
        lambda: client.text_document_completion_async(params),
        lambda result: not result.is_incomplete,
        what="a complete completion list",
    )
    assert [item.label for item in later.items] == ["x", "fc"]


async def test_completion_inside_a_call_typed_keystroke_by_keystroke(
    client: RecordingClient, documents: Documents
) -> None:
    """What VS Code sends while typing: one incremental change per key, brackets and quotes auto-closed."""
    path = documents.write(
        "typing.py",
        "from torchvision.models import resnet18\n"
        "from torchvision.models.feature_extraction import create_feature_extractor\n\n"
        "model = resnet18(weights=None)\n",
    )
    uri = documents.open(path)
    line, column, version = 4, 0, 1
    for key in 'more = create_feature_extractor(model, return_nodes=["layer1.0.re':
        version += 1
        typed = key + {"(": ")", "[": "]", '"': '"'}.get(key, "")
        at = types.Position(line, column)
        documents.change(uri, version, (types.Range(at, at), typed))
        column += 1
    params = types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, column))
    result = await wait_for(
        client,
        lambda: client.text_document_completion_async(params),
        lambda result: result is not None and not result.is_incomplete,
        what="a complete completion list",
    )
    labels = [item.label for item in result.items]
    assert "layer1.0.relu_1" in labels
    edit = next(item for item in result.items if item.label == "layer1.0.relu_1").text_edit
    assert (edit.range.start.character, edit.range.end.character) == (column - len("layer1.0.re"), column)


async def test_several_changes_in_one_notification_apply_one_after_another(
    client: RecordingClient, documents: Documents
) -> None:
    """Each change's range is relative to the text after the changes before it (LSP's rule), in
    UTF-16 units: the second change's columns count the emoji the first one typed as two."""
    path = documents.write(
        "batched.py",
        "from torchvision.models import resnet18\n"
        "from torchvision.models.feature_extraction import create_feature_extractor\n",
    )
    uri = documents.open(path)
    line = 'x = "😋"; f = create_feature_extractor(resnet18(), return_nodes=["layer1.0.relu2"])'
    digit = line.index("relu2") + len("relu") + 1  # UTF-16 column of the `2`: the emoji is two units
    at = types.Position(2, 0)
    documents.change(
        uri,
        2,
        (types.Range(at, at), line),
        (types.Range(types.Position(2, digit), types.Position(2, digit + 1)), "_1"),
    )
    inside = types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(2, line.index("layer1") + 2))
    hover = await wait_for(
        client,
        lambda: client.text_document_hover_async(inside),
        lambda hover: hover is not None,
        what="a hover (once the model is traced)",
    )
    assert hover.contents.value.startswith("**`layer1.0.relu_1`**")
    assert hover.range == types.Range(
        types.Position(2, line.index("layer1") + 1),
        types.Position(2, line.index("layer1") + 1 + len("layer1.0.relu_1")),
    )

"""The traceability lens above every nn.Module class, over a real language server: listed unresolved,
traced only by ``codeLens/resolve``, cached by content, and its commands (node table, the verified fix,
where it breaks)."""

from __future__ import annotations

import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, codes, initialize_params, position_of
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from untraceable_models import GATE_LINE, model_source
from waiting import diagnostics_of

pytest.importorskip("torchvision", reason="the script calls torchvision's create_feature_extractor")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

HEAD = textwrap.dedent("""\
    from torch import nn


    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 10)

        def forward(self, x):
            return self.fc(x).relu()


    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 3)

        def forward(self, x):
            return self.b(self.a(x))
""")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    lsp_client.applied_edits = []

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(ls: RecordingClient, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        ls.applied_edits.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("class_lenses")))
    yield
    await lsp_client.shutdown_session()


async def class_lenses(client: RecordingClient, uri: str) -> dict[str, types.CodeLens]:
    found = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    return {lens.data["class"]: lens for lens in found if isinstance(lens.data, dict) and lens.data.get("class")}


async def resolved(client: RecordingClient, uri: str, name: str) -> types.Command:
    lens = await client.code_lens_resolve_async((await class_lenses(client, uri))[name])
    assert lens.command is not None
    return lens.command


async def traces_run(client: RecordingClient) -> int:
    return (await client.protocol.send_request_async("fxlens/stats", {})).tracesRun


async def opened(client: RecordingClient, documents: Documents, name: str, text: str) -> str:
    """Open a file and wait until its first lint is published (so no trace of it is still starting)."""
    uri = documents.open(documents.write(name, text))
    await diagnostics_of(client, uri, lambda d: True, what="the first lint", version=1)
    return uri


async def test_twenty_classes_get_twenty_unresolved_lenses_and_nothing_is_traced(
    client: RecordingClient, documents: Documents
) -> None:
    source = "from torch import nn\n" + "".join(
        f"\n\nclass Block{i}(nn.Module):\n    def forward(self, x):\n        return x * {i}\n" for i in range(20)
    )
    before = await traces_run(client)
    uri = await opened(client, documents, "blocks.py", source)
    lenses = await class_lenses(client, uri)
    assert list(lenses) == [f"Block{i}" for i in range(20)]
    first = position_of(source, "class Block0").line
    assert lenses["Block0"] == types.CodeLens(
        range=types.Range(types.Position(first, 0), types.Position(first, 0)),
        data={"kind": "class", "uri": uri, "class": "Block0", "line": first},
    )
    assert all(lens.command is None for lens in lenses.values())
    assert await traces_run(client) == before


async def test_a_traceable_class_resolves_to_its_nodes_and_output_and_opens_its_node_table(
    client: RecordingClient, documents: Documents
) -> None:
    uri = await opened(client, documents, "head.py", HEAD)
    command = await resolved(client, uri, "Head")
    name = position_of(HEAD, "Head(nn.Module)")
    assert command == types.Command(
        title="fx: traceable · 3 nodes · output 1×10",
        command="fxlens.showNodes",
        arguments=(uri, {"line": name.line, "character": name.character}),
    )
    where = {"textDocument": {"uri": uri}, "position": command.arguments[1]}
    shown = await client.protocol.send_request_async("fxlens/showNodes", where)
    assert shown.title == "Nodes of Head" and "`fc`" in shown.markdown
    table = await client.protocol.send_request_async("fxlens/nodeTable", where)
    assert table.model == "Head" and table.arguments == [] and table.selected.eval == []
    assert [node.name for node in table.table.eval] == ["x", "fc", "relu"]


async def test_an_untraceable_model_resolves_to_the_line_the_construct_and_the_fix_which_the_command_applies(
    client: RecordingClient, documents: Documents
) -> None:
    source = model_source("control-flow")
    uri = documents.open(documents.write("gated.py", source))
    await diagnostics_of(client, uri, lambda d: codes(d) == ["FXL011"], what="the call's FXL011", version=1)
    command = await resolved(client, uri, "Net")
    assert command == types.Command(
        title=f"fx: not traceable — line {GATE_LINE}: control flow on a traced value · make `Gate` a leaf",
        command="fxlens.applyTraceFix",
        arguments=(uri, "Net"),
    )
    await client.workspace_execute_command_async(types.ExecuteCommandParams(command.command, command.arguments))
    (applied,) = client.applied_edits
    client.applied_edits.clear()
    (change,) = applied.edit.document_changes
    assert change.text_document.uri == uri
    (edit,) = change.edits
    after_model = position_of(source, "Net()", len("Net()"))
    assert edit == types.TextEdit(types.Range(after_model, after_model), ', tracer_kwargs={"leaf_modules": [Gate]}')
    documents.change(uri, 2, (edit.range, edit.new_text))
    assert await diagnostics_of(client, uri, lambda d: not d, what="no findings: the call traces", version=2) == ()
    command = await resolved(client, uri, "Net")
    assert command.title.endswith("· make `Gate` a leaf (its calls here have the fix)")
    shown_before = len(client.shown_documents)
    await client.workspace_execute_command_async(types.ExecuteCommandParams(command.command, command.arguments))
    assert client.applied_edits == []  # the call has the fix: the class alone still fails there, so it is shown
    (shown,) = client.shown_documents[shown_before:]
    assert shown.selection.start == types.Position(GATE_LINE - 1, 0)


async def test_without_a_fix_the_command_shows_the_failing_line(client: RecordingClient, documents: Documents) -> None:
    uri = await opened(client, documents, "gate_only.py", model_source("control-flow"))
    command = await resolved(client, uri, "Gate")
    assert command.title == f"fx: not traceable — line {GATE_LINE}: control flow on a traced value"
    shown_before = len(client.shown_documents)
    await client.workspace_execute_command_async(types.ExecuteCommandParams(command.command, command.arguments))
    (shown,) = client.shown_documents[shown_before:]
    line = types.Position(GATE_LINE - 1, 0)
    assert (shown.uri, shown.selection, shown.take_focus) == (uri, types.Range(line, line), True)
    assert client.applied_edits == []


async def test_a_class_needing_arguments_says_which_and_the_table_that_gives_them(
    client: RecordingClient, documents: Documents
) -> None:
    source = HEAD.replace(
        "def __init__(self):\n        super().__init__()\n        self.a",
        "def __init__(self, width, depth=2):\n        super().__init__()\n        self.a",
    )
    uri = await opened(client, documents, "wide.py", source)
    command = await resolved(client, uri, "Pair")
    table = f'[tool.fxlens.models."{documents.folder.name}.wide:Pair"]'
    assert command == types.Command(
        title=f"fx: needs arguments `width`: set them under {table} as kwargs = {{ width = ... }}", command=""
    )


async def test_an_edited_class_is_traced_again_and_an_unchanged_one_is_not(
    client: RecordingClient, documents: Documents
) -> None:
    uri = await opened(client, documents, "edited.py", HEAD)
    assert (await resolved(client, uri, "Head")).title == "fx: traceable · 3 nodes · output 1×10"
    assert (await resolved(client, uri, "Pair")).title == "fx: traceable · 3 nodes · output 1×3"
    before = await traces_run(client)
    width = position_of(HEAD, "nn.Linear(4, 10)", len("nn.Linear(4, "))
    documents.change(uri, 2, (types.Range(width, types.Position(width.line, width.character + 2)), "6"))
    await diagnostics_of(client, uri, lambda d: True, what="the lint of the edit", version=2)
    assert (await resolved(client, uri, "Head")).title == "fx: traceable · 3 nodes · output 1×6"
    assert (await resolved(client, uri, "Pair")).title == "fx: traceable · 3 nodes · output 1×3"
    assert await traces_run(client) == before + 1  # Head only


async def test_a_cached_failure_follows_its_line_when_only_lines_above_it_move(
    client: RecordingClient, documents: Documents
) -> None:
    source = model_source("control-flow").partition("\nextractor = ")[0]  # the classes, no call
    uri = await opened(client, documents, "moved.py", source)
    assert (await resolved(client, uri, "Gate")).title.startswith(f"fx: not traceable — line {GATE_LINE}:")
    before = await traces_run(client)
    top = types.Position(0, 0)
    documents.change(uri, 2, (types.Range(top, top), "# the gated models\n\n"))  # two lines more above every class
    await diagnostics_of(client, uri, lambda d: True, what="the lint of the edit", version=2)
    assert (await resolved(client, uri, "Gate")).title.startswith(f"fx: not traceable — line {GATE_LINE + 2}:")
    assert await traces_run(client) == before  # no statement changed: the cached failure, moved


async def test_a_concrete_args_fix_is_applied_by_the_lens_and_the_call_then_traces(
    client: RecordingClient, documents: Documents
) -> None:
    source = textwrap.dedent("""\
        from torch import nn
        from torchvision.models.feature_extraction import create_feature_extractor


        class Flagged(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)

            def forward(self, x, flip=False):
                if flip:
                    x = -x
                return self.fc(x)


        extractor = create_feature_extractor(Flagged(), return_nodes=["fc"])
    """)
    uri = documents.open(documents.write("flagged.py", source))
    await diagnostics_of(client, uri, lambda d: codes(d) == ["FXL011"], what="the call's FXL011", version=1)
    command = await resolved(client, uri, "Flagged")
    assert command.title == (
        "fx: not traceable — line 11: control flow on a non-tensor argument of forward · trace with `flip=False`"
    )
    await client.workspace_execute_command_async(types.ExecuteCommandParams(command.command, command.arguments))
    (applied,) = client.applied_edits
    client.applied_edits.clear()
    ((edit,),) = [change.edits for change in applied.edit.document_changes]
    assert "concrete_args=" in edit.new_text
    documents.change(uri, 2, (edit.range, edit.new_text))
    assert await diagnostics_of(client, uri, lambda d: not d, what="no findings: the call traces", version=2) == ()

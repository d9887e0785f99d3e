"""The verified leaf fix as the editor's quick fix: the action edits the call, and the edited
document traces (the server's findings for it are clean)."""

from __future__ import annotations

import pytest
import pytest_lsp
from conftest_lsp import SERVER, codes, initialize_params
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from untraceable_models import model_source
from waiting import diagnostics_of

pytest.importorskip("torchvision", reason="the script calls torchvision's create_feature_extractor")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

TITLE = 'Make `Gate` a leaf: tracer_kwargs={"leaf_modules": [Gate]}'


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("workspace")))
    yield
    await lsp_client.shutdown_session()


def applied(text: str, edit: types.TextEdit) -> str:
    lines = text.splitlines(keepends=True)
    start, end = edit.range.start, edit.range.end
    before = "".join(lines[: start.line]) + lines[start.line][: start.character]
    after = lines[end.line][end.character :] + "".join(lines[end.line + 1 :])
    return before + edit.new_text + after


async def test_the_quick_fix_makes_the_failing_module_a_leaf_and_the_edited_call_traces(
    client: RecordingClient, documents: Documents
) -> None:
    source = model_source("iteration")
    uri = documents.open(documents.write("gated.py", source))
    (finding,) = await diagnostics_of(client, uri, lambda d: codes(d) == ["FXL011"], what="FXL011", version=1)
    assert "iteration over a traced value" in finding.message
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), finding.range, types.CodeActionContext([finding]))
    )
    fix = next(a for a in actions if a.title == TITLE)
    assert fix.is_preferred
    (change,) = fix.edit.document_changes
    (edit,) = change.edits
    fixed = applied(source, edit)
    assert fixed.endswith(
        'create_feature_extractor(Net(), tracer_kwargs={"leaf_modules": [Gate]}, return_nodes=["gate", "head"])\n'
    )
    documents.change(uri, 2, (edit.range, edit.new_text))
    assert await diagnostics_of(client, uri, lambda d: not d, what="no findings after the fix", version=2) == ()

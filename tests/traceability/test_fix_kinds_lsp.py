"""Each kind of verified fix as the editor's quick fix — a wrapped function, a concrete argument, a leaf
class or a function imported from another module: the action's edits (the call, and the import the file
lacks) give the expected file, and the edited document traces (the server's findings for it are clean)."""

from __future__ import annotations

import pytest
import pytest_lsp
from conftest_lsp import SERVER, codes, initialize_params
from fix_projects import PROJECTS, projects
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of

pytest.importorskip("torchvision", reason="the scripts call torchvision's create_feature_extractor")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("workspace")))
    yield
    await lsp_client.shutdown_session()


def last_first(edits: list[types.TextEdit]) -> list[types.TextEdit]:
    """The edits from the end of the document back, so each applies to the text the server saw."""
    return sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)


def applied(text: str, edits: list[types.TextEdit]) -> str:
    for edit in last_first(edits):
        lines = text.splitlines(keepends=True)
        start, end = edit.range.start, edit.range.end
        before = "".join(lines[: start.line]) + (
            lines[start.line][: start.character] if start.line < len(lines) else ""
        )
        after = lines[end.line][end.character :] + "".join(lines[end.line + 1 :]) if end.line < len(lines) else ""
        text = before + edit.new_text + after
    return text


@pytest.mark.parametrize("kind", list(PROJECTS))
async def test_the_quick_fix_writes_the_verified_fix_and_the_edited_document_traces(
    kind: str, client: RecordingClient, documents: Documents
) -> None:
    project = projects(documents.folder.name)[kind]  # the folder is a package of the workspace root
    for path, text in project.files.items():
        documents.write(path, text)
    source = project.files[project.call_file]
    uri = documents.open(documents.folder / project.call_file)
    (finding,) = await diagnostics_of(client, uri, lambda d: codes(d) == ["FXL011"], what="FXL011", version=1)
    assert f"{project.construct}: " in finding.message and finding.message.endswith(project.sentence)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), finding.range, types.CodeActionContext([finding]))
    )
    fix = next(a for a in actions if a.title == project.title)
    assert fix.is_preferred
    (change,) = fix.edit.document_changes
    assert applied(source, list(change.edits)) == project.fixed
    documents.change(uri, 2, *((edit.range, edit.new_text) for edit in last_first(list(change.edits))))
    assert await diagnostics_of(client, uri, lambda d: not d, what="no findings after the fix", version=2) == ()

"""Notebooks in the language server: a real client over stdio syncs a notebook (pygls' notebook
messages), and every result lands in the right cell, also after cells are inserted, moved, edited
and deleted. Cell URIs are VS Code's opaque ``vscode-notebook-cell:`` ones, with a fragment."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from conftest_lsp import SERVER, codes, initialize_params
from isolation import Documents, PushedSettings
from lsprotocol import types
from raw_rpc import send, until
from recording_client import RecordingClient
from waiting import wait_for

pytest.importorskip("torchvision", reason="the server traces a torch model defined in a cell")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

IMPORTS = (
    "%matplotlib inline\nimport torch\nfrom torch import nn\n"
    "from torchvision.models.feature_extraction import create_feature_extractor\n"
)
NET = """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))
"""
USE = '!nvidia-smi\nmodel = Net()\nextractor = create_feature_extractor(model, return_nodes=["rellu"])\n'
CODE, MARKUP = types.NotebookCellKind.Code, types.NotebookCellKind.Markup
NOTEBOOK_SYNC = types.NotebookDocumentClientCapabilities(types.NotebookDocumentSyncClientCapabilities())


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    params = initialize_params(tmp_path_factory.mktemp("workspace"))
    params.capabilities.notebook_document = NOTEBOOK_SYNC  # as VS Code declares it
    await lsp_client.start_session(params)
    yield
    await lsp_client.shutdown_session()


@dataclass
class Notebook:
    """A notebook this test opened in the server: its URI, version and cells (URI, kind, text, version)."""

    client: RecordingClient
    uri: str
    cells: list[list] = field(default_factory=list)
    version: int = 1
    made: int = 0

    def cell_uri(self) -> str:
        """A new cell URI as VS Code makes them: the notebook's path, a fragment, percent-escapes."""
        self.made += 1
        return f"vscode-notebook-cell:{self.uri.removeprefix('file://')}#W{self.made}sZmlsZQ%3D%3D"

    def new_cell(self, kind: types.NotebookCellKind, text: str) -> list:
        return [self.cell_uri(), kind, text, 1]

    def open(self, *cells: tuple[types.NotebookCellKind, str]) -> None:
        self.cells = [self.new_cell(kind, text) for kind, text in cells]
        self.client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                types.NotebookDocument(
                    self.uri, "jupyter-notebook", self.version, [types.NotebookCell(k, u) for u, k, _, _ in self.cells]
                ),
                [types.TextDocumentItem(u, "python" if k == CODE else "markdown", v, t) for u, k, t, v in self.cells],
            )
        )

    def _change(self, cells: types.NotebookDocumentCellChanges) -> None:
        self.version += 1
        self.client.notebook_document_did_change(
            types.DidChangeNotebookDocumentParams(
                types.VersionedNotebookDocumentIdentifier(self.version, self.uri),
                types.NotebookDocumentChangeEvent(cells=cells),
            )
        )

    def splice(self, start: int, delete: int, inserted: Sequence[list], opened: Sequence[list] = ()) -> None:
        """One structure change: ``delete`` cells from ``start`` replaced by ``inserted`` (``opened`` are new)."""
        gone = self.cells[start : start + delete]
        self.cells[start : start + delete] = list(inserted)
        closed = [c for c in gone if c not in self.cells]
        array = types.NotebookCellArrayChange(start, delete, [types.NotebookCell(k, u) for u, k, _, _ in inserted])
        did_open = [types.TextDocumentItem(u, "python", v, t) for u, _, t, v in opened]
        did_close = [types.TextDocumentIdentifier(u) for u, _, _, _ in closed]
        self._change(
            types.NotebookDocumentCellChanges(
                structure=types.NotebookDocumentCellChangeStructure(array, did_open, did_close)
            )
        )

    def edit(self, index: int, where: types.Range, text: str) -> None:
        cell = self.cells[index]
        cell[3] += 1
        change = types.NotebookDocumentCellContentChanges(
            types.VersionedTextDocumentIdentifier(cell[3], cell[0]),
            [types.TextDocumentContentChangePartial(where, text)],
        )
        self._change(types.NotebookDocumentCellChanges(text_content=[change]))

    def close(self) -> None:
        self.client.notebook_document_did_close(
            types.DidCloseNotebookDocumentParams(
                types.NotebookDocumentIdentifier(self.uri), [types.TextDocumentIdentifier(c[0]) for c in self.cells]
            )
        )


@pytest_asyncio.fixture(loop_scope="module")
async def notebook(client: RecordingClient, documents: Documents) -> AsyncIterator[Notebook]:
    """This test's notebook (in its own folder, written to disk as a file of the workspace), closed after it."""
    path = documents.write("analysis.ipynb", "{}")
    opened = Notebook(client, path.as_uri())
    yield opened
    opened.close()


def standard(notebook: Notebook) -> None:
    notebook.open((MARKUP, "# Features"), (CODE, IMPORTS), (CODE, NET), (CODE, USE))


async def published_after(client: RecordingClient, uri: str, before: object, what: str) -> Sequence[types.Diagnostic]:
    """The first diagnostics of ``uri`` published after the publication ``before``, with a traced finding."""

    def latest() -> types.PublishDiagnosticsParams | None:
        return client.published.get(uri)

    found = await wait_for(client, latest, lambda p: p is not None and p is not before, what=what)
    return found.diagnostics


def rellu_range(line: int = 2) -> types.Range:
    column = USE.splitlines()[2].index("rellu")
    return types.Range(types.Position(line, column), types.Position(line, column + len("rellu")))


async def opened_with_finding(client: RecordingClient, notebook: Notebook) -> Sequence[types.Diagnostic]:
    standard(notebook)
    use = notebook.cells[3][0]

    def latest() -> types.PublishDiagnosticsParams | None:
        return client.published.get(use)

    found = await wait_for(
        client, latest, lambda p: p is not None and "FXL001" in codes(p.diagnostics), what="FXL001 in the last cell"
    )
    return found.diagnostics


async def test_diagnostics_are_published_per_cell_uri_with_ranges_in_the_cell(
    client: RecordingClient, notebook: Notebook
) -> None:
    (diagnostic,) = await opened_with_finding(client, notebook)
    assert diagnostic.code == "FXL001" and diagnostic.message == "`rellu` is not a node of Net; did you mean `relu`?"
    assert diagnostic.range == rellu_range()
    for uri, kind, _, _ in notebook.cells[:3]:
        if kind == CODE:
            assert list(client.published[uri].diagnostics) == []
    assert notebook.uri not in client.published  # the notebook itself is no text document


async def test_completion_and_hover_in_a_cell_know_the_model_of_an_earlier_cell(
    client: RecordingClient, notebook: Notebook
) -> None:
    await opened_with_finding(client, notebook)
    use = types.TextDocumentIdentifier(notebook.cells[3][0])
    where = rellu_range()
    completion = await client.text_document_completion_async(types.CompletionParams(use, where.start))
    items = {item.label: item for item in completion.items}
    assert {"x", "conv", "relu"} <= set(items)
    assert items["relu"].text_edit.range == where
    hover_at = types.Position(where.start.line, where.start.character + 1)
    notebook.edit(3, where, "relu")
    await wait_for(
        client,
        lambda: client.published.get(use.uri),
        lambda p: p is not None and list(p.diagnostics) == [],
        what="no finding",
    )
    hovered = await client.text_document_hover_async(types.HoverParams(use, hover_at))
    assert "call_module" in hovered.contents.value and "ReLU" in hovered.contents.value
    assert hovered.range == types.Range(where.start, types.Position(where.start.line, where.start.character + 4))


async def test_inserting_a_cell_above_keeps_the_finding_in_its_cell(
    client: RecordingClient, notebook: Notebook
) -> None:
    await opened_with_finding(client, notebook)
    use = notebook.cells[3][0]
    before = client.published[use]
    new = notebook.new_cell(CODE, "width = 8\nheight = 8\n\n")
    notebook.splice(1, 0, [new], [new])
    (diagnostic,) = await published_after(client, use, before, "the last cell's findings after the insertion")
    assert diagnostic.code == "FXL001" and diagnostic.range == rellu_range()
    assert list(client.published[new[0]].diagnostics) == []


async def test_moving_a_cell_moves_its_finding_with_it(client: RecordingClient, notebook: Notebook) -> None:
    await opened_with_finding(client, notebook)
    use = notebook.cells[3]
    before = client.published[use[0]]
    notebook.splice(0, 4, [use, *notebook.cells[0:3]])  # the last cell first, the others after it
    assert notebook.cells[0] is use
    (diagnostic,) = await published_after(client, use[0], before, "the moved cell's findings")
    assert diagnostic.code == "FXL001" and diagnostic.range == rellu_range()
    assert list(client.published[notebook.cells[3][0]].diagnostics) == []  # the class cell, now last


async def test_editing_a_cell_above_and_the_cell_itself_keeps_results_right(
    client: RecordingClient, notebook: Notebook
) -> None:
    await opened_with_finding(client, notebook)
    use = notebook.cells[3][0]
    notebook.edit(2, types.Range(types.Position(0, 0), types.Position(0, 0)), "# the model\n\n")  # two lines more above
    where = rellu_range()
    notebook.edit(3, where, "conf")
    found = await wait_for(
        client,
        lambda: client.published.get(use),
        lambda p: p is not None and any("`conf`" in d.message for d in p.diagnostics),
        what="the finding on `conf`",
    )
    (diagnostic,) = found.diagnostics
    assert diagnostic.message == "`conf` is not a node of Net; did you mean `conv`?"
    assert diagnostic.range == types.Range(where.start, types.Position(where.start.line, where.start.character + 4))
    assert found.version == notebook.cells[3][3]


async def test_deleting_cells_keeps_the_finding_right_and_clears_a_deleted_cells_diagnostics(
    client: RecordingClient, notebook: Notebook
) -> None:
    await opened_with_finding(client, notebook)
    use = notebook.cells[3][0]
    before = client.published[use]
    notebook.splice(0, 1, [])  # the markdown cell
    (diagnostic,) = await published_after(client, use, before, "the findings after deleting the first cell")
    assert diagnostic.range == rellu_range()
    notebook.splice(2, 1, [])  # the last cell, with the finding
    await wait_for(
        client, lambda: client.published.get(use), lambda p: p is not None and list(p.diagnostics) == [], what="cleared"
    )


async def test_code_actions_in_a_cell_edit_that_cell(client: RecordingClient, notebook: Notebook) -> None:
    (diagnostic,) = await opened_with_finding(client, notebook)
    use = notebook.cells[3]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(use[0]), diagnostic.range, types.CodeActionContext([diagnostic])
        )
    )
    fix = next(a for a in actions if a.title == "Change to `relu`")
    (change,) = fix.edit.document_changes
    assert (change.text_document.uri, change.text_document.version) == (use[0], use[3])
    assert [(e.range, e.new_text) for e in change.edits] == [(rellu_range(), "relu")]


async def test_definition_in_a_cell_goes_to_the_line_of_forward_in_the_cell_that_defines_it(
    client: RecordingClient, notebook: Notebook
) -> None:
    await opened_with_finding(client, notebook)
    notebook.edit(3, rellu_range(), "relu")
    use = types.TextDocumentIdentifier(notebook.cells[3][0])
    where = types.Position(2, rellu_range().start.character + 1)
    found = await client.text_document_definition_async(types.DefinitionParams(use, where))
    forward_line = NET.splitlines().index("        return self.relu(self.conv(x))")
    assert found == types.Location(
        notebook.cells[2][0], types.Range(types.Position(forward_line, 0), types.Position(forward_line, 0))
    )


async def test_inlay_hints_in_a_cell_are_for_that_cells_calls_only(
    client: RecordingClient, notebook: Notebook, settings: PushedSettings
) -> None:
    settings.push({"inlayHints": True})
    await opened_with_finding(client, notebook)
    notebook.edit(3, rellu_range(), "relu")
    use = types.TextDocumentIdentifier(notebook.cells[3][0])
    whole = types.Range(types.Position(0, 0), types.Position(3, 0))
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(use, whole))
    end = rellu_range().start.character + len("relu") + 1  # after the closing quote
    assert [(h.position, h.label) for h in hints] == [(types.Position(2, end), ": 1×8×222×222")]
    net = types.TextDocumentIdentifier(notebook.cells[2][0])
    assert list(await client.text_document_inlay_hint_async(types.InlayHintParams(net, whole))) == []


async def test_a_notebook_as_jupyterlab_lsp_sends_it_traces_the_model_of_its_cells(
    client: RecordingClient, documents: Documents
) -> None:
    """jupyterlab-lsp sends a notebook as one Python text document under ``.virtual_documents/`` (magics
    commented out, cells joined by blank lines): a text document like any other, its model built from it."""
    text = "\n\n".join(
        [
            "# %matplotlib inline\nimport torch\nfrom torch import nn\n"
            "from torchvision.models.feature_extraction import create_feature_extractor",
            NET,
            USE[len("!nvidia-smi\n") :],
        ]
    )
    uri = documents.open(documents.write(".virtual_documents/analysis.ipynb", text))
    found = await wait_for(
        client,
        lambda: client.published.get(uri),
        lambda p: p is not None and "FXL001" in codes(p.diagnostics),
        what="FXL001 on the model defined in the virtual document",
    )
    (diagnostic,) = found.diagnostics
    assert diagnostic.message == "`rellu` is not a node of Net; did you mean `relu`?"


async def test_no_cell_runs_when_its_model_is_traced(
    client: RecordingClient, notebook: Notebook, documents: Documents
) -> None:
    marker = documents.folder / "ran"
    notebook.open((CODE, IMPORTS), (CODE, f"open({str(marker)!r}, 'w')\n" + NET), (CODE, USE))
    use = notebook.cells[2][0]
    await wait_for(
        client,
        lambda: client.published.get(use),
        lambda p: p is not None and "FXL001" in codes(p.diagnostics),
        what="FXL001 (the model was traced)",
    )
    assert not marker.exists()


async def test_a_client_that_syncs_notebooks_is_offered_notebook_sync_for_python_cells(tmp_path: Path) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxlens", "serve", "--stdio", cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    try:
        capabilities = {"notebookDocument": {"synchronization": {}}}
        send(
            server.stdin, {"id": 1, "method": "initialize", "params": {"processId": None, "capabilities": capabilities}}
        )
        answer = await until(server.stdout, lambda m: m.get("id") == 1, what="the answer to initialize")
        assert answer["result"]["capabilities"]["notebookDocumentSync"] == {
            "notebookSelector": [{"notebook": "*", "cells": [{"language": "python"}]}]
        }
    finally:
        server.kill()
        await server.wait()

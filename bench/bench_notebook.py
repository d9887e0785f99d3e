"""Notebooks in the language server over real stdio (by hand; results go to BENCHMARKS.md).

    python bench/bench_notebook.py

On a 50-cell notebook (a resnet18 made in cell 40, its extractor in cell 45, helper functions in
the others, ~500 lines), synced with notebookDocument messages: completion and hover round trips
in cell 45 once the model is traced (p50/p99), and the cost of a cell edit — a didChange typing
one character in cell 45 followed by a completion there, against the same on a ``.py`` file
holding the notebook's virtual script (the same text, the same length); and, in process (without the
transport's noise), what the server does for such an edit: ``Notebooks.change`` and the incremental
reparse, against ``client_changes`` and the reparse of the ``.py`` file, interleaved.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench_lsp import Client, round_trips, stop, summary
from fxlens.lsp.notebooks import Notebooks
from fxlens.lsp.positions import client_changes
from fxlens.workspace.parse import ParsedDocument, parse_document
from fxlens.workspace.text import TextChange
from lsprotocol import types

CELLS = 50
MODEL_CELL, USE_CELL = 40, 45
IMPORTS = (
    "%matplotlib inline\nimport torch\nfrom torchvision.models import resnet18\n"
    "from torchvision.models.feature_extraction import create_feature_extractor\n"
)
USE = '# features\nextractor = create_feature_extractor(model, return_nodes=["layer1.0.relu2", "layer4"])\n'
NODE_LINE = 1
NODE_COLUMN = USE.splitlines()[1].index("layer1.0.relu2") + len("layer1.0.")
ROUNDS = 60


def cell_sources() -> list[str]:
    sources = []
    for index in range(CELLS):
        if index == 0:
            sources.append(IMPORTS)
        elif index == MODEL_CELL:
            sources.append("model = resnet18(weights=None)\n")
        elif index == USE_CELL:
            sources.append(USE)
        else:
            body = "".join(f"    total = total + {k} * value  # step {k}\n" for k in range(8))
            sources.append(f"def helper_{index}(value):\n    total = 0\n{body}    return total\n")
    return sources


async def start(root: Path) -> Client:
    client = Client()
    await client.start_io(sys.executable, "-m", "fxlens", "serve", "--stdio")
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(configuration=True),
        notebook_document=types.NotebookDocumentClientCapabilities(types.NotebookDocumentSyncClientCapabilities()),
    )
    await client.initialize_async(types.InitializeParams(capabilities=capabilities, root_uri=root.as_uri()))
    client.initialized(types.InitializedParams())
    return client


async def until_traced(client: Client, uri: str) -> float:
    """Seconds until ``uri`` gets diagnostics that needed the traced table (FXL001 on ``layer1.0.relu2``)."""
    begin = time.perf_counter()
    while True:
        params = await client.published.get()
        if params.uri == uri and any(d.code == "FXL001" for d in params.diagnostics):
            return time.perf_counter() - begin


def open_notebook(client: Client, uri: str, cells: list[str], sources: list[str]) -> None:
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            types.NotebookDocument(
                uri, "jupyter-notebook", 1, [types.NotebookCell(types.NotebookCellKind.Code, c) for c in cells]
            ),
            [types.TextDocumentItem(c, "python", 1, s) for c, s in zip(cells, sources, strict=True)],
        )
    )


def edit_then_complete(
    client: Client, uri: str, line: int, notify: Callable[[int, types.Range], None]
) -> Callable[[], Awaitable[object]]:
    """A round: type one character at the end of the comment on ``line`` (didChange), then complete."""
    typed = 0

    async def once() -> object:
        nonlocal typed
        where = types.Range(types.Position(line - 1, 10 + typed), types.Position(line - 1, 10 + typed))
        typed += 1
        notify(typed + 1, where)
        return await client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, NODE_COLUMN))
        )

    return once


class _Parsing:
    """The part of the session a notebook edit reaches: its document, edited and reparsed."""

    def __init__(self) -> None:
        self.doc: ParsedDocument | None = None

    def open(self, uri: str, text: str, version: int) -> None:
        self.doc = parse_document(uri, text, version)

    def change(self, uri: str, changes: list[TextChange], version: int) -> None:
        assert self.doc is not None
        self.doc = self.doc.edit(changes, version)


def in_process_edit_cost(rounds: int = 200) -> tuple[list[float], list[float]]:
    """Milliseconds per one-character edit: in cell 45 of the notebook, and on the same line of the ``.py``."""
    notebook_uri, cells, sources = "file:///bench/analysis.ipynb", [f"cell-{i}" for i in range(CELLS)], cell_sources()
    parsing, notebooks = _Parsing(), Notebooks()
    notebook = types.NotebookDocument(
        notebook_uri, "jupyter-notebook", 1, [types.NotebookCell(types.NotebookCellKind.Code, c) for c in cells]
    )
    items = [types.TextDocumentItem(c, "python", 1, s) for c, s in zip(cells, sources, strict=True)]
    notebooks.open(parsing, types.DidOpenNotebookDocumentParams(notebook, items))  # type: ignore[arg-type]
    assert parsing.doc is not None
    doc = parse_document("file:///bench/analysis_script.py", parsing.doc.text, 1)
    line = doc.text.splitlines().index(USE.splitlines()[0])
    in_cell, in_file = [], []
    for k in range(rounds):
        at = types.Position(0, 10 + k)
        change = types.NotebookDocumentCellContentChanges(
            types.VersionedTextDocumentIdentifier(k + 2, cells[USE_CELL]),
            [types.TextDocumentContentChangePartial(types.Range(at, at), "x")],
        )
        params = types.DidChangeNotebookDocumentParams(
            types.VersionedNotebookDocumentIdentifier(k + 2, notebook_uri),
            types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[change])),
        )
        begin = time.perf_counter()
        notebooks.change(parsing, params, None)  # type: ignore[arg-type]
        in_cell.append((time.perf_counter() - begin) * 1000)
        at = types.Position(line, 10 + k)
        begin = time.perf_counter()
        doc = doc.edit(
            client_changes(doc.text, [types.TextDocumentContentChangePartial(types.Range(at, at), "x")], None), k + 2
        )
        in_file.append((time.perf_counter() - begin) * 1000)
    assert parsing.doc is not None and parsing.doc.text == doc.text  # the same text, edited the same way
    return in_cell, in_file


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="fxlens-bench-nb-"))
    sources = cell_sources()
    notebook_uri = (root / "analysis.ipynb").as_uri()
    cells = [f"vscode-notebook-cell:{root}/analysis.ipynb#W{i}sZmlsZQ%3D%3D" for i in range(CELLS)]
    script = "\n".join(s.replace("%matplotlib inline", " " * len("%matplotlib inline")) for s in sources)
    script_path = root / "analysis_script.py"
    script_path.write_text(script)
    (root / "analysis.ipynb").write_text("{}")
    client = await start(root)
    print(f"notebook: {CELLS} cells, {script.count(chr(10)) + 1} lines, {len(script)} characters")

    open_notebook(client, notebook_uri, cells, sources)
    print(f"didOpen -> traced diagnostics in cell {USE_CELL}: {await until_traced(client, cells[USE_CELL]):.2f} s")
    use = types.TextDocumentIdentifier(cells[USE_CELL])
    at_node = types.Position(NODE_LINE, NODE_COLUMN)

    def complete() -> Awaitable[object]:
        return client.text_document_completion_async(types.CompletionParams(use, at_node))

    def hover() -> Awaitable[object]:
        return client.text_document_hover_async(types.HoverParams(use, at_node))

    print(f"completion in cell {USE_CELL}:  {summary(await round_trips(complete, ROUNDS))}")
    print(f"hover in cell {USE_CELL}:       {summary(await round_trips(hover, ROUNDS))}")

    def cell_edit(version: int, where: types.Range) -> None:
        change = types.NotebookDocumentCellContentChanges(
            types.VersionedTextDocumentIdentifier(version, cells[USE_CELL]),
            [types.TextDocumentContentChangePartial(where, "x")],
        )
        client.notebook_document_did_change(
            types.DidChangeNotebookDocumentParams(
                types.VersionedNotebookDocumentIdentifier(version, notebook_uri),
                types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[change])),
            )
        )

    notebook_round = edit_then_complete(client, cells[USE_CELL], NODE_LINE, cell_edit)
    script_uri = script_path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(script_uri, "python", 1, script))
    )
    use_line = script.splitlines().index(USE.splitlines()[1])
    await until_traced(client, script_uri)

    def file_edit(version: int, where: types.Range) -> None:
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version, script_uri),
                [types.TextDocumentContentChangePartial(where, "x")],
            )
        )

    file_round = edit_then_complete(client, script_uri, use_line, file_edit)
    in_notebook, in_script = [], []
    for _ in range(ROUNDS):  # interleaved, so a change in the machine's load touches both alike
        in_notebook += await round_trips(notebook_round, 1)
        in_script += await round_trips(file_round, 1)
    print(f"cell edit + completion (notebook): {summary(in_notebook)}")
    print(f"edit + completion (.py, same text): {summary(in_script)}")
    await stop(client)
    in_cell, in_file = in_process_edit_cost()
    print(f"in process, one cell edit (notebook): {summary(in_cell)}")
    print(f"in process, one edit (.py, same text): {summary(in_file)}")
    print(f"  ratio of medians: {statistics.median(in_cell) / statistics.median(in_file):.2f}")


if __name__ == "__main__":
    asyncio.run(main())

"""Notebook sync without a client: whatever the cell edits and structure changes, the session's text of
the notebook is the virtual script of its cells, and cell positions map to it and back."""

from __future__ import annotations

from fxlens.lsp.notebooks import CellPositions, Notebooks
from fxlens.workspace.callsite import Position
from fxlens.workspace.text import TextChange, apply_changes
from lsprotocol import types

CODE, MARKUP = types.NotebookCellKind.Code, types.NotebookCellKind.Markup
NOTEBOOK = "file:///work/analysis.ipynb"


class TextOnly:
    """The part of a session notebook sync talks to: one document's text, edited as the session edits it."""

    def __init__(self) -> None:
        self.text = ""
        self.changes: list[list[TextChange]] = []

    def open(self, uri: str, text: str, version: int) -> None:
        self.text = text

    def change(self, uri: str, changes: list[TextChange], version: int) -> None:
        self.changes.append(changes)
        self.text = apply_changes(self.text, changes)


def opened(*cells: tuple[types.NotebookCellKind, str]) -> tuple[Notebooks, TextOnly, list[str]]:
    notebooks, session = Notebooks(), TextOnly()
    uris = [f"vscode-notebook-cell:/work/analysis.ipynb#W{i}sZmlsZQ%3D%3D" for i in range(len(cells))]
    document = types.NotebookDocument(
        NOTEBOOK, "jupyter-notebook", 1, [types.NotebookCell(k, u) for u, (k, _) in zip(uris, cells, strict=True)]
    )
    items = [
        types.TextDocumentItem(u, "python" if k == CODE else "markdown", 1, t)
        for u, (k, t) in zip(uris, cells, strict=True)
    ]
    notebooks.open(session, types.DidOpenNotebookDocumentParams(document, items))  # type: ignore[arg-type]
    return notebooks, session, uris


def edit(
    notebooks: Notebooks, session: TextOnly, uri: str, version: int, *changes: tuple[types.Range | None, str]
) -> None:
    events = [
        types.TextDocumentContentChangeWholeDocument(text)
        if where is None
        else types.TextDocumentContentChangePartial(where, text)
        for where, text in changes
    ]
    content = types.NotebookDocumentCellContentChanges(types.VersionedTextDocumentIdentifier(version, uri), events)
    params = types.DidChangeNotebookDocumentParams(
        types.VersionedNotebookDocumentIdentifier(version, NOTEBOOK),
        types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[content])),
    )
    notebooks.change(session, params, types.PositionEncodingKind.Utf16)  # type: ignore[arg-type]


def at(line: int, column: int, end_line: int | None = None, end_column: int | None = None) -> types.Range:
    end = types.Position(line if end_line is None else end_line, column if end_column is None else end_column)
    return types.Range(types.Position(line, column), end)


def script(notebooks: Notebooks) -> str:
    return notebooks.notebooks[NOTEBOOK].script.text


def test_typing_in_a_plain_cell_is_the_same_ranged_edit_of_the_virtual_script() -> None:
    notebooks, session, uris = opened((MARKUP, "# T"), (CODE, "a = 1\nb = 2"), (CODE, "c = 3"))
    edit(notebooks, session, uris[2], 2, (at(0, 5), "0"))
    assert session.changes[-1][0].range is not None  # not the whole text again
    assert session.text == script(notebooks) == "a = 1\nb = 2\nc = 30"


def test_edits_the_fast_path_cannot_take_send_the_whole_script() -> None:
    notebooks, session, uris = opened((CODE, "%time x = 1\ny = 2"), (CODE, "z = 3\r\nw = 4"))
    edit(notebooks, session, uris[0], 2, (at(1, 5), "0"))  # a cell with a magic
    edit(notebooks, session, uris[1], 2, (at(0, 0), "# a\n"), (at(1, 0), "!ls\n"))  # two edits, one a shell line
    edit(notebooks, session, uris[1], 3, (at(9, 0, 12, 0), "tail"))  # a range past the cell's end, clamped in it
    edit(notebooks, session, uris[0], 3, (None, "%%bash\necho hi"))  # the whole cell, now a cell magic
    assert session.text == script(notebooks)
    assert session.text == "      \n       \n# a\n   \nz = 3\r\nw = 4tail"


def test_cell_positions_shift_lines_and_clamp_into_the_cell() -> None:
    notebooks, _, uris = opened((CODE, "a = 1\nb = 2"), (CODE, "é = [\n 'x']"))
    lines = script(notebooks).split("\n")
    positions = notebooks.positions(uris[1], lines, types.PositionEncodingKind.Utf16)
    assert isinstance(positions, CellPositions)
    assert positions.from_client(types.Position(1, 3)) == Position(3, 3)
    assert positions.to_client(Position(2, 1)) == types.Position(0, 1)
    assert positions.to_client(Position(0, 4)) == types.Position(0, 0)  # before the cell: its start
    assert positions.to_client(Position(9, 0)) == types.Position(1, 5)  # after it: its end
    assert notebooks.document_uri(uris[1]) == NOTEBOOK and notebooks.document_uri("file:///x.py") == "file:///x.py"

"""Notebook documents in the language server: the cells of each open notebook as the client holds them.

The session lints a notebook as one document, under the notebook's URI, whose text is the virtual
script of its code cells (``fxlens.workspace.notebook``): no cell runs, and a model defined in one
cell resolves in the cells after it. This module keeps each notebook's cell list as the client
sends it (``notebookDocument/didOpen``, ``didChange`` with structure, data and text changes,
``didClose``) and passes every new virtual text to the session. Cell URIs are opaque
(``vscode-notebook-cell:…#fragment``): they are kept exactly as given, never parsed or normalised,
and the cell list is the only way from a cell to its notebook. Requests made in a cell go to the
notebook's document through ``CellPositions``, and its diagnostics go out once per cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lsprotocol import types

from fxlens.lint import Finding
from fxlens.lsp.positions import Positions, client_changes
from fxlens.lsp.session import Session
from fxlens.workspace.callsite import CallSite, Position, Range
from fxlens.workspace.modules import path_of
from fxlens.workspace.notebook import Cell, CellSpan, VirtualScript, blank_ipython, virtual_script
from fxlens.workspace.text import TextChange, apply_changes

SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithCells(notebook="*", cells=[types.NotebookCellLanguage(language="python")])
    ]
)


@dataclass
class CellText:
    """One cell's kind, language, text and version, as the client last sent them."""

    kind: types.NotebookCellKind
    language: str
    text: str
    version: int

    @property
    def is_python(self) -> bool:
        return self.kind == types.NotebookCellKind.Code and self.language in ("python", "")


@dataclass
class OpenNotebook:
    """An open notebook: its URI and version, its cells in order, and the virtual script they make."""

    uri: str
    version: int
    order: list[str]  # cell URIs in the notebook's order, exactly as the client sent them
    cells: dict[str, CellText]
    script: VirtualScript = field(default_factory=lambda: virtual_script(()))

    def rebuild(self) -> None:
        """The virtual script of the cells as they are now."""
        self.script = virtual_script([_cell(uri, self.cells[uri]) for uri in self.order if uri in self.cells])


def _plain(text: str) -> bool:
    """Whether a cell's text is its own virtual text (no IPython syntax is blanked in it)."""
    return blank_ipython(text) == text


def _inside(edits: Sequence[TextChange], span: CellSpan) -> bool:
    """One ranged edit that ends inside the cell (a range past its end would reach the next cell)."""
    return len(edits) == 1 and edits[0].range is not None and edits[0].range.end.line < span.lines


def _shifted(edit: TextChange, lines: int) -> TextChange:
    """A cell's ranged content change as a change of the virtual script, where the cell starts at line ``lines``."""
    assert edit.range is not None
    start, end = edit.range.start, edit.range.end
    return TextChange(
        edit.text, Range(Position(start.line + lines, start.column), Position(end.line + lines, end.column))
    )


def _cell(uri: str, cell: CellText) -> Cell:
    return Cell("code" if cell.is_python else "markdown", cell.text, uri)


class CellPositions(Positions):
    """Positions in one cell of a notebook, converted against the lines of its virtual script: client
    lines count from the cell's first line; a position outside the cell is clamped into it."""

    def __init__(self, lines: Sequence[str], encoding: str | None, span: CellSpan) -> None:
        super().__init__(lines, encoding)
        self.span = span

    def from_client(self, position: types.Position) -> Position:
        line = min(max(position.line, 0), self.span.lines - 1) + self.span.start
        return super().from_client(types.Position(line, position.character))

    def to_client(self, position: Position) -> types.Position:
        span = self.span
        if position.line < span.start:
            return types.Position(0, 0)
        if position.line >= span.end:
            last = span.end - 1
            position = Position(last, len(self._line(last)))
        found = super().to_client(position)
        return types.Position(found.line - span.start, found.character)


class Notebooks:
    """The open notebooks and, for each cell URI, the notebook it belongs to."""

    def __init__(self) -> None:
        self.notebooks: dict[str, OpenNotebook] = {}
        self._owner: dict[str, str] = {}  # cell URI -> notebook URI

    # -- synchronisation -------------------------------------------------------------------------

    def open(self, session: Session, params: types.DidOpenNotebookDocumentParams) -> None:
        """Register the notebook and its cells, and open its virtual script in the session."""
        document = params.notebook_document
        texts = {item.uri: item for item in params.cell_text_documents}
        cells = {}
        for cell in document.cells:
            item = texts.get(cell.document)
            text, language, version = (item.text, item.language_id, item.version) if item else ("", "", 0)
            cells[cell.document] = CellText(cell.kind, language, text, version)
        notebook = OpenNotebook(document.uri, document.version, [c.document for c in document.cells], cells)
        notebook.rebuild()
        self.notebooks[document.uri] = notebook
        self._owner.update((uri, document.uri) for uri in notebook.order)
        session.open(document.uri, notebook.script.text, document.version)

    def change(
        self, session: Session, params: types.DidChangeNotebookDocumentParams, encoding: str | None
    ) -> list[str]:
        """Apply structure, data and text changes to the cells in that order (as LSP orders them), then
        give the session the new virtual script. Returns the cells that left the notebook."""
        notebook = self.notebooks.get(params.notebook_document.uri)
        if notebook is None:
            return []
        notebook.version = params.notebook_document.version
        changes = params.change.cells
        removed: list[str] = []
        in_place: list[TextChange] | None = None  # the edit as changes of the virtual script, when it is one
        if changes is not None:
            if changes.structure is not None:
                removed = self._restructure(notebook, changes.structure)
            for data in changes.data or ():
                if data.document in notebook.cells:
                    notebook.cells[data.document].kind = data.kind
            simple = changes.structure is None and not changes.data and len(changes.text_content or ()) == 1
            for content in changes.text_content or ():
                cell = notebook.cells.get(content.document.uri)
                if cell is not None:
                    edits = client_changes(cell.text, content.changes, encoding)
                    old, cell.text = cell.text, apply_changes(cell.text, edits)
                    cell.version = content.document.version
                    span = notebook.script.span_of(content.document.uri)
                    if simple and span is not None and _inside(edits, span) and _plain(old) and _plain(cell.text):
                        in_place = [_shifted(edits[0], span.start)]
        notebook.rebuild()
        session.change(notebook.uri, in_place or [TextChange(notebook.script.text)], notebook.version)
        return removed

    def _restructure(self, notebook: OpenNotebook, structure: types.NotebookDocumentCellChangeStructure) -> list[str]:
        array = structure.array
        gone = notebook.order[array.start : array.start + array.delete_count]
        notebook.order[array.start : array.start + array.delete_count] = [c.document for c in array.cells or ()]
        kinds = {c.document: c.kind for c in array.cells or ()}
        for item in structure.did_open or ():
            kind = kinds.get(item.uri, types.NotebookCellKind.Code)
            notebook.cells[item.uri] = CellText(kind, item.language_id, item.text, item.version)
            self._owner[item.uri] = notebook.uri
        for uri, kind in kinds.items():  # a moved cell is deleted and inserted again, keeping its text
            if uri in notebook.cells:
                notebook.cells[uri].kind = kind
        closed = {c.uri for c in structure.did_close or ()}
        removed = [uri for uri in gone if uri not in notebook.order] + [
            uri for uri in closed if uri not in gone and uri not in notebook.order
        ]
        for uri in removed:
            notebook.cells.pop(uri, None)
            self._owner.pop(uri, None)
        return removed

    def close(self, session: Session, params: types.DidCloseNotebookDocumentParams) -> list[str]:
        """Forget the notebook and close its document in the session; returns its cells."""
        notebook = self.notebooks.pop(params.notebook_document.uri, None)
        if notebook is None:
            return []
        for uri in notebook.order:
            self._owner.pop(uri, None)
        session.close(notebook.uri)
        return list(notebook.order)

    # -- requests in a cell ----------------------------------------------------------------------

    def document_uri(self, uri: str) -> str:
        """The session document a text document's requests go to: its notebook's, for a cell."""
        return self._owner.get(uri, uri)

    def _span(self, uri: str) -> tuple[OpenNotebook, CellSpan] | None:
        notebook = self.notebooks.get(self._owner.get(uri, ""))
        span = notebook.script.span_of(uri) if notebook is not None else None
        return (notebook, span) if notebook is not None and span is not None else None

    def positions(self, uri: str | None, lines: Sequence[str], encoding: str | None) -> Positions:
        """Position conversions for requests made in ``uri``: in its cell for a notebook cell."""
        found = self._span(uri) if uri is not None else None
        return Positions(lines, encoding) if found is None else CellPositions(lines, encoding, found[1])

    def version(self, uri: str, version: int) -> int:
        """The version edits for ``uri`` must carry: the cell's own, for a notebook cell."""
        found = self._span(uri)
        return version if found is None else found[0].cells[uri].version

    def in_cell(self, uri: str, line: int) -> bool:
        """Whether a request made in ``uri`` concerns the document's ``line``: any line, unless ``uri`` is a
        notebook cell; then the lines of that cell."""
        found = self._span(uri)
        return found is None or found[1].contains(line)

    def findings_in(self, uri: str, findings: Iterable[Finding]) -> list[Finding]:
        """The findings a request made in ``uri`` concerns (for a notebook cell: those starting in it)."""
        return [f for f in findings if self.in_cell(uri, f.range.start.line)]

    def sites_in(self, uri: str, sites: Iterable[CallSite]) -> list[CallSite]:
        """The call sites a request made in ``uri`` concerns (for a notebook cell: those starting in it)."""
        return [s for s in sites if self.in_cell(uri, s.range.start.line)]

    def location(self, location: types.Location | None) -> types.Location | None:
        """A location in a notebook's virtual script (its file, virtual lines) as a location in its cell."""
        if location is None:
            return None
        notebook = next((n for n in self.notebooks.values() if _same_file(n.uri, location.uri)), None)
        if notebook is None:
            return location
        span = notebook.script.span_at(location.range.start.line)
        if span is None:
            return location
        shift = span.start
        start, end = location.range.start, location.range.end
        end_line = min(end.line - shift, span.lines - 1)
        moved = types.Range(
            types.Position(start.line - shift, start.character), types.Position(end_line, end.character)
        )
        return types.Location(span.key, moved)

    # -- diagnostics -----------------------------------------------------------------------------

    def per_cell(
        self, params: types.PublishDiagnosticsParams, encoding: str | None
    ) -> list[types.PublishDiagnosticsParams]:
        """A notebook's diagnostics (virtual-script ranges) as one publication per cell; others as they are."""
        notebook = self.notebooks.get(params.uri)
        if notebook is None:
            return [params]
        script = notebook.script
        by_cell: dict[str, list[types.Diagnostic]] = {uri: [] for uri in notebook.order}
        for diagnostic in params.diagnostics:
            span = script.span_at(diagnostic.range.start.line)
            if span is not None:
                positions = CellPositions(script.text_lines, encoding, span)
                by_cell[span.key].append(_moved(diagnostic, positions, self))
        return [
            types.PublishDiagnosticsParams(uri=uri, diagnostics=shown, version=notebook.cells[uri].version)
            for uri, shown in by_cell.items()
            if uri in notebook.cells
        ]


def _moved(diagnostic: types.Diagnostic, positions: CellPositions, notebooks: Notebooks) -> types.Diagnostic:
    """The diagnostic with its range in its cell, and related places in the notebook moved to their cells."""
    shift = positions.span.start
    start, end = diagnostic.range.start, diagnostic.range.end
    moved_end = types.Position(end.line - shift, end.character)
    if end.line >= positions.span.end:
        moved_end = positions.to_client(Position(end.line, 0))
    related = diagnostic.related_information
    if related:
        related = [
            types.DiagnosticRelatedInformation(notebooks.location(r.location) or r.location, r.message) for r in related
        ]
    return types.Diagnostic(
        range=types.Range(types.Position(start.line - shift, start.character), moved_end),
        message=diagnostic.message,
        severity=diagnostic.severity,
        code=diagnostic.code,
        source=diagnostic.source,
        related_information=related,
        data=diagnostic.data,
    )


def _same_file(notebook_uri: str, uri: str) -> bool:
    return notebook_uri.startswith("file:") and uri.startswith("file:") and path_of(notebook_uri) == path_of(uri)

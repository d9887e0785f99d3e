"""Document sync: text documents and notebooks opened, changed, saved and closed, handed to the session."""

from __future__ import annotations

from lsprotocol import types

from fxlens.lsp.app import FxlensServer, server
from fxlens.lsp.positions import client_changes


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: FxlensServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.require_session().open(item.uri, item.text, item.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: FxlensServer, params: types.DidChangeTextDocumentParams) -> None:
    session = ls.require_session()
    latest = session.docs.latest(params.text_document.uri)
    if latest is None:
        return
    changes = client_changes(latest.text, params.content_changes, ls.workspace.position_encoding)
    session.change(params.text_document.uri, changes, params.text_document.version)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: FxlensServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.require_session().schedule(params.text_document.uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: FxlensServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.require_session().close(params.text_document.uri)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_did_open(ls: FxlensServer, params: types.DidOpenNotebookDocumentParams) -> None:
    ls.notebooks.open(ls.require_session(), params)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
def notebook_did_change(ls: FxlensServer, params: types.DidChangeNotebookDocumentParams) -> None:
    removed = ls.notebooks.change(ls.require_session(), params, ls.workspace.position_encoding)
    for uri in removed:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
def notebook_did_close(ls: FxlensServer, params: types.DidCloseNotebookDocumentParams) -> None:
    for uri in ls.notebooks.close(ls.require_session(), params):
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

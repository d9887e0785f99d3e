"""The language server object: ``FxlensServer`` (a pygls server holding one ``Session``) and the
one instance every handler module registers its features on."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

import fxlens
from fxlens.lsp import (
    notebooks,
)
from fxlens.lsp.capabilities import client_capability
from fxlens.lsp.positions import Positions
from fxlens.lsp.protocol import FxlensProtocol
from fxlens.lsp.session import Session
from fxlens.worker.spawn import Started
from fxlens.workspace.parse import ParsedDocument

HOVER_WAIT = 1.0  # seconds a hover may wait for a trace in flight (completion never waits)


class FxlensServer(LanguageServer):
    """A pygls server holding one ``Session``."""

    session: Session | None = None
    standby: Started | None = None  # a worker started with the process, until the session takes it
    protocol: FxlensProtocol

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notebooks = notebooks.Notebooks()

    def require_session(self) -> Session:
        if self.session is None:
            raise RuntimeError("the server is not initialized")
        return self.session

    def take_standby(self) -> Started | None:
        """The worker started with the process, handed out once."""
        standby, self.standby = self.standby, None
        return standby

    def capability(self, *path: str) -> Any:
        """A nested client capability, or None where the client left out a level."""
        return client_capability(self.client_capabilities, *path)

    def positions(self, doc: ParsedDocument, uri: str | None = None) -> Positions:
        """Position conversions for ``doc``'s text in the encoding negotiated with the client; for a
        request made in notebook cell ``uri``, positions in that cell."""
        return self.notebooks.positions(uri, doc.lines.lines, self.workspace.position_encoding)

    def document_uri(self, uri: str) -> str:
        """The session document a request in ``uri`` is about: a notebook cell's is its notebook's."""
        return self.notebooks.document_uri(uri)

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        """Publish; a notebook's diagnostics go out once per cell."""
        for each in self.notebooks.per_cell(params, self.workspace.position_encoding):
            super().text_document_publish_diagnostics(each)


server = FxlensServer("fxlens", fxlens.__version__, protocol_cls=FxlensProtocol, notebook_document_sync=notebooks.SYNC)


def param(value: Any, key: str) -> Any:
    """A field of custom-request params or of item data, which arrive as objects or as dicts; a
    missing one is the client's error (-32602), said plainly."""
    try:
        found = value[key] if isinstance(value, dict) else getattr(value, key)
    except (KeyError, AttributeError, TypeError):
        found = None
    if found is None:
        raise JsonRpcInvalidParams(f"the params have no `{key}`")
    return found

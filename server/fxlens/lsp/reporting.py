"""The session's ``Hooks`` for a real client: diagnostics, the status notification, work-done progress.

Status notifications reach the client only when they change; progress is shown only to a client
that declared it, and a client slow to create the progress token never holds a trace's result.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from fxlens.lint import Finding
from fxlens.lsp import diagnostics
from fxlens.lsp.capabilities import client_capability
from fxlens.lsp.positions import Positions
from fxlens.lsp.session import Hooks, Session
from fxlens.state import ModelState

CLIENT_ANSWER_WAIT = 10.0  # seconds the server waits for the client to answer one of its requests
PROGRESS_AFTER = 0.05  # a trace shorter than this shows no progress


class ClientReporter:
    """Publishes a session's results to the client of ``server``."""

    def __init__(self, server: LanguageServer, session: Session | None = None) -> None:
        self.server = server
        self.session = session
        self._last_status: tuple[str, str] | None = None

    def hooks(self) -> Hooks:
        return Hooks(self.publish, self.status, self.tracing, self.traced)

    def traced(self) -> None:
        """Ask the client to fetch code lenses again (their node counts changed), if it can be asked."""
        if client_capability(self.server.client_capabilities, "workspace", "code_lens", "refresh_support"):
            self.server.workspace_code_lens_refresh(None)

    def publish(self, uri: str, version: int, findings: list[Finding]) -> None:
        """The findings of ``uri`` as diagnostics, with the configured severities."""
        session = self.session
        if session is None or uri not in session.documents:
            return
        positions = Positions(session.documents[uri].lines.lines, self.server.workspace.position_encoding)
        shown = [
            diagnostics.to_diagnostic(f, positions.range_to_client)
            for f in diagnostics.configured(findings, session.settings.rules)
        ]
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=shown)
        )

    def status(self, state: str, message: str) -> None:
        """The ``fxlens/status`` notification, sent only when it changes."""
        if self._last_status != (state, message):
            self._last_status = (state, message)
            self.server.protocol.notify("fxlens/status", {"state": state, "message": message})

    async def tracing(self, title: str, trace: Awaitable[ModelState]) -> ModelState:
        """``trace``'s result, shown as work-done progress (and status) while it takes long."""
        task = asyncio.ensure_future(trace)
        done, _ = await asyncio.wait([task], timeout=PROGRESS_AFTER)
        if done:
            return task.result()
        self.status("tracing", title)
        if not client_capability(self.server.client_capabilities, "window", "work_done_progress"):
            return await task  # the client cannot show server-initiated progress
        token = str(uuid.uuid4())
        created = asyncio.ensure_future(self.server.work_done_progress.create_async(token))
        await asyncio.wait([created, task], timeout=CLIENT_ANSWER_WAIT, return_when=asyncio.FIRST_COMPLETED)
        if not created.done() or created.cancelled() or created.exception() is not None:
            created.cancel()  # a client that is slow to answer (or refuses) still gets the result
            return await task
        self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=False))
        try:
            return await task
        finally:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd())

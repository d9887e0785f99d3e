"""The server's composition root: every handler module registered on the one server, and ``run``.

The process never imports torch: models are traced by the worker the session supervises.
"""

from __future__ import annotations

import logging

from fxlens.lsp import document_handlers, feature_handlers, lifecycle_handlers  # noqa: F401 - they register
from fxlens.lsp.app import server
from fxlens.lsp.transport import serve_stdio, serve_tcp
from fxlens.worker.spawn import Started


def run(tcp: tuple[str, int] | None = None, log_messages: bool = False, standby: Started | None = None) -> None:
    """Serve LSP on stdio, or on TCP at ``(host, port)``; ``log_messages`` logs every message to stderr;
    ``standby``, a worker started with the process, serves the session if its settings allow.

    pygls logs each message at INFO; left on, a client that does not drain the server's stderr
    (pygls' own client, for one) fills the pipe and blocks the server.
    """
    logging.basicConfig(
        level=logging.INFO if log_messages else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("fxlens").setLevel(logging.INFO)
    server.standby = standby
    if tcp is None:
        serve_stdio(server, on_close=_end_session)
    else:
        serve_tcp(server, *tcp)


async def _end_session() -> None:
    """When the connection ends, however it ends: stop the worker and what it started."""
    if server.session is not None:
        await server.session.stop()
    elif (standby := server.take_standby()) is not None:  # no client initialized a session
        standby.discard()

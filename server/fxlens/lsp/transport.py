"""LSP's framing read robustly: headers in any case and spacing, a size limit, resynchronisation.

pygls' reader accepts only ``Content-Length: N`` exactly: a header in lower case or without the
space loses that message and every later one, and a huge length is allocated before it is read
(``MemoryError`` ends the process). Here headers are parsed leniently, a body that is not JSON or
not UTF-8 is answered with a parse error and the next frame read, and a length over the limit is
logged and ends the connection cleanly — the stream cannot be trusted after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import NoReturn, Protocol

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer

from fxlens.lsp.protocol import FxlensProtocol

logger = logging.getLogger("fxlens.lsp")

CLOSE_WAIT = 10.0  # seconds ``on_close`` gets before the process ends anyway
MAX_MESSAGE_BYTES = 512 * 1024 * 1024  # far above any real document; a larger length is a broken stream
_CONTENT_LENGTH = re.compile(rb"^\s*content-length\s*:\s*(\d+)\s*$", re.IGNORECASE)
_HEADER = re.compile(rb"^\s*[A-Za-z][\w-]*\s*:")


class Reader(Protocol):
    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


class FrameError(Exception):
    """The stream cannot be read any further (its framing is broken beyond recovery)."""


async def read_frame(reader: Reader) -> bytes | None:
    """The next message body, or None at end of input; lines that are not headers are skipped."""
    length: int | None = None
    while True:
        line = await reader.readline()
        if not line:
            return None
        if not line.strip():
            if length is not None:
                break
            continue  # a blank line before any header: resynchronising after garbage
        if match := _CONTENT_LENGTH.match(line):
            length = int(match.group(1))
        elif not _HEADER.match(line):
            logger.warning("skipped a line that is not an LSP header: %r", line[:80])
    if length > MAX_MESSAGE_BYTES:
        raise FrameError(f"Content-Length {length} is over the limit of {MAX_MESSAGE_BYTES} bytes")
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError as error:
        return error.partial or None


async def serve(reader: Reader, protocol: FxlensProtocol, stop: threading.Event) -> None:
    """Hand every framed message to ``protocol`` until end of input, ``stop`` or broken framing."""
    while not stop.is_set():
        try:
            body = await read_frame(reader)
        except FrameError as error:
            logger.error("closing the connection: %s", error)
            protocol.reject_unparsable(ValueError(str(error)))
            return
        if body is None:
            return
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            protocol.reject_unparsable(error)
            continue
        except JsonRpcException as error:  # a notification whose params pygls cannot read: said, and dropped
            logger.warning("dropped a message that cannot be read: %s", error)
            protocol._server.report_server_error(error, JsonRpcException)
            continue
        try:
            protocol.handle_message(message)
        except Exception:  # one message must not end the server
            logger.exception("handling a message failed")


def serve_stdio(server: LanguageServer, on_close: Callable[[], Awaitable[None]] | None = None) -> NoReturn:
    """Serve on stdin/stdout until ``exit``, end of input or broken framing, then run ``on_close``
    (end the worker) and exit — with ``exit``'s code: 0 after ``shutdown``, 1 without.

    The process ends with ``os._exit``: the thread reading stdin may be blocked in a read that
    never returns, and an ordinary exit would wait for it forever.
    """
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    reader = StdinAsyncReader(sys.stdin.buffer, server.thread_pool)

    async def main() -> None:
        try:
            await serve(reader, server.protocol, stop)
        finally:
            if on_close is not None:
                await asyncio.wait_for(on_close(), CLOSE_WAIT)

    code: int | str | None = 0
    try:
        asyncio.run(main())
    except BrokenPipeError:
        logger.error("the client closed the connection")
    except SystemExit as exit_:  # the exit notification
        code = exit_.code
    except TimeoutError:
        logger.error("ending the worker took over %s s", CLOSE_WAIT)
    stop.set()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the exit notification closed stdout already
            pass
    os._exit(code if isinstance(code, int) else int(code is not None))


def serve_tcp(server: LanguageServer, host: str, port: int) -> None:
    """Serve one client at a time on TCP ``host:port``."""
    server._stop_event = stop = threading.Event()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.protocol.set_writer(writer)  # type: ignore[arg-type]
        await serve(reader, server.protocol, stop)
        server.shutdown()

    async def listen() -> None:
        server._server = await asyncio.start_server(connection, host, port)
        async with server._server:
            await server._server.serve_forever()

    try:
        asyncio.run(listen())
    except asyncio.CancelledError:
        pass

"""The LSP lifecycle and framing, spoken by hand: every request gets an answer, the stream never goes deaf."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from raw_rpc import initialize, send, send_body, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

HOVER = {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}}


@pytest_asyncio.fixture
async def process(tmp_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """A server speaking on stdio, not yet initialized."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxlens", "serve", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    server.root = tmp_path  # type: ignore[attr-defined]
    yield server
    if server.returncode is None:
        server.kill()
    await server.wait()


async def initialized(process: asyncio.subprocess.Process) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = process.stdout, process.stdin
    assert reader is not None and writer is not None
    send(writer, initialize(process.root.as_uri()))  # type: ignore[attr-defined]
    await until(reader, lambda m: m.get("id") == "init")
    send(writer, {"method": "initialized", "params": {}})
    return reader, writer


async def answer(reader: asyncio.StreamReader, request_id: object) -> dict:
    return await until(reader, lambda m: m.get("id") == request_id and "method" not in m)


async def test_a_request_before_initialize_gets_server_not_initialized(process) -> None:
    reader, writer = process.stdout, process.stdin
    send(writer, {"id": 1, "method": "textDocument/hover", "params": HOVER})
    error = (await answer(reader, 1))["error"]
    assert error == {"code": -32002, "message": "textDocument/hover before initialize"}
    send(writer, initialize(process.root.as_uri()))
    assert "capabilities" in (await answer(reader, "init"))["result"]


async def test_a_second_initialize_is_refused_and_the_first_session_goes_on(process) -> None:
    reader, writer = await initialized(process)
    send(writer, {**initialize(process.root.as_uri()), "id": 2})
    assert (await answer(reader, 2))["error"] == {"code": -32600, "message": "initialize was already received"}
    send(writer, {"id": 3, "method": "textDocument/hover", "params": HOVER})
    assert (await answer(reader, 3))["result"] is None


async def test_after_shutdown_every_request_gets_an_error_and_exit_ends_with_0(process) -> None:
    reader, writer = await initialized(process)
    send(writer, {"id": 2, "method": "shutdown"})
    assert (await answer(reader, 2))["result"] is None
    send(writer, {"id": 3, "method": "textDocument/hover", "params": HOVER})
    assert (await answer(reader, 3))["error"]["code"] == -32600
    send(writer, {"id": 4, "method": "shutdown"})
    assert (await answer(reader, 4))["error"] == {
        "code": -32600,
        "message": "the server is shut down: shutdown is refused",
    }
    send(writer, {"method": "exit"})
    assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_exit_without_shutdown_ends_with_1(process) -> None:
    await initialized(process)
    send(process.stdin, {"method": "exit"})
    assert await asyncio.wait_for(process.wait(), 30) == 1


async def test_invalid_utf8_in_a_body_gets_a_parse_error_and_the_next_request_an_answer(process) -> None:
    reader, writer = await initialized(process)
    send_body(writer, b'{"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": "\xff\xfe"}')
    error = await until(reader, lambda m: "error" in m and m.get("id") is None)
    assert error["error"]["code"] == -32700
    send(writer, {"id": 3, "method": "textDocument/hover", "params": HOVER})
    assert (await answer(reader, 3))["result"] is None


@pytest.mark.parametrize(
    "header",
    [b"content-length: %d\r\n\r\n", b"Content-Length:%d\r\n\r\n", b"CONTENT-LENGTH :  %d\r\nContent-Type: x\r\n\r\n"],
    ids=["lower-case", "no-space", "upper-case-and-content-type"],
)
async def test_headers_in_any_case_or_spacing_are_read(process, header: bytes) -> None:
    reader, writer = await initialized(process)
    body = b'{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}'
    writer.write(header % len(body) + body)
    assert (await answer(reader, 2))["result"] is None


async def test_garbage_between_messages_is_skipped(process) -> None:
    reader, writer = await initialized(process)
    writer.write(b"this is not a header\r\n\r\n")
    send(writer, {"id": 2, "method": "shutdown"})
    assert (await answer(reader, 2))["result"] is None


async def test_a_huge_content_length_closes_the_connection_with_a_log_line(process) -> None:
    reader, writer = await initialized(process)
    writer.write(b"Content-Length: 99999999999999\r\n\r\n{}")
    error = await until(reader, lambda m: "error" in m and m.get("id") is None)
    assert error["error"]["code"] == -32700 and "over the limit" in error["error"]["message"]
    await asyncio.wait_for(process.wait(), 30)
    stderr = (await process.stderr.read()).decode()
    assert "closing the connection: Content-Length 99999999999999 is over the limit" in stderr
    assert "MemoryError" not in stderr and "Traceback" not in stderr


async def test_malformed_resolve_data_and_show_nodes_without_a_position_get_invalid_params(process) -> None:
    reader, writer = await initialized(process)
    send(writer, {"id": 2, "method": "completionItem/resolve", "params": {"label": "x", "data": {"table": 3}}})
    assert (await answer(reader, 2))["error"] == {
        "code": -32602,
        "message": "completionItem/resolve: `data.table` is not a string",
    }
    send(writer, {"id": 3, "method": "fxlens/showNodes", "params": {"textDocument": {"uri": "file:///x.py"}}})
    assert (await answer(reader, 3))["error"] == {"code": -32602, "message": "the params have no `position`"}
    send(writer, {"id": 4, "method": "shutdown"})
    assert (await answer(reader, 4))["result"] is None
    send(writer, {"method": "exit"})
    await asyncio.wait_for(process.wait(), 30)
    assert "Traceback" not in (await process.stderr.read()).decode()

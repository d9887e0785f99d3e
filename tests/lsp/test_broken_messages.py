"""Broken LSP messages get JSON-RPC errors that say what is wrong, and the server keeps serving."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from raw_rpc import initialize, send, send_body, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A server of this test's own, initialized, spoken to over its stdin and stdout."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxlens", "serve", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    send(process.stdin, initialize(tmp_path.as_uri()))
    await until(process.stdout, lambda m: m.get("id") == "init", what="the answer to initialize")
    send(process.stdin, {"method": "initialized", "params": {}})
    yield process.stdout, process.stdin
    if process.returncode is None:
        process.kill()
    await process.wait()


async def shutdown_is_answered(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The server still serves: a ``shutdown`` request gets its (null) result."""
    send(writer, {"id": 3, "method": "shutdown"})
    answer = await until(reader, lambda m: m.get("id") == 3, what="the answer to shutdown")
    assert answer == {"jsonrpc": "2.0", "id": 3, "result": None}


async def test_a_body_that_is_not_json_gets_a_parse_error_and_the_next_request_an_answer(server) -> None:
    reader, writer = server
    send_body(writer, b'{"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {')
    error = await until(reader, lambda m: "error" in m, what="a parse error")
    assert error["id"] is None and error["error"]["code"] == -32700 and "not JSON" in error["error"]["message"]
    assert error == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32700,
            "message": "the message is not JSON:"
            " Expecting property name enclosed in double quotes: line 1 column 72 (char 71)",
        },
    }
    await shutdown_is_answered(reader, writer)


async def test_a_request_with_wrong_params_gets_an_invalid_params_error_naming_the_field(server) -> None:
    reader, writer = server
    send(writer, {"id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///x.py"}}})
    error = await until(reader, lambda m: m.get("id") == 2, what="the answer to the hover")
    assert error["error"]["code"] == -32602
    assert "textDocument/hover" in error["error"]["message"] and "$.params.position" in error["error"]["message"]
    assert error == {
        "jsonrpc": "2.0",
        "id": 2,
        "error": {
            "code": -32602,
            "message": "cannot read the textDocument/hover request: required field missing @ $.params.position",
        },
    }
    hover = {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}}
    send(writer, {"id": 3, "method": "textDocument/hover", "params": hover})
    answer = await until(reader, lambda m: m.get("id") == 3, what="the answer to a good hover")
    assert answer == {"jsonrpc": "2.0", "id": 3, "result": None}


async def test_a_notification_with_wrong_params_is_reported_and_dropped(server) -> None:
    reader, writer = server
    send(writer, {"method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///x.py"}}})
    shown = await until(reader, lambda m: m.get("method") == "window/showMessage", what="a window/showMessage")
    assert shown["params"]["type"] == 1
    await shutdown_is_answered(reader, writer)

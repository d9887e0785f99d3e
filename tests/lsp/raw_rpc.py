"""JSON-RPC framing by hand, for tests that speak to the server below any LSP client library."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from waiting import gave_up


def send(writer: asyncio.StreamWriter, message: dict) -> None:
    """Frame and write one message (``jsonrpc`` added)."""
    send_body(writer, json.dumps({"jsonrpc": "2.0", **message}).encode())


def send_body(writer: asyncio.StreamWriter, body: bytes) -> None:
    """Write ``body`` with a correct Content-Length header, whatever it contains."""
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def receive(reader: asyncio.StreamReader) -> dict:
    headers = (await reader.readuntil(b"\r\n\r\n")).decode()
    length = next(
        int(line.split(":")[1]) for line in headers.split("\r\n") if line.lower().startswith("content-length")
    )
    return json.loads(await reader.readexactly(length))


async def until(
    reader: asyncio.StreamReader,
    accept: Callable[[dict], bool],
    timeout: float = 60,
    *,
    what: str = "a message the test accepts",
) -> dict:
    """The first message ``accept`` takes (earlier ones are dropped); fails after ``timeout`` seconds,
    or when the server closes the stream, naming ``what`` and the last message read."""
    last: dict | None = None

    async def wait() -> dict:
        nonlocal last
        while not accept(message := await receive(reader)):
            last = message
        return message

    try:
        return await asyncio.wait_for(wait(), timeout)
    except TimeoutError:
        gave_up(what, f"not within {timeout:g} s", f"last message read: {last!r}")
    except asyncio.IncompleteReadError:
        gave_up(what, "the server closed its output", f"last message read: {last!r}")


def initialize(root_uri: str) -> dict:
    return {
        "id": "init",
        "method": "initialize",
        "params": {"processId": None, "rootUri": root_uri, "capabilities": {}},
    }

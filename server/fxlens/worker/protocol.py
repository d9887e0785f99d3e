"""The worker channel: length-prefixed JSON frames on a pair of dedicated pipes.

The channel is not the worker's stdout or stderr: those carry whatever user code prints and are
forwarded to the server's log, so no ``print`` can corrupt a message. A frame is a 4-byte
big-endian length followed by that many bytes of UTF-8 JSON (an object with a ``"type"`` key).

Worker → supervisor: ``hello`` (versions, sent before torch is imported), then ``ready`` or
``fatal`` (torch cannot be imported: ``problem``); per request ``phase`` (``import``, ``build``,
``trace``) and one ``result`` (``table`` or ``problem``). Supervisor → worker: ``table``
(``id``, ``spec``, ``overlays``, ``timeout``: seconds after which the worker prints its stack and
exits with code 1) and ``exit``.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
from typing import Any

PROTOCOL_VERSION = 1
MAX_FRAME = 1 << 30  # a larger length means the stream is not a frame stream: fail loudly

Message = dict[str, Any]

_HEADER = struct.Struct(">I")


class ProtocolError(Exception):
    """The channel carried something that is not a frame."""


def encode(message: Message) -> bytes:
    """One frame: the length header and the JSON body."""
    body = json.dumps(message, separators=(",", ":")).encode()
    return _HEADER.pack(len(body)) + body


def _decode(body: bytes) -> Message:
    try:
        message = json.loads(body)
    except ValueError as error:  # not UTF-8, or not JSON
        raise ProtocolError(f"not JSON: {body[:80]!r}") from error
    if not isinstance(message, dict) or "type" not in message:
        raise ProtocolError(f"not a message: {body[:80]!r}")
    return message


def _length(header: bytes) -> int:
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ProtocolError(f"a frame of {length} bytes announced")
    return length


def write_message(fd: int, message: Message) -> None:
    """Write one frame to a file descriptor, completely (blocking; the worker side)."""
    data = memoryview(encode(message))
    while data:
        data = data[os.write(fd, data) :]


def read_message(fd: int) -> Message | None:
    """Read one frame from a file descriptor (blocking; the worker side); None at end of stream."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exactly(fd, _length(header))
    if body is None:
        raise ProtocolError("end of stream inside a frame")
    return _decode(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            if chunks:
                raise ProtocolError("end of stream inside a frame")
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


async def receive(reader: asyncio.StreamReader) -> Message:
    """Read one frame (the supervisor side); ``asyncio.IncompleteReadError`` at end of stream."""
    header = await reader.readexactly(_HEADER.size)
    return _decode(await reader.readexactly(_length(header)))

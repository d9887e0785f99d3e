"""`fxlens serve --tcp HOST:PORT`: the same server over a socket, spoken to as raw JSON-RPC."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest
from fxlens.lint.docs import rule_doc_uri
from raw_rpc import initialize, send, until
from waiting import gave_up

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(180)]
pytest.importorskip("torchvision", reason="the document traces resnet18")

SCRIPT = """from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

extractor = create_feature_extractor(resnet18(), return_nodes=["layer9"])
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _connect(port: int, server: asyncio.subprocess.Process) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect once the server listens: it says so only by accepting, so refused attempts are retried
    (every 0.1 s, for up to 60 s) while the server process lives."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError as error:
            if server.returncode is not None:
                gave_up(f"a connection on port {port}", f"the server exited with {server.returncode}")
            if loop.time() > deadline:
                gave_up(f"a connection on port {port}", "not within 60 s", f"last attempt: {error}")
            await asyncio.sleep(0.1)


async def test_serve_over_tcp_initializes_publishes_diagnostics_and_shuts_down(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxlens", "serve", "--tcp", f"127.0.0.1:{port}", env=env
    )
    try:
        reader, writer = await _connect(port, server)
        send(writer, initialize(tmp_path.as_uri()))
        initialized = await until(reader, lambda m: m.get("id") == "init", what="the answer to initialize")
        assert initialized["result"]["capabilities"]["completionProvider"]["triggerCharacters"] == ['"', "'", "."]
        send(writer, {"method": "initialized", "params": {}})
        uri = (tmp_path / "extract.py").as_uri()
        document = {"uri": uri, "languageId": "python", "version": 1, "text": SCRIPT}
        send(writer, {"method": "textDocument/didOpen", "params": {"textDocument": document}})
        published = await until(
            reader,
            lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["diagnostics"],
            120,
            what="diagnostics of the traced model",
        )
        (unknown,) = published["params"]["diagnostics"]
        assert unknown["code"] == "FXL001" and "`layer9` is not a node of ResNet" in unknown["message"]
        line = SCRIPT.splitlines().index('extractor = create_feature_extractor(resnet18(), return_nodes=["layer9"])')
        column = SCRIPT.splitlines()[line].index("layer9")
        assert published["params"] == {
            "uri": uri,
            "version": 1,
            "diagnostics": [
                {
                    "range": {
                        "start": {"line": line, "character": column},
                        "end": {"line": line, "character": column + len("layer9")},
                    },
                    "message": "`layer9` is not a node of ResNet; did you mean `layer4`, `layer3`, `layer2`?",
                    "severity": 1,
                    "code": "FXL001",
                    "codeDescription": {"href": rule_doc_uri("FXL001")},
                    "source": "fxlens",
                    "data": {"name": "unknown-node"},
                }
            ],
        }
        send(writer, {"id": 2, "method": "shutdown"})
        await until(reader, lambda m: m.get("id") == 2, what="the answer to shutdown")
        send(writer, {"method": "exit"})
        await writer.drain()
        assert await asyncio.wait_for(server.wait(), 30) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()

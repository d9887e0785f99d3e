"""`fxlens serve --tcp HOST:PORT`: the same server over a socket, spoken to as raw JSON-RPC."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from raw_rpc import initialize, send, until

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


async def _connect(port: int, server: subprocess.Popen) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_serve_over_tcp_initializes_publishes_diagnostics_and_shuts_down(tmp_path: Path) -> None:
    (tmp_path / "extract.py").write_text(SCRIPT)
    port = _free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    server = subprocess.Popen([sys.executable, "-m", "fxlens", "serve", "--tcp", f"127.0.0.1:{port}"], env=env)
    try:
        reader, writer = await _connect(port, server)
        send(writer, initialize(tmp_path.as_uri()))
        initialized = await until(reader, lambda m: m.get("id") == "init")
        assert initialized["result"]["capabilities"]["completionProvider"]["triggerCharacters"] == ['"', "'", "."]
        send(writer, {"method": "initialized", "params": {}})
        uri = (tmp_path / "extract.py").as_uri()
        document = {"uri": uri, "languageId": "python", "version": 1, "text": SCRIPT}
        send(writer, {"method": "textDocument/didOpen", "params": {"textDocument": document}})
        published = await until(
            reader, lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["diagnostics"], 120
        )
        (unknown,) = published["params"]["diagnostics"]
        assert unknown["code"] == "FXL001" and "`layer9` is not a node of ResNet" in unknown["message"]
        send(writer, {"id": 2, "method": "shutdown"})
        await until(reader, lambda m: m.get("id") == 2)
        send(writer, {"method": "exit"})
        await writer.drain()
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

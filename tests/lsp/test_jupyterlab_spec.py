"""The jupyterlab-lsp server spec the README documents (``examples/jupyter_server_config.json``):
its command line, run as jupyter-lsp runs it, starts fxlens and answers ``initialize`` over stdio."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from raw_rpc import initialize, send, until

REPO = Path(__file__).resolve().parents[2]
SPEC_FILE = REPO / "examples" / "jupyter_server_config.json"


def fxlens_spec() -> dict:
    return json.loads(SPEC_FILE.read_text())["LanguageServerManager"]["language_servers"]["fxlens"]


def test_the_spec_is_a_version_2_python_spec_and_the_readme_shows_it() -> None:
    spec = fxlens_spec()
    assert spec["version"] == 2 and spec["languages"] == ["python"] and spec["argv"][1:] == ["serve", "--stdio"]
    assert SPEC_FILE.read_text().strip() in (REPO / "README.md").read_text()


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_the_specs_command_line_answers_initialize_over_stdio(tmp_path: Path) -> None:
    argv = fxlens_spec()["argv"]
    program = shutil.which(argv[0])
    if program is None:
        pytest.skip(f"`{argv[0]}` is not on PATH (install fxlens to get its console script)")
    server = await asyncio.create_subprocess_exec(
        program, *argv[1:], cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None
    try:
        send(server.stdin, initialize(tmp_path.as_uri()))
        answer = await until(server.stdout, lambda m: m.get("id") == "init", what="the answer to initialize")
        assert answer["result"]["serverInfo"]["name"] == "fxlens"
        capabilities = answer["result"]["capabilities"]
        assert '"' in capabilities["completionProvider"]["triggerCharacters"] and capabilities["hoverProvider"]
        send(server.stdin, {"id": "bye", "method": "shutdown"})
        await until(server.stdout, lambda m: m.get("id") == "bye", what="the answer to shutdown")
        send(server.stdin, {"method": "exit"})
        assert await asyncio.wait_for(server.wait(), 30) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()

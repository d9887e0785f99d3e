"""When the worker starts: at ``initialize`` when the client states that code may run (VS Code's
client does, in ``initializationOptions``), so ``import torch`` overlaps the rest of the client's
start; otherwise only after ``initialized`` and the settings pull, which may still forbid it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from raw_rpc import initialize, send, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """A server of this test's own on stdin/stdout, not yet initialized."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxlens", "serve", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    yield process
    if process.returncode is None:
        process.kill()
    await process.wait()


def workers_of(pid: int) -> list[int]:
    """The pids of ``python -m fxlens.worker`` processes whose parent is ``pid``."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            parent = next(line for line in status.read_text().splitlines() if line.startswith("PPid:"))
            command = (status.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, StopIteration):
            continue  # the process ended meanwhile
        if int(parent.split()[1]) == pid and b"fxlens.worker" in command:
            found.append(int(status.parent.name))
    return found


async def initialize_with(process: asyncio.subprocess.Process, root: Path, options: dict | None) -> None:
    assert process.stdin is not None and process.stdout is not None
    message = initialize(root.as_uri())
    if options is not None:
        message["params"]["initializationOptions"] = options
    send(process.stdin, message)
    await until(process.stdout, lambda m: m.get("id") == "init", what="the answer to initialize")


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="finds the worker through /proc")
async def test_a_client_stating_trust_gets_the_worker_started_at_initialize(server, tmp_path: Path) -> None:
    await initialize_with(server, tmp_path, {"executeCode": True})
    for _ in range(100):  # no `initialized` is sent: only initialize can have started it
        if workers_of(server.pid):
            break
        await asyncio.sleep(0.1)
    assert len(workers_of(server.pid)) == 1


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="finds the worker through /proc")
@pytest.mark.parametrize("options", [None, {}, {"executeCode": False}], ids=["no options", "silent", "untrusted"])
async def test_without_stated_trust_no_worker_runs_before_initialized(server, tmp_path: Path, options) -> None:
    await initialize_with(server, tmp_path, options)
    await asyncio.sleep(2.0)  # a worker started at initialize would be a child by now (it is spawned at once)
    assert workers_of(server.pid) == []
    assert server.stdin is not None
    send(server.stdin, {"method": "initialized", "params": {}})
    if options == {"executeCode": False}:
        return
    for _ in range(100):  # the settings pull gets no answer from this client: the defaults let code run
        if workers_of(server.pid):
            break
        await asyncio.sleep(0.1)
    assert len(workers_of(server.pid)) == 1

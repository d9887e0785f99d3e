"""When the worker starts: with the server process when ``FXLENS_WARM_WORKER=1`` (VS Code's client
sets it in a trusted workspace), so ``import torch`` overlaps the server's own imports; at
``initialize`` when the client states that code may run (in ``initializationOptions``); otherwise
only after ``initialized`` and the settings pull, which may still forbid it. A warm worker serves
the session only with the settings it was started for, and never outlives the server."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from raw_rpc import initialize, send, until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


needs_proc = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="finds the worker through /proc")

SCRIPT = """from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

extractor = create_feature_extractor(resnet18(), return_nodes=["layer9"])
"""


async def start_server(tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    """A server of this test's own on stdin/stdout, not yet initialized."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fxlens", "serve", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", **env},
    )  # fmt: skip


async def end(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await start_server(tmp_path)
    yield process
    await end(process)


@pytest_asyncio.fixture
async def warm_server(tmp_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await start_server(tmp_path, FXLENS_WARM_WORKER="1")
    yield process
    await end(process)


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


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie included: not yet reaped)."""
    return Path(f"/proc/{pid}").exists()


def command_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_text().split("\0")


def environment_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/environ").read_text().split("\0")


async def initialize_with(process: asyncio.subprocess.Process, root: Path, options: dict | None) -> None:
    assert process.stdin is not None and process.stdout is not None
    message = initialize(root.as_uri())
    if options is not None:
        message["params"]["initializationOptions"] = options
    send(process.stdin, message)
    await until(process.stdout, lambda m: m.get("id") == "init", what="the answer to initialize")


async def one_worker(server: asyncio.subprocess.Process, unlike: int | None = None) -> int:
    """The pid of the server's only worker (one other than ``unlike``), once there is one."""
    for _ in range(100):
        workers = workers_of(server.pid)
        if workers and workers != [unlike]:
            break
        await asyncio.sleep(0.1)
    (worker,) = workers_of(server.pid)
    assert worker != unlike
    return worker


async def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended and been reaped, within 10 s."""
    for _ in range(100):
        if not alive(pid):
            return True
        await asyncio.sleep(0.1)
    return False


@needs_proc
async def test_a_client_stating_trust_gets_the_worker_started_at_initialize(server, tmp_path: Path) -> None:
    await initialize_with(server, tmp_path, {"executeCode": True})
    for _ in range(100):  # no `initialized` is sent: only initialize can have started it
        if workers_of(server.pid):
            break
        await asyncio.sleep(0.1)
    assert len(workers_of(server.pid)) == 1


@needs_proc
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


@needs_proc
async def test_a_warm_worker_starts_with_the_server_and_traces_its_first_model(warm_server, tmp_path: Path) -> None:
    worker = await one_worker(warm_server)  # before the client has said anything
    assert not any(line.startswith("FXLENS_WARM_WORKER=") for line in environment_of(worker))
    await initialize_with(warm_server, tmp_path, {"executeCode": True})
    assert warm_server.stdin is not None and warm_server.stdout is not None
    send(warm_server.stdin, {"method": "initialized", "params": {}})
    document = {"uri": (tmp_path / "extract.py").as_uri(), "languageId": "python", "version": 1, "text": SCRIPT}
    send(warm_server.stdin, {"method": "textDocument/didOpen", "params": {"textDocument": document}})
    published = await until(
        warm_server.stdout,
        lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["diagnostics"],
        120,
        what="diagnostics of the traced model",
    )
    (unknown,) = published["params"]["diagnostics"]
    assert unknown["code"] == "FXL001" and "`layer9` is not a node of ResNet" in unknown["message"]
    assert workers_of(warm_server.pid) == [worker]


@needs_proc
@pytest.mark.parametrize("options", [{"executeCode": False}, None], ids=["untrusted", "untrusted after the pull"])
async def test_a_warm_worker_ends_when_the_client_says_no_code_may_run(warm_server, tmp_path: Path, options) -> None:
    worker = await one_worker(warm_server)
    await initialize_with(warm_server, tmp_path, options)
    if options is None:  # the client stays silent at initialize, and forbids code when settings change
        assert warm_server.stdin is not None
        settings = {"fxlens": {"executeCode": False}}
        send(warm_server.stdin, {"method": "workspace/didChangeConfiguration", "params": {"settings": settings}})
    assert await gone(worker)
    await asyncio.sleep(1.0)
    assert workers_of(warm_server.pid) == []


@needs_proc
async def test_a_warm_worker_gives_way_to_the_interpreter_the_settings_name(warm_server, tmp_path: Path) -> None:
    worker = await one_worker(warm_server)
    interpreter = tmp_path / "python"  # the same Python under another path: another interpreter to fxlens
    interpreter.symlink_to(sys.executable)
    await initialize_with(warm_server, tmp_path, {"executeCode": True, "interpreter": str(interpreter)})
    assert await gone(worker)
    replacement = await one_worker(warm_server, unlike=worker)
    assert command_of(replacement)[0] == str(interpreter)


@needs_proc
async def test_a_warm_worker_can_be_started_with_the_interpreter_the_settings_will_name(tmp_path: Path) -> None:
    interpreter = tmp_path / "python"
    interpreter.symlink_to(sys.executable)
    server = await start_server(tmp_path, FXLENS_WARM_WORKER=str(interpreter))
    try:
        worker = await one_worker(server)
        assert command_of(worker)[0] == str(interpreter)
        await initialize_with(server, tmp_path, {"executeCode": True, "interpreter": str(interpreter)})
        await asyncio.sleep(1.0)
        assert workers_of(server.pid) == [worker]
    finally:
        await end(server)


@needs_proc
async def test_a_warm_worker_ends_with_a_server_no_client_initialized(warm_server) -> None:
    worker = await one_worker(warm_server)
    assert warm_server.stdin is not None
    warm_server.stdin.close()  # the client went away before initialize
    assert await asyncio.wait_for(warm_server.wait(), 30) == 0
    assert await gone(worker)

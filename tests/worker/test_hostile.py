"""Hostile models: each gets the right kind of problem, and the supervisor serves the next request.

One supervisor (5 s timeout, the default 8 GiB memory cap) lives through all of them, as the
language server's does. After each hostile request, a model the worker has never seen must come
back as a node table: a fresh trace, not a cache hit.
"""

from __future__ import annotations

import asyncio
import itertools
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from fxlens.nodes import NodeTable, Problem
from fxlens.worker.cache import TableCache
from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.spec import InputSpec, ModelSpec
from worker_helpers import Log, Workspace

pytestmark = pytest.mark.asyncio(loop_scope="module")

PREAMBLE = """\
import ctypes
import os
import sys

import torch
from torch import nn

"""

HOSTILE = {
    "hang_in_init": """\
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        while True:
            pass
""",
    "hang_in_forward": """\
class Model(nn.Module):
    def forward(self, x):
        while True:
            pass
""",
    "exit_during_import": """\
class Model(nn.Module):
    os._exit(3)
""",
    "segfault": """\
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        ctypes.string_at(0)
""",
    "allocates_64_gib": """\
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = torch.empty(16 * 2**30, device="cpu")
""",
    "prints_10_mb": """\
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        print("spam " * 2_000_000)

    def forward(self, x):
        return self.fc(x)
""",
    "recursion_in_forward": """\
class Model(nn.Module):
    def forward(self, x):
        return self.forward(x + 1)
""",
    "sys_exit_during_import": """\
class Model(nn.Module):
    sys.exit()
""",
}

GOOD = """\
class Good(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(4, width)

    def forward(self, x):
        return self.fc(x)
"""

# Models that start processes write the process id to PID_FILE; the test fills in the path.
STARTS_A_CHILD_THEN_EXITS = """\
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        child = subprocess.Popen(["sleep", "300"])
        open(PID_FILE, "w").write(str(child.pid))
        os._exit(3)
"""

FORKS_THEN_EXITS = """\
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        pid = os.fork()
        if pid == 0:  # the copy holds every pipe of the worker open, the reply pipe too
            time.sleep(300)
            os._exit(0)
        open(PID_FILE, "w").write(str(pid))
        os._exit(3)
"""

STARTS_A_CHILD_AND_FINISHES = """\
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        child = subprocess.Popen(["sleep", "300"])
        open(PID_FILE, "w").write(str(child.pid))
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)
"""

WRITES_ON_THE_CHANNEL = """\
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        reply_fd = int(sys.argv[sys.argv.index("--channel") + 1].split(",")[1])
        os.write(reply_fd, PAYLOAD)
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)
"""

SMALL_INPUT = InputSpec(shapes=((1, 4),), origin="file")
_fresh = itertools.count(1)


class Harness:
    def __init__(self, supervisor: Supervisor, workspace: Workspace, log: Log):
        self.supervisor = supervisor
        self.workspace = workspace
        self.log = log

    async def hostile(self, name: str, text: str | None = None) -> NodeTable | Problem:
        self.workspace.write(f"{name}.py", text if text is not None else PREAMBLE + HOSTILE[name])
        spec = self.workspace.spec(f"{name}.py", "Model")
        return await self.supervisor.node_table(ModelSpec(**{**spec.__dict__, "example_input": SMALL_INPUT}))

    async def next_request_succeeds(self) -> None:
        """A model never traced before (its width is new) comes back as a table, from a trace."""
        width = next(_fresh)
        root = self.workspace.root
        spec = ModelSpec(
            "workspace", "good", "Good", "Good", kwargs=(("width", str(width)),),
            file=str(root / "good.py"), workspace_root=str(root), example_input=SMALL_INPUT,
        )  # fmt: skip
        traces = self.supervisor.traces_run
        table = await self.supervisor.node_table(spec)
        assert isinstance(table, NodeTable), table
        assert table.find("eval", "fc").output.describe() == f"1×{width}"
        assert self.supervisor.traces_run == traces + 1
        assert self.supervisor.state == "ready"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def harness(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    root = tmp_path_factory.mktemp("hostile")
    workspace = Workspace(root / "ws")
    workspace.write(
        "good.py",
        PREAMBLE + GOOD,
    )
    log = Log()
    supervisor = Supervisor(timeout=5.0, cache=TableCache(root / "cache"), log=log)
    assert await supervisor.start() is None
    yield Harness(supervisor, workspace, log)
    await supervisor.stop()


def with_pid_file(harness: Harness, name: str, model: str) -> tuple[str, Path]:
    """The model's source, writing the id of the process it starts to the returned path."""
    pid_file = harness.workspace.root / f"{name}.pid"
    return f"{PREAMBLE}import subprocess\nimport time\n\nPID_FILE = {str(pid_file)!r}\n\n{model}", pid_file


def has_ended(pid: int) -> bool:
    """The process has ended (a zombie its new parent has not reaped yet counts)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


async def until_ended(pid: int) -> bool:
    """Whether the process ends within ten seconds (killing is asynchronous)."""
    for _ in range(500):
        if has_ended(pid):
            return True
        await asyncio.sleep(0.02)
    return False


needs_procfs = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process states are read from /proc")


def line_of(problem: Problem) -> tuple[str, int, str]:
    assert problem.location is not None, problem
    return Path(problem.location.file).name, problem.location.line, problem.location.text


async def test_a_hang_in_init_times_out_at_the_hanging_line(harness: Harness):
    problem = await harness.hostile("hang_in_init")
    assert problem.kind == "timeout"
    file, line, _ = line_of(problem)
    assert (file, line in (11, 12)) == ("hang_in_init.py", True)  # the loop's header or its body
    await harness.next_request_succeeds()


async def test_a_hang_in_forward_times_out(harness: Harness):
    problem = await harness.hostile("hang_in_forward")
    assert problem.kind == "timeout" and "tracing Model took longer than 5 s" in problem.message
    assert Path(problem.location.file).name == "hang_in_forward.py"
    await harness.next_request_succeeds()


async def test_os_exit_during_import_is_a_crash(harness: Harness):
    problem = await harness.hostile("exit_during_import")
    assert problem.kind == "crash" and "exit code 3" in problem.message and "importing" in problem.message
    await harness.next_request_succeeds()


async def test_a_segfault_is_a_crash_at_the_user_s_line(harness: Harness):
    problem = await harness.hostile("segfault")
    assert problem.kind == "crash" and "SIGSEGV" in problem.message
    assert line_of(problem) == ("segfault.py", 11, "ctypes.string_at(0)")
    await harness.next_request_succeeds()


async def test_allocating_64_gib_hits_the_memory_cap(harness: Harness):
    problem = await harness.hostile("allocates_64_gib")
    assert problem.kind == "memory"
    assert line_of(problem)[1:] == (11, 'self.table = torch.empty(16 * 2**30, device="cpu")')
    await harness.next_request_succeeds()


async def test_printing_10_mb_reaches_the_log_truncated_and_the_table_still_arrives(harness: Harness):
    harness.log.clear()
    table = await harness.hostile("prints_10_mb")
    assert isinstance(table, NodeTable) and table.names("eval") == ["x", "fc"]
    assert "spam spam" in harness.log.text()
    assert any("output truncated" in line for line in harness.log)
    assert len(harness.log.text()) < 200_000
    await harness.next_request_succeeds()


async def test_sys_exit_during_import_is_an_import_problem(harness: Harness):
    problem = await harness.hostile("sys_exit_during_import")
    assert (problem.kind, problem.message) == (
        "import",
        "importing `sys_exit_during_import`: the code called sys.exit()",
    )
    assert line_of(problem)[1:] == (9, "sys.exit()")
    await harness.next_request_succeeds()


async def test_a_script_s_training_loop_never_runs(harness: Harness):
    sentinel = harness.workspace.root / "TRAINED"
    script = (
        PREAMBLE
        + HOSTILE["prints_10_mb"].replace('        print("spam " * 2_000_000)\n', "")
        + f"""
model = Model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    open({str(sentinel)!r}, "w").write("trained")
"""
    )
    table = await harness.hostile("train_script", script)
    assert isinstance(table, NodeTable) and table.names("train") == ["x", "fc"]
    assert any("train_script.py was loaded definitions-only" in note for note in table.notes)
    assert not sentinel.exists()
    await harness.next_request_succeeds()


@needs_procfs
async def test_a_child_process_started_by_a_crashing_constructor_ends_with_the_worker(harness: Harness):
    text, pid_file = with_pid_file(harness, "child_then_exit", STARTS_A_CHILD_THEN_EXITS)
    problem = await harness.hostile("child_then_exit", text)
    assert problem.kind == "crash" and "exit code 3" in problem.message
    assert await until_ended(int(pid_file.read_text()))
    await harness.next_request_succeeds()


@needs_procfs
async def test_a_fork_holding_the_reply_pipe_open_does_not_turn_a_crash_into_a_timeout(harness: Harness):
    text, pid_file = with_pid_file(harness, "fork_then_exit", FORKS_THEN_EXITS)
    problem = await harness.hostile("fork_then_exit", text)
    assert (problem.kind, problem.message) == (
        "crash",
        "the worker process ended (exit code 3) while building Model; it was restarted",
    )
    assert await until_ended(int(pid_file.read_text()))
    await harness.next_request_succeeds()


@needs_procfs
async def test_a_child_process_a_model_started_ends_when_the_supervisor_stops(tmp_path: Path, harness: Harness):
    text, pid_file = with_pid_file(harness, "child_and_finish", STARTS_A_CHILD_AND_FINISHES)
    own = Harness(Supervisor(timeout=5.0, cache=TableCache(None), log=Log()), harness.workspace, Log())
    try:
        table = await own.hostile("child_and_finish", text)
        assert isinstance(table, NodeTable) and table.names("eval") == ["x", "fc"]
        child = int(pid_file.read_text())
        assert not has_ended(child)  # it lives as long as the worker does
    finally:
        await own.supervisor.stop()
    assert await until_ended(child)


@pytest.mark.parametrize(
    ("payload", "what"),
    [
        (b"garbage!", "a frame of 1734439522 bytes announced"),
        (struct.pack(">I", 5) + b"nope!", "not JSON: b'nope!'"),
        (struct.pack(">I", 32) + b'{"type":"phase","phase":"pwned"}', "unknown phase 'pwned'"),
    ],
)
async def test_a_model_writing_on_fxlens_s_channel_gets_a_problem_and_a_new_worker(
    harness: Harness, payload: bytes, what: str
):
    text = PREAMBLE + f"PAYLOAD = {payload!r}\n" + WRITES_ON_THE_CHANNEL
    workers = harness.supervisor.workers_started
    problem = await harness.hostile("writes_on_the_channel", text)
    assert (problem.kind, problem.message) == (
        "crash",
        f"the worker's channel was corrupted while building Model ({what}); the worker was restarted",
    )
    await harness.next_request_succeeds()
    assert harness.supervisor.workers_started == workers + 1


async def test_infinite_recursion_in_forward_is_a_trace_problem_at_the_recursive_call(harness: Harness):
    problem = await harness.hostile("recursion_in_forward")
    assert (problem.kind, problem.message) == (
        "trace",
        "RecursionError: maximum recursion depth exceeded while calling a Python object",
    )
    assert line_of(problem)[1:] == (10, "return self.forward(x + 1)")
    assert problem.hint.startswith("endless recursion through `forward` (")
    assert problem.details[-1].startswith("[previous line repeated ") and len(problem.details) == 2
    await harness.next_request_succeeds()

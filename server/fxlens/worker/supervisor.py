"""The server side of the tracing worker: one warm worker process, supervised, behind a cache.

Runs in the language server's asyncio loop and never imports torch. ``Supervisor.node_table``
answers from the cache when it can; otherwise the request joins an identical one in flight or
queues for the worker. A request that takes longer than ``timeout`` gets the worker killed (after
it dumped its Python stack, for the problem's location); a worker that dies (segfault,
``os._exit``) is replaced. Either way that request gets a ``Problem`` and the next one a fresh
worker. A worker that cannot start (no torch in the interpreter) is one sticky ``Problem``, not a
restart loop.

Worker states: ``starting`` (spawned, importing torch) → ``ready`` ⇄ ``busy`` → ``dead``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import fxlens
from fxlens.nodes import NodeTable, Problem, SourceLocation
from fxlens.worker import protocol
from fxlens.worker.cache import Result, TableCache, Versions, cache_key, default_cache_dir, normalize_path
from fxlens.workspace.spec import ModelSpec

WorkerState = Literal["starting", "ready", "busy", "dead"]
DocumentKey = tuple[str, int]  # (uri, version)

GiB = 1 << 30
DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_LIMIT = 8 * GiB
LINE_LIMIT = 4096  # a longer line without a newline is logged in pieces
TAIL_BYTES = 16 * 1024  # recent worker output kept for crash reports
STACK_DUMP_WAIT = 3.0  # seconds a hung worker gets to print its stack before it is killed

_PHASES = {"start": "sending the request", "import": "importing", "build": "building", "trace": "tracing"}
_FAULTHANDLER_FRAME = re.compile(r'^\s*File "(?P<file>.+)", line (?P<line>\d+) in ', re.MULTILINE)
_MEMORY_SIGNS = ("MemoryError", "bad_alloc", "annot allocate memory", "out of memory")

_logger = logging.getLogger("fxlens.worker")


class Superseded(Exception):
    """The request's document has a newer version; this request's answer was dropped."""


@dataclass
class _Worker:
    """One worker process and its channel."""

    process: asyncio.subprocess.Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    state: WorkerState = "starting"
    tail: collections.deque[bytes] = field(default_factory=lambda: collections.deque(maxlen=64))
    output_done: asyncio.Event = field(default_factory=asyncio.Event)
    output_task: asyncio.Task[None] | None = None

    async def send(self, message: protocol.Message) -> None:
        self.writer.write(protocol.encode(message))
        await self.writer.drain()

    def recent_output(self) -> str:
        return b"".join(self.tail)[-TAIL_BYTES:].decode(errors="replace")


@dataclass
class _Job:
    """One trace to run, shared by every identical request waiting for it."""

    key: str
    spec: ModelSpec
    overlays: dict[str, str]
    waiters: list[asyncio.Future[Result]]
    task: asyncio.Task[Result] | None = None
    started: bool = False


class Supervisor:
    """Node tables for ``ModelSpec``s, computed by a supervised worker process and cached.

    ``interpreter`` runs the worker (it needs torch, not fxlens); ``timeout`` bounds one request
    (seconds), ``memory_limit`` the worker's address space (bytes, 0 for none), ``start_timeout``
    the worker's start-up (importing torch). ``log`` receives the worker's output (bounded to
    ``output_limit`` bytes per request) and lifecycle messages.
    """

    def __init__(
        self,
        interpreter: str = sys.executable,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        start_timeout: float = 120.0,
        cache: TableCache | None = None,
        log: Callable[[str], None] = _logger.info,
        output_limit: int = 64 * 1024,
    ):
        self.interpreter = interpreter
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.start_timeout = start_timeout
        self.cache = cache if cache is not None else TableCache(default_cache_dir())
        self.log = log
        self.output_limit = output_limit
        self.traces_run = 0  # requests a worker ran (cache hits, merged requests and re-sends excluded)
        self.workers_started = 0
        self._worker: _Worker | None = None
        self._starting: asyncio.Task[_Worker | Problem] | None = None
        self._fatal: Problem | None = None
        self._versions: Versions | None = None
        self._hello = asyncio.Event()  # set when versions are known or the start failed
        self._jobs: dict[str, _Job] = {}
        self._documents: dict[str, tuple[int, asyncio.Future[Result]]] = {}
        self._lock = asyncio.Lock()
        self._request_id = 0
        self._output_budget = output_limit
        self._home: str | None = None

    @property
    def state(self) -> WorkerState:
        """The worker's state: ``dead`` when there is none (not started, stopped, or cannot start)."""
        if self._worker is not None:
            return self._worker.state
        return "starting" if self._starting is not None and not self._starting.done() else "dead"

    @property
    def worker_pid(self) -> int | None:
        """The process id of the current worker (for status displays and measurements)."""
        return self._worker.process.pid if self._worker is not None else None

    async def start(self) -> Problem | None:
        """Start the warm worker and wait until it has imported torch; the problem if it cannot."""
        started = await self._ready_worker()
        return started if isinstance(started, Problem) else None

    async def versions(self) -> Versions | Problem:
        """torch / torchvision / timm / fxlens versions in the worker's interpreter (part of cache keys).

        Known as soon as a worker has said hello, before it has imported torch; the start
        problem when no worker could start.
        """
        if self._versions is None and self._fatal is None:
            self._begin_start()
            await self._hello.wait()
        if self._versions is not None:
            return self._versions
        assert self._fatal is not None
        return self._fatal

    async def node_table(
        self,
        spec: ModelSpec,
        overlays: Mapping[str, str] | None = None,
        dependencies: Iterable[str] = (),
        document_key: DocumentKey | None = None,
    ) -> NodeTable | Problem:
        """The node table of ``spec``'s model, or the problem that prevents one.

        ``overlays`` maps file paths to unsaved editor text (it wins over the disk);
        ``dependencies`` are the workspace files the model's module imports (see
        ``fxlens.workspace.modules.workspace_dependencies``). With ``document_key`` = (uri,
        version), a later request for a newer version of the same document supersedes this one:
        it then raises ``Superseded``.
        """
        overlays = {normalize_path(p): text for p, text in (overlays or {}).items()}
        versions = await self.versions()
        if isinstance(versions, Problem):
            return versions
        key = cache_key(spec, dependencies, overlays, versions)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        waiter: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        if document_key is not None:
            self._supersede(document_key, waiter)
        job = self._jobs.get(key)
        if job is None:
            job = self._jobs[key] = _Job(key, spec, overlays, [])
            job.task = asyncio.create_task(self._run(job))
            job.task.add_done_callback(lambda task, job=job: self._finish(job, task))
        job.waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            self._detach(waiter)
            raise

    async def stop(self) -> None:
        """Cancel queued requests and end the worker (politely, then by force); final."""
        self._fatal = Problem("crash", "the fxlens worker supervisor was stopped")
        self._hello.set()
        for job in list(self._jobs.values()):
            for waiter in job.waiters:
                waiter.cancel()
            if job.task is not None:
                job.task.cancel()
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starting
        worker, self._worker = self._worker, None
        if worker is not None:
            await self._shut_down(worker)
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    # requests ------------------------------------------------------------------------------

    def _supersede(self, document_key: DocumentKey, waiter: asyncio.Future[Result]) -> None:
        """Make ``waiter`` the document's latest request; drop the older one (or this one, if older)."""
        uri, version = document_key
        previous = self._documents.get(uri)
        if previous is not None and previous[0] > version:
            raise Superseded(f"{uri} version {previous[0]} was requested after version {version}")
        self._documents[uri] = (version, waiter)
        if previous is not None and previous[1] is not waiter and not previous[1].done():
            previous[1].set_exception(Superseded(f"{uri} version {version} replaces version {previous[0]}"))
            self._detach(previous[1])

    def _detach(self, waiter: asyncio.Future[Result]) -> None:
        """Forget a waiter; a job nobody waits for any more is dropped if it has not started."""
        for job in list(self._jobs.values()):
            if waiter in job.waiters:
                job.waiters.remove(waiter)
                if not job.waiters and not job.started and job.task is not None:
                    job.task.cancel()

    async def _run(self, job: _Job) -> Result:
        async with self._lock:
            job.started = True
            result = await self._trace(job.spec, job.overlays)
        if result is not self._fatal:  # "this interpreter cannot trace" is no property of the model
            self.cache.put(job.key, result)
        return result

    def _finish(self, job: _Job, task: asyncio.Task[Result]) -> None:
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        for waiter in job.waiters:
            if waiter.done():
                continue
            if task.cancelled():
                waiter.cancel()
            elif task.exception() is not None:
                waiter.set_exception(task.exception())
            else:
                waiter.set_result(task.result())

    async def _trace(self, spec: ModelSpec, overlays: dict[str, str], *, retry: bool = True) -> Result:
        """One request to the worker; a timeout or a death becomes a ``Problem`` and a new worker.

        A worker found dead before it acknowledged the request (it died while idle) is replaced
        and the request sent again, once: that death was not this request's doing.
        """
        worker = await self._ready_worker()
        if isinstance(worker, Problem):
            return worker
        self._request_id += 1
        request_id = self._request_id
        worker.state = "busy"
        self._output_budget = self.output_limit
        phase = ["start"]

        async def exchange() -> protocol.Message:
            await worker.send({"type": "table", "id": request_id, "spec": spec.to_json(), "overlays": overlays})
            while True:
                message = await protocol.receive(worker.reader)
                if message["type"] == "phase":
                    phase[0] = message["phase"]
                elif message["type"] == "result" and message["id"] == request_id:
                    return message

        try:
            reply = await asyncio.wait_for(exchange(), self.timeout)
        except asyncio.TimeoutError:
            self.traces_run += 1
            await self._dump_stack_and_kill(worker)
            return self._lost_worker(worker, spec, overlays, _PHASES[phase[0]], timed_out=True)
        except (asyncio.IncompleteReadError, ConnectionError, protocol.ProtocolError):
            await self._reap(worker)
            if phase[0] == "start" and retry:
                self._replace(worker)
                return await self._trace(spec, overlays, retry=False)
            self.traces_run += 1
            return self._lost_worker(worker, spec, overlays, _PHASES[phase[0]], timed_out=False)
        self.traces_run += 1
        worker.state = "ready"
        if "table" in reply:
            return NodeTable.from_json(reply["table"])
        return Problem.from_json(reply["problem"])

    def _lost_worker(
        self, worker: _Worker, spec: ModelSpec, overlays: Mapping[str, str], phase: str, *, timed_out: bool
    ) -> Problem:
        """The problem for a request whose worker was killed or died; a replacement is started."""
        self._replace(worker)
        output = worker.recent_output()
        location = _stack_location(output, spec.workspace_root, overlays)
        if timed_out:
            return Problem(
                kind="timeout",
                message=f"{phase} {spec.display_name} took longer than {self.timeout:g} s; the worker was restarted",
                location=location,
                hint="an endless loop or a wait (input, network, lock) in the model's code ends this way; "
                "if the model is only slow, raise fxlens's timeout",
            )
        code = worker.process.returncode
        how = f"exit code {code}" if code is not None and code >= 0 else _signal_name(-(code or 0))
        if any(sign in output for sign in _MEMORY_SIGNS):
            return Problem(
                kind="memory",
                message=f"the worker ran out of memory ({self.memory_limit / GiB:g} GiB cap) while {phase} {spec.display_name} and ended ({how})",
                location=location,
                hint="raise fxlens's memory limit, or avoid real allocations in the model's __init__",
            )
        return Problem(
            kind="crash",
            message=f"the worker process ended ({how}) while {phase} {spec.display_name}; it was restarted",
            location=location,
            hint="the model's code ended the process (os._exit, a native crash); the next request uses a new worker",
            details=tuple(output.splitlines()[-20:]),
        )

    # the worker process ------------------------------------------------------------------

    def _replace(self, worker: _Worker) -> None:
        """Forget a dead worker and start its successor."""
        worker.state = "dead"
        worker.writer.close()
        if self._worker is worker:
            self._worker = None
        self._begin_start()

    def _begin_start(self) -> None:
        if self._fatal is None and (self._starting is None or self._starting.done()) and self._worker is None:
            self._starting = asyncio.create_task(self._start_worker())

    async def _ready_worker(self) -> _Worker | Problem:
        if self._fatal is not None:
            return self._fatal
        if self._worker is not None and self._worker.state != "dead":
            return self._worker
        self._begin_start()
        assert self._starting is not None
        return await asyncio.shield(self._starting)

    async def _start_worker(self) -> _Worker | Problem:
        """Spawn a worker and wait for ``hello`` and ``ready``; a start failure is sticky."""
        try:
            worker = await self._spawn()
        except OSError as error:
            return self._fail(
                Problem(
                    "import",
                    f"cannot start the worker with {self.interpreter}: {error}",
                    hint="select an existing Python interpreter (with torch) for fxlens",
                )
            )
        try:
            hello = await asyncio.wait_for(protocol.receive(worker.reader), self.start_timeout)
            self._versions = hello["versions"]
            self._hello.set()
            status = await asyncio.wait_for(protocol.receive(worker.reader), self.start_timeout)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, protocol.ProtocolError, KeyError):
            await self._shut_down(worker)
            return self._fail(Problem(
                "crash", f"the worker started with {self.interpreter} did not come up",
                hint="check that this interpreter can run `python -m fxlens.worker` (Python ≥ 3.10 with torch)",
                details=tuple(worker.recent_output().splitlines()[-20:]),
            ))  # fmt: skip
        except asyncio.CancelledError:  # stopped while starting: the process must not outlive us
            await self._shut_down(worker)
            raise
        if status["type"] == "fatal":
            await self._shut_down(worker)
            return self._fail(Problem.from_json(status["problem"]))
        worker.state = "ready"
        self._worker = worker
        self.log(f"fxlens worker {worker.process.pid} ready ({self.interpreter})")
        return worker

    def _fail(self, problem: Problem) -> Problem:
        self._fatal = problem
        self._hello.set()
        self.log(f"fxlens worker cannot start: {problem.message}")
        return problem

    async def _spawn(self) -> _Worker:
        loop = asyncio.get_running_loop()
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                self.interpreter, "-m", "fxlens.worker",
                "--channel", f"{request_read},{reply_write}", "--memory-limit", str(self.memory_limit),
                pass_fds=(request_read, reply_write),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                cwd=self._package_home(), env=self._environment(), start_new_session=True,
            )  # fmt: skip
        except BaseException:
            for fd in (request_write, reply_read):
                os.close(fd)
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
        reader = asyncio.StreamReader(limit=protocol.MAX_FRAME)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(reply_read, "rb", 0))
        transport, stream_protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(request_write, "wb", 0)
        )
        writer = asyncio.StreamWriter(transport, stream_protocol, None, loop)
        worker = _Worker(process, reader, writer)
        self.workers_started += 1
        worker.output_task = asyncio.create_task(self._forward_output(worker))
        return worker

    def _package_home(self) -> str:
        """A directory holding only a link to this fxlens package: the worker's cwd and PYTHONPATH.

        Putting fxlens's parent directory on the path instead could bring the server's whole
        site-packages (its torch included) into the workspace's interpreter.
        """
        if self._home is None:
            self._home = tempfile.mkdtemp(prefix="fxlens-worker-")
            os.symlink(Path(fxlens.__file__).parent, Path(self._home) / "fxlens")
        return self._home

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (self._package_home(), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["CUDA_VISIBLE_DEVICES"] = ""  # tracing needs no GPU; a CUDA context would blow the memory cap
        env["OMP_NUM_THREADS"] = "1"  # meta tensors do no arithmetic; fewer threads, less address space
        return env

    async def _forward_output(self, worker: _Worker) -> None:
        """Pass the worker's stdout/stderr to ``log`` line by line, at most ``output_limit`` bytes per request."""
        assert worker.process.stdout is not None
        pid = worker.process.pid
        pending = b""
        try:
            while chunk := await worker.process.stdout.read(65536):
                worker.tail.append(chunk)
                if self._output_budget <= 0:
                    continue
                pending += chunk[: self._output_budget]
                self._output_budget -= len(chunk)
                *lines, pending = pending.split(b"\n")
                if len(pending) >= LINE_LIMIT or (pending and self._output_budget <= 0):
                    lines.append(pending)
                    pending = b""
                for line in lines:
                    self.log(f"[worker {pid}] {line.decode(errors='replace')}")
                if self._output_budget <= 0:
                    self.log(f"[worker {pid}] … output truncated ({self.output_limit} bytes per request)")
        finally:
            if pending:
                self.log(f"[worker {pid}] {pending.decode(errors='replace')}")
            worker.output_done.set()
        if worker is self._worker and worker.state == "ready":  # it died between requests: replace it now
            self.log(f"fxlens worker {pid} ended while idle; starting another")
            self._replace(worker)

    async def _dump_stack_and_kill(self, worker: _Worker) -> None:
        """Ask a hung worker for its Python stack (faulthandler, SIGUSR1), then kill its process group."""
        try:
            worker.process.send_signal(signal.SIGUSR1)
        except ProcessLookupError:
            pass
        else:
            await self._until_stack_dumped(worker)
        await self._kill(worker)
        await self._reap(worker)

    async def _until_stack_dumped(self, worker: _Worker) -> None:
        """Wait (at most ``STACK_DUMP_WAIT``) until faulthandler's dump has arrived: on a loaded
        machine the worker may take a while to be scheduled and print it."""
        deadline = asyncio.get_running_loop().time() + STACK_DUMP_WAIT
        while asyncio.get_running_loop().time() < deadline:
            if b"most recent call first" in b"".join(worker.tail):
                await asyncio.sleep(0.1)  # the rest of the dump
                return
            await asyncio.sleep(0.02)

    async def _kill(self, worker: _Worker) -> None:
        try:
            os.killpg(worker.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    async def _reap(self, worker: _Worker) -> None:
        """Wait for a dead worker and the rest of its output."""
        await worker.process.wait()
        worker.writer.close()
        try:
            await asyncio.wait_for(worker.output_done.wait(), 1.0)
        except asyncio.TimeoutError:
            pass  # a grandchild holds the output pipe; the tail is what arrived

    async def _shut_down(self, worker: _Worker) -> None:
        if worker.process.returncode is None:
            try:
                await worker.send({"type": "exit"})
                await asyncio.wait_for(worker.process.wait(), 2.0)
            except (asyncio.TimeoutError, ConnectionError):
                pass
        await self._kill(worker)
        await self._reap(worker)
        worker.state = "dead"


def _stack_location(output: str, workspace_root: str, overlays: Mapping[str, str]) -> SourceLocation | None:
    """The innermost workspace frame of the last Python stack the worker printed (faulthandler)."""
    if not workspace_root:
        return None
    root = normalize_path(workspace_root)
    dump = output[output.rfind("(most recent call first)") :]
    for match in _FAULTHANDLER_FRAME.finditer(dump):
        file = normalize_path(match["file"])
        if file.startswith(root + os.sep):
            line = int(match["line"])
            return SourceLocation(file, line, _line_text(file, line, overlays))
    return None


def _line_text(file: str, line: int, overlays: Mapping[str, str]) -> str:
    text = overlays.get(file)
    if text is None:
        try:
            text = Path(file).read_text(errors="replace")
        except OSError:
            return ""
    lines = text.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _signal_name(number: int) -> str:
    try:
        return f"signal {signal.Signals(number).name}"
    except ValueError:
        return f"signal {number}"

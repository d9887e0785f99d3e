"""The server side of the tracing worker: requests queued for one warm worker, its state machine, a cache.

Runs in the language server's asyncio loop and never imports torch. ``Supervisor.node_table``
answers from the cache when it can; otherwise the request joins an identical one in flight or
queues for the worker, and a newer version of the same document supersedes it. So a model is
traced once per content (the spec and the text of the files it imports): its table or problem,
a timeout too, answers every later request for that content, and a document has at most one
trace queued. A superseded trace that has already started runs on (its result is cached):
ending it would cost a worker restart, more than most traces take.

A request that takes longer than ``timeout`` ends the worker (its own watchdog prints the Python
stack, for the problem's location, and exits; else the supervisor ends it); a worker that dies
(segfault, ``os._exit``) or corrupts its channel is replaced. Either way that request gets a
``Problem`` (``fxlens.worker.lost``) and the next one a fresh worker. A worker that cannot start
(no torch in the interpreter) is one sticky ``Problem``, not a restart loop. The worker's state
changes only through ``Supervisor._set_state`` (``fxlens.worker.state``); the process plumbing
is ``fxlens.worker.process``, one request's exchange ``fxlens.worker.exchange``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping

from fxlens.nodes import NodeTable, Problem
from fxlens.worker import protocol
from fxlens.worker.cache import Result, TableCache, Versions, cache_key, default_cache_dir, normalize_path
from fxlens.worker.exchange import WorkerLost, request_table
from fxlens.worker.job import Job, Progress
from fxlens.worker.lost import LostWorker, lost_worker_problem
from fxlens.worker.process import Launcher, WorkerProcess
from fxlens.worker.spawn import DEFAULT_MEMORY_LIMIT, Started
from fxlens.worker.state import WorkerState, check_transition
from fxlens.workspace.spec import ModelSpec

DocumentKey = tuple[str, int]  # (uri, version)

DEFAULT_TIMEOUT = 30.0

_logger = logging.getLogger("fxlens.worker")
_START_ERRORS = (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, protocol.ProtocolError, KeyError)


class Superseded(Exception):
    """The request's document has a newer version; this request's answer was dropped."""


class Supervisor:
    """Node tables for ``ModelSpec``s, computed by a supervised worker process and cached.

    ``interpreter`` runs the worker (it needs torch, not fxlens); ``timeout`` bounds one request
    (seconds), ``memory_limit`` the worker's address space (bytes, 0 for none), ``start_timeout``
    the worker's start-up (importing torch). ``log`` receives the worker's output (bounded to
    ``output_limit`` bytes per request) and every change of the worker's state. ``standby``, a
    worker started earlier (``fxlens.worker.spawn.start``), is the first worker when it has the
    same interpreter and memory cap, and is ended otherwise.
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
        standby: Started | None = None,
    ):
        self.interpreter = interpreter
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.start_timeout = start_timeout
        self.cache = cache if cache is not None else TableCache(default_cache_dir())
        self.log = log
        self.traces_run = 0  # requests a worker ran (cache hits, merged requests and re-sends excluded)
        self.workers_started = 0
        self._launcher = Launcher(interpreter, memory_limit, log, output_limit, standby)
        self._state = WorkerState.DEAD
        self._process: WorkerProcess | None = None
        self._starting: asyncio.Task[WorkerProcess | Problem] | None = None
        self._final: Problem | None = None  # why every request fails: cannot start, or stopped
        self._versions: Versions | None = None
        self._hello = asyncio.Event()  # set when versions are known or the start failed
        self._jobs: dict[str, Job] = {}
        self._documents: dict[str, tuple[int, list[asyncio.Future[Result]]]] = {}  # latest version's requests
        self._lock = asyncio.Lock()
        self._request_id = 0
        self._tasks: set[asyncio.Task[None]] = set()  # watchers of worker processes
        self._endings: set[asyncio.Future[None]] = set()  # lost workers being ended

    @property
    def state(self) -> WorkerState:
        """The worker's state (a ``str`` enum: ``"ready"``, ``"busy"``, …)."""
        return self._state

    @property
    def worker_pid(self) -> int | None:
        """The process id of the current worker (for status displays and measurements)."""
        return self._process.pid if self._process is not None else None

    async def start(self) -> Problem | None:
        """Start the warm worker and wait until it has imported torch; the problem if it cannot."""
        started = await self._ready_worker()
        return started if isinstance(started, Problem) else None

    async def versions(self) -> Versions | Problem:
        """torch / torchvision / timm / fxlens versions in the worker's interpreter (part of cache keys).

        Known as soon as a worker has said hello, before it has imported torch; the start
        problem when no worker could start.
        """
        if self._versions is None and self._final is None:
            self._begin_start()
            await self._hello.wait()
        if self._versions is not None:
            return self._versions
        assert self._final is not None
        return self._final

    async def node_table(
        self,
        spec: ModelSpec,
        overlays: Mapping[str, str] | None = None,
        dependencies: Iterable[str] = (),
        document_key: DocumentKey | None = None,
        progress: Progress | None = None,
    ) -> NodeTable | Problem:
        """The node table of ``spec``'s model, or the problem that prevents one.

        ``overlays`` maps file paths to unsaved editor text (it wins over the disk);
        ``dependencies`` are the workspace files the model's module imports (see
        ``fxlens.workspace.modules.workspace_dependencies``). With ``document_key`` = (uri,
        version), a later request for a newer version of the same document supersedes this one:
        it then raises ``Superseded``. ``progress`` hears each phase of the trace (``"import"``,
        ``"build"``, ``"trace"``; words for them in ``fxlens.worker.lost.PHASE_WORDS``), so a slow
        model can be shown at work; a cached answer has none.
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
            job = self._jobs[key] = Job(key, spec, overlays)
            job.task = asyncio.create_task(self._run(job))
            job.task.add_done_callback(lambda task, job=job: self._finish(job, task))
        job.join(waiter, progress)
        try:
            return await waiter
        except asyncio.CancelledError:
            self._detach(waiter)
            raise

    async def stop(self) -> None:
        """Cancel queued requests and end the worker (politely, then by force); final."""
        self._final = Problem("crash", "the fxlens worker supervisor was stopped")
        self._hello.set()
        process, self._process = self._process, None
        self._set_state(WorkerState.STOPPED)
        for job in list(self._jobs.values()):
            for waiter in job.waiters:
                waiter.cancel()
            if job.task is not None:
                job.task.cancel()
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starting
        if process is not None:
            await process.shut_down()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._endings, return_exceptions=True)
        self._launcher.close()

    # states --------------------------------------------------------------------------------

    def _set_state(self, new: WorkerState, why: str = "") -> None:
        """The one way the worker's state changes: checked against the machine, and logged."""
        old = self._state
        if old is new:
            return
        check_transition(old, new)
        self._state = new
        pid = f" {self._process.pid}" if self._process is not None else ""
        self.log(f"fxlens worker{pid}: {old} → {new}" + (f" ({why})" if why else ""))

    # requests ------------------------------------------------------------------------------

    def _supersede(self, document_key: DocumentKey, waiter: asyncio.Future[Result]) -> None:
        """Add ``waiter`` to the document's requests; a newer version drops the older version's
        requests (they raise ``Superseded``), an older one is refused. Requests for one version
        (diagnostics and completion, say) are all answered."""
        uri, version = document_key
        latest = self._documents.get(uri)
        if latest is not None and latest[0] > version:
            raise Superseded(f"{uri} version {latest[0]} was requested after version {version}")
        if latest is None or latest[0] < version:
            for older in latest[1] if latest is not None else ():
                if not older.done():
                    older.set_exception(Superseded(f"{uri} version {version} replaces version {latest[0]}"))
                    self._detach(older)
            latest = self._documents[uri] = (version, [])
        latest[1][:] = [w for w in latest[1] if not w.done()]
        latest[1].append(waiter)

    def _detach(self, waiter: asyncio.Future[Result]) -> None:
        """Forget a waiter; a job nobody waits for any more is dropped if it has not started.

        A dropped job leaves ``_jobs`` at once, not when its task has ended: an identical request
        made meanwhile (the edit that superseded it) must start a job of its own, not join one
        that is being cancelled.
        """
        for job in list(self._jobs.values()):
            if waiter in job.waiters:
                job.leave(waiter)
                if not job.waiters and not job.started and job.task is not None:
                    del self._jobs[job.key]
                    job.task.cancel()

    async def _run(self, job: Job) -> Result:
        async with self._lock:
            job.started = True
            result = await self._trace(job)
        if result is not self._final:  # "this interpreter cannot trace" is no property of the model
            self.cache.put(job.key, result)
        return result

    def _finish(self, job: Job, task: asyncio.Task[Result]) -> None:
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

    # one request ---------------------------------------------------------------------------

    async def _trace(self, job: Job, *, retry: bool = True) -> Result:
        """One request to the worker; a lost worker becomes a ``Problem`` and a new worker.

        A worker found dead before it acknowledged the request (it died while idle) is replaced
        and the request sent again, once: that death was not this request's doing.
        """
        process = await self._ready_worker()
        if isinstance(process, Problem):
            return process
        self._request_id += 1
        request = {
            "type": "table",
            "id": self._request_id,
            "spec": job.spec.to_json(),
            "overlays": job.overlays,
            "timeout": self.timeout,
        }
        self._set_state(WorkerState.BUSY, job.spec.display_name)
        process.new_request()
        sent = time.monotonic()
        try:
            result = await request_table(process, request, self.timeout, job.enter)
        except WorkerLost as lost:
            await self._lose(process, str(lost))
            if lost.phase == "start" and not lost.channel_error and retry:
                return await self._trace(job, retry=False)
            self.traces_run += 1
            return self._problem(process, job, lost, time.monotonic() - sent)
        self.traces_run += 1
        self._set_state(WorkerState.READY)
        return result

    def _problem(self, process: WorkerProcess, job: Job, lost: WorkerLost, elapsed: float) -> Problem:
        """The problem of a request whose worker was lost (and has ended), from its last output."""
        seen = LostWorker(
            process.recent_output(), process.returncode, lost.phase, lost.overdue, lost.channel_error, elapsed
        )
        return lost_worker_problem(seen, job.spec, job.overlays, timeout=self.timeout, memory_limit=self.memory_limit)

    # the worker ----------------------------------------------------------------------------

    async def _lose(self, process: WorkerProcess, why: str) -> None:
        """End a worker that is of no more use (and its process group), then start its successor."""
        if self._process is process:  # not yet replaced, nor taken by stop()
            self._set_state(WorkerState.DEAD, why)
            self._process = None
        ending = asyncio.ensure_future(process.end())  # stop() waits for it, even if this request is cancelled
        self._endings.add(ending)
        ending.add_done_callback(self._endings.discard)
        await asyncio.shield(ending)
        self._begin_start()

    def _begin_start(self) -> None:
        if self._state is WorkerState.DEAD:
            self._set_state(WorkerState.STARTING)
            self._starting = asyncio.create_task(self._start_worker())

    async def _ready_worker(self) -> WorkerProcess | Problem:
        if self._final is not None:
            return self._final
        if self._process is not None and self._state is WorkerState.READY:
            return self._process
        self._begin_start()
        assert self._starting is not None
        return await asyncio.shield(self._starting)

    async def _start_worker(self) -> WorkerProcess | Problem:
        """Spawn a worker and wait for ``hello`` and ``ready``; a start failure is sticky."""
        try:
            process = await self._launcher.spawn()
        except OSError as error:
            return self._fail(Problem(
                "import", f"cannot start the worker with {self.interpreter}: {error}",
                hint="select an existing Python interpreter (with torch) for fxlens",
            ))  # fmt: skip
        self.workers_started += 1
        try:
            hello = await asyncio.wait_for(process.receive(), self.start_timeout)
            self._versions = hello["versions"]
            self._hello.set()
            status = await asyncio.wait_for(process.receive(), self.start_timeout)
        except _START_ERRORS:
            await process.shut_down()
            return self._fail(Problem(
                "crash", f"the worker started with {self.interpreter} did not come up",
                hint="check that this interpreter can run `python -m fxlens.worker` (Python ≥ 3.10 with torch)",
                details=tuple(process.recent_output().splitlines()[-20:]),
            ))  # fmt: skip
        except asyncio.CancelledError:  # stopped while starting: the process must not outlive us
            await process.shut_down()
            raise
        if status["type"] == "fatal":
            await process.shut_down()
            return self._fail(Problem.from_json(status["problem"]))
        self._process = process
        self._set_state(WorkerState.READY, self.interpreter)
        self._background(self._watch(process))
        return process

    def _fail(self, problem: Problem) -> Problem:
        self._final = problem
        self._hello.set()
        self._set_state(WorkerState.FAILED, problem.message)
        return problem

    def _background(self, work: Coroutine[None, None, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch(self, process: WorkerProcess) -> None:
        """Replace a worker that ends between requests (a busy one is the request's to report)."""
        await process.exited()
        if process is self._process and self._state is WorkerState.READY:
            await self._lose(process, "it ended while idle")

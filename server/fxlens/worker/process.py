"""One worker process: spawned in its own session with the channel pipes, its output logged, ended with its group.

This is the plumbing under ``Supervisor``: it knows pipes, signals and process groups, not
requests. The worker gets a directory holding only a link to the fxlens package as its cwd and
``PYTHONPATH`` (so the workspace's interpreter imports this fxlens and nothing else of the
server's environment), its address-space cap, and a channel of two dedicated pipes. Its stdout
and stderr (user code's prints, faulthandler's stack dumps) are one pipe, forwarded to ``log``
line by line up to a budget per request, the recent part kept for crash reports. The worker
leads a new session, so ending it ends its process group: every process a model started that
did not start a session of its own. ``start`` needs no event loop, so a worker can be started
before the server has imported what it serves with, and attached to the loop later.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import functools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import fxlens
from fxlens.worker import protocol

OUTPUT_CHUNK = 64 * 1024  # bytes of output read at a time
LINE_LIMIT = 4096  # a longer line without a newline is logged in pieces
TAIL_BYTES = 16 * 1024  # recent worker output kept for crash reports
# Seconds to wait for the end of a dead worker's output: its last words (faulthandler's stack) are
# read only then, late on a loaded machine; the bound matters only when a stray process holds the pipe.
OUTPUT_DRAIN = 5.0
EXIT_WAIT = 2.0  # seconds a worker asked to exit gets before it is killed
DEFAULT_MEMORY_LIMIT = 8 * 1024**3  # bytes of address space a worker may have


class WorkerProcess:
    """A running worker: its channel, its output, and the means to end it and everything it started."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        output: asyncio.StreamReader,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        log: Callable[[str], None],
        output_limit: int,
    ):
        self.process = process
        self._exited = asyncio.Event()
        self._output = output
        self._reader = reader
        self._writer = writer
        self._log = log
        self._output_limit = output_limit
        self._output_budget = output_limit
        self._tail: collections.deque[bytes] = collections.deque(maxlen=64)
        self._output_done = asyncio.Event()
        self._output_task = asyncio.create_task(self._forward_output())
        loop = asyncio.get_running_loop()
        threading.Thread(target=_reap, args=(process, loop, self._exited), daemon=True).start()

    @classmethod
    async def attach(cls, started: Started, log: Callable[[str], None], output_limit: int) -> WorkerProcess:
        """The worker ``started`` with its channel and output read in the running loop."""
        loop = asyncio.get_running_loop()
        try:
            output = asyncio.StreamReader(limit=OUTPUT_CHUNK)
            assert started.process.stdout is not None
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(output), started.process.stdout)
            reader = asyncio.StreamReader(limit=protocol.MAX_FRAME)
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), started.replies)
            requests, stream_protocol = await loop.connect_write_pipe(
                asyncio.streams.FlowControlMixin, started.requests
            )
        except BaseException:  # cancelled (the supervisor stopped) or failed: the process must not outlive us
            started.discard()
            raise
        writer = asyncio.StreamWriter(requests, stream_protocol, None, loop)
        return cls(started.process, output, reader, writer, log, output_limit)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended (negative: the signal that ended it)."""
        return self.process.returncode

    async def send(self, message: protocol.Message) -> None:
        """Write one frame on the request pipe."""
        self._writer.write(protocol.encode(message))
        await self._writer.drain()

    async def receive(self) -> protocol.Message:
        """Read one frame from the reply pipe (``asyncio.IncompleteReadError`` at its end)."""
        return await protocol.receive(self._reader)

    async def exited(self) -> int:
        """Wait until the process has ended; its return code.

        Not the end of its output: a process the model forked may keep that pipe open.
        """
        await self._exited.wait()
        assert self.process.returncode is not None
        return self.process.returncode

    def new_request(self) -> None:
        """Give the next request its own budget of logged output."""
        self._output_budget = self._output_limit

    def recent_output(self) -> str:
        """The last ``TAIL_BYTES`` of the worker's stdout and stderr."""
        return b"".join(self._tail)[-TAIL_BYTES:].decode(errors="replace")

    async def end(self) -> None:
        """Kill the worker's process group, wait for the worker and the rest of its output."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.exited()
        with contextlib.suppress(ProcessLookupError, PermissionError):  # its group may outlive it
            os.killpg(self.process.pid, signal.SIGKILL)
        self._writer.close()
        with contextlib.suppress(asyncio.TimeoutError):  # a process in a session of its own may hold the pipe
            await asyncio.wait_for(self._output_done.wait(), OUTPUT_DRAIN)
        self._output_task.cancel()  # what arrived is in the tail; later output has no request to belong to

    async def shut_down(self) -> None:
        """Ask the worker to exit, then end it and its group whatever it did."""
        if self.process.returncode is None:
            with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
                await self.send({"type": "exit"})
                await asyncio.wait_for(self.exited(), EXIT_WAIT)
        await self.end()

    async def _forward_output(self) -> None:
        """Pass stdout/stderr to ``log`` line by line, at most ``output_limit`` bytes per request."""
        pending = b""
        try:
            while chunk := await self._output.read(OUTPUT_CHUNK):
                self._tail.append(chunk)
                if self._output_budget <= 0:
                    continue
                pending += chunk[: self._output_budget]
                self._output_budget -= len(chunk)
                *lines, pending = pending.split(b"\n")
                if len(pending) >= LINE_LIMIT or (pending and self._output_budget <= 0):
                    lines.append(pending)
                    pending = b""
                for line in lines:
                    self._log(f"[worker {self.pid}] {line.decode(errors='replace')}")
                if self._output_budget <= 0:
                    self._log(f"[worker {self.pid}] … output truncated ({self._output_limit} bytes per request)")
        finally:
            if pending:
                self._log(f"[worker {self.pid}] {pending.decode(errors='replace')}")
            self._output_done.set()


@dataclass
class Started:
    """A worker process whose channel is not yet read by an event loop: ``fxlens serve`` with
    ``FXLENS_WARM_WORKER=1`` starts one before the server's own imports, and the first supervisor
    with the same interpreter and memory cap attaches it (``Launcher``)."""

    interpreter: str
    memory_limit: int
    process: subprocess.Popen[bytes]
    requests: BinaryIO  # the write end of the request pipe
    replies: BinaryIO  # the read end of the reply pipe

    def discard(self) -> None:
        """End the process and its group and close its pipes (for a worker nobody attached).

        The pipes are closed as file objects, which a transport that took one closes again
        harmlessly: never by descriptor, whose number a later worker's pipe may have by then.
        """
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for pipe in (self.requests, self.replies, self.process.stdout):
            if pipe is not None:
                pipe.close()


def start(interpreter: str, memory_limit: int) -> Started:
    """Start ``python -m fxlens.worker`` in a new session; ``OSError`` if the interpreter cannot run.

    Synchronous, so it needs no event loop: the worker's ``import torch`` can begin before the
    server's.
    """
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    try:
        process = subprocess.Popen(
            [interpreter, "-m", "fxlens.worker",
             "--channel", f"{request_read},{reply_write}", "--memory-limit", str(memory_limit)],
            pass_fds=(request_read, reply_write),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=package_home(), env=_environment(), start_new_session=True,
        )  # fmt: skip
    except BaseException:
        for fd in (request_write, reply_read):
            os.close(fd)
        raise
    finally:
        os.close(request_read)
        os.close(reply_write)
    return Started(
        interpreter, memory_limit, process, os.fdopen(request_write, "wb", 0), os.fdopen(reply_read, "rb", 0)
    )


def _reap(process: subprocess.Popen[bytes], loop: asyncio.AbstractEventLoop, exited: asyncio.Event) -> None:
    """Wait for ``process`` in a thread of its own (as asyncio's threaded child watcher does), then
    tell ``loop``."""
    process.wait()
    with contextlib.suppress(RuntimeError):  # the loop closed first: nobody is waiting any more
        loop.call_soon_threadsafe(exited.set)


class Launcher:
    """Starts workers with one interpreter and memory cap, the first from ``standby`` when it has both."""

    def __init__(
        self,
        interpreter: str,
        memory_limit: int,
        log: Callable[[str], None],
        output_limit: int,
        standby: Started | None = None,
    ):
        self.interpreter = interpreter
        self.memory_limit = memory_limit
        self.log = log
        self.output_limit = output_limit
        self._standby = standby
        if standby is not None and (standby.interpreter, standby.memory_limit) != (interpreter, memory_limit):
            standby.discard()
            self._standby = None

    async def spawn(self) -> WorkerProcess:
        """A new worker, attached to the running loop; ``OSError`` if the interpreter cannot run."""
        started, self._standby = self._standby or start(self.interpreter, self.memory_limit), None
        return await WorkerProcess.attach(started, self.log, self.output_limit)

    def close(self) -> None:
        """End the standby if no spawn took it."""
        if self._standby is not None:
            self._standby.discard()
            self._standby = None


@functools.cache
def package_home() -> str:
    """A directory holding only a link to this fxlens package: every worker's cwd and PYTHONPATH,
    removed when this process exits.

    Putting fxlens's parent directory on the path instead could bring the server's whole
    site-packages (its torch included) into the workspace's interpreter.
    """
    home = tempfile.mkdtemp(prefix="fxlens-worker-")
    os.symlink(Path(fxlens.__file__).parent, Path(home) / "fxlens")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_home(), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["CUDA_VISIBLE_DEVICES"] = ""  # tracing needs no GPU; a CUDA context would blow the memory cap
    env["OMP_NUM_THREADS"] = "1"  # meta tensors do no arithmetic; fewer threads, less address space
    return env

"""One worker process: spawned in its own session with the channel pipes, its output logged, ended with its group.

This is the plumbing under ``Supervisor``: it knows pipes, signals and process groups, not
requests. The worker gets a directory holding only a link to the fxlens package as its cwd and
``PYTHONPATH`` (so the workspace's interpreter imports this fxlens and nothing else of the
server's environment), its address-space cap, and a channel of two dedicated pipes. Its stdout
and stderr (user code's prints, faulthandler's stack dumps) are one pipe, forwarded to ``log``
line by line up to a budget per request, the recent part kept for crash reports. The worker
leads a new session, so ending it ends its process group: every process a model started that
did not start a session of its own.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import fxlens
from fxlens.worker import protocol

OUTPUT_CHUNK = 64 * 1024  # bytes of output read at a time
LINE_LIMIT = 4096  # a longer line without a newline is logged in pieces
TAIL_BYTES = 16 * 1024  # recent worker output kept for crash reports
# Seconds to wait for the end of a dead worker's output: its last words (faulthandler's stack) are
# read only then, late on a loaded machine; the bound matters only when a stray process holds the pipe.
OUTPUT_DRAIN = 5.0
EXIT_WAIT = 2.0  # seconds a worker asked to exit gets before it is killed


class _Protocol(asyncio.subprocess.SubprocessStreamProtocol):
    """``create_subprocess_exec``'s protocol, telling when the process ends (its pipes may stay open)."""

    def __init__(self, limit: int, loop: asyncio.AbstractEventLoop):
        super().__init__(limit=limit, loop=loop)
        self.exited = asyncio.Event()

    def process_exited(self) -> None:
        super().process_exited()
        self.exited.set()


class WorkerProcess:
    """A running worker: its channel, its output, and the means to end it and everything it started."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        exited: asyncio.Event,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        log: Callable[[str], None],
        output_limit: int,
    ):
        self.process = process
        self._exited = exited
        self._reader = reader
        self._writer = writer
        self._log = log
        self._output_limit = output_limit
        self._output_budget = output_limit
        self._tail: collections.deque[bytes] = collections.deque(maxlen=64)
        self._output_done = asyncio.Event()
        self._output_task = asyncio.create_task(self._forward_output())

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

        Not ``Process.wait()``: that also waits for the output pipe to close, which a process
        the model forked keeps open.
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
        stdout = self.process.stdout
        assert stdout is not None
        pending = b""
        try:
            while chunk := await stdout.read(OUTPUT_CHUNK):
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


class Launcher:
    """Spawns workers with one interpreter and memory cap; owns the package directory they share."""

    def __init__(self, interpreter: str, memory_limit: int, log: Callable[[str], None], output_limit: int):
        self.interpreter = interpreter
        self.memory_limit = memory_limit
        self.log = log
        self.output_limit = output_limit
        self._home: str | None = None

    async def spawn(self) -> WorkerProcess:
        """Start ``python -m fxlens.worker`` in a new session; ``OSError`` if the interpreter cannot run."""
        loop = asyncio.get_running_loop()
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        try:
            transport, watcher = await loop.subprocess_exec(
                lambda: _Protocol(limit=OUTPUT_CHUNK, loop=loop),
                self.interpreter, "-m", "fxlens.worker",
                "--channel", f"{request_read},{reply_write}", "--memory-limit", str(self.memory_limit),
                pass_fds=(request_read, reply_write),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                cwd=self._package_home(), env=self._environment(), start_new_session=True,
            )  # fmt: skip
            process = asyncio.subprocess.Process(transport, watcher, loop)
        except BaseException:
            for fd in (request_write, reply_read):
                os.close(fd)
            raise
        finally:
            os.close(request_read)
            os.close(reply_write)
        try:
            reader = asyncio.StreamReader(limit=protocol.MAX_FRAME)
            replies = os.fdopen(reply_read, "rb", 0)
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), replies)
            requests, stream_protocol = await loop.connect_write_pipe(
                asyncio.streams.FlowControlMixin, os.fdopen(request_write, "wb", 0)
            )
        except BaseException:  # cancelled (the supervisor stopped) or failed: the process must not outlive us
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            await watcher.exited.wait()
            raise
        writer = asyncio.StreamWriter(requests, stream_protocol, None, loop)
        return WorkerProcess(process, watcher.exited, reader, writer, self.log, self.output_limit)

    def close(self) -> None:
        """Remove the package directory (after the last worker ended)."""
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

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

"""One running worker process in the event loop: its channel, its output logged, ended with its group.

This is the plumbing under ``Supervisor``: it knows pipes, signals and process groups, not
requests. A worker is started by ``fxlens.worker.spawn`` (no event loop needed) and attached to
the running loop here. Its stdout and stderr (user code's prints, faulthandler's stack dumps) are
one pipe, forwarded to ``log`` line by line up to a budget per request, the recent part kept for
crash reports. The worker leads a new session, so ending it ends its process group: every
process a model started that did not start a session of its own.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable

from fxlens.worker import protocol
from fxlens.worker.spawn import Started, start

OUTPUT_CHUNK = 64 * 1024  # bytes of output read at a time
LINE_LIMIT = 4096  # a longer line without a newline is logged in pieces
TAIL_BYTES = 16 * 1024  # recent worker output kept for crash reports
# Seconds to wait for the end of a dead worker's output: its last words (faulthandler's stack) are
# read only then, late on a loaded machine; the bound matters only when a stray process holds the pipe.
OUTPUT_DRAIN = 5.0
EXIT_WAIT = 2.0  # seconds a worker asked to exit gets before it is killed


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

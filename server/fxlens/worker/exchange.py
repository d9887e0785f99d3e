"""One request to a worker and its reply: the node table or problem, or ``WorkerLost`` when none will come.

No reply will come when the worker ended (its end of the reply pipe may still be held open by a
process the model forked, so the exchange waits for the process as well as for the pipe), ran
out of time (its own watchdog ends it at the timeout; past a grace period the exchange gives
up), or wrote something on the channel that is not a well-formed frame (model code can write on
any file descriptor of its process). The phases the worker reports along the way are passed on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fxlens.nodes import NodeTable, Problem
from fxlens.worker import protocol
from fxlens.worker.lost import PHASE_WORDS, Phase
from fxlens.worker.process import WorkerProcess

WATCHDOG_GRACE = 10.0  # seconds past the timeout before a worker whose own watchdog did not end it counts as lost
REPLY_DRAIN = 0.5  # seconds to read what a worker wrote before it ended


class WorkerLost(Exception):
    """The worker will not answer this request; ``phase`` is the last one it reported."""

    def __init__(self, phase: Phase, *, overdue: bool = False, channel_error: str = ""):
        super().__init__(channel_error or ("no answer in time" if overdue else "the worker ended"))
        self.phase = phase
        self.overdue = overdue
        self.channel_error = channel_error


class _Phases:
    """The last phase the worker reported, passed on to ``report`` as it changes."""

    def __init__(self, report: Callable[[Phase], None]):
        self.current: Phase = "start"
        self._report = report

    def enter(self, phase: object) -> None:
        if phase not in PHASE_WORDS or phase == "start":
            raise protocol.ProtocolError(f"unknown phase {phase!r}")
        self.current = phase  # type: ignore[assignment]
        self._report(self.current)


async def request_table(
    process: WorkerProcess, request: protocol.Message, timeout: float, report: Callable[[Phase], None]
) -> NodeTable | Problem:
    """Send a ``table`` request and wait for its result; ``report`` hears each phase the worker enters.

    Raises ``WorkerLost`` when the worker ends, corrupts the channel, or has not answered
    ``WATCHDOG_GRACE`` seconds after ``timeout``.
    """
    phases = _Phases(report)
    reading = asyncio.ensure_future(_exchange(process, request, phases))
    exited = asyncio.ensure_future(process.exited())
    try:
        done, _ = await asyncio.wait(
            {reading, exited}, timeout=timeout + WATCHDOG_GRACE, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            raise WorkerLost(phases.current, overdue=True)
        if reading not in done:  # what it wrote before it ended is in the pipe, unless a stray process holds it
            await asyncio.wait({reading}, timeout=REPLY_DRAIN)
            if not reading.done():
                raise WorkerLost(phases.current)
        return reading.result()
    except (asyncio.IncompleteReadError, ConnectionError) as error:
        raise WorkerLost(phases.current) from error
    except protocol.ProtocolError as error:
        raise WorkerLost(phases.current, channel_error=str(error)) from error
    finally:
        reading.cancel()
        exited.cancel()


async def _exchange(process: WorkerProcess, request: protocol.Message, phases: _Phases) -> NodeTable | Problem:
    await process.send(request)
    while True:
        message = await process.receive()
        kind = message["type"]
        if kind == "phase":
            phases.enter(message.get("phase"))
        elif kind == "result" and message.get("id") == request["id"]:
            return _result(message)


def _result(message: protocol.Message) -> NodeTable | Problem:
    """The reply's table or problem; ``ProtocolError`` if it holds neither in readable form."""
    try:
        if "table" in message:
            return NodeTable.from_json(message["table"])
        return Problem.from_json(message["problem"])
    except Exception as error:  # whatever is unreadable in a reply means the channel is corrupt
        raise protocol.ProtocolError(f"an unreadable result: {type(error).__name__}: {error}") from error

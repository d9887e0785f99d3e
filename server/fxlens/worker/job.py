"""One trace to run and the requests that wait for it: their futures, their progress displays, its phase.

Identical requests (same model content) share one ``Job``; each waiter may bring a progress
callback, which hears the phase the trace is in when it joins and every phase after.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from fxlens.worker.cache import Result
from fxlens.worker.lost import Phase
from fxlens.workspace.spec import ModelSpec

Progress = Callable[[str], None]  # hears "import", "build", "trace" as the worker enters each

_logger = logging.getLogger("fxlens.worker")


@dataclass
class Job:
    """One trace to run, shared by every identical request waiting for it."""

    key: str
    spec: ModelSpec
    overlays: dict[str, str]
    waiters: list[asyncio.Future[Result]] = field(default_factory=list)
    progress: dict[asyncio.Future[Result], Progress] = field(default_factory=dict)  # by waiter
    phase: Phase = "start"  # the last phase the worker reported
    task: asyncio.Task[Result] | None = None
    started: bool = False

    def join(self, waiter: asyncio.Future[Result], progress: Progress | None) -> None:
        """Add a waiter; its ``progress`` hears the phase the trace is in now, then each one after."""
        self.waiters.append(waiter)
        if progress is not None:
            self.progress[waiter] = progress
            if self.phase != "start":
                _tell(progress, self.phase)

    def leave(self, waiter: asyncio.Future[Result]) -> None:
        self.waiters.remove(waiter)
        self.progress.pop(waiter, None)

    def enter(self, phase: Phase) -> None:
        self.phase = phase
        for progress in list(self.progress.values()):
            _tell(progress, phase)


def _tell(progress: Progress, phase: Phase) -> None:
    """Pass a phase to a caller's progress display, which must not break the trace."""
    try:
        progress(phase)
    except Exception:  # a display's failure is the display's, not the trace's
        _logger.exception("a progress callback failed")

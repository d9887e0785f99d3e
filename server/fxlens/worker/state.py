"""The worker's states and the transitions between them, as the supervisor drives them.

```
dead ──► starting ──► ready ⇄ busy
  ▲          │          │      │
  └──────────┼──────────┴──────┘   lost (died, timed out, corrupted its channel): replaced at once
             └──► failed           cannot start with this interpreter: sticky
any ──► stopped                    final
```
"""

from __future__ import annotations

import enum


class WorkerState(str, enum.Enum):
    """Where the supervisor's worker is; the value is what status displays show."""

    DEAD = "dead"  # no worker process: not started yet, or lost and about to be replaced
    STARTING = "starting"  # spawned, importing torch
    READY = "ready"  # idle, torch imported
    BUSY = "busy"  # running a request
    FAILED = "failed"  # cannot start with this interpreter; every request gets that problem
    STOPPED = "stopped"  # the supervisor was stopped

    def __str__(self) -> str:
        return self.value


TRANSITIONS: dict[WorkerState, frozenset[WorkerState]] = {
    WorkerState.DEAD: frozenset({WorkerState.STARTING, WorkerState.STOPPED}),
    WorkerState.STARTING: frozenset({WorkerState.READY, WorkerState.FAILED, WorkerState.STOPPED}),
    WorkerState.READY: frozenset({WorkerState.BUSY, WorkerState.DEAD, WorkerState.STOPPED}),
    WorkerState.BUSY: frozenset({WorkerState.READY, WorkerState.DEAD, WorkerState.STOPPED}),
    WorkerState.FAILED: frozenset({WorkerState.STOPPED}),
    WorkerState.STOPPED: frozenset(),
}


class TransitionError(RuntimeError):
    """The supervisor tried a transition the state machine does not have (a bug in fxlens)."""


def check_transition(old: WorkerState, new: WorkerState) -> None:
    """Raise ``TransitionError`` unless ``old → new`` is a transition of the machine."""
    if new not in TRANSITIONS[old]:
        raise TransitionError(f"the fxlens worker cannot go from {old} to {new}")

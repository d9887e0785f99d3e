"""How the worker is launched: the interpreter and trace timeout, from settings over configuration.

The one place that says which interpreter traces models and for how long, for the CLI and the
server alike: an explicit choice (``--python``, the editor's setting), else ``[tool.fxlens]``,
else this interpreter and 30 seconds.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from fxlens.workspace.config import FxlensConfig

DEFAULT_TRACE_TIMEOUT = 30.0  # seconds per model


@dataclass(frozen=True)
class WorkerLaunch:
    interpreter: str
    timeout: float


def worker_launch(config: FxlensConfig, interpreter: str | None = None, timeout: float | None = None) -> WorkerLaunch:
    """The launch settings: the given values, else the configuration's, else the defaults."""
    return WorkerLaunch(
        interpreter or config.python or sys.executable,
        timeout or config.trace_timeout or DEFAULT_TRACE_TIMEOUT,
    )

"""The ``fxlens`` command run as users run it, for the CLI tests: a real subprocess with its own trace cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def fxlens(*args: str, cwd: Path = REPO, cache: Path) -> subprocess.CompletedProcess[str]:
    """``python -m fxlens *args`` in ``cwd``, caching traces under ``cache`` (its ``XDG_CACHE_HOME``)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "fxlens", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )

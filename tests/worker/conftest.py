"""Fixtures for the worker tests: a tiny workspace writer and supervisors with real worker processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from fxlens.worker.cache import TableCache
from fxlens.worker.supervisor import Supervisor
from worker_helpers import Log, SupervisorFactory, Workspace

TEST_TIMEOUT = 5.0  # seconds per request: hostile models hit it, real ones stay far below


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest_asyncio.fixture
async def make_supervisor(cache_dir: Path) -> AsyncIterator[SupervisorFactory]:
    """Supervisors with a short timeout, the test's cache directory and a captured log; all stopped at the end."""
    made: list[Supervisor] = []

    def make(**options: object) -> Supervisor:
        options.setdefault("timeout", TEST_TIMEOUT)
        options.setdefault("cache", TableCache(cache_dir))
        options.setdefault("log", Log())
        supervisor = Supervisor(**options)  # type: ignore[arg-type]
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        await supervisor.stop()

"""Fixtures for the worker tests: a tiny workspace writer and supervisors with real worker processes."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from fxlens.worker.cache import TableCache
from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.spec import ModelSpec

TEST_TIMEOUT = 5.0  # seconds per request: hostile models hit it, real ones stay far below


class Workspace:
    """A directory of Python files, written from dedented text."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, relative: str, text: str) -> str:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return str(path)

    def spec(self, relative: str, callable: str, *args: str, kwargs: tuple[tuple[str, str], ...] = ()) -> ModelSpec:
        """The spec of workspace class/factory ``callable`` defined in file ``relative``."""
        module = relative.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        return ModelSpec(
            builder="workspace",
            module=module,
            callable=callable,
            display_name=callable,
            args=args,
            kwargs=kwargs,
            file=str(self.root / relative),
            workspace_root=str(self.root),
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


class Log(list[str]):
    """The supervisor's log: every line it was given."""

    def text(self) -> str:
        return "\n".join(self)


SupervisorFactory = Callable[..., Supervisor]


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


RESNET50 = ModelSpec("torchvision", "torchvision.models", "resnet50", "resnet50")

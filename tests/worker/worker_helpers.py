"""Helpers for the worker tests: a tiny workspace writer, a log recorder, common specs."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable
from pathlib import Path

from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.spec import ModelSpec

RESNET50 = ModelSpec("torchvision", "torchvision.models", "resnet50", "resnet50")

SupervisorFactory = Callable[..., Supervisor]


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


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds (at most a minute: a worker may have to start first)."""
    for _ in range(6000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{what} did not happen within a minute")


async def until_busy(supervisor: Supervisor) -> None:
    """Wait until the worker runs a request."""
    await until(lambda: supervisor.state == "busy", f"the worker becoming busy (state {supervisor.state})")


class Log(list[str]):
    """The supervisor's log: every line it was given."""

    def __call__(self, line: str) -> None:
        self.append(line)

    def text(self) -> str:
        return "\n".join(self)

"""Starting a worker process, before any event loop runs: ``python -m fxlens.worker`` in a new
session, with its channel of two dedicated pipes.

The worker gets a directory holding only a link to the fxlens package as its cwd and
``PYTHONPATH`` (so the workspace's interpreter imports this fxlens and nothing else of the
server's environment) and its address-space cap. This module imports no asyncio, so
``fxlens serve`` can start a warm worker a few milliseconds after its own start, before the
imports of the server; ``fxlens.worker.process`` attaches it to the loop later.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import fxlens

GiB = 1 << 30
DEFAULT_MEMORY_LIMIT = 8 * GiB  # bytes of address space a worker may have


@dataclass
class Started:
    """A worker process whose channel is not yet read by an event loop: ``fxlens serve`` with
    ``FXLENS_WARM_WORKER=1`` starts one before the server's own imports, and the first supervisor
    with the same interpreter and memory cap attaches it (``Launcher``)."""

    interpreter: str
    memory_limit: int
    process: subprocess.Popen[bytes]
    requests: BinaryIO  # the write end of the request pipe
    replies: BinaryIO  # the read end of the reply pipe

    def discard(self) -> None:
        """End the process and its group and close its pipes (for a worker nobody attached).

        The pipes are closed as file objects, which a transport that took one closes again
        harmlessly: never by descriptor, whose number a later worker's pipe may have by then.
        """
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for pipe in (self.requests, self.replies, self.process.stdout):
            if pipe is not None:
                pipe.close()


def start(interpreter: str, memory_limit: int) -> Started:
    """Start ``python -m fxlens.worker`` in a new session; ``OSError`` if the interpreter cannot run.

    Synchronous, so it needs no event loop: the worker's ``import torch`` can begin before the
    server's.
    """
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    try:
        process = subprocess.Popen(
            [interpreter, "-m", "fxlens.worker",
             "--channel", f"{request_read},{reply_write}", "--memory-limit", str(memory_limit)],
            pass_fds=(request_read, reply_write),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=package_home(), env=_environment(), start_new_session=True,
        )  # fmt: skip
    except BaseException:
        for fd in (request_write, reply_read):
            os.close(fd)
        raise
    finally:
        os.close(request_read)
        os.close(reply_write)
    return Started(
        interpreter, memory_limit, process, os.fdopen(request_write, "wb", 0), os.fdopen(reply_read, "rb", 0)
    )


@functools.cache
def package_home() -> str:
    """A directory holding only a link to this fxlens package: every worker's cwd and PYTHONPATH,
    removed when this process exits.

    Putting fxlens's parent directory on the path instead could bring the server's whole
    site-packages (its torch included) into the workspace's interpreter.
    """
    home = tempfile.mkdtemp(prefix="fxlens-worker-")
    os.symlink(Path(fxlens.__file__).parent, Path(home) / "fxlens")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_home(), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["CUDA_VISIBLE_DEVICES"] = ""  # tracing needs no GPU; a CUDA context would blow the memory cap
    env["OMP_NUM_THREADS"] = "1"  # meta tensors do no arithmetic; fewer threads, less address space
    return env

"""What a lost worker means: its last output, exit status and phase become the request's ``Problem``.

A worker is lost when it ended or was ended in the middle of a request: it ran out of time (its
own watchdog printed the stack and ended it, or the supervisor did), died (``os._exit``, a
segfault, the memory cap), or wrote something on its channel that is not a frame. Everything
here is a pure function of what the supervisor saw, so it is tested on canned faulthandler
text; the location is the innermost workspace frame of the last Python stack the worker printed.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fxlens.nodes import Problem, SourceLocation
from fxlens.worker.spawn import GiB
from fxlens.workspace.spec import ModelSpec
from fxlens.workspace.text import split_lines

Phase = Literal["start", "import", "build", "trace"]  # "start": the request was sent, no phase reported yet

PHASE_WORDS: dict[str, str] = {
    "start": "sending the request",
    "import": "importing",
    "build": "building",
    "trace": "tracing",
}

_THREAD_HEADER = re.compile(  # "Stack": a dump of the current thread only
    r"^(?:Current thread 0x[0-9a-fA-F]+|(?P<other>Thread 0x[0-9a-fA-F]+)|Stack) \(most recent call first\):$"
)
_WATCHDOG_HEADER = re.compile(r"^Timeout \(\d+:\d\d:\d\d(?:\.\d+)?\)!$")
WATCHDOG_EXIT = 1  # faulthandler.dump_traceback_later(..., exit=True) ends the process with _exit(1)
_FRAME = re.compile(r'^\s+File "(?P<file>.+)", line (?P<line>\d+) in ')
_MEMORY_SIGNS = ("MemoryError", "bad_alloc", "annot allocate memory", "out of memory")


@dataclass(frozen=True)
class LostWorker:
    """What the supervisor saw of a worker that did not answer a request."""

    output: str  # the worker's recent stdout and stderr
    returncode: int | None  # negative: the signal that ended it
    phase: Phase  # the last phase the worker reported for the request
    overdue: bool = False  # the supervisor ended it: its own watchdog had not, well past the timeout
    channel_error: str = ""  # the channel carried something that is not a frame (model code wrote on it)
    elapsed: float = 0.0  # seconds from the request to the loss


def lost_worker_problem(
    lost: LostWorker,
    spec: ModelSpec,
    overlays: Mapping[str, str],
    *,
    timeout: float,
    memory_limit: int,
    read_file: Callable[[str], str | None] | None = None,
) -> Problem:
    """The problem to report for ``spec``'s request; the worker was (or is being) replaced.

    ``overlays`` (keyed by normalized path) and ``read_file`` give the text of the located line.
    """
    location = stack_location(lost.output, spec.workspace_root, overlays, read_file or _read_file)
    doing = f"{PHASE_WORDS[lost.phase]} {spec.display_name}"
    # the watchdog's exit once the timeout has passed is a timeout, even when its dump was not read
    # in time (a loaded machine): exit code 1 that early would be the model's own
    watchdog_exit = lost.returncode == WATCHDOG_EXIT and lost.elapsed >= timeout
    if lost.overdue or watchdog_exit or watchdog_fired(lost.output, lost.returncode):
        return Problem(
            kind="timeout",
            message=f"{doing} took longer than {timeout:g} s; the worker was restarted",
            location=location,
            hint="an endless loop or a wait (input, network, lock) in the model's code ends this way; "
            "if the model is only slow, raise fxlens's timeout",
        )
    if lost.channel_error:
        return Problem(
            kind="crash",
            message=f"the worker's channel was corrupted while {doing} ({lost.channel_error}); "
            "the worker was restarted",
            location=location,
            hint="the model's code wrote on a file descriptor it does not own (fxlens's reply pipe); "
            "the next request uses a new worker",
        )
    how = exit_description(lost.returncode)
    if any(sign in lost.output for sign in _MEMORY_SIGNS):
        return Problem(
            kind="memory",
            message=f"the worker ran out of memory ({memory_limit / GiB:g} GiB cap) while {doing} and ended ({how})",
            location=location,
            hint="raise fxlens's memory limit, or avoid real allocations in the model's __init__",
        )
    return Problem(
        kind="crash",
        message=f"the worker process ended ({how}) while {doing}; it was restarted",
        location=location,
        hint="the model's code ended the process (os._exit, a native crash); the next request uses a new worker",
        details=tuple(lost.output.splitlines()[-20:]),
    )


def watchdog_fired(output: str, returncode: int | None) -> bool:
    """The worker ended itself at the request's timeout: exit code 1 right after faulthandler's
    ``Timeout (0:00:05)!`` dump, the last thing it printed."""
    if returncode != WATCHDOG_EXIT:
        return False
    lines = output.splitlines()
    starts = [i for i, text in enumerate(lines) if _WATCHDOG_HEADER.match(text)]
    return bool(starts) and all(_is_dump_line(text) for text in lines[starts[-1] + 1 :])


def _is_dump_line(text: str) -> bool:
    return bool(_THREAD_HEADER.match(text) or _FRAME.match(text)) or text.strip() in ("", "...", "<no Python frame>")


def exit_description(returncode: int | None) -> str:
    """``exit code 3`` or ``signal SIGSEGV``."""
    if returncode is None:
        return "exit status unknown"
    if returncode >= 0:
        return f"exit code {returncode}"
    number = -returncode
    try:
        return f"signal {signal.Signals(number).name}"
    except ValueError:
        return f"signal {number}"


def stack_location(
    output: str, workspace_root: str, overlays: Mapping[str, str], read_file: Callable[[str], str | None]
) -> SourceLocation | None:
    """The innermost workspace frame of the last stack faulthandler printed: the thread that
    crashed or got the signal (``Current thread``), else the main thread (listed last)."""
    if not workspace_root:
        return None
    threads = last_dump(output)
    if not threads:
        return None
    current = [frames for is_current, frames in threads if is_current]
    frames = current[0] if current else threads[-1][1]
    root = _normalize(workspace_root)
    for file, line in frames:
        path = _normalize(file)
        if path.startswith(root + os.sep):
            return SourceLocation(path, line, _line_text(path, line, overlays, read_file))
    return None


def last_dump(output: str) -> list[tuple[bool, list[tuple[str, int]]]]:
    """The threads of the last faulthandler dump in ``output``: (is the current thread, frames
    innermost first as (file, line)). Thread blocks separated only by blank lines are one dump."""
    dumps: list[list[tuple[bool, list[tuple[str, int]]]]] = []
    block: list[tuple[str, int]] | None = None  # the frames of the block being read
    joinable = False  # a thread header here continues the last dump
    for text in output.splitlines():
        if header := _THREAD_HEADER.match(text):
            if not joinable:
                dumps.append([])
            block, joinable = [], False
            dumps[-1].append((header["other"] is None, block))
        elif block is not None and (frame := _FRAME.match(text)):
            block.append((frame["file"], int(frame["line"])))
        elif block is not None and text.strip() in ("...", "<no Python frame>"):
            continue  # faulthandler's marks for a truncated stack and a thread outside Python
        else:
            joinable = not text.strip() and (block is not None or joinable)
            block = None
    return dumps[-1] if dumps else []


def _normalize(path: str) -> str:
    return os.path.realpath(path)


def _read_file(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return None


def _line_text(file: str, line: int, overlays: Mapping[str, str], read_file: Callable[[str], str | None]) -> str:
    text = overlays.get(file)
    if text is None:
        text = read_file(file)
    if text is None:
        return ""
    lines = split_lines(text)
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""

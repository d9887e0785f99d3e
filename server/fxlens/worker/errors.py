"""Exceptions raised by user code, as ``Problem``s: kind, one-line message, user frame, hint.

The location is the innermost traceback frame in a user file (a workspace file when the model
comes from the workspace), so a diagnostic points at the user's line, not at torch's.
"""

from __future__ import annotations

import collections
import sys
import sysconfig
import traceback
from collections.abc import Callable
from pathlib import Path

from fxlens.nodes import Problem, ProblemKind, SourceLocation, exception_summary

_ALLOCATION_FAILURES = ("can't allocate memory", "cannot allocate memory", "out of memory", "bad_alloc")
_LIBRARY_DIRS = tuple(
    {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    | {str(Path(__file__).parents[1])}  # fxlens itself (as imported: the PYTHONPATH shim, not resolved)
)


def is_library_file(filename: str) -> bool:
    """True for the standard library, installed packages, fxlens and frozen/generated code."""
    return filename.startswith("<") or filename.startswith(_LIBRARY_DIRS) or "site-packages" in filename


def is_memory_error(error: BaseException) -> bool:
    """A failed allocation: ``MemoryError`` or torch's allocator error (under the memory cap)."""
    return isinstance(error, MemoryError) or (
        isinstance(error, RuntimeError) and any(s in str(error).lower() for s in _ALLOCATION_FAILURES)
    )


def problem_from_exception(
    kind: ProblemKind,
    error: BaseException,
    *,
    is_user_file: Callable[[str], bool] = lambda f: not is_library_file(f),
    context: str = "",
    hint: str = "",
) -> Problem:
    """A ``Problem`` for ``error``: kind ``memory`` for failed allocations, else ``kind``.

    ``context`` prefixes the message (``importing `models.net```); ``hint`` overrides the
    built-in hints (missing module, ``sys.exit``, allocation failure).
    """
    frames = [f for f in traceback.extract_tb(error.__traceback__) if is_user_file(f.filename)]
    location = None
    if isinstance(error, SyntaxError) and error.filename and error.lineno:
        location = SourceLocation(error.filename, error.lineno, (error.text or "").strip())
    elif isinstance(error, RecursionError) and frames:
        frame, calls = _most_repeated(frames)
        location = SourceLocation(frame.filename, frame.lineno or 0, (frame.line or "").strip())
        hint = hint or (
            f"endless recursion through `{frame.name}` ({calls} nested calls at this line): "
            "give the recursion a case that ends it"
        )
    elif frames:
        frame = frames[-1]
        location = SourceLocation(frame.filename, frame.lineno or 0, (frame.line or "").strip())
    if is_memory_error(error):
        kind = "memory"
    summary = _summary(error)
    return Problem(
        kind=kind,
        message=f"{context}: {summary}" if context else summary,
        location=location,
        hint=hint or _hint(kind, error),
        details=tuple(collapse_repeats([f"{f.filename}:{f.lineno}: {(f.line or '').strip()}" for f in frames])),
    )


def _most_repeated(frames: list[traceback.FrameSummary]) -> tuple[traceback.FrameSummary, int]:
    """The frame whose line recurs most often (the innermost of equals), and how often."""
    counts = collections.Counter((f.filename, f.lineno) for f in frames)
    frame = max(reversed(frames), key=lambda f: counts[f.filename, f.lineno])
    return frame, counts[frame.filename, frame.lineno]


def collapse_repeats(lines: list[str], longest_cycle: int = 4) -> list[str]:
    """``lines`` with each run of a repeated block of one to ``longest_cycle`` lines (as recursion
    leaves in a traceback) written once, then counted."""
    collapsed: list[str] = []
    i = 0
    while i < len(lines):
        for size in range(1, longest_cycle + 1):
            block = lines[i : i + size]
            repeats = 1
            while lines[i + repeats * size : i + (repeats + 1) * size] == block:
                repeats += 1
            if repeats >= 3:
                what = "line" if size == 1 else f"{size} lines"
                collapsed += [*block, f"[previous {what} repeated {repeats - 1} more times]"]
                i += size * repeats
                break
        else:
            collapsed.append(lines[i])
            i += 1
    return collapsed


def _summary(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"the code called sys.exit({error.code!r})" if error.code is not None else "the code called sys.exit()"
    return exception_summary(error)


def _hint(kind: ProblemKind, error: BaseException) -> str:
    if kind == "memory":
        return (
            "the model needs more memory than the worker's cap allows: "
            "raise fxlens's memory limit, or avoid real allocations in __init__"
        )
    if isinstance(error, ModuleNotFoundError) and error.name:
        return (
            f"`{error.name}` is not importable by {sys.executable}: "
            "install it there, or select the interpreter of your project"
        )
    if isinstance(error, SystemExit):
        return 'move the sys.exit() call into a function or under `if __name__ == "__main__":`'
    return ""

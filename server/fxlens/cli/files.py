"""Which files ``fxlens check`` reads: the ``.py`` and ``.ipynb`` files named or found in folders, ``.gitignore``
honoured."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator

SOURCE_SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "build", "dist", ".tox"}


class MissingPath(ValueError):
    """A path given on the command line that does not exist."""


def python_files(paths: Iterable[str]) -> Iterator[str]:
    """The files named, and the ``.py`` and ``.ipynb`` files found under ``paths``, in order, honouring
    ``.gitignore``."""
    for path in paths:
        if os.path.isfile(path):
            yield path
        elif os.path.isdir(path):
            yield from sorted(_git_files(path) or _walk(path))
        else:
            raise MissingPath(f"{path}: no such file or directory")


def is_notebook(path: str) -> bool:
    """Whether ``path`` names a Jupyter notebook (read as its code cells)."""
    return path.endswith(".ipynb")


def display(path: str) -> str:
    """``path`` relative to the current folder when it is below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _git_files(folder: str) -> list[str] | None:
    """Files git would track under ``folder`` (tracked or untracked, not ignored); None outside git."""
    try:
        patterns = [f"*{suffix}" for suffix in SOURCE_SUFFIXES]
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *patterns],
            cwd=folder, capture_output=True, check=True,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    names = [n for n in out.stdout.decode().split("\0") if n]
    return [os.path.join(folder, n) for n in names if os.path.isfile(os.path.join(folder, n))]


def _walk(folder: str) -> list[str]:
    found = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = [d for d in subdirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        found += [os.path.join(directory, f) for f in files if f.endswith(SOURCE_SUFFIXES)]
    return found

"""Node tables by content: an in-memory LRU in front of a directory of JSON files.

A key hashes everything a table depends on: the spec (``ModelSpec.key()``), the content of every
workspace file the model's module imports (the editor's unsaved text where there is one) and the
torch / torchvision / timm / fxlens versions. Editing a file the model imports changes the key;
editing any other file does not. The disk holds what stays true across server restarts: tables
and the problems that follow from the code alone (construction, trace, shape errors).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path

from fxlens.nodes import NodeTable, Problem
from fxlens.workspace.spec import ModelSpec

Result = NodeTable | Problem
Versions = Mapping[str, str | None]

FORMAT = 5  # bump when the table format changes; older files are then ignored (5: what forward returns)
DURABLE_PROBLEMS = frozenset({"construction", "trace", "shape", "resolve", "config"})


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/fxlens/tables``, by default ``~/.cache/fxlens/tables``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fxlens" / "tables"


def normalize_path(path: str) -> str:
    """The form file paths take in keys and overlays: absolute, symlinks resolved."""
    return os.path.realpath(path)


def content_digest(path: str, overlays: Mapping[str, str]) -> str:
    """SHA-256 of the file as the editor shows it (unsaved text wins); ``"missing"`` if absent.

    ``overlays`` must be keyed by ``normalize_path`` paths.
    """
    text = overlays.get(path)
    try:
        data = text.encode() if text is not None else Path(path).read_bytes()
    except OSError:
        return "missing"
    return hashlib.sha256(data).hexdigest()


def cache_key(spec: ModelSpec, dependencies: Iterable[str], overlays: Mapping[str, str], versions: Versions) -> str:
    """The key of ``spec``'s table given its workspace dependencies' contents and the versions.

    The spec's own file is always a dependency. ``overlays`` must be keyed by ``normalize_path``.
    """
    paths = {normalize_path(p) for p in dependencies}
    if spec.file:
        paths.add(normalize_path(spec.file))
    blob = {
        "format": FORMAT,
        "spec": spec.key(),
        "files": {p: content_digest(p, overlays) for p in sorted(paths)},
        "versions": dict(sorted(versions.items())),
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


class TableCache:
    """Results by key: ``capacity`` in memory (least recently used dropped), durable ones on disk.

    ``directory=None`` keeps the cache in memory only. The directory holds at most
    ``disk_capacity`` files; the least recently used are removed beyond that.
    """

    def __init__(self, directory: Path | None = None, capacity: int = 256, disk_capacity: int = 4096):
        self.directory = directory
        self.capacity = capacity
        self.disk_capacity = disk_capacity
        self._memory: OrderedDict[str, Result] = OrderedDict()

    def get(self, key: str) -> Result | None:
        """The cached result, from memory or else from disk; None on a miss."""
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        result = self._read(key)
        if result is not None:
            self._remember(key, result)
        return result

    def put(self, key: str, result: Result) -> None:
        """Remember ``result``; write it to disk when it is a table or a durable problem."""
        self._remember(key, result)
        if self.directory is not None and (isinstance(result, NodeTable) or result.kind in DURABLE_PROBLEMS):
            self._write(key, result)

    def _remember(self, key: str, result: Result) -> None:
        self._memory[key] = result
        self._memory.move_to_end(key)
        while len(self._memory) > self.capacity:
            self._memory.popitem(last=False)

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{key}.json"

    def _read(self, key: str) -> Result | None:
        if self.directory is None:
            return None
        path = self._path(key)
        try:
            data = json.loads(path.read_bytes())
            if data.get("format") != FORMAT:
                return None
            result = NodeTable.from_json(data["table"]) if "table" in data else Problem.from_json(data["problem"])
            os.utime(path)  # recently used: pruned last
            return result
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)  # unreadable or from another format: a miss, and gone
            return None

    def _write(self, key: str, result: Result) -> None:
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        field = "table" if isinstance(result, NodeTable) else "problem"
        data = json.dumps({"format": FORMAT, field: result.to_json()}, separators=(",", ":")).encode()
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, self._path(key))  # readers see the old file or the whole new one
        self._prune()

    def _prune(self) -> None:
        assert self.directory is not None
        files = list(self.directory.glob("*.json"))
        if len(files) <= self.disk_capacity:
            return
        files.sort(key=lambda f: f.stat().st_mtime)
        for file in files[: len(files) - self.disk_capacity]:
            file.unlink(missing_ok=True)

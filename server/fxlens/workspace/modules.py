"""The workspace as a set of Python modules: module name ↔ file, parsed once per text, overlays first.

The editor's unsaved text (overlays) wins over the disk, so resolution follows what the user sees.
Third-party modules are whatever is not a file of the workspace (under the root or ``root/src``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from fxlens.workspace.config import ConfigError, FxlensConfig, load_config
from fxlens.workspace.parse import ParsedDocument, parse_document
from fxlens.workspace.spec import ModelSpec, script_folder
from fxlens.workspace.symbols import absolute_module

_RACY_NS = 3_000_000_000  # files changed this recently are read again every time


def path_of(uri: str) -> str:
    """The absolute file path of a ``file://`` URI or of a path."""
    if uri.startswith("file://"):
        return os.path.abspath(unquote(urlparse(uri).path))
    return os.path.abspath(uri)


class Workspace:
    """A workspace root with its configuration, unsaved-text overlays and a cache of parsed files."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        overlays: Mapping[str, str] | None = None,
        config: FxlensConfig | None = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.overlays = {path_of(p): text for p, text in (overlays or {}).items()}
        self.config_errors: list[ConfigError] = []
        if config is None:
            config, self.config_errors = load_config(self.root)
        self.config = config
        self._documents: dict[str, ParsedDocument] = {}
        self._disk: dict[str, tuple[tuple[int, int], str]] = {}  # path -> ((mtime_ns, size), text)
        self._extra: dict[str, str] = {}  # module name → file, for open documents outside the root
        self._roots = [r for r in (self.root, self.root / "src") if r.is_dir()] or [self.root]

    def add(self, doc: ParsedDocument) -> None:
        """Make an open document (possibly unsaved, possibly outside the root) part of the workspace."""
        path = path_of(doc.uri)
        self.overlays[path] = doc.text
        self._documents[path] = doc
        module, _ = self.module_name(path)
        self._extra.setdefault(module, path)

    def read(self, path: str) -> str | None:
        """The file's text: the overlay if the editor has one, else the disk; None if unreadable.

        Disk text is cached by the file's modification time and size, so reading again is a stat
        (not for a file written in the last seconds: timestamps are coarser than writes, as in git).
        """
        if path in self.overlays:
            return self.overlays[path]
        try:
            stat = os.stat(path)
            cached = self._disk.get(path)
            if cached is not None and cached[0] == (stat.st_mtime_ns, stat.st_size):
                return cached[1]
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self._disk.pop(path, None)
            return None
        if time.time_ns() - stat.st_mtime_ns > _RACY_NS:  # a newer write could still share this mtime
            self._disk[path] = ((stat.st_mtime_ns, stat.st_size), text)
        return text

    def document(self, path: str) -> ParsedDocument | None:
        """The parsed file, reparsed only when its text changed."""
        text = self.read(path)
        if text is None:
            return None
        cached = self._documents.get(path)
        if cached is None or cached.text != text:
            cached = self._documents[path] = parse_document(path, text)
        return cached

    def module_file(self, module: str, importer: str | None = None, pinned: str | None = None) -> str | None:
        """The workspace file defining ``module`` (``a/b.py`` or ``a/b/__init__.py``), if any.

        Imported from ``importer``, a file whose folder is not a package, the folder is searched
        first: running a script puts its folder on ``sys.path`` (``scripts/train.py`` importing
        ``model`` gets ``scripts/model.py``). ``pinned`` is a file that counts as existing (a
        document being resolved, perhaps never saved).
        """
        if not module:
            return None
        relative = Path(*module.split("."))
        for root in [*script_folder(importer), *self._roots]:
            for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
                path = str(candidate)
                if path == pinned or path in self.overlays or candidate.is_file():
                    return path
        if pinned is not None and self.module_name(pinned)[0] == module:
            return pinned
        return self._extra.get(module)

    def module_name(self, path: str) -> tuple[str, bool]:
        """(dotted module name, is a package) of a file; a file outside the root is named by its stem."""
        file = Path(path)
        for root in sorted(self._roots, key=lambda r: len(r.parts), reverse=True):
            if file.is_relative_to(root):
                parts = list(file.relative_to(root).with_suffix("").parts)
                if any(part.startswith(".") for part in parts[:-1]):
                    return file.stem, False  # a hidden folder no import names (``.virtual_documents``): a script's
                if parts[-1] == "__init__":
                    return ".".join(parts[:-1]), True
                return ".".join(parts), False
        return file.stem, False

    def split(
        self, qualified: str, importer: str | None = None, pinned: str | None = None
    ) -> tuple[str, str, str] | None:
        """(module, attribute path, file) for the longest prefix of ``qualified`` that is a workspace
        module, as imported from the file ``importer`` (``pinned`` as in ``module_file``)."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            file = self.module_file(module, importer, pinned)
            if file is not None:
                return module, ".".join(parts[cut:]), file
        return None

    def view(self, doc: ParsedDocument) -> WorkspaceView:
        """The workspace as seen while resolving ``doc``: its text first, nothing changed."""
        return WorkspaceView(self, doc)


class WorkspaceView:
    """A workspace with one document layered on top, read-only: resolving a document must not
    change what other documents see (only ``Workspace.add``, the editor's open, does that)."""

    def __init__(self, workspace: Workspace, doc: ParsedDocument) -> None:
        self.workspace = workspace
        self.doc = doc
        self.path = path_of(doc.uri)

    def document(self, path: str) -> ParsedDocument | None:
        """The parsed file; the layered document for its own path."""
        return self.doc if path == self.path else self.workspace.document(path)

    def module_name(self, path: str) -> tuple[str, bool]:
        return self.workspace.module_name(path)

    def split(self, qualified: str, importer: str | None = None) -> tuple[str, str, str] | None:
        return self.workspace.split(qualified, importer, self.path)


def workspace_dependencies(
    target: ModelSpec | str | os.PathLike[str],
    root: str | os.PathLike[str] | Workspace,
    overlays: Mapping[str, str] | None = None,
) -> list[str]:
    """The workspace files a model's module imports, transitively, starting with the module's own file.

    Static (import statements only); third-party modules are left out. A torchvision or timm
    spec depends on no workspace file.
    """
    workspace = root if isinstance(root, Workspace) else Workspace(root, overlays, FxlensConfig())
    if isinstance(target, ModelSpec):
        if target.builder != "workspace" or not target.file:
            return []
        start = path_of(target.file)
    else:
        start = path_of(os.fspath(target))
    seen = [start]
    pending = [start]
    while pending:
        path = pending.pop()
        doc = workspace.document(path)
        if doc is None:
            continue
        module, is_package = workspace.module_name(path)
        for imported, level in doc.symbols.imported:
            name = absolute_module(imported, level, module, is_package)
            file = workspace.module_file(name, path) if name else None
            if file is not None and file not in seen:
                seen.append(file)
                pending.append(file)
            for package in _parents(name):  # importing a.b.c runs a/__init__.py and a/b/__init__.py
                init = workspace.module_file(package, path)
                if init is not None and init.endswith("__init__.py") and init not in seen:
                    seen.append(init)
                    pending.append(init)
    return seen


def _parents(name: str | None) -> list[str]:
    parts = (name or "").split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]

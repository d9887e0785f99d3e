"""Import workspace code the way the editor shows it, without running a script's top level.

A ``WorkspaceImporter`` is installed on ``sys.meta_path`` for one request. It takes over every
module whose file lies in the workspace (outside virtual environments): the source comes from the
editor's unsaved buffer when there is one, else from disk, and nothing is written to
``__pycache__``. A *script* — a module with top-level statements beyond imports, definitions and
simple constant assignments — is executed definitions-only, so its training loop never runs.
Plain modules run unchanged (importing them never runs a ``__main__`` block anyway).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import linecache
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType, TracebackType

from fxlens.workspace.text import split_lines_keeping_breaks

_ENVIRONMENT_PARTS = frozenset({"site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox"})

# Expressions a "simple constant assignment" may use: no calls, no comprehensions, nothing that
# runs user code when evaluated (a lambda only defines a function).
_SIMPLE_EXPRESSIONS = (
    ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Set,
    ast.Dict, ast.UnaryOp, ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda, ast.Starred,
    ast.JoinedStr, ast.FormattedValue, ast.expr_context, ast.operator, ast.unaryop, ast.boolop,
    ast.cmpop, ast.arguments, ast.arg,
)  # fmt: skip


def is_definition(statement: ast.stmt) -> bool:
    """True for statements a definitions-only load executes.

    Imports, ``def``/``class`` (with their decorators), docstrings, ``pass``, assignments of simple
    expressions to names, ``torch.fx.wrap(...)`` registrations, ``if``/``try`` blocks made only of
    such statements (``try: import timm`` / ``if TYPE_CHECKING:``), and ``if __name__ ==
    "__main__":`` blocks (an import never enters them). Not loops, calls, ``with`` blocks or
    attribute assignments.
    """
    if isinstance(
        statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)
    ):
        return True
    if isinstance(statement, ast.Expr):
        value = statement.value
        return (isinstance(value, ast.Constant) and isinstance(value.value, str)) or _is_fx_wrap(value)
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return all(_is_name_target(t) for t in targets) and (statement.value is None or _is_simple(statement.value))
    if isinstance(statement, ast.If):
        return _is_main_guard(statement) or all(map(is_definition, statement.body + statement.orelse))
    if isinstance(statement, ast.Try):
        blocks = statement.body + statement.orelse + statement.finalbody
        blocks += [s for handler in statement.handlers for s in handler.body]
        return all(map(is_definition, blocks))
    return False


def _is_name_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(_is_name_target(t) for t in target.elts)


def _is_simple(expression: ast.expr) -> bool:
    """Made of literals, names and operators only; a lambda's body is not evaluated, so not checked."""
    if isinstance(expression, ast.Lambda):
        return True
    return isinstance(expression, _SIMPLE_EXPRESSIONS) and all(
        _is_simple(child) for child in ast.iter_child_nodes(expression)
    )


def _is_fx_wrap(expression: ast.expr) -> bool:
    """``torch.fx.wrap("f")`` / ``fx.wrap(f)`` / ``wrap(f)`` with simple arguments."""
    if not isinstance(expression, ast.Call) or not all(map(_is_simple, expression.args)):
        return False
    func = expression.func
    return (isinstance(func, ast.Name) and func.id == "wrap") or (
        isinstance(func, ast.Attribute) and func.attr == "wrap"
    )


def _is_main_guard(statement: ast.If) -> bool:
    """``if __name__ == "__main__":`` (either operand order) without an ``else``."""
    test = statement.test
    if (
        statement.orelse
        or not isinstance(test, ast.Compare)
        or len(test.ops) != 1
        or not isinstance(test.ops[0], ast.Eq)
    ):
        return False
    operands = {ast.dump(test.left), ast.dump(test.comparators[0])}
    return operands == {ast.dump(ast.Name("__name__", ast.Load())), ast.dump(ast.Constant("__main__"))}


def definitions_only(tree: ast.Module) -> tuple[ast.Module, bool]:
    """The module to execute, and whether it is a script (some top-level statements were dropped).

    In a script, a constant assignment that reads a name no kept statement binds (``n =
    len(data)`` was dropped, ``half = n // 2`` follows) is dropped too, instead of failing with a
    ``NameError`` at import. Line numbers are kept, so tracebacks and node source lines point at
    the user's file.
    """
    if all(map(is_definition, tree.body)):
        return tree, False
    bound = set(dir(builtins)) | {"__name__", "__file__", "__doc__", "__package__", "__spec__", "__loader__"}
    kept = []
    star_import = False  # after ``from x import *`` any name may be bound
    for statement in tree.body:
        if is_definition(statement) and (star_import or _reads(statement) <= bound):
            kept.append(statement)
            bound |= _binds(statement)
            star_import = star_import or "*" in bound
    return ast.Module(body=kept, type_ignores=tree.type_ignores), True


def _reads(statement: ast.stmt) -> set[str]:
    """Names an assignment's value reads at once (lambda bodies run later); empty for others."""
    if not isinstance(statement, (ast.Assign, ast.AnnAssign)) or statement.value is None:
        return set()
    lambdas = {id(n) for lam in ast.walk(statement.value) if isinstance(lam, ast.Lambda) for n in ast.walk(lam.body)}
    return {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name) and id(n) not in lambdas}


def _binds(statement: ast.stmt) -> set[str]:
    """Names a kept statement may bind (an over-approximation: it includes nested scopes)."""
    names: set[str] = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or (
            isinstance(node, ast.ExceptHandler) and node.name
        ):
            names.add(node.name)
    return names


class _WorkspaceLoader(importlib.abc.SourceLoader):
    """Loads one workspace file from the overlay or disk; scripts definitions-only; no bytecode."""

    def __init__(self, fullname: str, path: str, importer: WorkspaceImporter):
        self.name = fullname
        self.path = path
        self.importer = importer

    def get_filename(self, fullname: str) -> str:
        return self.path

    def get_data(self, path: str) -> bytes:
        overlay = self.importer.overlays.get(path)
        return overlay.encode() if overlay is not None else Path(path).read_bytes()

    def get_code(self, fullname: str):
        source = self.get_data(self.path).decode()
        tree = ast.parse(source, filename=self.path)
        tree, is_script = definitions_only(tree)
        if is_script:
            self.importer.scripts.append(self.path)
        return compile(tree, self.path, "exec", dont_inherit=True)


class WorkspaceImporter(importlib.abc.MetaPathFinder):
    """A context manager: workspace imports from overlays, definitions-only for scripts.

    On entry it puts the roots (and their ``src/``) on ``sys.path``, registers the overlay texts
    with ``linecache`` (so tracebacks and node source lines show the editor's text) and installs
    itself first on ``sys.meta_path``. On exit it undoes all of that and forgets every workspace
    module it imported, so the next request sees the files as they are then.
    """

    def __init__(self, roots: Sequence[str], overlays: Mapping[str, str]):
        self.roots = tuple(dict.fromkeys(Path(r).resolve() for r in roots if r))  # in order, once each
        self.overlays = {str(Path(p).resolve()): text for p, text in overlays.items()}
        self.scripts: list[str] = []  # files that were loaded definitions-only
        self._loaded: list[str] = []
        self._paths = [str(p) for root in self.roots for p in (root, root / "src") if p.is_dir()]

    def owns(self, path: str) -> bool:
        """True for a file in the workspace, outside any virtual environment in it."""
        resolved = Path(path).resolve()
        return any(
            resolved.is_relative_to(root) and not _ENVIRONMENT_PARTS.intersection(resolved.relative_to(root).parts)
            for root in self.roots
        )

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None):
        found = importlib.machinery.PathFinder.find_spec(fullname, path)
        if found is None:
            return self._notebook_spec(fullname, path)
        if not found.has_location or not (found.origin or "").endswith(".py"):
            return found
        if not self.owns(found.origin):
            return found
        origin = str(Path(found.origin).resolve())
        self._loaded.append(fullname)
        return importlib.util.spec_from_file_location(
            fullname,
            origin,
            loader=_WorkspaceLoader(fullname, origin, self),
            submodule_search_locations=found.submodule_search_locations,
        )

    def _notebook_spec(self, fullname: str, path: Sequence[str] | None):
        """A notebook of the workspace given as an overlay (its code cells as one virtual script) is the
        module named by its stem, so a model defined in a cell can be built: definitions-only, as a script."""
        name = fullname.rpartition(".")[2]
        for folder in path if path is not None else sys.path:
            candidate = str((Path(folder) / f"{name}.ipynb").resolve())
            if candidate in self.overlays and self.owns(candidate):
                self._loaded.append(fullname)
                loader = _WorkspaceLoader(fullname, candidate, self)
                return importlib.util.spec_from_file_location(fullname, candidate, loader=loader)
        return None

    def __enter__(self) -> WorkspaceImporter:
        linecache.checkcache()  # files edited on disk since an earlier request: forget their old lines
        sys.path[:0] = self._paths
        sys.meta_path.insert(0, self)
        for path, text in self.overlays.items():
            linecache.cache[path] = (len(text), None, split_lines_keeping_breaks(text), path)
        importlib.invalidate_caches()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        sys.meta_path.remove(self)
        for entry in self._paths:
            sys.path.remove(entry)
        for name in self._loaded:
            sys.modules.pop(name, None)
        for path in self.overlays:
            linecache.cache.pop(path, None)

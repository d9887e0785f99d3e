"""The traceability lens above every ``nn.Module`` class: listed without a command, traced on resolve.

``codeLens`` lists the classes (static, nothing traced); ``codeLens/resolve`` traces one class through
the session's trace path and fills the command: traceable opens the node table, not traceable applies
the verified fix (leaf modules, wrapped functions, concrete arguments) to the calls of the class in the
document (``fxlens.applyTraceFix``) or shows where it breaks. A class's state is cached by its spec
and the text it depends on: its own statement, the module-level code of its file, the classes of the
file it names, and the workspace files it imports, so an edit of one class re-traces only that class
(and those naming it).
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lsprotocol import types
from tree_sitter import Node

from fxlens.lint.findings import TextEdit
from fxlens.lint.fix_imports import fix_in_reach
from fxlens.lint.leaf_fix import leaf_fix_offer
from fxlens.lsp.positions import Positions
from fxlens.nodes import NodeTable, Problem
from fxlens.pipeline import resolve_call
from fxlens.state import ModelState
from fxlens.traceability import Summary, dependencies_of, summarize
from fxlens.worker.cache import DURABLE_PROBLEMS
from fxlens.workspace.callsite import CallSite, Position, Range
from fxlens.workspace.module_classes import ModuleClass, class_at_line, module_classes
from fxlens.workspace.modules import Workspace, path_of
from fxlens.workspace.parse import ParsedDocument
from fxlens.workspace.spec import ModelSpec

CLASS_LENS = "class"  # the ``kind`` in a class lens's data
SHOW_NODES = "fxlens.showNodes"  # the client's command (a position on the class line shows its table)
APPLY_TRACE_FIX = "fxlens.applyTraceFix"  # the server's command; arguments: the document URI, the class name
SpecTracer = Callable[[ModelSpec, tuple[str, ...]], Awaitable[ModelState]]
CAPACITY = 1024  # class states kept (the least recently used dropped): every edit of a class makes a new one


@dataclass(frozen=True)
class _Known:
    state: ModelState
    starts: tuple[int, ...]  # first line of each statement the key was made of, when it was traced


class ClassStates:
    """Each class's table or problem by content, and the one trace in flight per content."""

    def __init__(self, trace: SpecTracer) -> None:
        self.trace = trace
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._running: dict[str, asyncio.Future[ModelState]] = {}

    def clear(self) -> None:
        """Forget every state (the interpreter or the trust changed)."""
        self._known.clear()

    async def state(self, cls: ModuleClass, doc: ParsedDocument, workspace: Workspace) -> ModelState:
        """The class's state: cached while the text it depends on is unchanged, else traced (once)."""
        spec = cls.build
        if not isinstance(spec, ModelSpec):
            return None
        dependencies = dependencies_of(cls, workspace)
        key, starts = content_key(cls, spec, doc, workspace, dependencies)
        known = self._known.get(key)
        if known is not None:
            self._known.move_to_end(key)
            return _moved(known.state, spec.file, known.starts, starts)
        running = self._running.get(key)
        if running is None:
            running = self._running[key] = asyncio.ensure_future(self.trace(spec, dependencies))
            running.add_done_callback(lambda _: self._running.pop(key, None))
        state = await asyncio.shield(running)
        if isinstance(state, NodeTable) or (isinstance(state, Problem) and state.kind in DURABLE_PROBLEMS):
            self._known[key] = _Known(state, starts)  # a timeout or a lost worker is asked again next time
            while len(self._known) > CAPACITY:
                self._known.popitem(last=False)
        return state


def content_key(
    cls: ModuleClass, spec: ModelSpec, doc: ParsedDocument, workspace: Workspace, dependencies: tuple[str, ...]
) -> tuple[str, tuple[int, ...]]:
    """A hash of what the class's trace depends on, and the first line of each statement of its file in it."""
    digest = hashlib.sha256(spec.key().encode())
    statements = _kept_statements(doc, cls.name)
    for node in statements:
        digest.update(b"\0" + doc.syntax.text(node).encode())
    own = path_of(doc.uri)
    for path in dependencies:
        if path_of(path) != own:
            digest.update(f"\0{path}\0{workspace.read(path) or ''}".encode())
    return digest.hexdigest(), tuple(node.start_point[0] for node in statements)


def _kept_statements(doc: ParsedDocument, name: str) -> list[Node]:
    """The top-level statements of ``doc`` but the classes that class ``name`` does not name (transitively)."""
    statements = list(doc.syntax.root.named_children)
    classes = {_class_name(doc, s): s for s in statements if _class_name(doc, s)}
    wanted, pending = {name}, [name]
    while pending:
        node = classes.get(pending.pop())
        for used in _identifiers(doc, node) if node is not None else ():
            if used in classes and used not in wanted:
                wanted.add(used)
                pending.append(used)
    return [s for s in statements if s.type != "comment" and _class_name(doc, s) in ("", *wanted)]


def _class_name(doc: ParsedDocument, statement: Node) -> str:
    definition = statement.child_by_field_name("definition") if statement.type == "decorated_definition" else statement
    name = definition.child_by_field_name("name") if definition is not None else None
    return doc.syntax.text(name) if definition is not None and definition.type == "class_definition" and name else ""


def _identifiers(doc: ParsedDocument, node: Node) -> set[str]:
    found, pending = set(), [node]
    while pending:
        current = pending.pop()
        if current.type == "identifier":
            found.add(doc.syntax.text(current))
        pending.extend(current.named_children)
    return found


def _moved(state: ModelState, file: str, then: tuple[int, ...], now: tuple[int, ...]) -> ModelState:
    """A cached problem with its failing line moved as the statements of its file moved since."""
    location = state.location if isinstance(state, Problem) else None
    if location is None or then == now or os.path.realpath(location.file) != os.path.realpath(file):
        return state
    index = max((i for i, start in enumerate(then) if start <= location.line - 1), default=None)
    if index is None:
        return state
    return replace(state, location=replace(location, line=location.line + now[index] - then[index]))


def unresolved_lenses(uri: str, doc: ParsedDocument, workspace: Workspace, to_range: Callable) -> list[types.CodeLens]:
    """A lens without a command above each class; ``data`` names it for ``codeLens/resolve``."""
    lenses = []
    for cls in module_classes(doc, workspace):
        where = to_range(Range(Position(cls.line, 0), Position(cls.line, 0)))
        data = {"kind": CLASS_LENS, "uri": uri, "class": cls.name, "line": cls.line}
        lenses.append(types.CodeLens(range=where, data=data))
    return lenses


def find_class(doc: ParsedDocument, workspace: Workspace, name: str) -> ModuleClass | None:
    """The ``nn.Module`` class ``name`` of the document (None: it has none of that name)."""
    return next((c for c in module_classes(doc, workspace) if c.name == name), None)


def class_on_line(doc: ParsedDocument, workspace: Workspace, line: int) -> ModuleClass | None:
    """The ``nn.Module`` class whose ``class`` statement is on 0-based ``line`` (where its lens is)."""
    return class_at_line(module_classes(doc, workspace), line)


def display_name(cls: ModuleClass) -> str:
    """What the node view calls the class: ``Net``, ``Net(width=8)`` with configured arguments."""
    return cls.build.display_name if isinstance(cls.build, ModelSpec) else cls.name


def command(
    uri: str,
    doc: ParsedDocument,
    workspace: Workspace,
    cls: ModuleClass | None,
    summary: Summary | None,
    to_position: Callable,
) -> types.Command:
    """The lens's title and what clicking it does: open the node table, apply the fix (or, when the class's
    calls in the document have it, show where the class alone breaks), or nothing."""
    if cls is None or summary is None:
        return types.Command(title="fx: the class is no longer in the document", command="")
    if summary.verdict == "traceable":
        at = to_position(cls.name_range.start)
        return types.Command(
            title=summary.title, command=SHOW_NODES, arguments=[uri, {"line": at.line, "character": at.character}]
        )
    if summary.verdict == "not traceable":
        applied = fixed_in_calls(doc, workspace, cls, summary.state)
        title = f"{summary.title} (its calls here have the fix)" if applied else summary.title
        return types.Command(title=title, command=APPLY_TRACE_FIX, arguments=[uri, cls.name])
    return types.Command(title=summary.title, command="")


def _class_calls(doc: ParsedDocument, workspace: Workspace, cls: ModuleClass) -> list[tuple[CallSite, ModelSpec]]:
    """Each call of the document whose model is the class itself (not a part of it), with its spec."""
    spec = cls.build
    found = []
    for site in doc.call_sites if isinstance(spec, ModelSpec) else ():
        called = resolve_call(doc, site, workspace).spec
        if (
            isinstance(called, ModelSpec)
            and (called.module, called.callable) == (spec.module, spec.callable)
            and not called.attributes
            and called.children is None
        ):
            found.append((site, called))
    return found


def fixed_in_calls(doc: ParsedDocument, workspace: Workspace, cls: ModuleClass, problem: ModelState) -> bool:
    """Whether the class has calls in the document and each one has the verified fix already."""
    if not isinstance(problem, Problem) or not problem.has_fix:
        return False
    calls = _class_calls(doc, workspace, cls)
    return bool(calls) and all(_has_fix(called, problem) for _, called in calls)


def fix_edits(doc: ParsedDocument, workspace: Workspace, cls: ModuleClass, problem: Problem) -> list[TextEdit]:
    """The verified fix written into every call of the document whose model is the class itself and that
    does not have it yet (an import the fix needs, once)."""
    if not problem.has_fix:
        return []
    edits: list[TextEdit] = []
    for site, called in _class_calls(doc, workspace, cls):
        if _has_fix(called, problem):
            continue
        reached = fix_in_reach(problem, called, doc)  # with the imports the fix's names need in this document
        offer = leaf_fix_offer(site, reached) if isinstance(reached, Problem) else None
        if offer is not None and offer.fix is not None:
            edits += [edit for edit in offer.fix.edits if edit not in edits]
    return edits


def fix_or_place(
    uri: str,
    version: int | None,
    doc: ParsedDocument,
    workspace: Workspace,
    cls: ModuleClass,
    state: ModelState,
    positions: Positions,
) -> types.WorkspaceEdit | types.Location:
    """``fxlens.applyTraceFix``: the edit writing the verified fix into the class's calls, else where it breaks
    (the failing line, or the class when nothing failed)."""
    edits = fix_edits(doc, workspace, cls, state) if isinstance(state, Problem) else []
    if edits:
        document = types.TextDocumentEdit(
            types.OptionalVersionedTextDocumentIdentifier(uri, version),
            [types.TextEdit(positions.range_to_client(e.range), e.new_text) for e in edits],
        )
        return types.WorkspaceEdit(document_changes=[document])
    where = state.location if isinstance(state, Problem) else None
    if where is None:
        return types.Location(uri, positions.range_to_client(cls.name_range))
    if os.path.realpath(where.file) == os.path.realpath(path_of(doc.uri)):
        line = positions.to_client(Position(where.line - 1, 0))
        return types.Location(uri, types.Range(line, line))
    line = types.Position(where.line - 1, 0)
    return types.Location(Path(where.file).as_uri(), types.Range(line, line))


def _has_fix(called: ModelSpec, problem: Problem) -> bool:
    """Whether the call's settings hold the verified fix already (every leaf, wrapped function and argument)."""
    try:
        concrete = ast.literal_eval(called.concrete_args) if called.concrete_args else {}
    except (ValueError, SyntaxError):
        concrete = {}
    given = set(concrete) if isinstance(concrete, dict) else set()
    return (
        set(problem.leaf_fix) <= set(called.tracer.leaf_modules)
        and set(problem.wrap_fix) <= set(called.tracer.autowrap_functions)
        and {name for name, _ in problem.concrete_fix} <= given
    )


def class_table_view(table: NodeTable, cls: ModuleClass, to_range: Callable) -> dict[str, Any]:
    """``fxlens/nodeTable``'s answer for a class: its table, nothing selected, no arguments to edit."""
    title = f"Nodes of {display_name(cls)}"
    where = to_range(cls.name_range)
    plain = {
        "start": {"line": where.start.line, "character": where.start.character},
        "end": {"line": where.end.line, "character": where.end.character},
    }
    return {
        "title": title,
        "model": title.removeprefix("Nodes of "),
        "table": table.to_json(),
        "selected": {"train": [], "eval": []},
        "input": table.example_input.describe() if table.example_input is not None else "",
        "call": plain,
        "arguments": [],
    }


async def class_table(
    states: ClassStates, doc: ParsedDocument, workspace: Workspace, cls: ModuleClass, tracing_off: str | None
) -> NodeTable:
    """The class's node table; ``ValueError`` saying why when there is none."""
    summary = await summary_of(states, doc, workspace, cls, tracing_off)
    if not isinstance(summary.state, NodeTable):
        raise ValueError(f"fxlens: {cls.name}: {summary.text}")
    return summary.state


async def summary_of(
    states: ClassStates, doc: ParsedDocument, workspace: Workspace, cls: ModuleClass, tracing_off: str | None
) -> Summary:
    """The lens's summary: traced when tracing is on."""
    state = None if tracing_off is not None else await states.state(cls, doc, workspace)
    return summarize(cls, state, tracing_off)

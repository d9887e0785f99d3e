"""Whether each ``nn.Module`` class of a document traces: the stage after ``module_classes``.

A class with its model state (the worker's table or problem for the class built alone) becomes a
``Summary`` — the one sentence the code lens, ``fxlens trace`` and ``fxlens check --traceability``
say: traceable · N nodes · output shape; not traceable — line L: what torch.fx met · the verified
fix; or the constructor arguments configuration must give. Nothing here imports torch.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from fxlens.lint import Finding, Scope, rules_of
from fxlens.nodes import NodeTable, Problem
from fxlens.state import ModelState
from fxlens.suppressions import comments_of, suppressions, unsuppressed
from fxlens.workspace.module_classes import ModuleClass, NeedsArguments, module_classes
from fxlens.workspace.modules import Workspace, workspace_dependencies
from fxlens.workspace.parse import ParsedDocument
from fxlens.workspace.spec import ModelSpec

Verdict = Literal["traceable", "not traceable", "needs arguments", "not traced"]
SpecTracer = Callable[[ModelSpec, tuple[str, ...]], Awaitable[ModelState]]  # spec, its files -> its state
MAX_CONSTRUCT = 60  # characters of a message's head that still name a construct


@dataclass(frozen=True)
class Summary:
    """What is known of one class: the verdict, the sentence saying it, and what it rests on."""

    verdict: Verdict
    text: str  # "traceable · 3 nodes · output 1×10"
    state: ModelState = None
    line: int = 0  # not traceable: the 1-based failing line (in ``file``)
    file: str = ""
    leaves: tuple[str, ...] = ()  # the class names of the verified leaf fix
    changes: tuple[str, ...] = ()  # the verified fix in words: "make `Gate` a leaf", "wrap `helper`"

    @property
    def title(self) -> str:
        """The code lens's title."""
        return f"fx: {self.text}"


def dependencies_of(cls: ModuleClass, workspace: Workspace) -> tuple[str, ...]:
    """The workspace files the class's module imports (its own first); none for a class not built."""
    if not isinstance(cls.build, ModelSpec):
        return ()
    return tuple(workspace_dependencies(cls.build, workspace))


async def class_state(cls: ModuleClass, workspace: Workspace, trace: SpecTracer) -> ModelState:
    """The class's table or problem from ``trace``; None for a class that needs arguments."""
    if not isinstance(cls.build, ModelSpec):
        return None
    return await trace(cls.build, dependencies_of(cls, workspace))


def summarize(cls: ModuleClass, state: ModelState, tracing_off: str | None = None) -> Summary:
    """The sentence for ``cls`` given its state (``tracing_off``: why nothing is traced, if so)."""
    if isinstance(cls.build, NeedsArguments):
        return Summary("needs arguments", cls.build.describe())
    if isinstance(state, NodeTable):
        count = len(state.eval)
        parts = ["traceable", f"{count} node{'s' * (count != 1)}"]
        returned = state.returned("eval")
        if returned is not None:
            parts.append(f"output {returned.describe()}")
        return Summary("traceable", " · ".join(parts), state)
    if isinstance(state, Problem):
        return _failed(cls, state)
    if tracing_off is not None:
        return Summary("not traced", tracing_off)
    return Summary("not traced", "not traced yet")


def _failed(cls: ModuleClass, problem: Problem) -> Summary:
    location = problem.location
    where = ""
    if location is not None:
        own = isinstance(cls.build, ModelSpec) and os.path.realpath(location.file) == os.path.realpath(cls.build.file)
        where = f"line {location.line}" if own else f"{os.path.basename(location.file)} line {location.line}"
    leaves = tuple(reference.partition(":")[2] for reference in problem.leaf_fix)
    changes = fix_changes(problem)
    if problem.kind == "trace":
        text = f"not traceable — {where + ': ' if where else ''}{construct_of(problem)}"
        if changes:
            text += f" · {' and '.join(changes)}"
    else:
        text = f"not traceable — {problem.kind} error{' at ' + where if where else ''}: {_head(problem.message)}"
    return Summary(
        "not traceable",
        text,
        problem,
        location.line if location is not None else 0,
        location.file if location is not None else "",
        leaves,
        changes,
    )


def fix_changes(problem: Problem) -> tuple[str, ...]:
    """The verified fix of a failed trace in words, one change each (none: the worker found no fix)."""
    leaves = [reference.partition(":")[2] for reference in problem.leaf_fix]
    wrapped = [reference.partition(":")[2] for reference in problem.wrap_fix]
    changes = [f"make {', '.join(f'`{n}`' for n in leaves)} a leaf"] if leaves else []
    changes += [f"wrap {', '.join(f'`{n}`' for n in wrapped)}"] if wrapped else []
    if problem.concrete_fix:
        changes.append(f"trace with {', '.join(f'`{name}={value}`' for name, value in problem.concrete_fix)}")
    return tuple(changes)


def construct_of(problem: Problem) -> str:
    """The plain-word construct a trace failure names (``control flow on a traced value``), or a
    short head of torch.fx's own message when it names none."""
    head, sep, _ = problem.message.partition(": ")
    if sep and len(head) <= MAX_CONSTRUCT and "Error" not in head and "(" not in head.replace("()", ""):
        return head
    return _head(problem.message)


def _head(message: str, limit: int = 80) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return first if len(first) <= limit else first[: limit - 1] + "…"


def explanation(summary: Summary) -> list[str]:
    """The lines ``fxlens trace`` prints under a failure: the message, the failing line, the hint, the fix."""
    problem = summary.state
    if not isinstance(problem, Problem):
        return []
    lines = [f"{problem.kind} error: {problem.message}"]
    if problem.location is not None:
        text = f": {problem.location.text}" if problem.location.text else ""
        lines.append(f"at {problem.location.file}:{problem.location.line}{text}")
    if problem.hint:
        lines.append(f"hint: {problem.hint}")
    written = _written_fix(problem)
    if written:
        lines.append(f"fix: {written} (verified: the model then traces)")
    inside = [p for p in problem.leaf_paths if p]
    if summary.leaves and inside:
        lines.append(f"cost: the nodes inside {', '.join(inside)} stop being selectable")
    return lines


async def document_traceability(
    doc: ParsedDocument, workspace: Workspace, trace: SpecTracer
) -> list[tuple[ModuleClass, ModelState]]:
    """Every ``nn.Module`` class of ``doc`` with its state, traced one after the other."""
    return [(cls, await class_state(cls, workspace, trace)) for cls in module_classes(doc, workspace)]


def traceability_findings(doc: ParsedDocument, states: Sequence[tuple[ModuleClass, ModelState]]) -> list[Finding]:
    """The findings of the classes that do not trace, less those a ``# fxlens: ignore`` silences."""
    findings: list[Finding] = []
    for cls, state in states:
        for registered in rules_of(Scope.MODULE_CLASS):
            findings += registered.check(cls, summarize(cls, state))
    if findings and "fxlens:" in doc.text:
        findings = unsuppressed(findings, suppressions(comments_of(doc.tree.root_node)))
    return findings


def _written_fix(problem: Problem) -> str:
    """The fix as the call writes it: ``tracer_kwargs={"leaf_modules": [Gate]}, concrete_args={"flag": True}``."""
    entries = [
        f'"{key}": [{", ".join(reference.partition(":")[2] for reference in references)}]'
        for key, references in (("leaf_modules", problem.leaf_fix), ("autowrap_functions", problem.wrap_fix))
        if references
    ]
    written = [f"tracer_kwargs={{{', '.join(entries)}}}"] if entries else []
    if problem.concrete_fix:
        written.append(
            "concrete_args={" + ", ".join(f'"{name}": {value}' for name, value in problem.concrete_fix) + "}"
        )
    return ", ".join(written)

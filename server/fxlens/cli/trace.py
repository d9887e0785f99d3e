"""``fxlens trace FILE:Class`` and the ``--traceability`` pass of ``fxlens check``: whether the
``nn.Module`` classes of a file trace, each built alone in the worker.

Exit codes of ``fxlens trace``: 0 traceable, 1 not traceable, 2 usage (not a class of the file, or a
constructor that needs arguments the configuration does not give).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from fxlens.cli.files import display
from fxlens.cli.output import Reported
from fxlens.cli.targets import TargetError, parse_kwargs, project_root
from fxlens.lint import Finding
from fxlens.nodes import NodeTable
from fxlens.state import ModelState
from fxlens.traceability import (
    SpecTracer,
    class_state,
    document_traceability,
    explanation,
    summarize,
    traceability_findings,
)
from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.launch import worker_launch
from fxlens.workspace.module_classes import NeedsArguments, module_classes
from fxlens.workspace.modules import Workspace, path_of
from fxlens.workspace.parse import parse_document
from fxlens.workspace.spec import InputSpec, ModelSpec


class TraceUsageError(ValueError):
    """A ``fxlens trace`` target that names no ``nn.Module`` class of a Python file."""


def spec_tracer(supervisor: Supervisor, workspace: Workspace) -> SpecTracer:
    """Traces a spec in the worker, the workspace's overlays (notebook scripts) given."""

    async def trace(spec: ModelSpec, dependencies: tuple[str, ...]) -> ModelState:
        overlays = dict(workspace.overlays)
        return await supervisor.node_table(spec, overlays=overlays, dependencies=list(dependencies))

    return trace


def run_trace(args: argparse.Namespace) -> int:
    """Run ``fxlens trace``: print the summary (for a failure also why, where and the fix); return the exit code."""
    source, sep, name = args.target.rpartition(":")
    path = Path(source)
    if not sep or not name or path.suffix != ".py" or not path.is_file():
        raise TraceUsageError(f"`{args.target}` is not a target: write path/to/file.py:ClassName")
    path = path.resolve()
    try:
        kwargs = parse_kwargs(args.kwargs) if args.kwargs else ()
    except TargetError as error:
        raise TraceUsageError(str(error)) from None
    workspace = Workspace(project_root(path))
    doc = parse_document(str(path), path.read_text(encoding="utf-8"))
    classes = module_classes(doc, workspace, kwargs)
    cls = next((c for c in classes if c.name == name), None)
    if cls is None:
        known = ", ".join(c.name for c in classes) or "none"
        raise TraceUsageError(f"`{name}` is not an nn.Module class of {display(str(path))} (its classes: {known})")
    if isinstance(cls.build, NeedsArguments):
        print(f"{cls.name}: {summarize(cls, None).text} (or give them with --kwargs)")
        return 2
    if args.input:
        cls = replace(cls, build=replace(cls.build, example_input=InputSpec(shapes=(args.input,), origin="given")))
    launch = worker_launch(workspace.config, args.python, args.timeout)
    supervisor = Supervisor(launch.interpreter, timeout=launch.timeout, log=lambda line: None)
    state = asyncio.run(_traced(supervisor, lambda: class_state(cls, workspace, spec_tracer(supervisor, workspace))))
    summary = summarize(cls, state)
    print(f"{cls.name}: {summary.text}")
    for line in explanation(summary):
        print(f"  {line}")
    return 0 if isinstance(state, NodeTable) else 1


async def _traced(supervisor: Supervisor, work: Callable) -> ModelState:
    try:
        return await work()
    finally:
        await supervisor.stop()


async def traceability_reports(
    paths: Sequence[tuple[str, str]],
    workspace: Workspace,
    supervisor: Supervisor,
    selected: Callable[[Sequence[Finding], str], list[Finding]],
) -> list[Reported]:
    """FXL027 for each class of the ``(path, text)`` files that does not trace; the classes whose
    constructors need arguments are listed on stderr, with the table that gives them."""
    reported: list[Reported] = []
    trace = spec_tracer(supervisor, workspace)
    for path, text in paths:
        workspace.overlays[path_of(path)] = text  # as checked: with --fix, the fixed text not yet written
        doc = parse_document(path, text)
        states = await document_traceability(doc, workspace, trace)
        reported += [Reported(path, f) for f in selected(traceability_findings(doc, states), path)]
        for cls, _ in states:
            if isinstance(cls.build, NeedsArguments):
                line = cls.name_range.start.line + 1
                print(f"{display(path)}:{line}: {cls.name} not traced: {cls.build.describe()}", file=sys.stderr)
    return reported

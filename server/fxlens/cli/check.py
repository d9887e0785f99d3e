"""``fxlens check``: lint the files, print the findings; ``--fix`` and ``--diff`` apply the safe fixes.

One worker traces the models of every file (unless ``--no-trace``); a file fxlens itself fails on
is said on stderr and the others are still checked. A notebook is checked as its code cells (one
virtual script, definitions-only in the worker); its findings name their cell, and its fixes change
only cell sources. ``--traceability`` also traces every ``nn.Module`` class of the ``.py`` files
(``fxlens.cli.trace``). Exit codes: 0 clean, 1 findings, 2 usage or internal error (an unreadable notebook).
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from pathlib import Path

from fxlens.cli.files import display, is_notebook, python_files
from fxlens.cli.output import Reported, format_findings
from fxlens.cli.targets import project_root
from fxlens.cli.trace import traceability_reports
from fxlens.edits import apply_edits, safe_fixes
from fxlens.lint import RULES, Finding, Fix
from fxlens.lint.findings import TextEdit
from fxlens.pipeline import ResolvedCall, Tracer, check_document
from fxlens.state import ModelState
from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.callsites import SITE_WORDS
from fxlens.workspace.launch import worker_launch
from fxlens.workspace.modules import Workspace, path_of
from fxlens.workspace.notebook import (
    Cell,
    NotebookError,
    NotebookFile,
    VirtualScript,
    read_notebook,
    virtual_script,
    write_sources,
)
from fxlens.workspace.parse import parse_document
from fxlens.workspace.text import split_lines_keeping_breaks

MARKERS = SITE_WORDS  # the names of the calls that are sites
FIX_ROUNDS = 5  # a fix can reveal another (a renamed node now overlaps): re-check up to this often


@dataclass(frozen=True)
class Source:
    """A file to check: its path and text; for a notebook, its cells as read (``text`` is their virtual script)."""

    path: str
    text: str
    notebook: NotebookFile | None = None


@dataclass
class Outcome:
    reported: list[Reported] = field(default_factory=list)
    fixed: int = 0
    failed: int = 0  # files fxlens itself failed on
    diffs: list[str] = field(default_factory=list)
    rewrites: list[tuple[str, str]] = field(default_factory=list)  # (path, fixed text) to write


def run_check(args: argparse.Namespace) -> int:
    """Run ``fxlens check`` with parsed arguments; returns the exit code."""
    files = list(python_files(args.paths))
    root = project_root(Path(os.path.commonpath([os.path.abspath(p) for p in args.paths])))
    workspace = Workspace(root)
    sources, unreadable = _sources(files, args.traceability and not args.no_trace)
    outcome = asyncio.run(_check_all(sources, workspace, args))
    outcome.failed += unreadable
    for path, text in outcome.rewrites:
        Path(path).write_bytes(text.encode("utf-8", "surrogateescape"))  # line breaks and bytes as they were
    if outcome.diffs:
        print("".join(outcome.diffs), end="")
    print(format_findings(outcome.reported, args.output_format, _not_run(args)))
    if args.output_format == "text" and (args.fix or args.diff):
        verb = "Would fix" if args.diff else "Fixed"
        print(f"{verb} {outcome.fixed} problem{'s' * (outcome.fixed != 1)}; {len(outcome.reported)} remaining.")
    for error in workspace.config_errors:
        print(f"pyproject.toml: [tool.fxlens] {error.key}: {error.message}", file=sys.stderr)
    if outcome.failed:
        return 2
    return 1 if outcome.reported or (args.diff and outcome.fixed) else 0


def _not_run(args: argparse.Namespace) -> str:
    """With ``--no-trace``, how many selected rules did not run, and why."""
    if not args.no_trace:
        return ""
    skipped = [code for code, rule in RULES.items() if rule.needs_trace and wanted(code, args.select, args.ignore)]
    if not skipped:
        return ""
    return (
        f"{len(skipped)} rules did not run ({', '.join(skipped)}): they need the model traced, "
        "and --no-trace runs no model code"
    )


def _sources(files: Iterable[str], classes: bool = False) -> tuple[list[Source], int]:
    """Each readable file that calls a function fxlens checks (with ``classes``, also each ``.py`` file
    that may define an ``nn.Module`` class), and how many notebooks could not be read."""
    found, unreadable = [], 0
    for path in files:
        try:
            # as it is on disk: line breaks kept (``--fix`` writes them back), invalid bytes read as U+FFFD
            text = Path(path).read_bytes().decode("utf-8", "surrogateescape")
            notebook = read_notebook(text) if is_notebook(path) else None
        except (OSError, UnicodeDecodeError) as error:
            print(f"{display(path)}:1:1: cannot read the file: {error}", file=sys.stderr)
            continue
        except NotebookError as error:
            print(f"{display(path)}:1:1: {error}", file=sys.stderr)
            unreadable += 1
            continue
        source = Source(path, text) if notebook is None else Source(path, notebook.script.text, notebook)
        if any(marker in source.text for marker in MARKERS) or (classes and notebook is None and "Module" in text):
            found.append(source)
    return found, unreadable


async def _check_all(sources: Sequence[Source], workspace: Workspace, args: argparse.Namespace) -> Outcome:
    supervisor = None if args.no_trace else _supervisor(args, workspace)
    trace = _tracer(supervisor, workspace) if supervisor is not None else None
    outcome = Outcome()
    try:
        for source in sources:
            path = source.path
            try:
                if source.notebook is None:
                    await _check_one(path, source.text, workspace, trace, args, outcome)
                else:
                    await _check_notebook(path, source.notebook, workspace, trace, args, outcome)
            except Exception as error:  # noqa: BLE001 - one file fxlens cannot analyse must not stop the others
                outcome.failed += 1
                print(f"{display(path)}:1:1: fxlens failed on this file (a bug; please report it): {error!r}",
                      file=sys.stderr)  # fmt: skip
        if supervisor is not None and args.traceability:
            fixed = dict(outcome.rewrites)
            files = [(s.path, fixed.get(s.path, s.text)) for s in sources if s.notebook is None]
            outcome.reported += await traceability_reports(
                files, workspace, supervisor, lambda found, path: _selected(found, args, workspace, path)
            )
    finally:
        if supervisor is not None:
            await supervisor.stop()
    return outcome


async def _check_one(
    path: str, text: str, workspace: Workspace, trace: Tracer | None, args: argparse.Namespace, outcome: Outcome
) -> None:
    """Lint one file; with ``--fix``/``--diff`` apply its safe fixes until none is left."""
    fixing = args.fix or args.diff
    fixed_text = text
    for _ in range(FIX_ROUNDS if fixing else 1):
        findings = _selected(
            await check_document(parse_document(path, fixed_text), workspace, trace), args, workspace, path
        )
        fixes = safe_fixes(findings) if fixing else []
        if not fixes:
            break
        fixed_text = apply_edits(fixed_text, [edit for fix in fixes for edit in fix.edits])
        outcome.fixed += len(fixes)
    else:
        findings = _selected(
            await check_document(parse_document(path, fixed_text), workspace, trace), args, workspace, path
        )
    outcome.reported += [Reported(path, f) for f in findings]
    if fixed_text != text:
        if args.diff:
            name = display(path)
            lines = difflib.unified_diff(
                split_lines_keeping_breaks(text), split_lines_keeping_breaks(fixed_text), f"a/{name}", f"b/{name}"
            )
            outcome.diffs.append("".join(lines))
        else:
            outcome.rewrites.append((path, fixed_text))


async def _check_notebook(
    path: str,
    notebook: NotebookFile,
    workspace: Workspace,
    trace: Tracer | None,
    args: argparse.Namespace,
    outcome: Outcome,
) -> None:
    """Lint a notebook's code cells as one script; with ``--fix``/``--diff`` apply its safe fixes to the
    cell sources (a fix reaching across cells is left out) until none is left."""
    fixing = args.fix or args.diff
    cells = notebook.cells
    for round_ in range(FIX_ROUNDS + 1 if fixing else 1):
        script = virtual_script(cells)
        workspace.overlays[path_of(path)] = script.text  # the worker imports the notebook as this script
        findings = _selected(
            await check_document(parse_document(path, script.text), workspace, trace), args, workspace, path
        )
        fixes = [fix for fix in safe_fixes(findings) if _in_one_cell(fix, script)] if fixing else []
        if not fixes or round_ == FIX_ROUNDS:
            break
        cells = _fixed_cells(cells, script, [edit for fix in fixes for edit in fix.edits])
        outcome.fixed += len(fixes)
    outcome.reported += [_in_cell(path, f, script) for f in findings]
    changed = {i: cell.source for i, (cell, old) in enumerate(zip(cells, notebook.cells, strict=True)) if cell != old}
    if not changed:
        return
    if args.diff:
        name = display(path)
        for index, source in changed.items():
            old = split_lines_keeping_breaks(notebook.cells[index].source)
            cell = f"{name}:cell {index + 1}"
            outcome.diffs.append("".join(difflib.unified_diff(old, split_lines_keeping_breaks(source), cell, cell)))
    else:
        outcome.rewrites.append((path, write_sources(notebook, changed)))


def _in_one_cell(fix: Fix, script: VirtualScript) -> bool:
    spans = [(script.span_at(e.range.start.line), script.span_at(e.range.end.line)) for e in fix.edits]
    return all(start is not None and start == end for start, end in spans)


def _fixed_cells(cells: tuple[Cell, ...], script: VirtualScript, edits: Sequence[TextEdit]) -> tuple[Cell, ...]:
    """The cells with ``edits`` (virtual-script positions, each inside one cell) applied to their sources."""
    by_cell: dict[int, list[TextEdit]] = {}
    for edit in edits:
        mapped = script.range_to_cell(edit.range)
        if mapped is not None:
            by_cell.setdefault(mapped[0].index, []).append(TextEdit(mapped[1], edit.new_text))
    return tuple(
        replace(cell, source=apply_edits(cell.source, by_cell[i])) if i in by_cell else cell
        for i, cell in enumerate(cells)
    )


def _in_cell(path: str, finding: Finding, script: VirtualScript) -> Reported:
    """A notebook finding as reported: positions in its cell, and the cell's number (from 1)."""
    mapped = script.range_to_cell(finding.range)
    if mapped is None:
        return Reported(path, finding)
    span, where = mapped

    def moved(edit: TextEdit) -> TextEdit:
        found = script.range_to_cell(edit.range)
        return TextEdit(found[1], edit.new_text) if found is not None and found[0] == span else edit

    fixes = tuple(
        replace(fix, edits=tuple(map(moved, fix.edits))) for fix in finding.fixes if _in_one_cell(fix, script)
    )
    return Reported(path, replace(finding, range=where, fixes=fixes), span.index + 1)


def _selected(findings: Sequence[Finding], args: argparse.Namespace, workspace: Workspace, path: str) -> list[Finding]:
    """The findings ``--select``/``--ignore`` keep (else ``[tool.fxlens]``'s ``select``/``ignore``),
    less the codes ``per-file-ignores`` ignores in this file."""
    config = workspace.config
    select = args.select or config.select
    ignore = (*args.ignore, *config.ignore, *_ignored_in(path, workspace))
    return [f for f in findings if wanted(f.code, select, ignore)]


def _ignored_in(path: str, workspace: Workspace) -> tuple[str, ...]:
    """The codes ``per-file-ignores`` ignores for ``path`` (globs relative to the project root)."""
    try:
        relative = Path(os.path.abspath(path)).relative_to(workspace.root).as_posix()
    except ValueError:
        return ()
    return tuple(code for glob, codes in workspace.config.per_file_ignores if fnmatch(relative, glob) for code in codes)


def wanted(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """Whether ``--select`` (codes or prefixes; empty: all) and ``--ignore`` keep ``code``."""
    select, ignore = tuple(select), tuple(ignore)
    return (not select or code.startswith(select)) and not (ignore and code.startswith(ignore))


def _supervisor(args: argparse.Namespace, workspace: Workspace) -> Supervisor:
    launch = worker_launch(workspace.config, args.python, args.timeout)
    return Supervisor(launch.interpreter, timeout=launch.timeout, log=lambda line: None)


def _tracer(supervisor: Supervisor, workspace: Workspace) -> Tracer:
    """Traces in the worker; notebooks are given as overlays (their virtual scripts), files read from disk."""

    async def trace(call: ResolvedCall) -> ModelState:
        overlays = dict(workspace.overlays)
        return await supervisor.node_table(call.spec, overlays=overlays, dependencies=list(call.dependencies))

    return trace

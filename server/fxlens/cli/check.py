"""``fxlens check``: lint the files, print the findings; ``--fix`` and ``--diff`` apply the safe fixes.

One worker traces the models of every file (unless ``--no-trace``); a file fxlens itself fails on
is said on stderr and the others are still checked. Exit codes: 0 clean, 1 findings, 2 usage or
internal error.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fxlens.cli.files import display, python_files
from fxlens.cli.output import Reported, format_findings
from fxlens.cli.targets import project_root
from fxlens.edits import apply_edits, safe_fixes
from fxlens.lint import RULES, Finding
from fxlens.pipeline import ResolvedCall, Tracer, check_document
from fxlens.state import ModelState
from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.launch import worker_launch
from fxlens.workspace.modules import Workspace
from fxlens.workspace.parse import parse_document

MARKERS = ("create_feature_extractor", "get_graph_node_names")
FIX_ROUNDS = 5  # a fix can reveal another (a renamed node now overlaps): re-check up to this often


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
    outcome = asyncio.run(_check_all(list(_sources(files)), workspace, args))
    for path, text in outcome.rewrites:
        Path(path).write_text(text, encoding="utf-8")
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


def _sources(files: Iterable[str]) -> list[tuple[str, str]]:
    """``(path, text)`` of each readable file that calls a function fxlens checks."""
    found = []
    for path in files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(f"{display(path)}:1:1: cannot read the file: {error}", file=sys.stderr)
            continue
        if any(marker in text for marker in MARKERS):
            found.append((path, text))
    return found


async def _check_all(sources: Sequence[tuple[str, str]], workspace: Workspace, args: argparse.Namespace) -> Outcome:
    supervisor = None if args.no_trace else _supervisor(args, workspace)
    trace = _tracer(supervisor) if supervisor is not None else None
    outcome = Outcome()
    try:
        for path, text in sources:
            try:
                await _check_one(path, text, workspace, trace, args, outcome)
            except Exception as error:  # noqa: BLE001 - one file fxlens cannot analyse must not stop the others
                outcome.failed += 1
                print(f"{display(path)}:1:1: fxlens failed on this file (a bug; please report it): {error!r}",
                      file=sys.stderr)  # fmt: skip
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
        findings = _selected(await check_document(parse_document(path, fixed_text), workspace, trace), args)
        fixes = safe_fixes(findings) if fixing else []
        if not fixes:
            break
        fixed_text = apply_edits(fixed_text, [edit for fix in fixes for edit in fix.edits])
        outcome.fixed += len(fixes)
    else:
        findings = _selected(await check_document(parse_document(path, fixed_text), workspace, trace), args)
    outcome.reported += [(path, f) for f in findings]
    if fixed_text != text:
        if args.diff:
            name = display(path)
            lines = difflib.unified_diff(
                text.splitlines(keepends=True), fixed_text.splitlines(keepends=True), f"a/{name}", f"b/{name}"
            )
            outcome.diffs.append("".join(lines))
        else:
            outcome.rewrites.append((path, fixed_text))


def _selected(findings: Sequence[Finding], args: argparse.Namespace) -> list[Finding]:
    return [f for f in findings if wanted(f.code, args.select, args.ignore)]


def wanted(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """Whether ``--select`` (codes or prefixes; empty: all) and ``--ignore`` keep ``code``."""
    select, ignore = tuple(select), tuple(ignore)
    return (not select or code.startswith(select)) and not (ignore and code.startswith(ignore))


def _supervisor(args: argparse.Namespace, workspace: Workspace) -> Supervisor:
    launch = worker_launch(workspace.config, args.python, args.timeout)
    return Supervisor(launch.interpreter, timeout=launch.timeout, log=lambda line: None)


def _tracer(supervisor: Supervisor) -> Tracer:
    async def trace(call: ResolvedCall) -> ModelState:
        return await supervisor.node_table(call.spec, dependencies=list(call.dependencies))

    return trace

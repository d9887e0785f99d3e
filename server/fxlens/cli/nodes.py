"""``fxlens nodes TARGET``: a model's node table, built and traced in the worker.

The table goes to stdout (text or ``--json``); notes about it (the input used, shapes that are
missing and why) go to stderr, so a pipe gets only the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from fxlens.cli.targets import TargetError, configured, parse_kwargs, parse_target
from fxlens.nodes import NodeTable, Problem
from fxlens.render import as_text
from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.launch import worker_launch
from fxlens.workspace.modules import Workspace, workspace_dependencies


class UsageError(Exception):
    """A command-line argument that cannot be used; reported like argparse's own errors."""


def run_nodes(args: argparse.Namespace) -> int:
    """Run ``fxlens nodes`` with parsed arguments; returns the exit code."""
    try:
        spec = parse_target(args.target, args.input)
        kwargs = parse_kwargs(args.kwargs) if args.kwargs else ()
    except TargetError as error:
        raise UsageError(str(error)) from None
    workspace = Workspace(spec.workspace_root or os.getcwd())
    spec = configured(spec, workspace.config, kwargs)
    launch = worker_launch(workspace.config, args.python, args.timeout)
    result = asyncio.run(
        _trace(Supervisor(launch.interpreter, timeout=launch.timeout, log=lambda line: None), spec, workspace)
    )
    if isinstance(result, Problem):
        where = f" at {result.location.file}:{result.location.line}: {result.location.text}" if result.location else ""
        print(f"fxlens: {spec.display_name}: {result.kind} error: {result.message}{where}", file=sys.stderr)
        if result.hint:
            print(f"hint: {result.hint}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(_mode_json(result, args.mode), indent=2))
    else:
        table, _, footer = as_text(result, args.mode, args.tensors_only).partition("\n\n")
        print(table)
        if footer:
            print(footer, file=sys.stderr)
    if result.example_input is not None and not result.example_input.user_given:
        print(
            "hint: give the example input with --input 1,3,224,224 (or input-shape in [tool.fxlens])", file=sys.stderr
        )
    return 0


async def _trace(supervisor: Supervisor, spec, workspace: Workspace) -> NodeTable | Problem:
    try:
        dependencies = workspace_dependencies(spec, workspace) if spec.file else ()
        return await supervisor.node_table(spec, dependencies=dependencies)
    finally:
        await supervisor.stop()


def _mode_json(table: NodeTable, mode: str) -> dict:
    data = table.to_json()
    if mode != "both":
        data.pop("eval" if mode == "train" else "train")
    return data

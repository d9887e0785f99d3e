"""The ``fxlens`` command: ``serve`` (the language server), ``check`` (lint, like ruff), ``nodes``.

``check`` prints ``path:line:col: CODE message`` per finding (or JSON, or GitHub annotations) and
exits 1 when anything is reported, 2 on usage errors. ``nodes`` prints a model's node table.
Neither imports torch in this process: models are built and traced by the supervised worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from fxlens.jsondata import to_json
from fxlens.lint import RULES, Finding, code_range
from fxlens.nodes import NodeTable, Problem
from fxlens.pipeline import ResolvedCall, Tracer, check_document
from fxlens.render import as_text
from fxlens.state import ModelState
from fxlens.targets import TargetError, parse_target, project_root
from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.launch import worker_launch
from fxlens.workspace.modules import Workspace, workspace_dependencies
from fxlens.workspace.parse import parse_document

SKIPPED_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "build", "dist", ".tox"}
MARKERS = ("create_feature_extractor", "get_graph_node_names")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fxlens`` console script; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        from fxlens.lsp.server import run

        run(tcp=args.tcp, log_messages=args.log_messages)
        return 0
    try:
        if args.command == "check":
            return _check(args)
        return asyncio.run(_nodes(args))
    except UsageError as error:
        parser.error(str(error))  # exits with 2
        raise  # unreachable: parser.error exits
    except BrokenPipeError:  # `fxlens nodes ... | head`: the reader has enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 1


class UsageError(Exception):
    """A command-line argument that cannot be used; reported like argparse's own errors."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fxlens", description="Node names for torch.fx feature extraction.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", type=_host_port, metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default; accepted for LSP clients)")
    serve.add_argument("--log-messages", action="store_true", help="log every LSP message to stderr (debugging)")

    check = commands.add_parser("check", help="report node-name mistakes in create_feature_extractor calls")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .)")
    check.add_argument("--output-format", choices=("text", "json", "github"), default="text")
    check.add_argument(
        "--select", type=_codes, default=(), metavar="CODES", help="only these codes or prefixes (FXL001,FXL00)"
    )
    check.add_argument("--ignore", type=_codes, default=(), metavar="CODES", help="skip these codes or prefixes")
    check.add_argument("--no-trace", action="store_true", help="static rules only: run no model code")
    _worker_options(check)

    nodes = commands.add_parser("nodes", help="print the node table of a model")
    nodes.add_argument("target", help="path/to/file.py:ClassName, torchvision:resnet50 or timm:resnet50")
    nodes.add_argument("--input", type=_shape, metavar="1,3,224,224", help="example input shape")
    nodes.add_argument("--mode", choices=("train", "eval", "both"), default="both")
    nodes.add_argument("--json", action="store_true", help="print the table as JSON")
    _worker_options(nodes)
    return parser


def _worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter that traces the models (default: [tool.fxlens] python, else this one)",
    )
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="per-model trace timeout (default: [tool.fxlens] or 30)"
    )


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def _codes(value: str) -> tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in value.split(",") if c.strip())
    unknown = [c for c in codes if not any(rule.startswith(c) for rule in RULES)]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown rule code {', '.join(unknown)} (codes are {code_range()})")
    return codes


def _shape(value: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in value.replace("x", ",").replace("×", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a shape like 1,3,224,224, got {value!r}") from None
    if not dims or any(d <= 0 for d in dims):
        raise argparse.ArgumentTypeError(f"expected positive dimensions, got {value!r}")
    return dims


# -- check ---------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    files = list(python_files(args.paths))
    root = project_root(Path(os.path.commonpath([os.path.abspath(p) for p in args.paths])))
    workspace = Workspace(root)
    findings, failed = asyncio.run(_lint(list(_sources(files)), workspace, args))
    selected = [(path, f) for path, f in findings if _wanted(f.code, args.select, args.ignore)]
    print(_format(selected, args.output_format))
    for error in workspace.config_errors:
        print(f"pyproject.toml: [tool.fxlens] {error.key}: {error.message}", file=sys.stderr)
    return 2 if failed else 1 if selected else 0


def _sources(files: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(path, text)`` of each readable file that calls a function fxlens checks."""
    for path in files:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(f"{_display(path)}:1:1: cannot read the file: {error}", file=sys.stderr)
            continue
        if any(marker in text for marker in MARKERS):
            yield path, text


async def _lint(
    sources: Sequence[tuple[str, str]], workspace: Workspace, args: argparse.Namespace
) -> tuple[list[tuple[str, Finding]], int]:
    """Every finding of every file, tracing with one worker unless ``--no-trace``, and how many
    files fxlens itself failed on (each said on stderr; the other files are still checked)."""
    supervisor = None if args.no_trace else _supervisor(args, workspace)
    trace = _tracer(supervisor) if supervisor is not None else None
    findings: list[tuple[str, Finding]] = []
    failed = 0
    try:
        for path, text in sources:
            try:
                findings += [(path, f) for f in await check_document(parse_document(path, text), workspace, trace)]
            except Exception as error:  # noqa: BLE001 - one file fxlens cannot analyse must not stop the others
                failed += 1
                print(f"{_display(path)}:1:1: fxlens failed on this file (a bug: please report it): {error!r}",
                      file=sys.stderr)  # fmt: skip
    finally:
        if supervisor is not None:
            await supervisor.stop()
    return findings, failed


def _supervisor(args: argparse.Namespace, workspace: Workspace) -> Supervisor:
    launch = worker_launch(workspace.config, args.python, args.timeout)
    return Supervisor(launch.interpreter, timeout=launch.timeout, log=lambda line: None)


def _tracer(supervisor: Supervisor) -> Tracer:
    async def trace(call: ResolvedCall) -> ModelState:
        return await supervisor.node_table(call.spec, dependencies=list(call.dependencies))

    return trace


def _wanted(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    select, ignore = tuple(select), tuple(ignore)
    return (not select or code.startswith(select)) and not (ignore and code.startswith(ignore))


def python_files(paths: Iterable[str]) -> Iterator[str]:
    """The ``.py`` files named or found under ``paths``, in order, honouring ``.gitignore``."""
    for path in paths:
        if os.path.isfile(path):
            yield path
        elif os.path.isdir(path):
            yield from sorted(_git_files(path) or _walk(path))
        else:
            raise UsageError(f"{path}: no such file or directory")


def _git_files(folder: str) -> list[str] | None:
    """Files git would track under ``folder`` (tracked or untracked, not ignored); None outside git."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.py"],
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
        found += [os.path.join(directory, f) for f in files if f.endswith(".py")]
    return found


def _format(selected: list[tuple[str, Finding]], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(
            [
                {
                    "filename": path,
                    "code": f.code,
                    "name": f.name,
                    "severity": f.severity,
                    "message": f.message,
                    "location": {"row": f.range.start.line + 1, "column": f.range.start.column + 1},
                    "end_location": {"row": f.range.end.line + 1, "column": f.range.end.column + 1},
                    "fixes": [to_json(fix) for fix in f.fixes],
                }
                for path, f in selected
            ],
            indent=2,
        )
    lines = []
    for path, f in selected:
        row, col = f.range.start.line + 1, f.range.start.column + 1
        if output_format == "github":
            level = {"error": "error", "warning": "warning"}.get(f.severity, "notice")
            lines.append(
                f"::{level} title=fxlens ({f.code}),file={path},line={row},col={col}::{f.code} {_escape(f.message)}"
            )
        else:
            lines.append(f"{_display(path)}:{row}:{col}: {f.code} {f.message}")
    if output_format == "text":
        lines.append(
            f"Found {len(selected)} problem{'s' * (len(selected) != 1)}." if selected else "All checks passed!"
        )
    return "\n".join(lines)


def _escape(message: str) -> str:
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _display(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


# -- nodes ---------------------------------------------------------------------------------------


async def _nodes(args: argparse.Namespace) -> int:
    try:
        spec = parse_target(args.target, args.input)
    except TargetError as error:
        raise UsageError(str(error)) from None
    workspace = Workspace(spec.workspace_root or os.getcwd())
    supervisor = _supervisor(args, workspace)
    try:
        result = await supervisor.node_table(
            spec, dependencies=workspace_dependencies(spec, workspace) if spec.file else ()
        )
    finally:
        await supervisor.stop()
    if isinstance(result, Problem):
        where = f" at {result.location.file}:{result.location.line}: {result.location.text}" if result.location else ""
        hint = f"\nhint: {result.hint}" if result.hint else ""
        print(f"fxlens: {spec.display_name}: {result.kind} error: {result.message}{where}{hint}", file=sys.stderr)
        return 1
    print(json.dumps(_mode_json(result, args.mode), indent=2) if args.json else as_text(result, args.mode))
    return 0


def _mode_json(table: NodeTable, mode: str) -> dict:
    data = table.to_json()
    if mode != "both":
        data.pop("eval" if mode == "train" else "train")
    return data


if __name__ == "__main__":
    sys.exit(main())

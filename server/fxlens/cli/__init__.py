"""The ``fxlens`` command: ``check`` (lint, like ruff), ``nodes`` (a model's node table), ``trace``
(whether an ``nn.Module`` class traces), ``serve``.

None of ``check``, ``nodes`` and ``trace`` imports torch in this process: models are built and traced by the
supervised worker. Usage errors exit with 2 and the subcommand's usage. Each command imports what
it runs only once chosen, so a warm worker (``FXLENS_WARM_WORKER``) starts before the server's imports.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import fxlens


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fxlens`` console script; returns the exit code."""
    parser, commands = _parser()
    args, unknown = parser.parse_known_args(argv)
    command = commands[args.command]
    if unknown:
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "serve":
        return _serve(args)
    from fxlens.cli.check import run_check
    from fxlens.cli.files import MissingPath
    from fxlens.cli.nodes import UsageError, run_nodes
    from fxlens.cli.trace import TraceUsageError, run_trace

    try:
        if args.command == "trace":
            return run_trace(args)
        return run_check(args) if args.command == "check" else run_nodes(args)
    except (UsageError, MissingPath, TraceUsageError) as error:
        command.error(str(error))  # exits with 2
        raise  # unreachable: error() exits
    except BrokenPipeError:  # `fxlens nodes ... | head`: the reader has enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 1


WARM_WORKER = "FXLENS_WARM_WORKER"  # set by a client that knows code may run here (a trusted workspace)


def _serve(args: argparse.Namespace) -> int:
    """Run the language server; with ``FXLENS_WARM_WORKER`` set, a worker importing torch at once.

    Its value is the interpreter the client's settings name for the worker, or ``1`` for the
    server's own (the default): the session takes the worker only for the interpreter it settles
    on. The client says so in the environment rather than by an option, so a server older than the
    client starts all the same; the variable is removed, so no worker or model sees it.
    """
    from fxlens.worker import spawn

    standby = None
    if warm := os.environ.pop(WARM_WORKER, ""):
        try:
            standby = spawn.start(sys.executable if warm == "1" else warm, spawn.DEFAULT_MEMORY_LIMIT)
        except OSError:  # the session's own start will report it, with the interpreter it settles on
            pass
    from fxlens.lsp.server import run

    run(tcp=args.tcp, log_messages=args.log_messages, standby=standby)
    return 0


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(prog="fxlens", description="Node names for torch.fx feature extraction.")
    parser.add_argument("--version", action="version", version=f"fxlens {fxlens.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the language server (stdio by default)",
        epilog=f"{WARM_WORKER}=1 (or =INTERPRETER) in the environment starts the tracing worker, which imports "
        "torch, at once: for a client that knows code may run in the workspace.",
    )
    serve.add_argument("--tcp", type=_host_port, metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default; accepted for LSP clients)")
    serve.add_argument("--log-messages", action="store_true", help="log every LSP message to stderr (debugging)")

    check = sub.add_parser("check", help="report mistakes in the strings that name parts of models")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or folders (default: .)")
    check.add_argument("--output-format", choices=("text", "json", "github", "sarif"), default="text")
    check.add_argument(
        "--select", type=_codes, default=(), metavar="CODES", help="only these codes or prefixes (FXL001,FXL00)"
    )
    check.add_argument("--ignore", type=_codes, default=(), metavar="CODES", help="skip these codes or prefixes")
    check.add_argument("--no-trace", action="store_true", help="static rules only: run no model code")
    check.add_argument("--fix", action="store_true", help="apply the safe fixes and report what is left")
    check.add_argument("--diff", action="store_true", help="show the safe fixes as a diff; change no file")
    check.add_argument(
        "--traceability", action="store_true", help="also report every nn.Module class that does not trace (FXL027)"
    )
    _worker_options(check)

    nodes = sub.add_parser("nodes", help="print the node table of a model")
    nodes.add_argument("target", help="path/to/file.py:ClassName, torchvision:resnet50 or timm:resnet50")
    nodes.add_argument(
        "--input",
        type=_shape,
        metavar="1,3,224,224",
        help="example input shape (default: [tool.fxlens] input-shape, else the model's own)",
    )
    nodes.add_argument(
        "--kwargs", metavar="NAME=VALUE,...", help="constructor arguments as Python literals (image_size=384)"
    )
    nodes.add_argument(
        "--mode", choices=("train", "eval", "both"), default="both", help="which graphs to show (default: both)"
    )
    nodes.add_argument("--tensors-only", action="store_true", help="only the nodes whose output is a tensor")
    nodes.add_argument("--json", action="store_true", help="print the table as JSON")
    _worker_options(nodes)

    trace = sub.add_parser("trace", help="say whether an nn.Module class traces, and if not, where and the fix")
    trace.add_argument("target", help="path/to/file.py:ClassName")
    trace.add_argument(
        "--input", type=_shape, metavar="1,3,224,224", help="example input shape (default: as for nodes)"
    )
    trace.add_argument(
        "--kwargs",
        metavar="NAME=VALUE,...",
        help="constructor arguments as Python literals (over [tool.fxlens.models])",
    )
    _worker_options(trace)
    return parser, {"serve": serve, "check": check, "nodes": nodes, "trace": trace}


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
    from fxlens.lint import RULES, code_range

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

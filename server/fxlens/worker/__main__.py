"""The tracing worker: ``python -m fxlens.worker --channel R,W [--memory-limit BYTES]``.

Runs in the workspace's interpreter, which needs torch but not fxlens (the supervisor puts fxlens
on ``PYTHONPATH``) and never pygls. Requests arrive and replies leave on the channel file
descriptors R and W (see ``fxlens.worker.protocol``); stdout and stderr belong to user code and
go to the server's log. The address-space cap is set before torch is imported, so it covers
everything the process does. A request that runs past its ``timeout`` ends the worker itself,
after faulthandler printed every thread's stack: the supervisor reads where the model hung from
complete output, however loaded the machine is.
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import importlib.metadata
import os
import resource
import sys
import traceback

import fxlens
from fxlens.nodes import Problem, exception_summary
from fxlens.worker.protocol import PROTOCOL_VERSION, Message, read_message, write_message

DISTRIBUTIONS = ("torch", "torchvision", "timm")


def versions() -> dict[str, str | None]:
    """Installed torch / torchvision / timm versions (None when missing) and fxlens's, without importing them."""
    found: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    found["fxlens"] = fxlens.__version__
    return found


def limit_memory(limit: int) -> None:
    """Cap the address space at ``limit`` bytes: allocations beyond it fail instead of swapping."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def load_torch() -> Problem | None:
    """Import torch, fxlens.fx and (when present) torchvision now, so requests do not pay for it."""
    try:
        import fxlens.worker.build  # noqa: F401 - imports torch and fxlens.fx
    except Exception as error:  # noqa: BLE001 - any failure here means "this interpreter cannot trace"
        return Problem(
            kind="import",
            message=f"torch cannot be imported by {sys.executable}: {exception_summary(error)}",
            hint="install torch in that interpreter, or select the interpreter of your project for fxlens",
        )
    try:
        import torchvision  # noqa: F401
    except Exception:  # noqa: BLE001 - torchvision is optional; its absence shows in requests that need it
        pass
    return None


def serve(channel_in: int, channel_out: int) -> None:
    """Answer ``table`` requests until ``exit`` or the end of the channel."""
    from fxlens.worker.build import build_table
    from fxlens.workspace.spec import ModelSpec

    while (request := read_message(channel_in)) is not None and request["type"] != "exit":
        request_id = request["id"]

        def phase(name: str, request_id: int = request_id) -> None:
            write_message(channel_out, {"type": "phase", "id": request_id, "phase": name})

        if request.get("timeout"):  # past it, print the stack (where the model hangs) and exit
            faulthandler.dump_traceback_later(request["timeout"], exit=True)
        try:
            result = build_table(ModelSpec.from_json(request["spec"]), request.get("overlays", {}), phase)
        except Exception as error:  # noqa: BLE001 - a bug in fxlens must not end the worker
            result = Problem(
                kind="crash",
                message=f"fxlens worker error: {exception_summary(error)}",
                details=tuple(traceback.format_exception(error)),
            )
        finally:
            faulthandler.cancel_dump_traceback_later()
        sys.stdout.flush()
        sys.stderr.flush()
        reply: Message = {"type": "result", "id": request_id}
        reply["problem" if isinstance(result, Problem) else "table"] = result.to_json()
        write_message(channel_out, reply)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fxlens.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--channel", required=True, help="R,W: file descriptors for requests and replies")
    parser.add_argument("--memory-limit", type=int, default=0, help="address-space cap in bytes (0: none)")
    options = parser.parse_args()
    channel_in, channel_out = (int(fd) for fd in options.channel.split(","))
    for fd in (channel_in, channel_out):
        os.set_inheritable(fd, False)  # processes user code starts must not hold the channel open
    sys.dont_write_bytecode = True
    faulthandler.enable()  # a segfault leaves the Python stack on stderr, for the crash report
    if options.memory_limit:
        limit_memory(options.memory_limit)
    write_message(
        channel_out,
        {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "python": sys.executable,
            "pid": os.getpid(),
            "versions": versions(),
        },
    )
    gc.disable()  # importing torch makes ~300k objects, all kept: collecting them meanwhile is ~0.5 s of the start
    problem = load_torch()
    gc.freeze()  # and the collections during traces no longer walk them
    gc.enable()
    if problem is not None:
        write_message(channel_out, {"type": "fatal", "problem": problem.to_json()})
        return
    write_message(channel_out, {"type": "ready"})
    serve(channel_in, channel_out)


if __name__ == "__main__":
    main()

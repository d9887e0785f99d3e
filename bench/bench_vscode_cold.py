"""Cold "open a resnet50 script -> node names in the completion list" in real VS Code (by hand;
results go to BENCHMARKS.md).

    python bench/bench_vscode_cold.py [--runs 5] [--bundled] [--trace] [--editor-floor] [--pause S]

Each run starts code-server on a fresh workspace, user-data directory and fxlens cache (so the
extension activates, starts the server and its worker, and traces resnet50 from nothing), and
``bench_vscode_cold.mjs`` opens the script in headless chromium, types a ``return_nodes`` string at
its end and asks for suggestions until ``layer1.0.relu`` is listed; each run's line says when each
step of the start happened. The floor it is compared with is ``python -c "import torch, torchvision"``
on the same machine, timed just before each run (target: floor + 0.5 s). With ``--editor-floor``
each run is preceded by one in a code-server without fxlens, where the same import starts at the
open while the driver types and asks as before: the floor under the editor's own load. ``--pause``
waits that long between the workbench's load and the open, as a user finding the file does.
Needs ``tests/editors/install_code_server.sh`` (code-server, playwright-core, chromium, the .vsix).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "editors"))
from code_server import CHROMIUM, CODE_SERVER, VSIX, free_port, wait_for_port  # noqa: E402 - the editor tests' setup

DRIVER = Path(__file__).resolve().parent / "bench_vscode_cold.mjs"
SCRIPT = """import torch
from torchvision.models import resnet50
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet50(weights=None)
"""
TYPED = 'extractor = create_feature_extractor(model, return_nodes=["layer1.0.re'
EXPECT = "layer1.0.relu"


def missing() -> list[str]:
    """What this bench needs and does not find."""
    needed = {CODE_SERVER: "code-server", CHROMIUM: "Debian chromium", VSIX: "client-vscode/fxlens.vsix"}
    found = [name for path, name in needed.items() if not path.exists()]
    return found + ([] if shutil.which("node") else ["node"])


def import_floor(runs: int) -> list[float]:
    """Seconds ``python -c "import torch, torchvision"`` takes, once per run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch, torchvision"], check=True)
        times.append(time.perf_counter() - start)
    return times


def interpreter(home: Path, launches: Path) -> Path:
    """A wrapper of this Python that puts this checkout's fxlens first and notes (epoch ms) each
    process it starts: the extension's interpreter probe, the server, the worker."""
    python = home / "python"
    python.write_text(
        "#!/bin/sh\n"
        # One write per line: the probe and the server start at the same moment and share the log.
        f'line="$(date +%s%3N) $(printf "%s" "$*" | tr "\\n" " ")"; printf "%s\\n" "$line" >> {launches}\n'
        f'PYTHONPATH={ROOT / "server"}${{PYTHONPATH:+:$PYTHONPATH}} exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    return python


def one_run(
    extensions: Path, bundled: bool, keep: Path, trace: bool = False, floor: bool = False, pause: float = 0
) -> dict:
    """One cold open in a fresh code-server; the driver's marks (epoch ms) and the launches. With
    ``floor``, the driver imports torch at the open instead of waiting for names (``extensions``
    should then hold no fxlens)."""
    home = Path(tempfile.mkdtemp(prefix="run-", dir=keep))
    workspace = home / "workspace"
    workspace.mkdir()
    (workspace / "extract.py").write_text(SCRIPT)
    launches = home / "launches.log"
    settings = {
        "fxlens.interpreter": str(interpreter(home, launches)),
        "fxlens.importStrategy": "useBundled" if bundled else "fromEnvironment",
        "workbench.startupEditor": "none",
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "fxlens.trace.server": "messages" if trace else "off",
    }
    user = home / "user-data"
    (user / "User").mkdir(parents=True)
    (user / "User" / "settings.json").write_text(json.dumps(settings))
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
    port = free_port()
    with (home / "code-server.log").open("w") as log:
        server = subprocess.Popen(
            [CODE_SERVER, "--extensions-dir", str(extensions), "--user-data-dir", str(user), "--auth", "none",
             "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry", "--disable-update-check",
             "--disable-workspace-trust", str(workspace)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_for_port(port, server)
            output = home / "result.json"
            subprocess.run(
                ["node", DRIVER],
                env={
                    **env,
                    "FXLENS_URL": f"http://127.0.0.1:{port}/?folder={workspace}",
                    "FXLENS_FILE": "extract.py",
                    "FXLENS_TYPED": TYPED,
                    "FXLENS_EXPECT": EXPECT,
                    "FXLENS_RESULT": str(output),
                    "FXLENS_SCREENSHOT": str(home / "screenshot.png"),
                    "FXLENS_PAUSE": str(round(pause * 1000)),
                    **({"FXLENS_FLOOR_PYTHON": sys.executable} if floor else {}),
                },
                capture_output=True,
                timeout=300,
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    result = json.loads(output.read_text()) if output.exists() else {"error": "the driver wrote no result"}
    lines = [line for line in launches.read_text().splitlines() if line.strip()] if launches.exists() else []
    result["launches"] = [(int(line.split()[0]), " ".join(line.split()[1:])) for line in lines]
    result["home"] = str(home)
    return result


def seconds(result: dict, start: str, end: str) -> float:
    return (result["marks"][end] - result["marks"][start]) / 1000


def logged_at(logs: Path, pattern: str, text: str) -> int | None:
    """Epoch ms of the first line of the logs matching ``pattern`` that contains ``text``
    (code-server's logs start with a local ``YYYY-MM-DD HH:MM:SS.mmm``)."""
    for log in sorted(logs.glob(pattern)):
        for line in log.read_text(errors="replace").splitlines():
            if text in line:
                stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
                return round(stamp.timestamp() * 1000)
    return None


def timeline(result: dict) -> dict[str, int | None]:
    """When (epoch ms) each step of the cold start happened, from the driver, the launches and the logs."""
    logs = Path(result["home"]) / "user-data" / "logs"
    launched = result["launches"]
    return {
        "extension activated": logged_at(logs, "*/exthost*/remoteexthost.log", "_doActivateExtension fxlens.fxlens"),
        "interpreter probed": next((at for at, args in launched if args.startswith("-c")), None),
        "server process": next(
            (at for at, args in launched if "serve" in args.split()), None
        ),  # or bundled/tool/serve.py
        "worker process": next((at for at, args in launched if "fxlens.worker" in args), None),
        "worker imported torch": logged_at(logs, "*/exthost*/fxlens.fxlens/*.log", "starting → ready"),
        "resnet50 traced": logged_at(logs, "*/exthost*/fxlens.fxlens/*.log", "busy → ready"),
        "names listed": result["marks"]["names"],
    }


def describe(result: dict) -> str:
    """One run's line: open -> names, and when each step happened after the open."""
    opened = result["marks"]["open"]
    steps = "; ".join(
        f"{step} {(at - opened) / 1000:+.2f}" if at is not None else f"{step} ?"
        for step, at in timeline(result).items()
    )
    return (
        f"open -> names {seconds(result, 'open', 'names'):5.2f} s (load {result['load']:.1f}; {steps}; "
        f"{result['attempts']} suggestion requests)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--bundled", action="store_true", help="run the server bundled in the .vsix, not this checkout's"
    )
    parser.add_argument("--trace", action="store_true", help="log every LSP message in the fxlens log (it costs time)")
    parser.add_argument(
        "--editor-floor", action="store_true", help="before each run, time the import beside code-server without fxlens"
    )
    parser.add_argument("--pause", type=float, default=0, help="seconds between the workbench's load and the open")
    args = parser.parse_args()
    if absent := missing():
        sys.exit(f"missing {', '.join(absent)}: run tests/editors/install_code_server.sh")
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    keep = Path(tempfile.mkdtemp(prefix="fxlens-bench-vscode-"))
    extensions = keep / "extensions"
    subprocess.run(
        [CODE_SERVER, "--extensions-dir", str(extensions), "--install-extension", str(VSIX)],
        env={**os.environ, "XDG_CONFIG_HOME": str(keep / "config")},
        check=True,
        capture_output=True,
        timeout=120,
    )
    times, floors, over, over_editor = [], [], [], []
    for run in range(args.runs):
        (floor,) = import_floor(1)  # just before each run: the load changes from run to run
        editor_floor = None
        if args.editor_floor:
            plain = one_run(keep / "no-extensions", False, keep, floor=True, pause=args.pause)
            if "error" in plain:
                reason = plain["error"].splitlines()[0]
                print(f"run {run + 1}: the floor in the editor failed ({plain['home']}): {reason}")
                continue
            editor_floor = seconds(plain, "open", "imported")
        load = os.getloadavg()[0]
        result = {**one_run(extensions, args.bundled, keep, args.trace, pause=args.pause), "load": load}
        if "error" in result:
            print(f"run {run + 1}: failed ({result['home']}): {result['error'].splitlines()[0]}")
            continue
        times.append(seconds(result, "open", "names"))
        floors.append(floor)
        over.append(times[-1] - floor)
        in_editor = ""
        if editor_floor is not None:
            over_editor.append(times[-1] - editor_floor)
            in_editor = f", in the editor {editor_floor:.2f} s"
        print(f"run {run + 1}: floor {floor:.2f} s{in_editor}; {describe(result)}")
    print(f"load average after: {os.getloadavg()[0]:.2f}; screenshots and logs under {keep}")
    if times:
        print(
            f"open -> names: median {statistics.median(times):.2f} s ({min(times):.2f}-{max(times):.2f} s, "
            f"n={len(times)}); floor median {statistics.median(floors):.2f} s; open -> names minus the run's "
            f"floor: median {statistics.median(over):.2f} s ({min(over):.2f}-{max(over):.2f} s), target 0.5 s"
        )
    if over_editor:
        print(
            f"open -> names minus the run's floor in the editor: median {statistics.median(over_editor):.2f} s "
            f"({min(over_editor):.2f}-{max(over_editor):.2f} s)"
        )


if __name__ == "__main__":
    main()

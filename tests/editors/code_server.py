"""A code-server session for the editor tests: the packaged extension installed in a fresh code-server
on a workspace, one Playwright driver (``code-server/*.mjs``) run against it in headless Chromium, and
what the page showed, as the driver's JSON.

Needs ``tests/editors/install_code_server.sh`` (code-server, playwright-core, Debian chromium, the
``.vsix``); ``REQUIREMENTS`` skips the tests otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CODE_SERVER = HERE / "code-server" / "node_modules" / ".bin" / "code-server"
VSIX = ROOT / "client-vscode" / "fxlens.vsix"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "run tests/editors/install_code_server.sh"

REQUIREMENTS = [
    pytest.mark.editor,
    pytest.mark.skipif(not CODE_SERVER.exists(), reason=f"code-server is not installed ({INSTALL})"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium is not installed ({INSTALL})"),
    pytest.mark.skipif(not VSIX.exists(), reason=f"client-vscode/fxlens.vsix is not built ({INSTALL})"),
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]


def code_server_session(home: Path, workspace: Path, driver: str, driver_env: dict[str, str]) -> Iterator[dict]:
    """Yield what ``code-server/<driver>`` read from the page of a code-server on ``workspace``.

    ``home`` holds code-server's settings, log, the driver's result and screenshots; code-server runs
    until the generator is closed. Fails with the driver's output when it wrote no result or its
    opening steps failed.
    """
    # The extension host rebuilds PATH from a login shell: the interpreter is an absolute path, a
    # wrapper that puts this checkout's fxlens first (its worker still runs sys.executable); the server
    # is that fxlens ("fromEnvironment"), not the copy bundled into the .vsix when it was built.
    python = home / "python"
    python.write_text(
        f'#!/bin/sh\nPYTHONPATH={ROOT / "server"}${{PYTHONPATH:+:$PYTHONPATH}} exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    user = home / "user-data"
    (user / "User").mkdir(parents=True)
    settings = {
        "fxlens.interpreter": str(python),
        "fxlens.importStrategy": "fromEnvironment",
        "workbench.startupEditor": "none",
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
    }
    (user / "User" / "settings.json").write_text(json.dumps(settings))
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
    common = ["--extensions-dir", str(home / "extensions"), "--user-data-dir", str(user)]
    subprocess.run(
        [CODE_SERVER, *common, "--install-extension", VSIX], env=env, check=True, capture_output=True, timeout=120
    )
    port = free_port()
    log = (home / "code-server.log").open("w")
    server = subprocess.Popen(
        [CODE_SERVER, *common, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry",
         "--disable-update-check", "--disable-workspace-trust", str(workspace)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, server)
        output = home / "result.json"
        script = HERE / "code-server" / driver
        run = subprocess.run(
            ["node", script],
            cwd=script.parent,
            env={
                **env,
                "FXLENS_URL": f"http://127.0.0.1:{port}/?folder={workspace}",
                "FXLENS_RESULT": str(output),
                "FXLENS_SCREENSHOT": str(home / "screenshot.png"),
                "FXLENS_LOGS": str(user / "logs"),
                **driver_env,
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert output.exists(), f"the driver wrote no result: {run.stdout}\n{run.stderr}"
        result = json.loads(output.read_text())
        assert "error" not in result, (
            f"the driver failed after {result['steps']} (screenshots in {home}): {result['error']}"
        )
        result["screenshots"] = str(home)
        yield result
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def assert_step(session: dict, name: str) -> None:
    """Fail with the driver's error (and where its screenshots are) when step ``name`` failed."""
    error = session["errors"].get(name)
    assert error is None, f"{error}\n(screenshots in {session['screenshots']})"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Return once code-server (``process``) listens on ``port``; fail when it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"code-server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"code-server did not listen on {port}")

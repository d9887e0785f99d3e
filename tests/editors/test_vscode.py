"""fxlens in a real VS Code: the packaged extension in code-server, driven by Playwright in headless Chromium.

Needs ``tests/editors/install_code_server.sh`` (code-server, playwright-core, Debian chromium, the
``.vsix``); skipped otherwise. ``code-server/drive_vscode.mjs`` does the clicking and typing and
writes what the page showed as JSON; the assertions are here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CODE_SERVER = HERE / "code-server" / "node_modules" / ".bin" / "code-server"
DRIVER = HERE / "code-server" / "drive_vscode.mjs"
VSIX = ROOT / "client-vscode" / "fxlens.vsix"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "run tests/editors/install_code_server.sh"

pytestmark = [
    pytest.mark.editor,
    pytest.mark.skipif(not CODE_SERVER.exists(), reason=f"code-server is not installed ({INSTALL})"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium is not installed ({INSTALL})"),
    pytest.mark.skipif(not VSIX.exists(), reason=f"client-vscode/fxlens.vsix is not built ({INSTALL})"),
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]
pytest.importorskip("torchvision", reason="the workspace script uses torchvision's resnet18")

SCRIPT = """
from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet18(weights=None)
extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu_1", "layer9"])
"""
CALL_LINE = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
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


@pytest.fixture(scope="module")
def vscode_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("code-server")
    workspace = tmp_path_factory.mktemp("workspace")
    (workspace / "extract.py").write_text(textwrap.dedent(SCRIPT).lstrip())
    # The extension host rebuilds PATH from a login shell: the interpreter is an absolute path, a
    # wrapper that puts this checkout's fxlens first (its worker still runs sys.executable).
    python = home / "python"
    python.write_text(
        f'#!/bin/sh\nPYTHONPATH={ROOT / "server"}${{PYTHONPATH:+:$PYTHONPATH}} exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    user = home / "user-data"
    (user / "User").mkdir(parents=True)
    (user / "User" / "settings.json").write_text(
        json.dumps(
            {
                "fxlens.interpreter": str(python),
                "workbench.startupEditor": "none",
                "telemetry.telemetryLevel": "off",
                "extensions.autoCheckUpdates": False,
                "extensions.autoUpdate": False,
            }
        )
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache")}
    common = ["--extensions-dir", str(home / "extensions"), "--user-data-dir", str(user)]
    subprocess.run(
        [CODE_SERVER, *common, "--install-extension", VSIX], env=env, check=True, capture_output=True, timeout=120
    )
    port = _free_port()
    log = (home / "code-server.log").open("w")
    server = subprocess.Popen(
        [CODE_SERVER, *common, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry",
         "--disable-update-check", "--disable-workspace-trust", str(workspace)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_port(port, server)
        output = home / "result.json"
        line = textwrap.dedent(SCRIPT).lstrip().splitlines()[CALL_LINE - 1]
        driver = subprocess.run(
            ["node", DRIVER],
            cwd=DRIVER.parent,
            env={
                **env,
                "FXLENS_URL": f"http://127.0.0.1:{port}/?folder={workspace}",
                "FXLENS_RESULT": str(output),
                "FXLENS_SCREENSHOT": str(home / "screenshot.png"),
                "FXLENS_LINE": str(CALL_LINE),
                "FXLENS_HOVER_COLUMN": str(line.index("layer1.0.relu_1") + 4),
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert output.exists(), f"the driver wrote no result: {driver.stdout}\n{driver.stderr}"
        result = json.loads(output.read_text())
        assert "error" not in result, (
            f"the driver failed after {result['steps']} (screenshot {home / 'screenshot.png'}): {result['error']}"
        )
        result["screenshots"] = str(home)
        yield result
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _step(session: dict, name: str) -> None:
    """Fail with the driver's error (and where its screenshot is) when step ``name`` failed."""
    error = session["errors"].get(name)
    assert error is None, f"{error}\n(screenshots in {session['screenshots']})"


def test_the_language_status_shows_the_server_ready(vscode_session: dict) -> None:
    _step(vscode_session, "status")
    status = vscode_session["status"]
    assert status["id"] == "status.languageStatus", status
    assert "fxlens" in status["text"]
    assert "Server: " in status["label"], status  # a running server (drive_vscode waited for its check icon)
    assert "sev1" in status["severity"], status  # information: a ready server is not shown as a problem


def test_the_problems_panel_lists_the_unknown_node(vscode_session: dict) -> None:
    _step(vscode_session, "problems")
    (problem,) = [row for row in vscode_session["problems"] if "layer9" in row]
    assert "did you mean" in problem
    assert "FXL001" in problem


def test_hover_on_a_node_string_shows_its_shape(vscode_session: dict) -> None:
    _step(vscode_session, "hover")
    assert "layer1.0.relu_1" in vscode_session["hover"]
    assert "1×64×56×56" in vscode_session["hover"]


def test_suggestions_inside_a_typed_node_string_include_real_nodes(vscode_session: dict) -> None:
    _step(vscode_session, "suggestions")
    labels = vscode_session["suggestions"]
    assert any(label.startswith("layer1.0.relu_1") for label in labels), labels


def test_the_node_view_highlights_the_selection_filters_and_puts_a_clicked_node_into_the_call(
    vscode_session: dict,
) -> None:
    _step(vscode_session, "nodeView")
    view = vscode_session["nodeView"]
    assert view["title"] == "Nodes of resnet18", view
    assert view["selected"] == ["layer1.0.relu_1"], view  # what the call's return_nodes selects
    assert {"layer1", "layer4", "fc"} <= set(view["tree"]), view  # the module tree's top level
    assert view["filtered"] == ["layer4.1.relu", "layer4.1.relu_1"], view
    # the cursor was in "layer1.0.relu_1": the click replaced that string
    assert 'return_nodes=["layer4.1.relu_1", "layer9"]' in view["line"], view
    assert "layer4.1.relu_1" in view["selectedAfter"], view  # the view followed the edit


def test_a_code_lens_opens_the_node_view_on_its_own_call_and_a_click_appends_to_that_call(
    vscode_session: dict,
) -> None:
    _step(vscode_session, "nodeLens")
    lens = vscode_session["nodeLens"]
    # the cursor was in the last call, whose only string selects nothing: the view shows the lens's call
    assert lens["cursor"].startswith("Ln 7,"), lens
    assert lens["selected"] == ["layer4.1.relu_1"], lens
    assert 'return_nodes=["layer4.1.relu_1", "layer9", "fc"]' in lens["line"], lens

"""fxlens in a real VS Code notebook: a real ``.ipynb`` opened in code-server's built-in notebook editor
(no Jupyter extension), with the packaged extension, driven by Playwright in headless Chromium.

Uses what ``test_vscode.py`` sets up (code-server, Chromium and the ``.vsix`` from
``tests/editors/install_code_server.sh``; skipped without them). The driver types in a cell and
reads what the page shows (``code-server/drive_notebook.mjs``): a diagnostic in the Problems panel, a
hover and completion in a cell.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from editors.test_vscode import CODE_SERVER, VSIX, _free_port, _wait_for_port
from editors.test_vscode import pytestmark as vscode_requirements

pytestmark = vscode_requirements
pytest.importorskip("torchvision", reason="the notebook uses torchvision's resnet18")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CELLS = [
    "import torch\nfrom torchvision.models import resnet18\n"
    "from torchvision.models.feature_extraction import create_feature_extractor",
    "model = resnet18(weights=None)\n"
    'extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu_1", "layer9"])',
]
DRIVER = HERE / "code-server" / "drive_notebook.mjs"


def notebook() -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Features"]},
        *(
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
            for source in CELLS
        ),
    ]
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}, indent=1)


@pytest.fixture(scope="module")
def notebook_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("code-server-notebook")
    workspace = tmp_path_factory.mktemp("notebook-workspace")
    (workspace / "analysis.ipynb").write_text(notebook())
    python = home / "python"  # as in test_vscode.py: this checkout's fxlens first
    python.write_text(
        f'#!/bin/sh\nPYTHONPATH={ROOT / "server"}${{PYTHONPATH:+:$PYTHONPATH}} exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    user = home / "user-data"
    (user / "User").mkdir(parents=True)
    settings = {
        "fxlens.interpreter": str(python),
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
        run = subprocess.run(
            ["node", DRIVER],
            cwd=DRIVER.parent,
            env={
                **env,
                "FXLENS_URL": f"http://127.0.0.1:{port}/?folder={workspace}",
                "FXLENS_RESULT": str(output),
                "FXLENS_SCREENSHOT": str(home / "screenshot.png"),
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


def _step(session: dict, name: str) -> None:
    error = session["errors"].get(name)
    assert error is None, f"{error}\n(screenshots in {session['screenshots']})"


def test_the_problems_panel_lists_the_unknown_node_of_a_cell(notebook_session: dict) -> None:
    _step(notebook_session, "problems")
    (problem,) = [row for row in notebook_session["problems"] if "layer9" in row]
    assert "FXL001" in problem and "did you mean" in problem


def test_hover_in_a_cell_shows_the_nodes_shape(notebook_session: dict) -> None:
    _step(notebook_session, "hover")
    assert "layer1.0.relu_1" in notebook_session["hover"] and "1×64×56×56" in notebook_session["hover"]


def test_suggestions_typed_in_a_cell_include_real_nodes(notebook_session: dict) -> None:
    _step(notebook_session, "suggestions")
    assert any(label.startswith("layer1.0.relu_1") for label in notebook_session["suggestions"])

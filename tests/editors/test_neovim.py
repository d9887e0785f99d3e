"""fxlens in a real editor: headless Neovim's built-in LSP client (Debian's 0.7) against ``fxlens serve``.

The Lua script (``drive_neovim.lua``) starts the server with ``vim.lsp.start_client``, waits for the
pushed diagnostics, asks for completion inside a node string and for hover, and writes JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.editor,
    pytest.mark.skipif(shutil.which("nvim") is None, reason="nvim is not installed (Debian: apt-get install neovim)"),
]
pytest.importorskip("torchvision", reason="the workspace script uses torchvision's resnet18")

SERVER_HOME = Path(__file__).resolve().parents[2] / "server"
DRIVER = Path(__file__).with_name("drive_neovim.lua")
TIMEOUT_S = 120

SCRIPT = """
from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet18(weights=None)
extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu_1", "layer9"])
"""


@pytest.fixture(scope="module")
def neovim_session(tmp_path_factory: pytest.TempPathFactory) -> dict:
    workspace = tmp_path_factory.mktemp("workspace")
    script = workspace / "extract.py"
    script.write_text(textwrap.dedent(SCRIPT).lstrip())
    output = tmp_path_factory.mktemp("out") / "result.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(SERVER_HOME), os.environ.get("PYTHONPATH", "")) if p),
        "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache")),
        "FXLENS_SERVER_CMD": json.dumps([sys.executable, "-m", "fxlens", "serve"]),
        "FXLENS_WORKSPACE": str(workspace),
        "FXLENS_SCRIPT": str(script),
        "FXLENS_RESULT": str(output),
        "FXLENS_TIMEOUT_MS": str(TIMEOUT_S * 1000),
    }
    process = subprocess.run(
        ["nvim", "--headless", "--clean", "-n", "-c", f"luafile {DRIVER}"],
        env=env,
        cwd=workspace,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=3 * TIMEOUT_S + 60,
    )
    assert output.exists(), f"nvim wrote no result (exit {process.returncode}): {process.stdout}\n{process.stderr}"
    result = json.loads(output.read_text())
    assert "error" not in result, f"the Lua driver failed after {result['steps']}: {result['error']}"
    assert process.returncode == 0, process.stderr
    return result


def test_the_server_offers_the_contract_trigger_characters(neovim_session: dict) -> None:
    assert set(neovim_session["trigger_characters"]) == {'"', "'", "."}


def test_unknown_node_is_an_fxl001_error_on_its_string(neovim_session: dict) -> None:
    unknown = [d for d in neovim_session["diagnostics"] if d["code"] == "FXL001"]
    assert len(unknown) == 1, neovim_session["diagnostics"]
    (diagnostic,) = unknown
    assert diagnostic["severity"] == 1  # vim.diagnostic.severity.ERROR
    assert "layer9" in diagnostic["message"]
    line = textwrap.dedent(SCRIPT).lstrip().splitlines()[diagnostic["lnum"]]
    assert line[diagnostic["col"] :].startswith(('"layer9"', "layer9"))
    assert not [d for d in neovim_session["diagnostics"] if "layer1.0.relu_1" in d["message"]]


def test_completion_inside_a_node_string_lists_real_node_names(neovim_session: dict) -> None:
    labels = neovim_session["completion_labels"]
    assert "layer1.0.relu_1" in labels
    assert "layer1.0.conv1" in labels
    assert labels.index("layer1.0.relu") < labels.index("layer1.0.relu_1")
    assert all(label.startswith("layer1.") for label in labels), labels
    assert not neovim_session["completion_incomplete"]


def test_hover_on_a_node_string_shows_its_output_shape(neovim_session: dict) -> None:
    hover = neovim_session["hover"]
    text = hover["value"] if isinstance(hover, dict) else json.dumps(hover)
    assert "layer1.0.relu_1" in text
    assert "1×64×56×56" in text, text  # the default 1×3×224×224 input

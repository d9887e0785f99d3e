"""The VS Code extension's own test suite (``npm test`` in ``client-vscode/``: type check, unit tests
of its pure logic, and its messages against a real ``fxlens serve``), run as part of pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client-vscode"

pytestmark = [
    pytest.mark.editor,
    pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed"),
    pytest.mark.skipif(not (CLIENT / "node_modules").is_dir(), reason="run `npm ci` in client-vscode/ first"),
]
pytest.importorskip("torchvision", reason="the suite's server tests trace torchvision models")


def test_the_extensions_npm_test_suite_passes() -> None:
    env = {**os.environ, "FXLENS_TEST_PYTHON": sys.executable}
    run = subprocess.run(["npm", "test"], cwd=CLIENT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"npm test failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    assert "# fail 0" in run.stdout, run.stdout[-3000:]
    assert "# skipped 0" in run.stdout, "the suite against a real server was skipped:\n" + run.stdout[-3000:]

"""The VS Code extension's own test suite (``npm test`` in ``client-vscode/``: type check, unit tests
of its pure logic, its messages against a real ``fxlens serve``, and the bundled server when
``npm run bundle`` built it), run as part of pytest."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client-vscode"
SERVER_SUITE = "the extension's messages against fxlens serve"
BUNDLE_SUITE = "the bundled server"

pytestmark = [
    pytest.mark.editor,
    pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed"),
    pytest.mark.skipif(not (CLIENT / "node_modules").is_dir(), reason="run `npm ci` in client-vscode/ first"),
]
pytest.importorskip("torchvision", reason="the suite's server tests trace torchvision models")


@pytest.fixture(scope="module")
def npm_test() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FXLENS_TEST_PYTHON": sys.executable}
    return subprocess.run(["npm", "test"], cwd=CLIENT, env=env, capture_output=True, text=True, timeout=600)


def _skipped_suites(stdout: str) -> list[str]:
    """The names of the suites node's test runner skipped (``ok N - name # SKIP reason``)."""
    return re.findall(r"^ok \d+ - (.+?) # SKIP", stdout, flags=re.MULTILINE)


def test_the_extensions_npm_test_suite_passes(npm_test: subprocess.CompletedProcess[str]) -> None:
    run = npm_test
    assert run.returncode == 0, f"npm test failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    assert "# fail 0" in run.stdout, run.stdout[-3000:]
    assert "# skipped 0" in run.stdout, "the suite against a real server was skipped:\n" + run.stdout[-3000:]
    assert SERVER_SUITE not in _skipped_suites(run.stdout), "the suite against a real server was skipped"


def test_the_bundled_server_suite_ran(npm_test: subprocess.CompletedProcess[str]) -> None:
    if not (CLIENT / "bundled" / "libs" / "fxlens").is_dir():
        pytest.skip("client-vscode/bundled/libs is not built (`npm run bundle` in client-vscode/)")
    assert npm_test.returncode == 0, npm_test.stdout[-6000:]
    assert BUNDLE_SUITE not in _skipped_suites(npm_test.stdout), npm_test.stdout[-3000:]

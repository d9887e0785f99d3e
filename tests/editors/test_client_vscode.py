"""The VS Code extension's own test suite (``npm test`` in ``client-vscode/``: type check, unit tests
of its pure logic, its messages against a real ``fxlens serve``, and the bundled server when
``npm run bundle`` built it), run as part of pytest."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client-vscode"
SERVER_SUITE = "the extension's messages against fxlens serve"
BUNDLE_SUITE = "the bundled server"

NPM_MARKS = (
    pytest.mark.editor,
    pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed"),
    pytest.mark.skipif(not (CLIENT / "node_modules").is_dir(), reason="run `npm ci` in client-vscode/ first"),
    pytest.mark.skipif(importlib.util.find_spec("torchvision") is None, reason="the suite's server tests trace it"),
)


def needs_npm(test: Callable[..., None]) -> Callable[..., None]:
    """Marks a test that runs ``npm test`` (skipped without npm, ``node_modules`` or torchvision)."""
    for mark in NPM_MARKS:
        test = mark(test)
    return test


def _pinned_bundle_requirements() -> dict[str, Requirement]:
    text = (CLIENT / "scripts" / "bundle-requirements.txt").read_text()
    requirements = [Requirement(line.split("#")[0]) for line in text.splitlines() if line.split("#")[0].strip()]
    return {requirement.name.lower(): requirement for requirement in requirements}


def test_the_bundle_pins_every_server_dependency_but_torch_within_pyproject_s_ranges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = _pinned_bundle_requirements()
    assert "torch" not in pinned, "the worker traces with the user's torch; the bundle must not hold one"
    for requirement in map(Requirement, project["dependencies"]):
        if requirement.name == "torch":
            continue
        assert requirement.name.lower() in pinned, f"{requirement.name} is not in bundle-requirements.txt"
        bundled = pinned[requirement.name.lower()]
        (pin,) = bundled.specifier
        assert pin.operator == "==", f"{bundled} is not pinned"
        assert requirement.specifier.contains(pin.version), f"{bundled} is outside pyproject.toml's {requirement}"
        assert str(bundled.marker) == str(requirement.marker), f"{bundled} and {requirement} differ in their markers"


@pytest.fixture(scope="module")
def npm_test() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FXLENS_TEST_PYTHON": sys.executable}
    return subprocess.run(["npm", "test"], cwd=CLIENT, env=env, capture_output=True, text=True, timeout=600)


def _skipped_suites(stdout: str) -> list[str]:
    """The names of the suites node's test runner skipped (``ok N - name # SKIP reason``)."""
    return re.findall(r"^ok \d+ - (.+?) # SKIP", stdout, flags=re.MULTILINE)


@needs_npm
def test_the_extensions_npm_test_suite_passes(npm_test: subprocess.CompletedProcess[str]) -> None:
    run = npm_test
    assert run.returncode == 0, f"npm test failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    assert "# fail 0" in run.stdout, run.stdout[-3000:]
    assert "# skipped 0" in run.stdout, "the suite against a real server was skipped:\n" + run.stdout[-3000:]
    assert SERVER_SUITE not in _skipped_suites(run.stdout), "the suite against a real server was skipped"


@needs_npm
def test_the_bundled_server_suite_ran(npm_test: subprocess.CompletedProcess[str]) -> None:
    if not (CLIENT / "bundled" / "libs" / "fxlens").is_dir():
        pytest.skip("client-vscode/bundled/libs is not built (`npm run bundle` in client-vscode/)")
    assert npm_test.returncode == 0, npm_test.stdout[-6000:]
    assert BUNDLE_SUITE not in _skipped_suites(npm_test.stdout), npm_test.stdout[-3000:]

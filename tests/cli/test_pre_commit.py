"""The repository's pre-commit hook, run by pre-commit itself on a sample git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")


def test_the_hook_reports_the_mistakes_of_the_committed_files(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "train.py").write_text(
        textwrap.dedent("""
        from torchvision.models.feature_extraction import create_feature_extractor
        create_feature_extractor(model, return_nodes=["head("])
        """)
    )
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    }  # fmt: skip
    subprocess.run(["git", "init", "-q"], cwd=sample, check=True, env=env)
    subprocess.run(["git", "add", "train.py"], cwd=sample, check=True, env=env)
    result = subprocess.run(
        ["pre-commit", "try-repo", str(REPO), "fxlens", "--all-files"],
        cwd=sample, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fxlens check" in result.stdout and "Failed" in result.stdout
    assert "train.py:3:48: FXL004 `head(` is not a valid regular expression" in result.stdout

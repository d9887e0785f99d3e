"""Every rule has a documentation page whose wrong example ``fxlens check`` flags with that rule and
whose right example it passes — checked by running the real CLI on both."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fxlens.lint import RULES
from fxlens.lint.docs import rule_doc

pytest.importorskip("torchvision", reason="the examples use torchvision models")

NOT_RUNNABLE = {"FXL015": "its example is a file of several megabytes"}
FLAGS = {"FXL027": ("--traceability",)}  # rules that run only with an option: their examples are checked with it
BLOCK = re.compile(r"## (Wrong|Right)\n\n```python\n(.*?)```", re.DOTALL)


def examples(code: str) -> dict[str, str]:
    return {kind.lower(): body for kind, body in BLOCK.findall(rule_doc(code).read_text())}


def test_every_rule_has_a_page_titled_with_its_code_name_and_severity() -> None:
    for code, rule in RULES.items():
        text = rule_doc(code).read_text()
        assert text.startswith(f"# {code} {rule.name} ({rule.severity})\n"), code
        assert "## Wrong" in text and "## Right" in text, code


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The codes ``fxlens check`` reports for every runnable example, by file name."""
    folder = tmp_path_factory.mktemp("rule_docs")
    runs: dict[tuple[str, ...], Path] = {(): folder}
    for code in RULES:
        if code in NOT_RUNNABLE:
            continue
        options = FLAGS.get(code, ())
        if options not in runs:
            runs[options] = tmp_path_factory.mktemp(f"rule_docs_{code}")
        target = runs[options]
        for kind, body in examples(code).items():
            (target / f"{code.lower()}_{kind}.py").write_text(body)
    found: dict[str, list[str]] = {}
    for options, target in runs.items():
        env = {**os.environ, "XDG_CACHE_HOME": str(folder / ".cache")}
        result = subprocess.run(
            [sys.executable, "-m", "fxlens", "check", *options, "--output-format", "json", str(target)],
            capture_output=True, text=True, env=env, timeout=600,
        )  # fmt: skip
        assert result.returncode in (0, 1), result.stderr
        for finding in json.loads(result.stdout):
            found.setdefault(Path(finding["filename"]).name, []).append(finding["code"])
    return found


@pytest.mark.parametrize("code", [c for c in RULES if c not in NOT_RUNNABLE])
def test_the_wrong_example_is_flagged_and_the_right_one_passes(code: str, reported: dict[str, list[str]]) -> None:
    assert set(examples(code)) == {"wrong", "right"}
    assert code in reported.get(f"{code.lower()}_wrong.py", []), reported
    assert reported.get(f"{code.lower()}_right.py", []) == []

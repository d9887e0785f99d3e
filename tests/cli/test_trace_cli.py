"""`fxlens trace FILE:Class` and `fxlens check --traceability` on real files, in real subprocesses:
what they print, and their exit codes (0 traceable, 1 not, 2 usage or arguments to configure)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the classes are traced by torch.fx in the worker")

MODELS = textwrap.dedent("""\
    import torch
    from torch import nn


    class Gate(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            x = self.fc(x)
            if x.sum() > 0:
                x = -x
            return x.relu()


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Linear(4, 4)
            self.gate = Gate()
            self.head = nn.Linear(4, 10)

        def forward(self, x):
            return self.head(self.gate(self.stem(x)))


    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 10)

        def forward(self, x):
            return self.fc(x).relu()


    class Wide(nn.Module):
        def __init__(self, width, depth=2):
            super().__init__()
            self.fc = nn.Linear(4, width)

        def forward(self, x):
            return self.fc(x)


    class Helper:
        def forward(self, x):
            return x
""")
GATE_LINE = 12  # `if x.sum() > 0:`


OTHER_FIXES = textwrap.dedent("""\
    from torch import nn


    def scale(x):
        return x * len(x)


    class Wrapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return scale(self.fc(x))


    class Flagged(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x, flip=False):
            if flip:
                x = -x
            return self.fc(x)
""")


def fxlens(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "fxlens", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "models.py").write_text(MODELS)
    return tmp_path


def test_a_traceable_class_prints_its_node_count_and_output_shape_and_exits_0(project: Path, cache: Path) -> None:
    result = fxlens("trace", "models.py:Head", cwd=project, cache=cache)
    assert result.stdout == "Head: traceable · 3 nodes · output 1×10\n", result.stderr
    assert result.returncode == 0


def test_an_untraceable_class_says_the_line_the_construct_and_the_verified_fix_and_exits_1(
    project: Path, cache: Path
) -> None:
    result = fxlens("trace", "models.py:Net", cwd=project, cache=cache)
    lines = result.stdout.splitlines()
    assert lines[0] == f"Net: not traceable — line {GATE_LINE}: control flow on a traced value · make `Gate` a leaf"
    assert lines[1].startswith("  trace error: control flow on a traced value: ")
    assert f"  at {project / 'models.py'}:{GATE_LINE}: if x.sum() > 0:" in lines
    assert '  fix: tracer_kwargs={"leaf_modules": [Gate]} (verified: the model then traces)' in lines
    assert "  cost: the nodes inside gate stop being selectable" in lines
    assert result.returncode == 1


def test_a_class_failing_in_its_own_forward_has_no_leaf_fix(project: Path, cache: Path) -> None:
    result = fxlens("trace", "models.py:Gate", cwd=project, cache=cache)
    assert result.stdout.splitlines()[0] == f"Gate: not traceable — line {GATE_LINE}: control flow on a traced value"
    assert "fix:" not in result.stdout
    assert result.returncode == 1


def test_a_class_needing_arguments_names_them_and_the_table_to_write_and_exits_2(project: Path, cache: Path) -> None:
    result = fxlens("trace", "models.py:Wide", cwd=project, cache=cache)
    assert result.stdout == (
        'Wide: needs arguments `width`: set them under [tool.fxlens.models."models:Wide"] as kwargs = { width = ... }'
        " (or give them with --kwargs)\n"
    )
    assert result.returncode == 2


def test_kwargs_and_input_on_the_command_line_build_and_feed_the_class(project: Path, cache: Path) -> None:
    result = fxlens("trace", "models.py:Wide", "--kwargs", "width=5", "--input", "2,4", cwd=project, cache=cache)
    assert result.stdout == "Wide: traceable · 2 nodes · output 2×5\n", result.stderr
    assert result.returncode == 0
    bad = fxlens("trace", "models.py:Wide", "--kwargs", "width=", cwd=project, cache=cache)
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == "fxlens trace: error: `` (for width) is not a Python literal"


def test_the_configured_arguments_build_the_class(project: Path, cache: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[project]\nname = 'demo'\n\n[tool.fxlens.models.\"models:Wide\"]\nkwargs = { width = 6 }\n"
    )
    result = fxlens("trace", "models.py:Wide", cwd=project, cache=cache)
    assert result.stdout == "Wide: traceable · 2 nodes · output 1×6\n", result.stderr
    assert result.returncode == 0


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("models.py:Helper", "`Helper` is not an nn.Module class of models.py (its classes: Gate, Net, Head, Wide)"),
        ("models.py", "`models.py` is not a target: write path/to/file.py:ClassName"),
        ("missing.py:Net", "`missing.py:Net` is not a target: write path/to/file.py:ClassName"),
    ],
)
def test_a_target_that_is_no_module_class_is_a_usage_error(project: Path, cache: Path, target: str, says: str) -> None:
    result = fxlens("trace", target, cwd=project, cache=cache)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"fxlens trace: error: {says}"


def test_check_with_traceability_reports_each_untraceable_class_and_lists_those_needing_arguments(
    project: Path, cache: Path
) -> None:
    result = fxlens("check", "--traceability", "--output-format", "json", "models.py", cwd=project, cache=cache)
    found = json.loads(result.stdout)
    assert [(f["code"], f["location"]["row"], f["location"]["column"]) for f in found] == [
        ("FXL027", 5, 7),
        ("FXL027", 17, 7),
    ]
    assert found[0]["message"].startswith(f"`Gate` does not trace: line {GATE_LINE}: control flow on a traced value")
    assert found[1]["message"].startswith(
        f"`Net` does not trace: line {GATE_LINE}: control flow on a traced value; fix: make `Gate` a leaf"
    )
    assert (
        'models.py:37: Wide not traced: needs arguments `width`: set them under [tool.fxlens.models."models:Wide"]'
        in result.stderr
    )
    assert result.returncode == 1


def test_check_without_traceability_does_not_trace_classes_nobody_calls(project: Path, cache: Path) -> None:
    result = fxlens("check", "models.py", cwd=project, cache=cache)
    assert result.stdout.splitlines()[-1] == "All checks passed!"
    assert result.returncode == 0


def test_an_ignore_comment_silences_the_class_finding(project: Path, cache: Path) -> None:
    text = MODELS.replace("class Gate(nn.Module):", "class Gate(nn.Module):  # fxlens: ignore[FXL027]")
    text = text.replace("class Net(nn.Module):", "class Net(nn.Module):  # fxlens: ignore")
    (project / "models.py").write_text(text)
    result = fxlens("check", "--traceability", "models.py", cwd=project, cache=cache)
    assert result.stdout.splitlines()[-1] == "All checks passed!"
    assert result.returncode == 0


@pytest.mark.parametrize(
    ("name", "summary", "fix"),
    [
        (
            "Wrapped",
            "Wrapped: not traceable — line 5: len() of a traced value · wrap `scale`",
            '  fix: tracer_kwargs={"autowrap_functions": [scale]} (verified: the model then traces)',
        ),
        (
            "Flagged",
            "Flagged: not traceable — line 23: control flow on a non-tensor argument of forward"
            " · trace with `flip=False`",
            '  fix: concrete_args={"flip": False} (verified: the model then traces)',
        ),
    ],
)
def test_the_wrap_and_concrete_args_fixes_are_said_as_the_call_writes_them(
    project: Path, cache: Path, name: str, summary: str, fix: str
) -> None:
    (project / "fixes.py").write_text(OTHER_FIXES)
    result = fxlens("trace", f"fixes.py:{name}", cwd=project, cache=cache)
    lines = result.stdout.splitlines()
    assert lines[0] == summary
    assert fix in lines
    assert result.returncode == 1

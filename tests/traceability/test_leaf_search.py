"""The search for a fix: the innermost failing submodule, a plain function the forward calls, a branch on
a defaulted argument of the root forward; more rounds for more failures, none for a failure in the root's
own code on its input, and the requested names a fix would make vanish."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from fxlens.fx import NodePathTracer
from fxlens.fx.untraceable import find_trace_fix
from torch import nn
from untraceable_models import model_source

pytest.importorskip("torchvision", reason="the scripts call torchvision's create_feature_extractor")


class Branchy(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return x
        return -x


class Counting(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * len(x)


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = Branchy()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(self.fc(x))


class TwoFailures(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.count = Counting()
        self.again = nn.Sequential(Branchy())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.again(self.count(self.block(x)))


class RootBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x) if x.sum() > 0 else x


def trace_error(model: nn.Module) -> Exception:
    with pytest.raises(Exception) as raised:
        NodePathTracer().trace(model)
    return raised.value


def test_the_innermost_failing_module_becomes_a_leaf_and_a_second_failure_takes_a_second_round() -> None:
    model = TwoFailures()
    fix = find_trace_fix(model, trace_error(model))
    assert fix is not None
    assert fix.classes == (Branchy, Counting)  # not Block: the failing line is in Branchy.forward
    assert fix.paths == ("block.inner", "count", "again.0")
    NodePathTracer(leaf_modules=fix.classes).trace(model)


def test_no_fix_within_one_round_when_two_modules_fail() -> None:
    model = TwoFailures()
    assert find_trace_fix(model, trace_error(model), rounds=1) is None


def test_a_failure_in_the_roots_own_forward_has_no_leaf_fix() -> None:
    model = RootBranch()
    assert find_trace_fix(model, trace_error(model)) is None


def gated(x: torch.Tensor) -> torch.Tensor:
    if x.sum() > 0:
        return -x
    return x


class Flagged(nn.Module):
    """A branch on a non-tensor argument of the root forward, and a plain function that branches."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.inner = Branchy()

    def forward(self, x: torch.Tensor, flip: bool = False) -> torch.Tensor:
        x = self.fc(x)
        if flip:
            x = -x
        return self.inner(gated(x))


def test_each_round_takes_the_remedy_of_its_failure_a_default_a_wrapped_function_and_a_leaf() -> None:
    model = Flagged()
    fix = find_trace_fix(model, trace_error(model))
    assert fix is not None
    assert fix.concrete_args == (("flip", False),)  # the branch on flip, traced with its default
    assert fix.functions == (gated,)  # the failing line is in a module-level function: wrapped, not a leaf
    assert fix.classes == (Branchy,) and fix.paths == ("inner",)
    settings = {"leaf_modules": list(fix.classes), "autowrap_functions": list(fix.functions)}
    NodePathTracer(**settings).trace(model, concrete_args=dict(fix.concrete_args))


def fxlens_check(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(project / ".cache")}
    return subprocess.run(
        [sys.executable, "-m", "fxlens", "check", "--fix", "."],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_fix_that_would_remove_a_requested_node_is_not_offered_and_the_message_names_it(tmp_path: Path) -> None:
    source = model_source("control-flow", return_nodes=("gate.fc", "head"))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "model.py").write_text(source)
    result = fxlens_check(tmp_path)
    assert (tmp_path / "model.py").read_text() == source
    assert "making `Gate` a leaf would trace, but the requested `gate.fc` would vanish" in result.stdout
    assert result.stdout.splitlines()[-1] == "Fixed 0 problems; 1 remaining."


def test_a_leaf_class_whose_name_the_calls_file_binds_to_something_else_gets_no_fix(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    definitions, call = model_source("len").rsplit("extractor = ", 1)
    (tmp_path / "nets.py").write_text(definitions)
    imports = (
        "from torchvision.models.feature_extraction import create_feature_extractor\n"
        "from nets import Net\n"
        "from torch.nn import Identity as Gate\n"
    )
    script = f"{imports}\nextractor = {call}"
    (tmp_path / "train.py").write_text(script)
    result = fxlens_check(tmp_path)
    assert (tmp_path / "train.py").read_text() == script
    assert "len() of a traced value" in result.stdout and "fix: make" not in result.stdout

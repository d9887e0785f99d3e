"""`fxlens check --fix` on models torch.fx cannot trace: the verified leaf fix is written into the call,
the fixed file traces, and its names are torchvision's for the same tracer_kwargs."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from untraceable_models import CONSTRUCTS, failing_line, load, model_source

torchvision_extraction = pytest.importorskip(
    "torchvision.models.feature_extraction", reason="the calls use torchvision's feature extraction"
)

FIXED_CALL = 'create_feature_extractor(Net(), tracer_kwargs={"leaf_modules": [Gate]}, return_nodes=["gate", "head"])'


def fxlens(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "fxlens", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def file_of(construct: str) -> str:
    return f"model_{construct.replace('-', '_')}.py"


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A project with one untraceable model per construct, before and after ``fxlens check --fix``."""
    project = tmp_path_factory.mktemp("project")
    cache = tmp_path_factory.mktemp("cache")
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for construct in CONSTRUCTS:
        (project / file_of(construct)).write_text(model_source(construct))
    before = fxlens("check", ".", cwd=project, cache=cache)
    fixing = fxlens("check", "--fix", ".", cwd=project, cache=cache)
    assert fixing.stdout.splitlines()[-1] == f"Fixed {len(CONSTRUCTS)} problems; 0 remaining.", fixing.stdout
    after = fxlens("check", ".", cwd=project, cache=cache)
    assert after.returncode == 0 and after.stdout.strip() == "All checks passed!", after.stdout
    return project, before


@pytest.mark.parametrize("construct", list(CONSTRUCTS))
def test_the_finding_names_the_construct_the_line_and_what_the_fix_costs(
    construct: str, fixed: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    project, before = fixed
    line = next(x for x in before.stdout.splitlines() if x.startswith(f"{file_of(construct)}:"))
    assert f"FXL011 the model cannot be used (trace error): {CONSTRUCTS[construct][1]}: " in line
    assert f"at {project / file_of(construct)}:{failing_line(construct)} " in line
    assert line.endswith(
        "fix: make `Gate` a leaf (the model then traces); the nodes inside `gate` stop being selectable"
    )


@pytest.mark.parametrize("construct", list(CONSTRUCTS))
def test_the_fixed_file_traces_with_torchvisions_names_for_its_tracer_kwargs(
    construct: str, fixed: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    from fxlens.fx import get_graph_node_names, node_table

    path = fixed[0] / file_of(construct)
    text = path.read_text()
    assert text.endswith(f"extractor = {FIXED_CALL}\n")
    module = load(path)  # runs torchvision's create_feature_extractor with the fix
    written = next(k for k in ast.walk(ast.parse(text)) if isinstance(k, ast.keyword) and k.arg == "tracer_kwargs")
    tracer_kwargs = eval(compile(ast.Expression(written.value), str(path), "eval"), vars(module))  # the fix's text
    model = module.Net()
    expected = torchvision_extraction.get_graph_node_names(model, tracer_kwargs=dict(tracer_kwargs))
    assert get_graph_node_names(model, tracer_kwargs=dict(tracer_kwargs)) == expected
    table = node_table(model, [(1, 4)], tracer_kwargs=dict(tracer_kwargs))
    assert (table.names("train"), table.names("eval")) == expected
    assert "gate" in expected[1] and not any(name.startswith("gate.") for name in expected[1])

"""`fxlens check --fix` for each kind of verified fix — a wrapped function, a concrete argument, a leaf class
or a function imported from another module: the call (and its file's imports) is rewritten, the fixed file
traces, and its names are torchvision's ``get_graph_node_names`` with the same tracer_kwargs and concrete_args."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fix_projects import PROJECTS, load_call_file

torchvision_extraction = pytest.importorskip(
    "torchvision.models.feature_extraction", reason="the calls use torchvision's feature extraction"
)


def fxlens(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / ".cache")}
    return subprocess.run(
        [sys.executable, "-m", "fxlens", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A project holding every fix kind's files, before and after ``fxlens check --fix``."""
    project = tmp_path_factory.mktemp("project")
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for kind in PROJECTS.values():
        kind.write(project)
    before = fxlens("check", ".", cwd=project)
    fixing = fxlens("check", "--fix", ".", cwd=project)
    assert fixing.stdout.splitlines()[-1] == f"Fixed {len(PROJECTS)} problems; 0 remaining.", fixing.stdout
    after = fxlens("check", ".", cwd=project)
    assert after.returncode == 0 and after.stdout.strip() == "All checks passed!", after.stdout
    return project, before


@pytest.mark.parametrize("kind", list(PROJECTS))
def test_the_finding_names_the_construct_and_the_verified_fix_with_its_cost(
    kind: str, fixed: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    project = PROJECTS[kind]
    line = next(x for x in fixed[1].stdout.splitlines() if x.startswith(f"{project.call_file}:"))
    assert f"FXL011 the model cannot be used (trace error): {project.construct}: " in line
    assert line.endswith(project.sentence)


def call_settings(text: str, path: Path, namespace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``tracer_kwargs`` and ``concrete_args`` the file's call writes, evaluated in its module."""
    call = next(k for k in ast.walk(ast.parse(text)) if isinstance(k, ast.Call) and k.keywords)
    return {
        k.arg: eval(compile(ast.Expression(k.value), str(path), "eval"), namespace)  # the fix's own text
        for k in call.keywords
        if k.arg in ("tracer_kwargs", "concrete_args")
    }


@pytest.mark.parametrize("kind", list(PROJECTS))
def test_the_fixed_file_traces_with_torchvisions_names_for_its_settings(
    kind: str, fixed: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    from fxlens.fx import get_graph_node_names, node_table

    root, project = fixed[0], PROJECTS[kind]
    path = root / project.call_file
    text = path.read_text()
    assert text == project.fixed
    module = load_call_file(root, project)  # runs torchvision's create_feature_extractor with the fix
    settings = call_settings(text, path, vars(module))
    tracer_kwargs, concrete_args = settings.get("tracer_kwargs"), settings.get("concrete_args")
    model = module.Net()
    expected = torchvision_extraction.get_graph_node_names(
        model, tracer_kwargs=dict(tracer_kwargs or {}), concrete_args=concrete_args
    )
    assert get_graph_node_names(model, tracer_kwargs=dict(tracer_kwargs or {}), concrete_args=concrete_args) == (
        expected
    )
    table = node_table(model, [(1, 4)], tracer_kwargs=dict(tracer_kwargs or {}), concrete_args=concrete_args)
    assert (table.names("train"), table.names("eval")) == expected
    assert project.fix_node in expected[1] and not any(n.startswith(f"{project.fix_node}.") for n in expected[1])

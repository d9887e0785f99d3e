"""The leaf fix merged into a ``tracer_kwargs`` the call already writes: into its ``leaf_modules``
list, or as a new key; a ``tracer_kwargs`` that is not a dict display in the call is left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from untraceable_models import load, model_source

pytest.importorskip("torchvision", reason="the scripts call torchvision's create_feature_extractor")

CALL = 'create_feature_extractor(Net(), return_nodes=["gate", "head"])'

# name -> (the call as written, the call after the fix)
MERGES = {
    "empty_list": (
        'create_feature_extractor(Net(), return_nodes=["gate", "head"], tracer_kwargs={"leaf_modules": []})',
        'create_feature_extractor(Net(), return_nodes=["gate", "head"], tracer_kwargs={"leaf_modules": [Gate]})',
    ),
    "other_leaf": (
        'create_feature_extractor(Net(), tracer_kwargs={"leaf_modules": [nn.Identity]}, return_nodes=["gate"])',
        'create_feature_extractor(Net(), tracer_kwargs={"leaf_modules": [nn.Identity, Gate]}, return_nodes=["gate"])',
    ),
    "other_key": (
        'create_feature_extractor(Net(), return_nodes=["gate"], tracer_kwargs={"param_shapes_constant": True})',
        'create_feature_extractor(Net(), return_nodes=["gate"], '
        'tracer_kwargs={"param_shapes_constant": True, "leaf_modules": [Gate]})',
    ),
    "multi_line": (
        'create_feature_extractor(\n    Net(),\n    return_nodes=["gate"],\n'
        '    tracer_kwargs={\n        "leaf_modules": [\n            nn.Identity,\n        ],\n    },\n)',
        'create_feature_extractor(\n    Net(),\n    return_nodes=["gate"],\n'
        '    tracer_kwargs={\n        "leaf_modules": [\n            nn.Identity, Gate\n        ],\n    },\n)',
    ),
}
BOUND = (
    'TRACING = {"leaf_modules": []}\n'
    'extractor = create_feature_extractor(Net(), return_nodes=["gate"], tracer_kwargs=TRACING)\n'
)


def script(call: str) -> str:
    return model_source("int").replace(f"extractor = {CALL}\n", f"extractor = {call}\n")


def test_the_fix_is_merged_into_the_written_tracer_kwargs_and_the_result_traces(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for name, (written, _) in MERGES.items():
        (tmp_path / f"model_{name}.py").write_text(script(written))
    bound = model_source("int").replace(f"extractor = {CALL}\n", BOUND)
    (tmp_path / "model_bound.py").write_text(bound)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / ".cache")}
    result = subprocess.run(
        [sys.executable, "-m", "fxlens", "check", "--fix", "."],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.stdout.splitlines()[-1] == f"Fixed {len(MERGES)} problems; 1 remaining.", result.stdout
    assert "model_bound.py" in result.stdout and (tmp_path / "model_bound.py").read_text() == bound
    for name, (_, fixed) in MERGES.items():
        path = tmp_path / f"model_{name}.py"
        assert path.read_text() == script(fixed), name
        load(path)  # torchvision's create_feature_extractor traces the fixed call

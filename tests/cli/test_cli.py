"""`fxlens check` and `fxlens nodes` as users run them: real subprocesses, real worker, real models."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from cli.fxlens_process import fxlens

pytest.importorskip("torchvision", reason="the examples use torchvision models")

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def test_check_reports_the_examples_mistakes_like_ruff(cache: Path) -> None:
    result = fxlens("check", "examples/", cache=cache)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("examples/extract_features.py:12:10: FXL001 `layer1.0.relu2` is not a node of ResNet")
    assert "did you mean `layer1.0.relu`, `layer1.0.relu_1`" in lines[0]
    assert [line.split(" ")[0:2] for line in lines[:-1]] == [
        ["examples/extract_features.py:12:10:", "FXL001"],
        ["examples/extract_features.py:14:10:", "FXL005"],
        ["examples/extract_features.py:14:10:", "FXL007"],
        ["examples/extract_features.py:15:10:", "FXL007"],
        ["examples/extract_features.py:21:79:", "FXL002"],
    ]
    assert lines[-1] == "Found 5 problems."


def test_json_and_github_formats_and_rule_selection(cache: Path) -> None:
    result = fxlens(
        "check",
        "--output-format",
        "json",
        "--select",
        "FXL00",
        "--ignore",
        "FXL007",
        "extract_features.py",
        cwd=EXAMPLES,
        cache=cache,
    )
    findings = json.loads(result.stdout)
    assert [f["code"] for f in findings] == ["FXL001", "FXL005", "FXL002"]
    assert findings[0]["location"] == {"row": 12, "column": 10} and findings[0]["filename"] == "extract_features.py"
    assert findings[0]["fixes"][0]["edits"][0] == {
        "content": "layer1.0.relu",
        "location": {"row": 12, "column": 10},
        "end_location": {"row": 12, "column": 24},
    }
    github = fxlens(
        "check", "--output-format", "github", "--select", "FXL002", "extract_features.py", cwd=EXAMPLES, cache=cache
    )
    assert github.stdout.startswith(
        "::warning title=fxlens (FXL002),file=extract_features.py,line=21,col=79,endLine=21,endColumn=82::"
        "FXL002 `aux` exists only in train mode"
    )


def test_a_clean_project_exits_zero(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "ok.py").write_text(
        textwrap.dedent("""
        from torchvision.models import resnet18
        from torchvision.models.feature_extraction import create_feature_extractor
        extractor = create_feature_extractor(resnet18(), return_nodes=["layer1", "layer4.1.relu_1"])
    """)
    )
    result = fxlens("check", str(tmp_path), cache=cache)
    assert (result.returncode, result.stdout.strip()) == (0, "All checks passed!")


def test_ignored_files_are_skipped_and_static_rules_run_without_tracing(tmp_path: Path, cache: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\n")
    call = (
        "from torchvision.models.feature_extraction import create_feature_extractor\n"
        'create_feature_extractor(m, return_nodes=["a("])\n'
    )
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "skip.py").write_text(call)
    (tmp_path / "keep.py").write_text(call)
    result = fxlens("check", "--no-trace", ".", cwd=tmp_path, cache=cache)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("keep.py:2:26: FXL012 fxlens cannot tell which model this is: `m` is not defined")
    assert lines[1].startswith("keep.py:2:44: FXL004 `a(` is not a valid regular expression")
    assert "skip.py" not in result.stdout and result.returncode == 1


def test_a_model_that_hangs_is_a_finding_and_the_rest_is_still_checked(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.fxlens]\ntrace-timeout = 3\n")
    (tmp_path / "stuck.py").write_text(
        textwrap.dedent("""
        import time
        from torch import nn
        from torchvision.models.feature_extraction import create_feature_extractor

        class Stuck(nn.Module):
            def __init__(self):
                super().__init__()
                while True:
                    time.sleep(0.1)

        create_feature_extractor(Stuck(), return_nodes=["x"])
    """)
    )
    (tmp_path / "wrong.py").write_text(
        textwrap.dedent("""
        from torchvision.models import resnet18
        from torchvision.models.feature_extraction import create_feature_extractor
        create_feature_extractor(resnet18(), return_nodes=["layer5"])
    """)
    )
    result = fxlens("check", ".", cwd=tmp_path, cache=cache)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("stuck.py:12:26: FXL011 the model cannot be used (timeout error)")
    assert "stuck.py:" in lines[0] and "time.sleep(0.1)" in lines[0]
    assert lines[1].startswith("wrong.py:4:53: FXL001 `layer5` is not a node of ResNet")


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--select", "XYZ"],
        ["check", "no/such/path"],
        ["nodes", "resnet50"],
        ["nodes", "torchvision:resnet18", "--input", "1,x"],
    ],
)
def test_usage_errors_exit_two(args: list[str], cache: Path) -> None:
    result = fxlens(*args, cache=cache)
    assert result.returncode == 2 and "error:" in result.stderr


def test_nodes_prints_the_table_with_mode_marks(cache: Path) -> None:
    result = fxlens("nodes", "examples/tinynet.py:TinyNet", "--input", "2,3,32,32", cache=cache)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:] if line.strip()}
    assert rows["blocks.1.add"][1:] == ["call_function", "operator.add", "2×16×16×16", "2×16×16×16", "blocks.1"]
    assert rows["aux"][-5:] == ["2×10", "—", "aux", "train", "only"]
    assert "input: 2×3×32×32 (given)" in result.stderr and "input:" not in result.stdout


def test_nodes_as_json_for_one_mode(cache: Path) -> None:
    result = fxlens("nodes", "torchvision:resnet18", "--mode", "eval", "--json", cache=cache)
    table = json.loads(result.stdout)
    assert "train" not in table and table["eval"][-1]["name"] == "fc"
    assert table["eval"][-1]["output"]["tensors"][0]["shape"] == [1, 1000]
    assert table["built_on"] == "meta"


def test_nodes_reports_a_model_that_fails(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "net.py").write_text(
        textwrap.dedent("""\
        from torch import nn
        class Net(nn.Module):
            def __init__(self):
                raise RuntimeError('no GPU here')
        """)
    )
    result = fxlens("nodes", f"{tmp_path}/net.py:Net", cache=cache)
    assert result.returncode == 1
    assert "construction error: building Net: RuntimeError: no GPU here" in result.stderr
    assert "net.py:4: raise RuntimeError(" in result.stderr


def test_a_script_importing_its_sibling_modules_is_traced_like_python_runs_it(tmp_path: Path, cache: Path) -> None:
    """``python scripts/train.py`` puts ``scripts/`` on sys.path: ``from model import Net`` means
    ``scripts/model.py``, whose own ``from layers import Block`` means ``scripts/layers.py``."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "layers.py").write_text(
        textwrap.dedent("""\
        from torch import nn

        class Block(nn.Sequential):
            def __init__(self):
                super().__init__(nn.Conv2d(3, 4, 3), nn.ReLU())
        """)
    )
    (scripts / "model.py").write_text(
        textwrap.dedent("""\
        from torch import nn
        from layers import Block

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.block = Block()

            def forward(self, x):
                return self.block(x)
        """)
    )
    (scripts / "train.py").write_text(
        textwrap.dedent("""
        import torch
        from torchvision.models.feature_extraction import create_feature_extractor
        from model import Net

        extractor = create_feature_extractor(Net(), return_nodes=["block.0", "block.2"])
        extractor(torch.rand(1, 3, 8, 8))
    """)
    )
    result = fxlens("check", ".", cwd=tmp_path, cache=cache)
    assert result.stdout.splitlines()[0].startswith("scripts/train.py:6:71: FXL001 `block.2` is not a node of Net"), (
        result.stdout + result.stderr
    )
    assert "FXL012" not in result.stdout and "FXL011" not in result.stdout


def test_timm_models_get_timms_own_node_names(tmp_path: Path, cache: Path) -> None:
    """timm's feature extraction treats its fused layers (``BatchNormAct2d``...) as leaves: so do
    ``fxlens nodes timm:...`` and the lint of a ``timm.models.create_feature_extractor`` call."""
    timm = pytest.importorskip("timm", reason="compared against timm's own get_graph_node_names")
    from timm.models import get_graph_node_names

    train, eval_ = get_graph_node_names(timm.create_model("efficientnet_b0"))
    result = fxlens("nodes", "timm:efficientnet_b0", "--json", cache=cache)
    table = json.loads(result.stdout)
    assert ([n["name"] for n in table["train"]], [n["name"] for n in table["eval"]]) == (train, eval_)
    (tmp_path / "features.py").write_text(
        textwrap.dedent("""
        import timm
        from timm.models import create_feature_extractor

        model = timm.create_model("efficientnet_b0", pretrained=True)
        extractor = create_feature_extractor(model, return_nodes=["bn1", "bn2.act"])
    """)
    )
    check = fxlens("check", "features.py", cwd=tmp_path, cache=cache)
    assert check.stdout.splitlines()[0].startswith(
        "features.py:6:67: FXL001 `bn2.act` is not a node of EfficientNet"
    ), check.stdout + check.stderr
    assert check.stdout.splitlines()[-1] == "Found 1 problem."


def test_nodes_shows_module_paths_overwrites_and_only_tensors_when_asked(cache: Path) -> None:
    result = fxlens("nodes", "torchvision:resnet18", "--mode", "eval", "--tensors-only", cache=cache)
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:] if line.strip()}
    assert rows["layer1.0.bn1"][3:] == ["1×64×56×56", "layer1.0.bn1", "overwritten", "by", "layer1.0.relu"]
    assert rows["layer1.0.relu_1"][3:5] == ["1×64×56×56", "layer1.0.relu"]  # the module ReLU, called twice
    vit = fxlens("nodes", "torchvision:vit_b_16", "--mode", "eval", "--tensors-only", cache=cache)
    names = [line.split()[0] for line in vit.stdout.splitlines()[1:]]
    assert "encoder.layers.encoder_layer_0.getattr" not in names and "encoder.layers.encoder_layer_0.ln_1" in names

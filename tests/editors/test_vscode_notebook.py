"""fxlens in a real VS Code notebook: a real ``.ipynb`` opened in code-server's built-in notebook editor
(no Jupyter extension), with the packaged extension, driven by Playwright in headless Chromium.

Needs what ``test_vscode.py`` needs (code-server, Chromium and the ``.vsix`` from
``tests/editors/install_code_server.sh``; skipped without them). The driver types in a cell and
reads what the page shows (``code-server/drive_notebook.mjs``, run by ``code_server.py``): a
diagnostic in the Problems panel, a hover and completion in a cell.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from editors.code_server import REQUIREMENTS, assert_step, code_server_session

pytestmark = REQUIREMENTS
pytest.importorskip("torchvision", reason="the notebook uses torchvision's resnet18")

CELLS = [
    "import torch\nfrom torchvision.models import resnet18\n"
    "from torchvision.models.feature_extraction import create_feature_extractor",
    "model = resnet18(weights=None)\n"
    'extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu_1", "layer9"])',
]


def notebook() -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Features"]},
        *(
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
            for source in CELLS
        ),
    ]
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}, indent=1)


@pytest.fixture(scope="module")
def notebook_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("code-server-notebook")
    workspace = tmp_path_factory.mktemp("notebook-workspace")
    (workspace / "analysis.ipynb").write_text(notebook())
    yield from code_server_session(home, workspace, "drive_notebook.mjs", {})


def test_the_problems_panel_lists_the_unknown_node_of_a_cell(notebook_session: dict) -> None:
    assert_step(notebook_session, "problems")
    (problem,) = [row for row in notebook_session["problems"] if "layer9" in row]
    assert "FXL001" in problem and "did you mean" in problem


def test_hover_in_a_cell_shows_the_nodes_shape(notebook_session: dict) -> None:
    assert_step(notebook_session, "hover")
    assert "layer1.0.relu_1" in notebook_session["hover"] and "1×64×56×56" in notebook_session["hover"]


def test_suggestions_typed_in_a_cell_include_real_nodes(notebook_session: dict) -> None:
    assert_step(notebook_session, "suggestions")
    assert any(label.startswith("layer1.0.relu_1") for label in notebook_session["suggestions"])

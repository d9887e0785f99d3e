"""fxlens in a real VS Code: the packaged extension in code-server, driven by Playwright in headless Chromium.

Needs ``tests/editors/install_code_server.sh`` (code-server, playwright-core, Debian chromium, the
``.vsix``); skipped otherwise. ``code-server/drive_vscode.mjs`` does the clicking and typing and
writes what the page showed as JSON (``code_server.py`` runs it); the assertions are here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest
from editors.code_server import REQUIREMENTS, assert_step, code_server_session

pytestmark = REQUIREMENTS
pytest.importorskip("torchvision", reason="the workspace script uses torchvision's resnet18")

SCRIPT = """
from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet18(weights=None)
extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu_1", "layer9"])
"""
CALL_LINE = 5
# Head traces (its first layer takes 3 channels, so its example input is 1×3×224×224); Net does not,
# and its failure is inside its submodule Gate, so making Gate a leaf is the verified fix; the call on
# Net is where the fix goes.
BLOCKS = """
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


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
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.gate(self.stem(x)))


blocks = create_feature_extractor(Net(), return_nodes=["gate", "head"])
"""
# Three seconds to build: its trace still runs when the typing of a call on it has ended.
SLOW = """
import time

from torch import nn


class Slow(nn.Module):
    def __init__(self):
        super().__init__()
        time.sleep(3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x).relu()
"""
BLOCK_LINES = textwrap.dedent(BLOCKS).lstrip().splitlines()
GATE_IF_LINE = BLOCK_LINES.index("        if x.sum() > 0:") + 1  # 1-based, where Net's trace fails
HEAD_FORWARD_LINE = BLOCK_LINES.index("    def forward(self, x):") + 1  # Head's, the first
HEAD_IF = "if x.sum() > 0: x = x * 2"  # typed as a new line after Head's `def forward`: Head no longer traces
CLASSES = ("Head", "Gate", "Net")


@pytest.fixture(scope="module")
def vscode_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("code-server")
    workspace = tmp_path_factory.mktemp("workspace")
    (workspace / "extract.py").write_text(textwrap.dedent(SCRIPT).lstrip())
    (workspace / "blocks.py").write_text(textwrap.dedent(BLOCKS).lstrip())
    (workspace / "slow.py").write_text(textwrap.dedent(SLOW).lstrip())
    line = textwrap.dedent(SCRIPT).lstrip().splitlines()[CALL_LINE - 1]
    column = line.index("layer1.0.relu_1") + 4
    where = {
        "FXLENS_LINE": str(CALL_LINE),
        "FXLENS_HOVER_COLUMN": str(column),
        "FXLENS_CLASS_LINES": ",".join(str(BLOCK_LINES.index(f"class {name}(nn.Module):") + 1) for name in CLASSES),
        "FXLENS_HEAD_FORWARD_LINE": str(HEAD_FORWARD_LINE),
        "FXLENS_HEAD_IF": HEAD_IF,
    }
    yield from code_server_session(home, workspace, "drive_vscode.mjs", where)


def test_a_folder_of_python_code_starts_fxlens_before_any_file_is_opened(vscode_session: dict) -> None:
    assert_step(vscode_session, "activation")
    assert "activationEvent: 'workspaceContains:" in vscode_session["activation"], vscode_session["activation"]


def test_the_language_status_shows_the_server_ready(vscode_session: dict) -> None:
    assert_step(vscode_session, "status")
    status = vscode_session["status"]
    assert status["id"] == "status.languageStatus", status
    assert "fxlens" in status["text"]
    assert "Server: " in status["label"], status  # a running server (drive_vscode waited for its check icon)
    assert "sev1" in status["severity"], status  # information: a ready server is not shown as a problem


def test_the_problems_panel_lists_the_unknown_node(vscode_session: dict) -> None:
    assert_step(vscode_session, "problems")
    (problem,) = [row for row in vscode_session["problems"] if "layer9" in row]
    assert "did you mean" in problem
    assert "FXL001" in problem


def test_hover_on_a_node_string_shows_its_shape(vscode_session: dict) -> None:
    assert_step(vscode_session, "hover")
    assert "layer1.0.relu_1" in vscode_session["hover"]
    assert "1×64×56×56" in vscode_session["hover"]


def test_suggestions_inside_a_typed_node_string_include_real_nodes(vscode_session: dict) -> None:
    assert_step(vscode_session, "suggestions")
    labels = vscode_session["suggestions"]
    assert any(label.startswith("layer1.0.relu_1") for label in labels), labels


def test_a_list_asked_for_while_its_model_is_traced_fills_in_when_the_names_arrive(vscode_session: dict) -> None:
    assert_step(vscode_session, "refill")
    labels = vscode_session["refill"]
    assert any(label.startswith("relu") for label in labels), labels


def test_the_node_view_highlights_the_selection_filters_and_puts_a_clicked_node_into_the_call(
    vscode_session: dict,
) -> None:
    assert_step(vscode_session, "nodeView")
    view = vscode_session["nodeView"]
    assert view["title"] == "Nodes of resnet18", view
    assert view["selected"] == ["layer1.0.relu_1"], view  # what the call's return_nodes selects
    assert {"layer1", "layer4", "fc"} <= set(view["tree"]), view  # the module tree's top level
    assert view["filtered"] == ["layer4.1.relu", "layer4.1.relu_1"], view
    # the cursor was in "layer1.0.relu_1": the click replaced that string
    assert 'return_nodes=["layer4.1.relu_1", "layer9"]' in view["line"], view
    assert "layer4.1.relu_1" in view["selectedAfter"], view  # the view followed the edit


def test_a_code_lens_opens_the_node_view_on_its_own_call_and_a_click_appends_to_that_call(
    vscode_session: dict,
) -> None:
    assert_step(vscode_session, "nodeLens")
    lens = vscode_session["nodeLens"]
    # the cursor was in the last call, whose only string selects nothing: the view shows the lens's call
    assert lens["cursor"].startswith("Ln 7,"), lens
    assert lens["selected"] == ["layer4.1.relu_1"], lens
    assert 'return_nodes=["layer4.1.relu_1", "layer9", "fc"]' in lens["line"], lens


def test_class_lenses_resolve_to_whether_each_class_traces(vscode_session: dict) -> None:
    assert_step(vscode_session, "classLenses")
    lenses = vscode_session["classLenses"]
    assert lenses["Head"] == "fx: traceable · 4 nodes · output 1×10", lenses
    assert lenses["Net"] == (
        f"fx: not traceable — line {GATE_IF_LINE}: control flow on a traced value · make `Gate` a leaf"
    ), lenses
    # Gate's own forward breaks: nothing inside it can be made a leaf, so no fix is offered
    assert lenses["Gate"] == f"fx: not traceable — line {GATE_IF_LINE}: control flow on a traced value", lenses


def test_the_traceable_lens_opens_the_node_view_of_its_class(vscode_session: dict) -> None:
    assert_step(vscode_session, "classLensNodes")
    view = vscode_session["classLensNodes"]
    assert view["title"] == "Nodes of Head", view
    assert view["rows"] == ["x", "conv", "mean", "fc"], view
    assert view["selected"] == [], view  # a class's view has no call selecting anything


def test_the_untraceable_lens_writes_the_verified_fix_into_the_call_and_then_says_the_call_has_it(
    vscode_session: dict,
) -> None:
    assert_step(vscode_session, "classLensFix")
    fixed = vscode_session["classLensFix"]
    fix = 'tracer_kwargs={"leaf_modules": [Gate]}'
    assert fixed["line"] == f'blocks = create_feature_extractor(Net(), {fix}, return_nodes=["gate", "head"])', fixed
    assert fixed["lens"] == (
        f"fx: not traceable — line {GATE_IF_LINE}: control flow on a traced value · make `Gate` a leaf"
        " (its calls here have the fix)"
    ), fixed


def test_an_edit_that_breaks_a_traceable_class_turns_its_lens_to_not_traceable(vscode_session: dict) -> None:
    assert_step(vscode_session, "classLensEdit")
    edited = vscode_session["classLensEdit"]
    assert edited["line"].strip() == HEAD_IF, edited
    # the typed line is the one after Head's `def forward`
    assert edited["lens"] == f"fx: not traceable — line {HEAD_FORWARD_LINE + 1}: control flow on a traced value", edited

"""A failed shape pass costs shapes, never names; meta's limits fall back to fake tensors, then a real run."""

from __future__ import annotations

import inspect

import pytest
import torch
from fxlens.fx import build_model, get_graph_node_names, node_table
from fxlens.fx import shapes as fx_shapes
from fxlens.nodes import NodeTable
from torch import nn
from tv_models import build


def test_inception_v3_at_224_keeps_every_name_and_only_the_aux_head_lacks_shapes() -> None:
    model = build("inception_v3").model
    table = node_table(model)
    train, eval_ = get_graph_node_names(model, suppress_diff_warning=True)
    assert (table.names("train"), table.names("eval")) == (train, eval_)
    assert (len(train), len(eval_)) == (325, 315)
    failure = table.shape_failure
    assert (failure.mode, failure.node) == ("train", "AuxLogits.conv1.conv")
    assert (
        "from 1×128×3×3" in failure.message and "Kernel size can't be greater than actual input size" in failure.message
    )
    assert (
        failure.location.file.endswith("torchvision/models/inception.py")
        and failure.location.text == "x = self.conv(x)"
    )
    assert table.shape_failure_in("eval") is None
    assert table.find("train", "AuxLogits.fc").output is None
    assert table.find("train", "fc").output.describe() == "1×1000"  # the main path does not depend on AuxLogits
    missing = [n.name for n in table.train if n.output is None]
    assert missing == ["AuxLogits.conv1.conv", "AuxLogits.conv1.bn", "AuxLogits.conv1.relu",
                       "AuxLogits.adaptive_avg_pool2d", "AuxLogits.flatten", "AuxLogits.fc"]  # fmt: skip
    assert failure.missing == len(missing)
    assert table.shape_path("train") == table.shape_path("eval") == "meta"


class MnistNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(9216, 128)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc1(torch.flatten(self.dropout(x), 1))


def test_a_one_channel_network_fed_three_channels_lists_its_names_in_both_modes_with_the_reason() -> None:
    table = node_table(build_model(MnistNet).model)
    expected = ["x", "conv1", "relu", "conv2", "relu_1", "max_pool2d", "dropout", "flatten", "fc1"]
    assert table.names("train") == table.names("eval") == expected
    for mode in ("train", "eval"):
        failure = table.shape_failure_in(mode)
        assert failure.node == "conv1"
        assert "Conv2d(1, 32, kernel_size=(3, 3)" in failure.message and "from 1×3×224×224" in failure.message
        assert failure.location.file == __file__ and failure.location.text == "x = torch.relu(self.conv1(x))"
        assert failure.missing == 8
        assert table.find(mode, "x").output.describe() == "1×3×224×224"
    assert table.find("eval", "conv1").source.text == "x = torch.relu(self.conv1(x))"
    assert table.example_input.origin == "default" and not table.example_input.user_given


def test_the_same_network_fed_one_channel_has_every_shape() -> None:
    table = node_table(build_model(MnistNet).model, [(1, 1, 28, 28)])
    assert table.shape_failures == () and table.find("eval", "fc1").output.describe() == "1×128"
    assert table.example_input.user_given


class Gate(nn.Module):
    """Data-dependent control flow: traceable only as a leaf, runnable only on real data."""

    def forward(self, x):
        if x.sum() > 0:
            x = x * 2
        return x[:, : int(x.abs().sum() >= 0)]  # always one channel, but only real data says so


class Gated(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.gate = Gate()

    def forward(self, x):
        return self.gate(self.conv(x)).flatten(1)


GATE_LINE = inspect.getsourcelines(Gate.forward)[1] + 1


def test_a_leaf_with_data_dependent_control_flow_gets_its_shapes_from_a_real_cpu_run() -> None:
    model = build_model(Gated).model
    table = node_table(model, [(2, 3, 8, 8)], tracer_kwargs={"leaf_modules": [Gate]})
    assert table.shape_failures == ()
    assert table.shape_path("train") == table.shape_path("eval") == "real"
    with torch.no_grad():
        expected = Gated()(torch.rand(2, 3, 8, 8))
    assert table.find("eval", "gate").output.describe() == "2×1×6×6"
    assert table.find("eval", "flatten").output.tensors[0].shape == tuple(expected.shape) == (2, 36)
    assert any("real CPU run on random weights" in note and "`gate` fails" in note for note in table.notes)
    assert {p.device.type for p in model.parameters()} == {"meta"}  # the run used a copy


def test_when_the_model_is_too_large_to_run_for_real_the_failing_line_inside_the_leaf_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fx_shapes, "REAL_RUN_MAX_BYTES", 0)
    table = node_table(build_model(Gated).model, [(2, 3, 8, 8)], tracer_kwargs={"leaf_modules": [Gate]})
    failure = table.shape_failure_in("eval")
    assert failure.node == "gate" and failure.tried == ("meta", "fake")
    assert (failure.location.file, failure.location.line) == (__file__, GATE_LINE)
    assert failure.location.text == "if x.sum() > 0:"
    assert table.find("eval", "conv").output.describe() == "2×4×6×6"
    assert table.find("eval", "flatten").output is None
    assert table.shape_path("eval") == "meta"


class CpuArange(nn.Module):
    """Creates a tensor without a device: meta tensors cannot be mixed with it, fake CPU tensors can."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, x):
        return self.proj(x) + torch.arange(8.0)


def test_a_tensor_made_on_the_cpu_in_forward_gets_its_shapes_from_fake_tensors() -> None:
    table = node_table(build_model(CpuArange).model, [(2, 8)])
    assert table.shape_failures == ()
    assert table.shape_path("eval") == "fake"
    assert table.find("eval", "add").output.describe() == "2×8"
    assert any("fake tensors" in note and "`add` fails" in note for note in table.notes)


def test_shape_failures_survive_the_json_round_trip() -> None:
    table = node_table(build_model(MnistNet).model)
    assert NodeTable.from_json(table.to_json()) == table
    assert table.to_json()["shape_failures"][0]["node"] == "conv1"


def test_hover_and_the_nodes_listing_say_why_a_shape_is_unavailable() -> None:
    from fxlens.lsp.describe import detail, hover_markdown
    from fxlens.render import as_text

    table = node_table(build_model(MnistNet).model)
    hover = hover_markdown("fc1", table)
    assert "| eval | shape unavailable |" in hover
    assert "eval: shape unavailable: computing the output of `conv1` (Conv2d(1, 32" in hover
    assert "`test_shape_failures.py:" in hover and "input: 1×3×224×224 (default)" in hover
    assert "(config)" not in hover
    assert detail(table.find("eval", "fc1")) == "call_module Linear · shape unavailable"
    listing = as_text(table)
    assert "eval mode, 8 nodes: shape unavailable: computing the output of `conv1`" in listing
    assert listing.splitlines()[1].split()[:5] == ["x", "placeholder", "input", "1×3×224×224", "1×3×224×224"]

"""Which outputs an in-place op overwrites, judged torch-free on the pruned graph, equals what the real
torchvision extractor returns (its own graph run with each node's value copied as it is computed)."""

from __future__ import annotations

import warnings

import pytest
import torch
from fxlens.fx import node_table
from fxlens.nodes import NodeTable
from fxlens.selection import overwrite_after_pruning
from torch import fx, nn
from tv_models import build, build_cpu, tv_fe


class _ValueAtCreation(fx.Interpreter):
    """Runs an extractor's graph and keeps a copy of each node's output taken the moment it is made."""

    def __init__(self, module: fx.GraphModule):
        super().__init__(module)
        self.copies: dict[fx.Node, object] = {}

    def run_node(self, n: fx.Node) -> object:
        value = super().run_node(n)
        if isinstance(value, torch.Tensor):
            self.copies[n] = value.clone()
        return value


def really_overwritten(model: nn.Module, mode: str, names: list[str], size: int) -> set[str]:
    """The requested nodes whose returned tensor differs from the value the node computed."""
    model.train(mode == "train")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extractor = tv_fe.create_feature_extractor(model, return_nodes=names)
    x = torch.rand(2, 3, size, size)
    with torch.no_grad():
        torch.manual_seed(0)
        returned = extractor(x)
        torch.manual_seed(0)  # the same dropout masks in the observing run
        observer = _ValueAtCreation(extractor)
        observer.run(x)
    (output,) = [n for n in extractor.graph.nodes if n.op == "output"]
    own = {key: observer.copies[node] for key, node in output.args[0].items()}
    return {name for name in names if not torch.equal(returned[name], own[name])}


@pytest.fixture(scope="module")
def resnet18() -> tuple[NodeTable, nn.Module]:
    return node_table(build("resnet18").model, [(2, 3, 64, 64)]), build_cpu("resnet18")


@pytest.fixture(scope="module")
def efficientnet_b0() -> tuple[NodeTable, nn.Module]:
    return node_table(build("efficientnet_b0").model, [(2, 3, 64, 64)]), build_cpu("efficientnet_b0")


RESNET_CASES = {
    "bn1 alone: relu is pruned": (["layer1.0.bn1"], {}),
    "bn1 with relu": (["layer1.0.bn1", "layer1.0.relu"], {"layer1.0.bn1": "layer1.0.relu"}),
    "stem bn1 with a deep output": (["bn1", "layer4.1.relu_1"], {"bn1": "relu"}),
    "the block's add with its relu_1": (["layer1.0.add", "layer1.0.relu_1"], {"layer1.0.add": "layer1.0.relu_1"}),
    "conv outputs are never overwritten": (["layer1.0.conv1", "layer1.0.conv2", "fc"], {}),
}


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("case", RESNET_CASES)
def test_resnet18_overwrites_match_the_real_extractor(resnet18, case: str, mode: str) -> None:
    table, model = resnet18
    names, expected = RESNET_CASES[case]
    judged = overwrite_after_pruning(table, mode, names)
    assert judged == expected
    assert set(judged) == really_overwritten(model, mode, names, 64)


EFFICIENTNET_CASES = {
    "flatten alone: the classifier's dropout is pruned": (["flatten"], {"train": {}, "eval": {}}),
    "flatten with the classifier: dropout writes in train mode only": (
        ["flatten", "classifier.1"],
        {"train": {"flatten": "classifier.0"}, "eval": {}},
    ),
    "avgpool, of which flatten is a view": (
        ["avgpool", "classifier.1"],
        {"train": {"avgpool": "classifier.0"}, "eval": {}},
    ),
    "stages end in leaf modules that write nothing": (["features.3", "features.8"], {"train": {}, "eval": {}}),
}


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("case", EFFICIENTNET_CASES)
def test_efficientnet_b0_overwrites_match_the_real_extractor(efficientnet_b0, case: str, mode: str) -> None:
    table, model = efficientnet_b0
    names, expected = EFFICIENTNET_CASES[case]
    judged = overwrite_after_pruning(table, mode, names)
    assert judged == expected[mode]
    assert set(judged) == really_overwritten(model, mode, names, 64)


def test_every_node_knows_its_inputs_and_what_it_writes(resnet18) -> None:
    table, _ = resnet18
    rows = table.nodes("eval")
    relu = table.find("eval", "layer1.0.relu")
    assert [rows[i].name for i in relu.inputs] == ["layer1.0.bn1"]
    assert rows[relu.writes].name == rows[relu.shares].name == "layer1.0.bn1"
    add = table.find("eval", "layer1.0.add")
    assert sorted(rows[i].name for i in add.inputs) == ["layer1.0.bn2", "maxpool"]
    assert add.writes == add.shares == -1
    assert table.find("eval", "x").kept and not add.kept
    assert NodeTable.from_json(table.to_json()) == table

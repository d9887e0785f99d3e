"""The node table: names, ops, sources, in-place overwrites and meta-device shapes that match reality."""

from __future__ import annotations

import copy
import inspect
import warnings

import pytest
import torch
from fxlens.fx import build_model, get_graph_node_names, node_table
from fxlens.fx.table import NodeTableError
from fxlens.nodes import NodeTable
from torch import nn
from tv_models import build, build_cpu, tv_fe

SHAPE_MODELS = {
    "resnet18": 64,
    "inception_v3": 299,
    "googlenet": 64,
    "mobilenet_v3_small": 64,
    "efficientnet_b0": 64,
    "convnext_tiny": 64,
    "densenet121": 64,
    "vit_b_16": 224,
    "swin_t": 64,
    "squeezenet1_1": 64,
    "regnet_x_400mf": 64,
    "shufflenet_v2_x0_5": 64,
}


def _real_outputs(model: nn.Module, x: torch.Tensor) -> dict[str, object]:
    """Every node's real output in the model's current mode, from torchvision's extractor on the CPU."""
    train, eval_ = get_graph_node_names(model, suppress_diff_warning=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extractor = tv_fe.create_feature_extractor(model, train_return_nodes=train, eval_return_nodes=eval_)
    with torch.no_grad():
        return extractor(x)


@pytest.mark.parametrize("name", SHAPE_MODELS)
def test_meta_shapes_equal_a_real_cpu_forward(name: str) -> None:
    size = SHAPE_MODELS[name]
    x = torch.rand(2, 3, size, size)
    table = node_table(build(name).model, [tuple(x.shape)])
    real_model = build_cpu(name)
    for mode in ("train", "eval"):
        real_model.train(mode == "train")
        rows = table.nodes(mode)
        real = _real_outputs(real_model, x)
        assert [r.name for r in rows] == list(real)
        for row in rows:
            value = real[row.name]
            if isinstance(value, torch.Tensor):
                assert row.output.kind == "tensor", row.name
                assert row.output.tensors[0].shape == tuple(value.shape), row.name
                assert row.output.tensors[0].dtype == str(value.dtype).removeprefix("torch."), row.name
            else:
                assert row.output.kind != "tensor", row.name


def test_rows_say_what_each_node_is_and_which_line_made_it() -> None:
    table = node_table(build("resnet18").model, [(1, 3, 64, 64)])
    conv = table.find("eval", "layer1.0.conv1")
    assert (conv.op, conv.target, conv.module_type, conv.module_path) == (
        "call_module",
        "torch.nn.Conv2d",
        "Conv2d",
        "layer1.0.conv1",
    )
    assert conv.source.file.endswith("torchvision/models/resnet.py")
    assert conv.source.text == "out = self.conv1(x)"
    add = table.find("eval", "layer1.0.add")
    assert (add.op, add.target, add.module_path, add.module_type) == (
        "call_function",
        "operator.add",
        "layer1.0",
        "BasicBlock",
    )
    flatten = table.find("eval", "flatten")
    assert (flatten.target, flatten.output.describe()) == ("torch.flatten", "1×512")
    x = table.find("eval", "x")
    assert x.op == "placeholder" and x.source.text.startswith("def forward(self, x")
    assert table.example_input.shapes == ((1, 3, 64, 64),) and table.example_input.origin == "given"
    assert table.model_type == "torchvision.models.resnet.ResNet"


def test_outputs_overwritten_by_a_later_inplace_op_are_marked() -> None:
    table = node_table(build("resnet18").model, [(1, 3, 64, 64)])
    assert table.find("eval", "bn1").overwritten_by == "relu"
    assert table.find("eval", "layer1.0.bn1").overwritten_by == "layer1.0.relu"
    assert table.find("eval", "layer1.0.conv1").overwritten_by == ""
    assert table.find("eval", "relu").overwritten_by == ""


class InplaceChain(nn.Module):
    def forward(self, x):
        y = x * 2
        z = y.add_(1)
        z.relu_()
        return torch.nn.functional.relu(y + 1, inplace=True)


def test_inplace_methods_and_functions_overwrite_everything_aliasing_their_input() -> None:
    table = node_table(InplaceChain(), [(1, 4)])
    assert {r.name: r.overwritten_by for r in table.eval} == {
        "x": "", "mul": "add_", "add_": "relu_", "relu_": "", "add": "relu", "relu": ""
    }  # fmt: skip


class Sized(nn.Module):
    def forward(self, x):
        n = x.size(0)
        parts = torch.chunk(x, 2, dim=1)
        return parts[0].reshape(n, -1), {"a": parts[1]}


def test_outputs_are_tensors_sequences_or_not_tensors() -> None:
    table = node_table(Sized(), [(3, 4)])
    described = {r.name: r.output.describe() for r in table.eval}
    assert described == {
        "x": "3×4",
        "size": "not a tensor (int)",
        "chunk": "tuple(3×2, 3×2)",
        "getitem": "3×2",
        "reshape": "3×2",
        "getitem_1": "3×2",
    }
    assert table.find("eval", "size").output.is_tensor is False


def test_what_forward_returns_is_recorded_per_mode_as_a_real_forward_returns_it() -> None:
    class Heads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.trunk, self.a, self.b = nn.Linear(4, 8), nn.Linear(8, 3), nn.Linear(8, 2)

        def forward(self, x):
            h = self.trunk(x)
            return self.a(h), {"b": self.b(h), "h": h}

    model = Heads()
    real = model(torch.zeros(2, 4))
    table = node_table(model, [(2, 4)])
    leaves = [tuple(t.shape) for t in (real[0], *real[1].values())]
    for mode in ("train", "eval"):
        returned = table.returned(mode)
        assert (returned.kind, returned.type_name) == ("sequence", "tuple")
        assert [t.shape for t in returned.tensors] == leaves
    assert table.eval[-1].name == "b"  # the last node is not what forward returns


def test_without_an_example_input_the_default_is_used_and_said() -> None:
    table = node_table(build("resnet18").model)
    assert table.example_input.origin == "default" and table.example_input.shapes == ((1, 3, 224, 224),)
    assert table.find("eval", "fc").output.describe() == "1×1000"
    assert any("no example input given" in note for note in table.notes)


def test_a_wrong_input_size_keeps_the_names_and_says_which_node_and_line_failed() -> None:
    table = node_table(build("vit_b_16").model, [(1, 3, 64, 64)])
    assert table.names("eval") == get_graph_node_names(build("vit_b_16").model)[1]
    failure = table.shape_failure_in("eval")
    assert failure.node == "_assert"
    assert "Wrong image height" in failure.message
    assert failure.location.file.endswith("vision_transformer.py")
    assert failure.location.text.startswith("torch._assert(h == self.image_size")
    assert table.find("eval", "encoder.ln").output is None


def test_batch_norm_with_a_batch_of_one_in_train_mode_still_gets_shapes() -> None:
    table = node_table(build("inception_v3").model, [(1, 3, 299, 299)])
    assert table.find("train", "AuxLogits.fc").output.describe() == "1×1000"
    assert any("train-mode shapes were computed with modules in eval mode" in n for n in table.notes)


def test_an_untraceable_model_is_a_trace_error_with_the_failing_line_and_a_hint() -> None:
    with pytest.raises(NodeTableError) as failure:
        node_table(build("fasterrcnn_mobilenet_v3_large_320_fpn").model)
    problem = failure.value.problem
    assert problem.kind == "trace" and "Proxy object cannot be iterated" in problem.message
    assert problem.location.file.endswith(".py") and problem.location.line > 0
    assert "leaf" in problem.hint


class ControlFlow(nn.Module):
    def forward(self, x, flag: bool = True):
        if x.sum() > 0:
            return x
        return x + 1


def test_control_flow_on_a_traced_value_suggests_concrete_args_or_a_leaf() -> None:
    with pytest.raises(NodeTableError) as failure:
        node_table(ControlFlow(), [(1, 2)])
    problem = failure.value.problem
    assert problem.location.file == __file__
    assert problem.location.text == "if x.sum() > 0:"
    assert problem.location.line == inspect.getsourcelines(ControlFlow.forward)[1] + 1
    assert "concrete_args" in problem.hint


def test_build_model_allocates_no_weights_and_falls_back_for_constructors_needing_data() -> None:
    import torchvision

    vit = build_model(torchvision.models.vit_h_14, weights=None)
    assert vit.device == "meta" and vit.note == ""
    assert {p.device.type for p in vit.model.parameters()} == {"meta"}
    regnet = build_model(torchvision.models.regnet_y_400mf, weights=None)
    assert regnet.device == "meta" and "needs real data" in regnet.note
    assert {t.device.type for t in [*regnet.model.parameters(), *regnet.model.buffers()]} == {"meta"}
    with pytest.raises(TypeError, match="unexpected keyword argument 'widht'"):
        build_model(torchvision.models.resnet18, widht=3)


def test_the_table_survives_a_json_round_trip() -> None:
    table = node_table(build("googlenet").model, [(2, 3, 64, 64)])
    assert NodeTable.from_json(copy.deepcopy(table.to_json())) == table
    assert len(table.train) == 216 and len(table.eval) == 198

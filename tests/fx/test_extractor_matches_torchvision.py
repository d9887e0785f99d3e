"""``create_feature_extractor`` returns what torchvision's returns, and fails where it fails."""

from __future__ import annotations

import copy
import re
import warnings

import pytest
import torch
from fxlens.fx import create_feature_extractor, get_graph_node_names
from torch import nn
from tv_models import build_cpu, tv_fe

# (model, input size, queries): module prefixes, exact nodes, functional nodes, parameters.
CASES = {
    "resnet18": (224, ["layer1", "layer2.1.relu_1", "layer4.1.add", "flatten"]),
    "inception_v3": (299, ["Mixed_5b.cat", "Mixed_6e", "AuxLogits.fc", "fc"]),
    "googlenet": (224, ["inception3a", "aux1.fc2", "aux2", "dropout"]),
    "mobilenet_v3_small": (224, ["features.3.block.1", "features.12", "classifier.3"]),
    "efficientnet_b0": (224, ["features.2.0.block", "features.5.1.add", "avgpool"]),
    "convnext_tiny": (64, ["features.1.0.features_1_0_layer_scale", "features.1.0.block.3", "features.5"]),
    "densenet121": (64, ["features.denseblock1.denselayer3.cat", "features.transition2", "relu"]),
    "vit_b_16": (224, ["class_token", "encoder.layers.encoder_layer_0.ln_1", "encoder.ln", "getitem_5"]),
    "swin_t": (64, ["features.1.0.attn", "features.3", "norm", "permute"]),
    "squeezenet1_1": (64, ["features.3.cat", "classifier.1"]),
    "shufflenet_v2_x0_5": (64, ["stage2.0.cat", "stage3", "mean"]),
    "regnet_x_400mf": (64, ["trunk_output.block2", "trunk_output.block4.block4-0.activation"]),
    "mnasnet0_5": (64, ["layers.8", "layers.10.0.layers"]),
}


def _outputs(extractor: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    with torch.no_grad():
        return extractor(x)


def _flatten(value) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [t for item in value for t in _flatten(item)]


def _assert_same(ours: dict, theirs: dict) -> None:
    assert type(ours) is dict
    assert list(ours) == list(theirs)
    for key in theirs:
        torch.testing.assert_close(_flatten(ours[key]), _flatten(theirs[key]))


@pytest.fixture(scope="module")
def models() -> dict[str, nn.Module]:
    torch.manual_seed(0)
    return {name: build_cpu(name) for name in CASES}


def _present(queries: list[str], names: list[str]) -> list[str]:
    return [q for q in queries if any(n == q or n.startswith(q + ".") for n in names)]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_list_and_dict_queries_give_torchvisions_outputs(models: dict[str, nn.Module], name: str, mode: str) -> None:
    model = models[name].train(mode == "train")
    size, queries = CASES[name]
    train_names, eval_names = get_graph_node_names(model, suppress_diff_warning=True)
    per_mode = {"train": _present(queries, train_names), "eval": _present(queries, eval_names)}
    assert per_mode["train"] == queries
    x = torch.rand(2, 3, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for form in (list, lambda qs: {q: f"out{i}" for i, q in enumerate(reversed(qs))}):
            if per_mode["train"] == per_mode["eval"]:
                kwargs = {"return_nodes": form(queries)}
            else:  # train-only nodes (auxiliary heads) need separate train and eval queries
                kwargs = {"train_return_nodes": form(per_mode["train"]), "eval_return_nodes": form(per_mode["eval"])}
            theirs = tv_fe.create_feature_extractor(model, **copy.deepcopy(kwargs))
            ours = create_feature_extractor(model, **kwargs)
            assert type(ours).__name__ == type(model).__name__
            assert ours.training is theirs.training is model.training
            _assert_same(_outputs(ours, x), _outputs(theirs, x))


def test_train_and_eval_return_nodes_switch_with_the_mode(models: dict[str, nn.Module]) -> None:
    model = models["googlenet"].eval()
    kwargs = dict(train_return_nodes={"aux1.fc2": "aux", "fc": "logits"}, eval_return_nodes={"fc": "logits"})
    ours = create_feature_extractor(model, **copy.deepcopy(kwargs))
    theirs = tv_fe.create_feature_extractor(model, **copy.deepcopy(kwargs))
    x = torch.rand(2, 3, 96, 96)
    assert ours.training is False and model.training is False
    _assert_same(_outputs(ours, x), _outputs(theirs, x))
    assert list(_outputs(ours.train(), x)) == ["aux", "logits"]
    _assert_same(_outputs(ours, x), _outputs(theirs.train(), x))
    assert list(_outputs(ours.eval(), x)) == ["logits"]


def test_the_extractor_deep_copies_in_its_own_mode(models: dict[str, nn.Module]) -> None:
    extractor = create_feature_extractor(models["resnet18"].eval(), return_nodes=["layer1", "fc"])
    clone = copy.deepcopy(extractor)
    assert clone.training is False  # torchvision's copy comes back in train mode
    x = torch.rand(1, 3, 64, 64)
    _assert_same(_outputs(clone, x), _outputs(extractor, x))
    clone.get_submodule("layer1.0.conv1").weight.data.zero_()
    assert not torch.equal(clone(x)["layer1"], extractor(x)["layer1"])
    assert list(_outputs(clone.train(), torch.rand(2, 3, 64, 64))) == ["layer1", "fc"]


def test_quirks_are_kept_silent_dot_wildcards_and_consumed_nodes(models: dict[str, nn.Module]) -> None:
    model = models["resnet18"].eval()
    x = torch.rand(1, 3, 64, 64)
    for spec in (["layer1.0.relu.1", "fc"], ["layer4", "layer4.1"], {"layer1": "a", "layer2": "a"}):
        ours = create_feature_extractor(model, return_nodes=copy.deepcopy(spec))
        theirs = tv_fe.create_feature_extractor(model, return_nodes=copy.deepcopy(spec))
        _assert_same(_outputs(ours, x), _outputs(theirs, x))
    assert list(create_feature_extractor(model, return_nodes=["layer1.0.relu.1", "fc"])(x)) == ["fc"]


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.aux = nn.Linear(4, 2)

    def forward(self, x):
        x = self.conv(x)
        if self.training:
            return x + self.aux(x.mean((2, 3)))[..., None, None].sum()
        return x


ERROR_CASES = [
    {},
    {"train_return_nodes": ["conv"]},
    {"eval_return_nodes": ["conv"]},
    {"return_nodes": ["conv"], "train_return_nodes": ["conv"], "eval_return_nodes": ["conv"]},
    {"return_nodes": ["nope"]},
    {"return_nodes": ["aux"]},  # train-only: fails in the eval pass
    {"return_nodes": ["conv("]},
]


@pytest.mark.parametrize("kwargs", ERROR_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "none")
def test_errors_match_torchvisions_word_for_word(kwargs: dict) -> None:
    with pytest.raises(Exception) as theirs:
        tv_fe.create_feature_extractor(TinyNet(), **copy.deepcopy(kwargs))
    with pytest.raises(type(theirs.value), match=re.escape(str(theirs.value))):
        create_feature_extractor(TinyNet(), **kwargs)


def test_tracer_kwargs_are_not_mutated_and_tuples_are_accepted() -> None:
    tracer_kwargs = {"leaf_modules": (TinyNet,), "autowrap_modules": ()}
    extractor = create_feature_extractor(nn.Sequential(TinyNet()), return_nodes=["0"], tracer_kwargs=tracer_kwargs)
    assert tracer_kwargs == {"leaf_modules": (TinyNet,), "autowrap_modules": ()}
    assert [n.op for n in extractor.graph.nodes] == ["placeholder", "call_module", "output"]

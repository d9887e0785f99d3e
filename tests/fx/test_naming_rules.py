"""Small models that pin each of torchvision's naming rules (and check them against torchvision)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from fxlens.fx import get_graph_node_names
from torch import nn

tv_fe = pytest.importorskip("torchvision.models.feature_extraction", reason="compared against torchvision")


def names(model: nn.Module, **kwargs) -> tuple[list[str], list[str]]:
    """fxlens's names, after checking that torchvision gives exactly the same."""
    ours = get_graph_node_names(model, suppress_diff_warning=True, **kwargs)
    assert ours == tv_fe.get_graph_node_names(model, suppress_diff_warning=True, **kwargs)
    return ours


class RepeatedOps(nn.Module):
    def forward(self, x):
        x = x + 1
        x = x + 2
        x = torch.relu(x)
        return torch.relu(x).flatten(1).flatten(0)


def test_repeated_functional_ops_count_from_one() -> None:
    train, eval_ = names(RepeatedOps())
    assert train == eval_ == ["x", "add", "add_1", "relu", "relu_1", "flatten", "flatten_1"]


class RootCollision(nn.Module):
    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(F.relu(x))


def test_a_root_function_and_a_later_module_of_the_same_name_collide() -> None:
    assert names(RootCollision())[0] == ["x", "relu", "relu_1"]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.GELU()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.act(self.act(x)) * self.scale + 1


class Reinvoked(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Block(), Block())
        self.act = nn.ReLU()

    def forward(self, x):
        x = self.act(self.blocks(x))
        return self.act(self.act(x)) + self.act(x)


def test_counters_are_scoped_per_module_and_reinvoked_modules_keep_counting() -> None:
    assert names(Reinvoked())[0] == [
        "x",
        "blocks.0.act", "blocks.0.act_1", "blocks.0.blocks_0_scale", "blocks.0.mul", "blocks.0.add",
        "blocks.1.act", "blocks.1.act_1", "blocks.1.blocks_1_scale", "blocks.1.mul", "blocks.1.add",
        "act", "act_1", "act_2", "act_3", "add",
    ]  # fmt: skip


class Numbered(nn.Module):
    """Module names that end in ``_<digits>``: torchvision strips the suffix and renumbers."""

    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(4)
        self.ln_2 = nn.LayerNorm(4)
        self.branch5x5_1 = nn.Linear(4, 4)

    def forward(self, x):
        return self.branch5x5_1(self.ln_2(self.ln_1(x)))


def test_a_final_underscore_number_is_renumbered_even_in_module_names() -> None:
    assert names(Numbered())[0] == ["x", "ln", "ln_1", "branch5x5"]


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(1))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return (x - self.mean + torch.tensor(2.0)) + self.bias


def test_buffers_and_tensor_constants_are_not_listed_but_parameters_are() -> None:
    assert names(WithBuffers())[0] == ["x", "sub", "add", "bias", "add_1"]


class TrainOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(4, 2)
        self.aux = nn.Linear(4, 2)

    def forward(self, x):
        out = self.head(x)
        if self.training:
            return out + self.aux(x)
        return out


def test_train_only_branches_appear_only_in_the_train_names() -> None:
    train, eval_ = names(TrainOnly())
    assert train == ["x", "head", "aux", "add"]
    assert eval_ == ["x", "head"]


def test_the_difference_is_warned_about_with_torchvisions_words() -> None:
    with pytest.warns(UserWarning, match="eval mode are a subsequence of those obtained in train mode"):
        get_graph_node_names(TrainOnly())


class Flagged(nn.Module):
    def forward(self, x, double: bool = False):
        return x * 2 if double else x + 1


def test_concrete_args_are_listed_with_their_guards() -> None:
    train, _ = names(Flagged(), concrete_args={"double": True})
    assert train == ["x", "double", "eq", "_assert", "mul"]


class Untraceable(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x
        return -x


def test_the_training_flag_is_restored_even_when_tracing_fails() -> None:
    model = Untraceable().eval()
    with pytest.raises(torch.fx.proxy.TraceError):
        get_graph_node_names(model)
    assert model.training is False

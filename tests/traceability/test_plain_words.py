"""torch.fx's own failures, as the installed torch raises them, explained construct by construct."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from fxlens.fx import NodePathTracer, NodeTableError, node_table
from fxlens.fx.explain import LEAF_REMEDY, explain_error, explain_trace_failure
from torch import nn
from untraceable_models import CONSTRUCTS, failing_line, load, model_source

pytest.importorskip("torchvision", reason="the models' files call torchvision's create_feature_extractor")


def failed_trace(construct: str, tmp_path: Path) -> NodeTableError:
    """The error fxlens's trace of the construct's model raises (the file's own call fails too)."""
    path = tmp_path / f"model_{construct.replace('-', '_')}.py"
    path.write_text(model_source(construct).rsplit("extractor = ", 1)[0])
    model = load(path).Net()
    with pytest.raises(NodeTableError) as raised:
        node_table(model, [(1, 4)])
    return raised.value


@pytest.mark.parametrize("construct", list(CONSTRUCTS))
def test_each_construct_is_named_from_the_real_torch_fx_message_at_its_line(construct: str, tmp_path: Path) -> None:
    error = failed_trace(construct, tmp_path)
    problem = error.problem
    assert problem.location is not None and problem.location.line == failing_line(construct)
    explanation = explain_error(error.__cause__, problem.location.text)
    assert explanation is not None, f"torch.fx's message is not recognised: {error.__cause__}"
    assert explanation.construct == CONSTRUCTS[construct][1]
    assert LEAF_REMEDY in explanation.remedy
    message = explanation.message(problem.message)
    assert message.startswith(f"{explanation.construct}: ") and message.endswith(f"({problem.message})")


def test_an_unknown_failure_is_left_to_torch_fxs_own_words() -> None:
    assert explain_trace_failure("RuntimeError: something else entirely", "y = f(x)") is None


class SizesUnpacked(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if h * w > 16:
            x = x * 2
        return x


class Flagged(nn.Module):
    def forward(self, x: torch.Tensor, flip: bool = False) -> torch.Tensor:
        if flip:
            x = -x
        return x


class MathOnSizes(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * math.sqrt(x.shape[-1])


def trace_error(model: nn.Module) -> Exception:
    with pytest.raises(Exception) as raised:
        NodePathTracer().trace(model)
    return raised.value


def test_sizes_unpacked_on_an_earlier_line_are_still_told_from_the_traced_values_graph() -> None:
    explanation = explain_error(trace_error(SizesUnpacked()), "if h * w > 16:")
    assert explanation is not None and explanation.construct == "torch.Size arithmetic deciding control flow"


def test_a_branch_on_a_defaulted_argument_of_forward_says_so_and_points_to_concrete_args() -> None:
    explanation = explain_error(trace_error(Flagged()), "if flip:")
    assert explanation is not None and explanation.construct == "control flow on a non-tensor argument of forward"
    assert "concrete_args" in explanation.remedy


def test_a_non_module_callable_is_named_in_the_explanation(tmp_path: Path) -> None:
    error = failed_trace("callable-object", tmp_path)
    explanation = explain_error(error.__cause__, error.problem.location.text)
    assert explanation is not None and "`Scale` is plain Python" in explanation.what
    assert "control flow on a traced value" in explanation.what and "make `Scale` an nn.Module" in explanation.remedy


def test_math_functions_are_no_failure_torch_fx_records_them() -> None:
    table = node_table(MathOnSizes(), [(1, 4)])
    assert [n.target for n in table.eval if n.op == "call_function"][-2:] == ["math.sqrt", "operator.mul"]


class Rounding(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * round(x.mean())


def test_round_of_a_traced_value_is_a_c_function_call() -> None:
    error = trace_error(Rounding())
    assert "Proxy doesn't define __round__" in str(error)
    explanation = explain_error(error, "return x * round(x.mean())")
    assert explanation is not None and explanation.construct == "a traced value passed to a C function"

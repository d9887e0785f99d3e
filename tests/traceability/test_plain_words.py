"""torch.fx's own failures, as the installed torch raises them, explained construct by construct."""

from __future__ import annotations

from pathlib import Path

import pytest
from fxlens.fx import NodeTableError, node_table
from fxlens.fx.explain import LEAF_REMEDY, explain_error, explain_trace_failure
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

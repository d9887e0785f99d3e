"""Every torchvision model gets the same node names from fxlens.fx as from torchvision itself."""

from __future__ import annotations

import warnings

import pytest
from fxlens.fx import get_graph_node_names, node_table
from fxlens.fx.table import NodeTableError
from tv_models import MODEL_NAMES, build, tv_fe


@pytest.mark.slow
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_train_and_eval_names_equal_torchvisions(name: str) -> None:
    model = build(name).model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = tv_fe.get_graph_node_names(model)
        except Exception as tv_error:  # noqa: BLE001 - torchvision cannot trace it (any error): neither can fxlens
            with pytest.raises(type(tv_error)):
                get_graph_node_names(model)
            with pytest.raises(NodeTableError) as failure:
                node_table(model)
            problem = failure.value.problem
            assert problem.kind == "trace"
            assert problem.location is not None and problem.location.file.endswith(".py")
            assert problem.location.line > 0 and problem.location.text
            return
        assert get_graph_node_names(model) == expected

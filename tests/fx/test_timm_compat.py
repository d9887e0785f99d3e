"""timm calls torchvision's feature extraction with its own leaf modules and wrapped functions:
``fxlens.fx`` given the same tracer settings must give timm's node names (train and eval)."""

from __future__ import annotations

import pytest

timm = pytest.importorskip("timm", reason="compared against timm's own get_graph_node_names")
from fxlens.fx import get_graph_node_names  # noqa: E402
from timm.layers import _fx as timm_fx  # noqa: E402
from timm.models import get_graph_node_names as timm_names  # noqa: E402

MODELS = [
    "resnet50",
    "efficientnet_b0",
    "vit_small_patch16_224",
    "convnext_tiny",
    "swin_tiny_patch4_window7_224",
    "mobilenetv3_large_100",
]


@pytest.mark.parametrize("name", MODELS)
def test_names_equal_timms(name: str) -> None:
    model = timm.create_model(name)
    tracer_kwargs = {
        "leaf_modules": list(timm_fx._leaf_modules),
        "autowrap_functions": list(timm_fx._autowrap_functions),
    }
    assert get_graph_node_names(model, tracer_kwargs=tracer_kwargs) == timm_names(model)

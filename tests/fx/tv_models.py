"""Building torchvision's models for tests: no weights, no downloads, on the meta device if possible."""

from __future__ import annotations

import inspect

import pytest

torchvision = pytest.importorskip("torchvision", reason="the compatibility tests compare against torchvision")
from fxlens.fx import BuiltModel, build_model  # noqa: E402
from torchvision.models import feature_extraction as tv_fe  # noqa: E402, F401 - re-exported to the tests

MODEL_NAMES = sorted(torchvision.models.list_models())
# Inception-style models skip their slow scipy-based weight init; names and shapes do not depend on it.
NO_INIT = {"inception_v3", "googlenet", "quantized_inception_v3", "quantized_googlenet"}


def builder_kwargs(name: str) -> dict:
    """``weights=None`` always; ``weights_backbone=None`` and ``init_weights=False`` where accepted."""
    builder = torchvision.models.get_model_builder(name)
    params = inspect.signature(builder).parameters
    kwargs: dict = {"weights": None}
    if "weights_backbone" in params:
        kwargs["weights_backbone"] = None
    if name in NO_INIT:
        kwargs["init_weights"] = False
    if name.endswith("inception_v3"):
        kwargs["aux_logits"] = True
    return kwargs


def build(name: str, **overrides) -> BuiltModel:
    """The model on ``meta`` (CPU when its constructor needs real data)."""
    return build_model(torchvision.models.get_model, name, **{**builder_kwargs(name), **overrides})


def build_cpu(name: str, **overrides):
    """The model with real (randomly initialised) weights on the CPU."""
    return torchvision.models.get_model(name, **{**builder_kwargs(name), **overrides})

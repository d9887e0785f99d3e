"""The example input a model wants when none is given: from its metadata, else from its first layer.

Metadata, in order: a constructor argument ``image_size`` / ``img_size``; the built model's own
``image_size`` attribute (it describes the model as built, which weights may not); torchvision's
weights enum for the builder (its transforms' crop size — 299 for ``inception_v3`` — or resize size,
a detection model's ``min_size``), read from the enum without downloading anything; timm's
``pretrained_cfg["input_size"]``; a constructor parameter's default. Without metadata, the first
layer (in registration order) decides: a ``Conv2d``'s ``in_channels`` with the default 224×224, a
``Linear``'s ``in_features`` as a 2-D input.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from fxlens.nodes import InputInfo

DEFAULT_SIZE = 224
VIDEO_FRAMES = 16  # torchvision's video models are documented with 16-frame clips
_SIZE_KEYWORDS = ("image_size", "img_size")


def wanted_input(
    model: nn.Module,
    *,
    root: nn.Module | None = None,
    factory: Callable[..., Any] | None = None,
    kwargs: Mapping[str, Any] | None = None,
    torchvision_builder: str | None = None,
) -> InputInfo | None:
    """The input ``model`` wants, or None when neither its metadata nor its first layer tells.

    ``root`` is the built model when ``model`` is a part of it (``.backbone.body``); ``factory`` and
    ``kwargs`` are how it was built; ``torchvision_builder`` names torchvision's builder.
    """
    root = model if root is None else root
    first = _first_layer(model)
    if first is not None and isinstance(first[1], nn.Linear):
        features = first[1].in_features
        return InputInfo(((1, features),), "first-layer", detail=f"`{first[0]}` is Linear(in_features={features})")
    found = _metadata_shape(root, factory, kwargs or {}, torchvision_builder)
    conv = first[1] if first is not None else None
    if found is not None:
        shape, detail = found
        if conv is None:
            return InputInfo((shape,), "metadata", detail=detail)
        if len(conv.kernel_size) + 2 == len(shape):  # else the metadata is for another kind of input
            if conv.in_channels != shape[1]:
                detail += f"; {conv.in_channels} channels from `{first[0]}`"
            return InputInfo(((1, conv.in_channels, *shape[2:]),), "metadata", detail=detail)
    if isinstance(conv, nn.Conv2d):
        shape = (1, conv.in_channels, DEFAULT_SIZE, DEFAULT_SIZE)
        return InputInfo((shape,), "first-layer", detail=f"`{first[0]}` is Conv2d(in_channels={conv.in_channels})")
    return None


def _first_layer(model: nn.Module) -> tuple[str, nn.Module] | None:
    """The first convolution or linear layer registered, with its path; None if there is none."""
    for path, module in model.named_modules():
        if isinstance(module, nn.modules.conv._ConvNd) and module.in_channels > 0:
            return path or "(the model)", module
        if isinstance(module, nn.Linear) and module.in_features > 0:
            return path or "(the model)", module
    return None


def _metadata_shape(
    root: nn.Module, factory: Callable[..., Any] | None, kwargs: Mapping[str, Any], builder: str | None
) -> tuple[tuple[int, ...], str] | None:
    for keyword in _SIZE_KEYWORDS:
        if (size := _pair(kwargs.get(keyword))) is not None:
            return (1, 3, *size), f"constructor argument {keyword}={kwargs[keyword]!r}"
    for keyword in _SIZE_KEYWORDS:  # the model as built (vit_h_14 without weights is 224, its SWAG weights 518)
        if (size := _pair(getattr(root, keyword, None))) is not None:
            return (1, 3, *size), f"model attribute {keyword} = {getattr(root, keyword)!r}"
    if builder is not None and (found := _torchvision_shape(root, builder)) is not None:
        return found
    cfg = getattr(root, "pretrained_cfg", None)
    if isinstance(cfg, Mapping) and _is_shape(cfg.get("input_size"), 3):
        return (1, *cfg["input_size"]), f"timm pretrained_cfg input_size {tuple(cfg['input_size'])}"
    return _signature_default(factory)


def _torchvision_shape(root: nn.Module, builder: str) -> tuple[tuple[int, ...], str] | None:
    """From the builder's weights enum (its ``DEFAULT.transforms`` partial: nothing is downloaded),
    else a detection model's transform ``min_size``."""
    try:
        weights = importlib.import_module("torchvision.models").get_model_weights(builder)
        transforms = weights.DEFAULT.transforms
    except (ImportError, ValueError, KeyError, AttributeError):
        transforms = None
    keywords = getattr(transforms, "keywords", {})
    kind = getattr(getattr(transforms, "func", None), "__name__", "")
    for key in ("crop_size", "resize_size"):
        size = _pair(keywords.get(key))
        if size is None:
            continue
        detail = f"{weights.__name__}.DEFAULT transforms: {key.replace('_', ' ')} {keywords[key]!r}"
        if kind == "VideoClassification":
            return (1, 3, VIDEO_FRAMES, *size), f"{detail}, {VIDEO_FRAMES} frames"
        return (1, 3, *size), detail
    min_size = getattr(getattr(root, "transform", None), "min_size", None)
    if isinstance(min_size, (tuple, list)) and min_size and all(isinstance(s, int) for s in min_size):
        side = min(min_size)
        return (1, 3, side, side), f"detection transform min_size {side}"
    return None


def _signature_default(factory: Callable[..., Any] | None) -> tuple[tuple[int, ...], str] | None:
    if factory is None:
        return None
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return None
    for keyword in _SIZE_KEYWORDS:
        parameter = parameters.get(keyword)
        if parameter is not None and (size := _pair(parameter.default)) is not None:
            return (1, 3, *size), f"constructor default {keyword}={parameter.default!r}"
    return None


def _pair(value: Any) -> tuple[int, int] | None:
    """``(h, w)`` for an int or a pair of ints, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value, value
    if _is_shape(value, 2):
        return int(value[0]), int(value[1])
    return None


def _is_shape(value: Any, length: int) -> bool:
    return (
        isinstance(value, (tuple, list))
        and len(value) == length
        and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in value)
    )

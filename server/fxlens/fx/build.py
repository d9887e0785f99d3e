"""Build a model without paying for its weights: on the ``meta`` device first, the CPU if needed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from fxlens.nodes import exception_summary


@dataclass(frozen=True)
class BuiltModel:
    """A constructed model, where it was built, and why it was not built on ``meta``."""

    model: nn.Module
    device: Literal["meta", "cpu"]
    note: str = ""  # non-empty when construction fell back to the CPU


def build_model(factory: Callable[..., nn.Module], *args: Any, **kwargs: Any) -> BuiltModel:
    """Call ``factory(*args, **kwargs)`` under ``torch.device("meta")``; on failure, on the CPU.

    On ``meta`` no weight memory is allocated and initialisers do no work (a ViT-H builds in
    milliseconds). Constructors that need real data (``.tolist()``, ``.item()`` in ``__init__``,
    as torchvision's ``regnet_*`` do) fail there and are rebuilt on the CPU; the note says so.
    An error that also happens on the CPU is the model's own and propagates unchanged.
    """
    try:
        with torch.device("meta"):
            model = factory(*args, **kwargs)
    except Exception as meta_error:  # noqa: BLE001 - any failure on meta means "try for real"
        model = factory(*args, **kwargs)
        return BuiltModel(
            model, "cpu", f"built on the CPU: construction on the meta device failed ({exception_summary(meta_error)})"
        )
    return BuiltModel(model, "meta")

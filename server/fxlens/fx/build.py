"""Build a model without paying for its weights: on the ``meta`` device whenever possible."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from fxlens.nodes import exception_summary


@dataclass(frozen=True)
class BuiltModel:
    """A constructed model, where its weights live, and how construction got there."""

    model: nn.Module
    device: Literal["meta", "cpu"]  # where the parameters and buffers are
    note: str = ""  # non-empty when construction needed a fallback


def build_model(factory: Callable[..., nn.Module], *args: Any, **kwargs: Any) -> BuiltModel:
    """Call ``factory(*args, **kwargs)`` so that no weight memory is allocated, if at all possible.

    1. Under ``torch.device("meta")``: nothing is allocated, initialisers do no work (a ViT-H
       builds in milliseconds).
    2. Constructors that compute with real data (``.tolist()`` in ``__init__``, as torchvision's
       ``regnet_*`` do) fail there; they run again on the CPU with each parameter and buffer moved
       to ``meta`` as it is registered, so the computation is real but the weights are not kept.
    3. Failing that, a plain CPU build. An error that also happens there is the model's own and
       propagates unchanged.
    """
    try:
        with torch.device("meta"):
            return BuiltModel(factory(*args, **kwargs), "meta")
    except Exception as meta_error:  # noqa: BLE001 - any failure on meta means "try with real data"
        reason = exception_summary(meta_error)
    try:
        with _weights_on_meta():
            model = factory(*args, **kwargs)
        return BuiltModel(
            model, "meta", f"the constructor needs real data ({reason}): it ran on the CPU with its weights on meta"
        )
    except Exception:  # noqa: BLE001 - the plain build below reports the model's real error
        pass
    return BuiltModel(
        factory(*args, **kwargs), "cpu", f"built on the CPU: construction on the meta device failed ({reason})"
    )


@contextlib.contextmanager
def _weights_on_meta() -> Iterator[None]:
    """Move every parameter and buffer to ``meta`` the moment a module registers it."""
    register_parameter, register_buffer = nn.Module.register_parameter, nn.Module.register_buffer

    def parameter_on_meta(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        if param is not None and param.device.type != "meta":
            param = type(param)(param.to("meta"), requires_grad=param.requires_grad)
        register_parameter(module, name, param)

    def buffer_on_meta(module: nn.Module, name: str, tensor: torch.Tensor | None, persistent: bool = True) -> None:
        register_buffer(module, name, tensor.to("meta") if tensor is not None else None, persistent)

    nn.Module.register_parameter, nn.Module.register_buffer = parameter_on_meta, buffer_on_meta
    try:
        yield
    finally:
        nn.Module.register_parameter, nn.Module.register_buffer = register_parameter, register_buffer

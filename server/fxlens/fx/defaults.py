"""The tracer settings torchvision applies by default, discovered from torchvision at run time.

torchvision makes every ``nn.Module`` class exported by ``torchvision.ops`` a leaf and autowraps
``math`` and ``torchvision.ops``; node names depend on both, so fxlens applies the same defaults
whenever torchvision is importable, and fx's own defaults otherwise.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from torch import nn


@functools.cache
def _torchvision_ops() -> ModuleType | None:
    """``torchvision.ops``, or None when torchvision is missing or does not import with this torch."""
    try:
        return importlib.import_module("torchvision.ops")
    except Exception:  # noqa: BLE001 - a broken torchvision install means "no torchvision defaults"
        return None


@functools.cache
def default_leaf_modules() -> tuple[type[nn.Module], ...]:
    """Every ``nn.Module`` subclass in the ``torchvision.ops`` namespace (empty without torchvision)."""
    ops = _torchvision_ops()
    if ops is None:
        return ()
    return tuple(obj for _, obj in inspect.getmembers(ops) if inspect.isclass(obj) and issubclass(obj, nn.Module))


def default_autowrap_modules() -> tuple[ModuleType, ...]:
    """``(math, torchvision.ops)``, or fx's own ``(math,)`` without torchvision."""
    ops = _torchvision_ops()
    return (math,) if ops is None else (math, ops)


def with_defaults(tracer_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """A new dict: the caller's ``tracer_kwargs`` with the default leaves and autowraps added.

    Unlike torchvision, the caller's dict is not mutated, and a tuple or a list is accepted for
    both ``leaf_modules`` and ``autowrap_modules``. Duplicates are dropped, order is kept.
    """
    merged = dict(tracer_kwargs or {})
    merged["autowrap_modules"] = _union(merged.get("autowrap_modules", ()), default_autowrap_modules())
    merged["leaf_modules"] = _union(merged.get("leaf_modules", ()), default_leaf_modules())
    return merged


def _union(given: Any, defaults: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys((*given, *defaults)))

"""The module paths of a model: every submodule, parameter and buffer, for the node table.

Read from ``named_modules()``, ``named_parameters()`` and ``named_buffers()`` of the traced model
(no second trace), with a timm model's ``feature_info``. Each module is tied, per mode, to the node
whose output is the module's output: its ``call_module`` node, or for a module that is traced
through, the last node executed inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import nn

from fxlens.nodes import FeatureEntry, Mode, ModuleEntry, NodeInfo


def module_entries(model: nn.Module, rows: Mapping[Mode, Sequence[NodeInfo]]) -> tuple[ModuleEntry, ...]:
    """The model's submodules (root excluded), parameters and buffers, in ``named_modules()`` order."""
    last = {mode: _last_nodes(mode_rows) for mode, mode_rows in rows.items()}
    entries = []
    for path, module in model.named_modules():
        if path:
            outputs = tuple((mode, found[path]) for mode, found in last.items() if path in found)
            count = sum(p.numel() for p in module.parameters())
            entries.append(ModuleEntry(path, "module", qualified_class_name(type(module)), count, (), outputs))
    for path, parameter in model.named_parameters():
        entries.append(ModuleEntry(path, "parameter", "Parameter", parameter.numel(), tuple(parameter.shape)))
    for path, buffer in model.named_buffers():
        entries.append(ModuleEntry(path, "buffer", "Tensor", 0, tuple(buffer.shape)))
    return tuple(entries)


def feature_entries(model: nn.Module) -> tuple[FeatureEntry, ...]:
    """A timm model's ``feature_info`` (a list of dicts with ``module``, ``num_chs``, ``reduction``); () if none."""
    info = getattr(model, "feature_info", None)
    if not isinstance(info, list) or not all(isinstance(i, dict) for i in info):
        return ()
    try:
        return tuple(FeatureEntry(str(i["module"]), int(i["num_chs"]), int(i["reduction"])) for i in info)
    except (KeyError, TypeError, ValueError):
        return ()


def _last_nodes(rows: Sequence[NodeInfo]) -> dict[str, str]:
    """Module path → the last node executed in it (its own ``call_module`` node for a leaf)."""
    last: dict[str, str] = {}
    for row in rows:
        if row.op == "placeholder" or not row.module_path:
            continue
        parts = row.module_path.split(".")
        for depth in range(1, len(parts) + 1):
            last[".".join(parts[:depth])] = row.name
    return last


def qualified_class_name(cls: type) -> str:
    """``torch.nn.Conv2d`` for classes re-exported by ``torch.nn``, else ``module.QualName``."""
    if cls.__module__.startswith("torch.nn.") and getattr(nn, cls.__name__, None) is cls:
        return f"torch.nn.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"

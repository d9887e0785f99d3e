"""The smallest leaf-module change that makes an untraceable model trace, found by tracing again.

When torch.fx fails inside a submodule's ``forward``, the innermost such module (by the failed
trace's frames) becomes a leaf and the model is traced again, in both modes; a new failure in
another submodule adds that one too, for a few rounds within a time budget. Only a set of leaves
with which both modes traced is returned: the fix is verified before anyone offers it.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from torch import nn

from fxlens.fx.defaults import with_defaults
from fxlens.fx.tracer import NodePathTracer

MAX_ROUNDS = 3
DEFAULT_BUDGET_SECONDS = 20.0


@dataclass(frozen=True)
class LeafFix:
    """Leaf classes that make the model trace, and the module paths that become single nodes."""

    classes: tuple[type[nn.Module], ...]
    paths: tuple[str, ...]  # every instance of those classes: nodes inside them are no longer selectable


def find_leaf_fix(
    model: nn.Module,
    error: BaseException,
    tracer_kwargs: dict[str, Any] | None = None,
    concrete_args: dict[str, Any] | None = None,
    *,
    rounds: int = MAX_ROUNDS,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
) -> LeafFix | None:
    """Leaves that let ``model`` trace in train and eval mode after ``error`` (its failed trace), or None
    when the failure is not inside a submodule's ``forward`` or no leaf set traced within the bounds."""
    deadline = time.monotonic() + budget_seconds
    given = dict(tracer_kwargs or {})
    added: list[type[nn.Module]] = []
    was_training = model.training
    try:
        for _ in range(rounds):
            failing = failing_submodule(model, error)
            if failing is None or type(failing) in added or time.monotonic() > deadline:
                return None
            added.append(type(failing))
            leaves = [*given.get("leaf_modules", ()), *added]
            try:
                for mode in (True, False):
                    model.train(mode)
                    NodePathTracer(**with_defaults({**given, "leaf_modules": leaves})).trace(
                        model, concrete_args=concrete_args
                    )
            except Exception as retry_error:  # noqa: BLE001 - any failure of the retried trace is the next round's
                error = retry_error
                continue
            classes = tuple(added)
            paths = tuple(path for path, m in model.named_modules() if path and isinstance(m, classes))
            return LeafFix(classes, paths)
        return None
    finally:
        model.train(was_training)


def failing_submodule(model: nn.Module, error: BaseException) -> nn.Module | None:
    """The innermost submodule of ``model`` (not ``model`` itself) whose ``forward`` was running when
    the trace raised ``error``; None when the failure happened in the root's own code."""
    owned = {id(m) for path, m in model.named_modules() if path}
    innermost = None
    for module in _forward_frames(error):
        if id(module) in owned:
            innermost = module
    return innermost


def _forward_frames(error: BaseException) -> Iterator[nn.Module]:
    """The module of every ``forward`` frame in the error's traceback, outermost first."""
    for frame, _ in traceback.walk_tb(error.__traceback__):
        module = frame.f_locals.get("self")
        if isinstance(module, nn.Module) and frame.f_code is getattr(type(module).forward, "__code__", None):
            yield module

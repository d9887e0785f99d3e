"""The smallest change of the trace settings that makes an untraceable model trace, found by tracing again.

Each round reads the failed trace's frames and picks one remedy: a branch on a non-tensor argument of
the root ``forward`` gets that argument's default in ``concrete_args``; a failing line in a plain
module-level function called from a ``forward`` gets the function wrapped (``autowrap_functions``); a
failing line in a submodule's own code makes the innermost such module a leaf. The model is traced
again in both modes; a new failure takes another round, for a few rounds within a time budget. Only a
change with which both modes traced is returned: the fix is verified before anyone offers it.
"""

from __future__ import annotations

import ast
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from fxlens.fx.defaults import with_defaults
from fxlens.fx.trace_frames import (
    asked_proxies,
    called_from_forward,
    forward_modules,
    plain_function,
    root_arguments,
)
from fxlens.fx.tracer import NodePathTracer

MAX_ROUNDS = 3
DEFAULT_BUDGET_SECONDS = 20.0


@dataclass(frozen=True)
class TraceFix:
    """Leaf classes, wrapped functions and concrete arguments with which the model traced."""

    classes: tuple[type[nn.Module], ...] = ()  # for tracer_kwargs["leaf_modules"]
    paths: tuple[str, ...] = ()  # every instance of those classes: nodes inside them are no longer selectable
    functions: tuple[Callable[..., Any], ...] = ()  # for tracer_kwargs["autowrap_functions"]
    concrete_args: tuple[tuple[str, Any], ...] = ()  # root forward argument -> the value traced with


@dataclass
class _Change:
    classes: list[type[nn.Module]]
    functions: list[Callable[..., Any]]
    concrete: dict[str, Any]

    def grown(self, model: nn.Module, error: BaseException, given_concrete: dict[str, Any]) -> bool:
        """Add the remedy for ``error``; False when there is none, or it was already tried."""
        arguments = _concrete_defaults(model, error, {**given_concrete, **self.concrete})
        if arguments:
            self.concrete.update(arguments)
            return True
        function = wrappable_function(error)
        if function is not None:
            if function in self.functions:
                return False
            self.functions.append(function)
            return True
        failing = failing_submodule(model, error)
        if failing is None or type(failing) in self.classes:
            return False
        self.classes.append(type(failing))
        return True


def find_trace_fix(
    model: nn.Module,
    error: BaseException,
    tracer_kwargs: dict[str, Any] | None = None,
    concrete_args: dict[str, Any] | None = None,
    *,
    rounds: int = MAX_ROUNDS,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
) -> TraceFix | None:
    """The change that lets ``model`` trace in train and eval mode after ``error`` (its failed trace), or
    None when no remedy applies or none traced within the bounds."""
    deadline = time.monotonic() + budget_seconds
    given = dict(tracer_kwargs or {})
    given_concrete = dict(concrete_args or {})
    change = _Change([], [], {})
    was_training = model.training
    try:
        for _ in range(rounds):
            if time.monotonic() > deadline or not change.grown(model, error, given_concrete):
                return None
            settings = {
                **given,
                "leaf_modules": [*given.get("leaf_modules", ()), *change.classes],
                "autowrap_functions": [*given.get("autowrap_functions", ()), *change.functions],
            }
            try:
                for mode in (True, False):
                    model.train(mode)
                    NodePathTracer(**with_defaults(settings)).trace(
                        model, concrete_args={**given_concrete, **change.concrete} or None
                    )
            except Exception as retry_error:  # noqa: BLE001 - any failure of the retried trace is the next round's
                error = retry_error
                continue
            classes = tuple(change.classes)
            paths = tuple(path for path, m in model.named_modules() if path and classes and isinstance(m, classes))
            return TraceFix(classes, paths, tuple(change.functions), tuple(change.concrete.items()))
        return None
    finally:
        model.train(was_training)


def failing_submodule(model: nn.Module, error: BaseException) -> nn.Module | None:
    """The innermost submodule of ``model`` (not ``model`` itself) whose ``forward`` was running when
    the trace raised ``error``; None when the failure happened in the root's own code."""
    owned = {id(m) for path, m in model.named_modules() if path}
    innermost = None
    for module in forward_modules(error):
        if id(module) in owned:
            innermost = module
    return innermost


def wrappable_function(error: BaseException) -> Callable[..., Any] | None:
    """The module-level function the innermost ``forward`` called, when the failure happened inside it
    (or in what it called): wrapped, torch.fx records one call to it instead of tracing its body."""
    called = called_from_forward(error)
    return plain_function(called[0]) if called else None


def _concrete_defaults(model: nn.Module, error: BaseException, given: dict[str, Any]) -> dict[str, Any]:
    """The root ``forward``'s arguments (with a literal, non-tensor default) that the failing code asked
    a question of — a branch on ``flag`` — mapped to their defaults; empty when it asked of anything else."""
    proxies = asked_proxies(error)
    arguments = set().union(*(root_arguments(p) for p in proxies)) if proxies else set()
    parameters = inspect.signature(model.forward).parameters
    found: dict[str, Any] = {}
    for name in sorted(arguments):
        parameter = parameters.get(name)
        if name in given or parameter is None or not _is_literal(parameter.default):
            return {}
        found[name] = parameter.default
    return found


def _is_literal(value: Any) -> bool:
    """A value a Python literal writes back exactly (``False``, ``3``, ``"bilinear"``, ``None``)."""
    if value is inspect.Parameter.empty:
        return False
    try:
        return ast.literal_eval(repr(value)) == value
    except (ValueError, SyntaxError):
        return False

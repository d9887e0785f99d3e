"""A failed trace's ``Problem`` made useful: torch.fx's error in plain words, and a verified leaf fix.

The explanation comes from ``fxlens.fx.explain``; the fix from ``fxlens.fx.untraceable``, which traced
the model with it. A fix is carried only when every leaf class is defined in the model's own file,
where the call can name it without a new import.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import replace
from typing import Any

from torch import nn

from fxlens.fx import NodeTableError
from fxlens.fx.explain import explain_trace_failure
from fxlens.fx.untraceable import find_leaf_fix
from fxlens.nodes import Problem

SEARCH_BUDGET_SECONDS = 10.0  # of the request's timeout (30 s by default), after the failed trace


def explained_trace_problem(
    problem: Problem,
    error: BaseException | None,
    model: nn.Module,
    tracer_kwargs: dict[str, Any],
    concrete_args: dict[str, Any] | None,
    model_file: str,
) -> Problem:
    """``problem`` (a failed trace of ``model`` raising ``error``) with a plain-word message and hint,
    and the leaf fix with which the model traced, when one is found."""
    if problem.kind != "trace" or error is None:
        return problem
    cause = error.__cause__ if isinstance(error, NodeTableError) and error.__cause__ is not None else error
    if isinstance(cause, RecursionError):  # a leaf does not end a recursion; tracing again would only repeat it
        return problem
    explanation = explain_trace_failure(str(cause), problem.location.text if problem.location else "")
    if explanation is not None:
        problem = replace(problem, message=explanation.message(problem.message), hint=explanation.remedy)
    fix = find_leaf_fix(model, cause, tracer_kwargs, concrete_args, budget_seconds=SEARCH_BUDGET_SECONDS)
    if fix is None or not model_file or not all(_defined_in(c, model_file) for c in fix.classes):
        return problem
    return replace(
        problem,
        leaf_fix=tuple(f"{c.__module__}:{c.__qualname__}" for c in fix.classes),
        leaf_paths=fix.paths,
    )


def _defined_in(cls: type, file: str) -> bool:
    try:
        source = inspect.getsourcefile(cls)
    except TypeError:
        return False
    return source is not None and os.path.realpath(source) == os.path.realpath(file)

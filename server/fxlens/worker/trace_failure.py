"""A failed trace's ``Problem`` made useful: torch.fx's error in plain words, and a verified fix.

The explanation comes from ``fxlens.fx.explain``; the fix (leaf modules, wrapped functions, concrete
arguments) from ``fxlens.fx.untraceable``, which traced the model with it. A fix is carried when every
class and function it names can be imported by its module and name — the call's file may need that
import, which the lint side writes — or is defined in the model's own file.
"""

from __future__ import annotations

import inspect
import os
import sys
from dataclasses import replace
from typing import Any

from torch import nn

from fxlens.fx import NodeTableError
from fxlens.fx.explain import explain_error
from fxlens.fx.untraceable import find_trace_fix
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
    and the fix with which the model traced, when one is found."""
    if problem.kind != "trace" or error is None:
        return problem
    cause = error.__cause__ if isinstance(error, NodeTableError) and error.__cause__ is not None else error
    if isinstance(cause, RecursionError):  # no fix ends a recursion; tracing again would only repeat it
        return problem
    explanation = explain_error(cause, problem.location.text if problem.location else "")
    if explanation is not None:
        problem = replace(problem, message=explanation.message(problem.message), hint=explanation.remedy)
    fix = find_trace_fix(model, cause, tracer_kwargs, concrete_args, budget_seconds=SEARCH_BUDGET_SECONDS)
    if fix is None:
        return problem
    named = [*fix.classes, *fix.functions]
    references = [_reference(obj, model_file) for obj in named]
    if not all(references):
        return problem
    return replace(
        problem,
        leaf_fix=tuple(references[: len(fix.classes)]),
        leaf_paths=fix.paths,
        wrap_fix=tuple(references[len(fix.classes) :]),
        concrete_fix=tuple((name, repr(value)) for name, value in fix.concrete_args),
    )


def _reference(obj: Any, model_file: str) -> str:
    """``module:QualName`` of a class or function the call's file can name: defined in the model's file,
    or importable under that reference; "" otherwise (defined in a function, or in a run script)."""
    module, qualname = getattr(obj, "__module__", ""), getattr(obj, "__qualname__", "")
    if not module or not qualname or "<locals>" in qualname:
        return ""
    reference = f"{module}:{qualname}"
    if model_file and _defined_in(obj, model_file):
        return reference
    found: Any = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return reference if module != "__main__" and found is obj else ""


def _defined_in(obj: Any, file: str) -> bool:
    try:
        source = inspect.getsourcefile(obj)
    except TypeError:
        return False
    return source is not None and os.path.realpath(source) == os.path.realpath(file)

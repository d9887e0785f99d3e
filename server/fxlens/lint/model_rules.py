"""Rules about the model itself: it could not be resolved statically, or not be used in the worker."""

from __future__ import annotations

from collections.abc import Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, finding, rule
from fxlens.nodes import Problem, SourceLocation
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite
from fxlens.workspace.spec import Unresolved


@rule("FXL011", "untraceable-model", "error", Scope.MODEL, "the model cannot be imported, built or traced")
def untraceable_model(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """The worker's ``Problem``, at the model argument, pointing at the model's failing line."""
    if not isinstance(state, Problem):
        return
    message = f"the model cannot be used ({state.kind} error): {state.message}"
    related: tuple[tuple[SourceLocation, str], ...] = ()
    if state.location is not None:
        message += f" at {state.location.file}:{state.location.line}"
        if state.location.text:
            message += f": {state.location.text}"
        related = ((state.location, f"{state.kind} error here: {state.message}"),)
    if state.hint:
        message += f". Hint: {state.hint}"
    yield finding("FXL011", message, site.model_range or site.range, related=related)


@rule(
    "FXL012",
    "unresolved-model",
    "information",
    Scope.MODEL,
    "the model cannot be determined without running the code",
)
def unresolved_model(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """Why fxlens cannot tell the model, at the expression it could not follow."""
    if isinstance(state, Unresolved):
        yield finding("FXL012", f"fxlens cannot tell which model this is: {state.reason}", state.range)

"""Rules about the model itself: it could not be resolved statically, or not be used in the worker."""

from __future__ import annotations

from collections.abc import Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.leaf_fix import leaf_fix_offer
from fxlens.lint.registry import Scope, finding, rule
from fxlens.nodes import NodeTable, Problem, SourceLocation
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite
from fxlens.workspace.spec import Unresolved


@rule(
    "FXL011",
    "untraceable-model",
    "error",
    Scope.MODEL,
    "the model cannot be imported, built or traced",
    needs_trace=True,
)
def untraceable_model(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """The worker's ``Problem``, at the model argument, pointing at the model's failing line."""
    if not isinstance(state, Problem):
        return
    message = f"the model cannot be used ({state.kind} error): {state.message}"
    related: tuple[tuple[SourceLocation, str], ...] = ()
    if state.location is not None:
        message += f" at {state.location.file}:{state.location.line}"
        if state.location.text:
            message += f" (`{state.location.text}`)"
        related = ((state.location, f"{state.kind} error here: {state.message}"),)
    if state.hint:
        message += f"; hint: {state.hint}"
    offer = leaf_fix_offer(site, state)
    if offer is not None:
        message += f"; {offer.sentence}"
    fixes = (offer.fix,) if offer is not None and offer.fix is not None else ()
    yield finding("FXL011", message, site.model_range or site.range, fixes=fixes, related=related)


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


@rule(
    "FXL014",
    "example-input-fails",
    "error",
    Scope.MODEL,
    "the example input the code gives makes the model's forward fail",
    needs_trace=True,
)
def example_input_fails(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """The shapes failed for an input the user chose (in the file, configuration or ``--input``):
    their model cannot run on it. An input fxlens chose is no finding (hover says why instead)."""
    if not isinstance(state, NodeTable) or state.example_input is None or not state.example_input.user_given:
        return
    failure = state.shape_failure
    if failure is None:
        return
    message = f"the model fails on the example input {state.example_input.describe()}: {failure.message}"
    related: list[tuple[SourceLocation, str]] = []
    if failure.location is not None:
        message += f" at {failure.location.file}:{failure.location.line}"
        if failure.location.text:
            message += f": {failure.location.text}"
        related.append((failure.location, f"fails here on the example input: {failure.message}"))
    if state.example_input.location is not None:
        related.append((state.example_input.location, "the example input"))
    yield finding("FXL014", message, site.model_range or site.range, related=tuple(related))

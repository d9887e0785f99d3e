"""The rule of ``fxlens check --traceability``: an ``nn.Module`` class of the file that torch.fx cannot trace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, finding, rule
from fxlens.nodes import Problem, SourceLocation

if TYPE_CHECKING:  # the traceability stage imports the rules: only its types are needed here
    from fxlens.traceability import Summary
    from fxlens.workspace.module_classes import ModuleClass


@rule(
    "FXL027",
    "module-not-traceable",
    "error",
    Scope.MODULE_CLASS,
    "an nn.Module class of the file cannot be traced by torch.fx when built alone (--traceability)",
    needs_trace=True,
)
def module_not_traceable(cls: ModuleClass, summary: Summary) -> Iterator[Finding]:
    """The class's failed trace (or build), at its name, pointing at the failing line."""
    problem = summary.state
    if summary.verdict != "not traceable" or not isinstance(problem, Problem):
        return
    text = summary.text.replace("not traceable — ", "does not trace: ", 1).replace(" · make ", "; fix: make ", 1)
    message = f"`{cls.name}` {text}"
    related: tuple[tuple[SourceLocation, str], ...] = ()
    if problem.location is not None:
        related = ((problem.location, f"{problem.kind} error here: {problem.message}"),)
    if problem.hint:
        message += f"; hint: {problem.hint}"
    yield finding("FXL027", message, cls.name_range, related=related)

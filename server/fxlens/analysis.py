"""From a file to its findings: parse, resolve each call's model, trace it in the worker, lint.

The batch pipeline behind ``fxlens check``. It never imports torch: models are traced by the
supervised worker, so a model that hangs or crashes becomes a finding, not a dead process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fxlens.lint import Finding, Model, lint_call_site
from fxlens.workspace.callsite import CallSite
from fxlens.workspace.modules import Workspace, workspace_dependencies
from fxlens.workspace.parse import ParsedDocument, parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import ModelSpec, Unresolved

TraceFn = Callable[[ModelSpec, list[str]], Awaitable[Model]]  # (spec, dependencies) -> table or problem


@dataclass(frozen=True)
class FileReport:
    """The findings of one file, with the text they point into."""

    path: str
    text: str
    findings: tuple[Finding, ...]


async def check_file(path: str, text: str, workspace: Workspace, trace: TraceFn | None) -> FileReport:
    """Lint every recognised call in ``text``; without ``trace`` only static rules run."""
    doc = parse_document(path, text)
    findings: list[Finding] = []
    for site in doc.call_sites:
        model = await model_of(doc, site, workspace, trace)
        findings += lint_call_site(site, model, text)
    return FileReport(path, text, tuple(findings))


async def model_of(doc: ParsedDocument, site: CallSite, workspace: Workspace, trace: TraceFn | None) -> Model:
    """The call's node table, the worker's ``Problem``, the ``Unresolved`` reason, or None (no tracing)."""
    spec = resolve_model(doc, site, workspace)
    if isinstance(spec, Unresolved) or trace is None:
        return spec if isinstance(spec, Unresolved) else None
    return await trace(spec, workspace_dependencies(spec, workspace))

"""The one pipeline from a document to its findings: resolve each call's model, trace it, lint.

``fxlens check`` runs it end to end (``check_document``); the language server calls the same
stages and adds only debouncing, document versions and its cache on top. Nothing here imports
torch: models are traced by the supervised worker behind a ``Tracer``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fxlens.lint import Finding, Scope, lint_call_site, rules_of
from fxlens.lint.fix_imports import fix_in_reach
from fxlens.state import ModelState
from fxlens.suppressions import comments_of, suppressions, unsuppressed
from fxlens.workspace.callsite import CallSite
from fxlens.workspace.imported import with_imported_literals
from fxlens.workspace.modules import Workspace, workspace_dependencies
from fxlens.workspace.parse import ParsedDocument
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import ModelSpec, Unresolved


@dataclass(frozen=True)
class ResolvedCall:
    """A call site and the model it names, with the workspace files that model's code imports."""

    site: CallSite
    spec: ModelSpec | Unresolved
    dependencies: tuple[str, ...] = ()

    @property
    def traceable(self) -> bool:
        return isinstance(self.spec, ModelSpec)


Tracer = Callable[[ResolvedCall], Awaitable[ModelState]]  # a resolved call -> its table or problem


def resolve_call(doc: ParsedDocument, site: CallSite, workspace: Workspace) -> ResolvedCall:
    """The model ``site`` names, statically (no code runs), with node names imported from other
    workspace modules read from there."""
    spec = resolve_model(doc, site, workspace)  # from the site as the document holds it
    site = with_imported_literals(doc, site, workspace)
    if isinstance(spec, ModelSpec) and spec.builder == "workspace":
        return ResolvedCall(site, spec, tuple(workspace_dependencies(spec, workspace)))
    return ResolvedCall(site, spec)


def resolve_calls(doc: ParsedDocument, workspace: Workspace) -> list[ResolvedCall]:
    """Every recognised call of the document with its model, in source order."""
    return [resolve_call(doc, site, workspace) for site in doc.call_sites]


MAX_FILE_SIZE = 5_000_000  # characters; a larger file is not analysed (FXL015)


def not_analysed(text: str, limit: int = MAX_FILE_SIZE) -> list[Finding]:
    """The one finding of a file too large to analyse (empty: analyse it)."""
    findings: list[Finding] = []
    for registered in rules_of(Scope.DOCUMENT):
        findings += registered.check(len(text), limit)
    return findings


def initial_state(call: ResolvedCall) -> ModelState:
    """What is known of a call's model before any trace: the reason it is unresolved, or nothing."""
    return call.spec if isinstance(call.spec, Unresolved) else None


def lint_calls(doc: ParsedDocument, calls: Sequence[ResolvedCall], states: Sequence[ModelState]) -> list[Finding]:
    """The findings of every call of ``doc``, given each call's model state, less those that a
    ``# fxlens: ignore`` comment silences."""
    findings: list[Finding] = []
    for call, state in zip(calls, states, strict=True):
        findings += lint_call_site(call.site, fix_in_reach(state, call.spec, doc))
    if findings and "fxlens:" in doc.text:
        findings = unsuppressed(findings, suppressions(comments_of(doc.tree.root_node)))
    return findings


async def check_document(doc: ParsedDocument, workspace: Workspace, trace: Tracer | None) -> list[Finding]:
    """Every finding of ``doc``; without ``trace`` only the rules that need no model code run."""
    calls = resolve_calls(doc, workspace)
    states = [await trace(call) if call.traceable and trace is not None else initial_state(call) for call in calls]
    return lint_calls(doc, calls, states)

"""The lint rules: what is wrong with a call that names parts of a model, with stable codes.

Every rule is a function in the one registry (``registry.RULES``); ``lint_call_site`` runs each
scope's rules on a call and its model state. The language server and ``fxlens check`` both report
these ``Finding``s; the verdicts come from ``fxlens.selection``, the code the library runs.
"""

from __future__ import annotations

from dataclasses import replace

from fxlens.lint import (  # noqa: F401 - they register their rules
    attention_rules,
    backbone_rules,
    call_rules,
    document_rules,
    feature_rules,
    lookup_rules,
    model_rules,
    module_rules,
    presence_rules,
    selection_rules,
    traceability_rules,
)
from fxlens.lint.findings import Finding, Fix, Severity, TextEdit
from fxlens.lint.registry import RULES, Rule, Scope, code_range, rules_of
from fxlens.lint.suggest import did_you_mean
from fxlens.lint.table_views import presences, selections
from fxlens.nodes import NodeTable
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite, NodeArgument, Position


def lint_call_site(site: CallSite, state: ModelState) -> list[Finding]:
    """Every finding for one call site, in source order."""
    findings: list[Finding] = []
    extractor = site.function == "create_feature_extractor"
    if extractor:
        for registered in rules_of(Scope.CALL):
            findings += registered.check(site)
    for registered in rules_of(Scope.MODEL):
        findings += registered.check(site, state)
    for registered in rules_of(Scope.SITE):
        findings += [_placed_in_site(f, site) for f in registered.check(site, state)]
    for argument in site.node_arguments if extractor else ():
        found: list[Finding] = []
        for registered in rules_of(Scope.ARGUMENT):
            found += registered.check(site, argument)
        if isinstance(state, NodeTable):
            found += _once_per_range_and_code(_table_findings(site, argument, state))
        findings += [_placed(f, site, argument) for f in found]
    return sorted(findings, key=lambda f: (f.range.start, f.code))


def _table_findings(site: CallSite, argument: NodeArgument, table: NodeTable) -> list[Finding]:
    findings: list[Finding] = []
    for check in presences(site, argument, table):
        for registered in rules_of(Scope.PRESENCE):
            findings += registered.check(check)
    for check in selections(argument, table):
        for registered in rules_of(Scope.SELECTION):
            findings += registered.check(check)
    return findings


def _placed(finding: Finding, site: CallSite, argument: NodeArgument) -> Finding:
    """A finding in a literal bound away from the call names the call it is about (one literal may
    feed calls with different models); one in another file is shown on the call's argument. A value
    a comprehension computes has no text of its own to fix."""
    if finding.fixes and any(q.name.computed and q.name.range == finding.range for q in argument.queries):
        finding = replace(finding, fixes=())
    if not argument.via:
        return finding
    if argument.literal_file:
        where = f"{argument.literal_file}:{finding.range.start.line + 1}"
        message = f"{finding.message} (in `{argument.via}`, {where})"
        return replace(finding, message=message, range=argument.range, fixes=())
    line = site.range.start.line + 1
    return replace(finding, message=f"{finding.message} (for the call on line {line}, model `{site.model_expr}`)")


def _placed_in_site(finding: Finding, site: CallSite) -> Finding:
    """A module-path site's finding in a string of one of its arguments, placed like a node argument's."""
    for argument in site.node_arguments:
        for query in argument.queries:
            if finding.range in (query.name.range, query.output.range if query.output else None):
                return _placed(finding, site, argument)
    return finding


def _once_per_range_and_code(findings: list[Finding]) -> list[Finding]:
    """The same finding in both modes is reported once (the first mode's wording)."""
    seen: set[tuple[Position, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.range.start, finding.code)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


__all__ = [
    "RULES",
    "Finding",
    "Fix",
    "ModelState",
    "Rule",
    "Scope",
    "Severity",
    "TextEdit",
    "code_range",
    "did_you_mean",
    "lint_call_site",
    "rules_of",
]

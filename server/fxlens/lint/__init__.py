"""The lint rules: what is wrong with a call that names parts of a model, with stable codes.

Every rule is a function in the one registry (``registry.RULES``); ``lint_call_site`` runs each
scope's rules on a call and its model state. The language server and ``fxlens check`` both report
these ``Finding``s; the verdicts come from ``fxlens.selection``, the code the library runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from fxlens.lint import call_rules, model_rules, presence_rules, selection_rules  # noqa: F401 - they register
from fxlens.lint.findings import Finding, Fix, Severity, TextEdit
from fxlens.lint.registry import RULES, Rule, Scope, code_range, rules_of
from fxlens.lint.suggest import did_you_mean
from fxlens.lint.table_views import presences, selections
from fxlens.nodes import NodeTable
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite, NodeArgument, Position


def lint_call_site(site: CallSite, state: ModelState, lines: Sequence[str]) -> list[Finding]:
    """Every finding for one call site, in source order; ``lines`` are the document's lines."""
    findings: list[Finding] = []
    if site.function == "create_feature_extractor":
        for registered in rules_of(Scope.CALL):
            findings += registered.check(site)
    for registered in rules_of(Scope.MODEL):
        findings += registered.check(site, state)
    if site.function == "create_feature_extractor" and isinstance(state, NodeTable):
        for argument in site.node_arguments:
            findings += _once_per_range_and_code(_table_findings(site, argument, state, lines))
    return sorted(findings, key=lambda f: (f.range.start, f.code))


def _table_findings(site: CallSite, argument: NodeArgument, table: NodeTable, lines: Sequence[str]) -> list[Finding]:
    findings: list[Finding] = []
    for check in presences(site, argument, table, lines):
        for registered in rules_of(Scope.PRESENCE):
            findings += registered.check(check)
    for check in selections(argument, table):
        for registered in rules_of(Scope.SELECTION):
            findings += registered.check(check)
    return findings


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
    "Severity",
    "TextEdit",
    "code_range",
    "did_you_mean",
    "lint_call_site",
]

"""Findings as LSP diagnostics, with the severities the user configured."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from lsprotocol import types

from fxlens.lint import Finding
from fxlens.lint.docs import rule_doc_uri
from fxlens.workspace.callsite import Range
from fxlens.workspace.modules import path_of

SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def configured(findings: Iterable[Finding], rules: Mapping[str, str]) -> list[Finding]:
    """The findings whose rule is not ``off``, with the configured severity."""
    result = []
    for finding in findings:
        severity = rules.get(finding.code, finding.severity)
        if severity != "off":
            result.append(finding if severity == finding.severity else _with_severity(finding, severity))
    return result


def _with_severity(finding: Finding, severity: str) -> Finding:
    return replace(finding, severity=severity)  # type: ignore[arg-type]


def to_diagnostic(finding: Finding, to_range: Callable[[Range], types.Range]) -> types.Diagnostic:
    related = [
        types.DiagnosticRelatedInformation(
            types.Location(_uri(location.file), _line_range(location.line)),
            message,
        )
        for location, message in finding.related
    ]
    return types.Diagnostic(
        range=to_range(finding.range),
        message=finding.message,
        severity=SEVERITY[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=rule_doc_uri(finding.code)),
        source="fxlens",
        related_information=related or None,
        data={"name": finding.name},
    )


def _uri(file: str) -> str:
    return Path(path_of(file)).as_uri()


def _line_range(line: int) -> types.Range:
    """The whole of a 1-based line."""
    return types.Range(types.Position(line - 1, 0), types.Position(line, 0))

"""Lint a source text's sites against a node table built in this process from the same model the
test runs, so each finding can be compared with what the real library does with the same strings."""

from __future__ import annotations

from fxlens.lint import Finding, lint_call_site
from fxlens.nodes import NodeTable
from fxlens.workspace.parse import parse_document


def findings_by_line(source: str, table: NodeTable) -> dict[int, list[Finding]]:
    """Every site's findings (0-based line of the finding → findings), all sites judged on ``table``."""
    doc = parse_document("file:///sites.py", source)
    found: dict[int, list[Finding]] = {}
    for site in doc.call_sites:
        for finding in lint_call_site(site, table):
            found.setdefault(finding.range.start.line, []).append(finding)
    return found


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}

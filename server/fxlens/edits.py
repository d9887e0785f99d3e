"""Applying a finding's text edits to a source text: the one implementation behind ``--fix`` and
the editor's fix-all, so both change a file the same way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fxlens.lint.findings import Finding, Fix, TextEdit
from fxlens.workspace.text import LineIndex


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """``text`` with the non-overlapping ``edits`` applied (positions refer to ``text``)."""
    lines = LineIndex(text)
    spans = sorted(((lines.index(e.range.start), lines.index(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def safe_fixes(findings: Iterable[Finding]) -> list[Fix]:
    """The safe fix of each finding that has one, dropping any that overlaps one taken before it."""
    taken: list[Fix] = []
    used: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for finding in sorted(findings, key=lambda f: (f.range.start, f.code)):
        fix = next((f for f in finding.fixes if f.safe), None)
        if fix is None:
            continue
        spans = [
            ((e.range.start.line, e.range.start.column), (e.range.end.line, e.range.end.column)) for e in fix.edits
        ]
        if any(a < d and c < b for a, b in spans for c, d in used):
            continue
        used += spans
        taken.append(fix)
    return taken

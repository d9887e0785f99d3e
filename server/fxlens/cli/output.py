"""``fxlens check``'s output formats: text (as ruff prints), JSON (ruff's fields), GitHub annotations, SARIF.

Every format counts lines and columns from 1, in code points, fix edits included. A notebook's
findings are placed in their cell, as ruff places them: ``nb.ipynb:cell 3:2:10:`` in text, a
``"cell"`` field in JSON (null for a ``.py`` file), ``cell 3:`` before the GitHub message and a
``cell`` property in SARIF.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import fxlens
from fxlens.cli.files import display
from fxlens.lint import RULES, Finding, Fix
from fxlens.workspace.callsite import Position


class Reported(NamedTuple):
    """A finding of one file; for a notebook, positions are in cell ``cell`` (counted from 1 over all cells)."""

    path: str
    finding: Finding
    cell: int | None = None

    @property
    def place(self) -> str:
        """Where the finding is, as text: ``path:`` or ``path:cell N:``."""
        return f"{display(self.path)}:" if self.cell is None else f"{display(self.path)}:cell {self.cell}:"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}


def format_findings(reported: Sequence[Reported], output_format: str, not_run: str = "") -> str:
    """The findings in ``output_format``; ``not_run`` says which rules did not run and why (text)."""
    if output_format == "json":
        return json.dumps([_json(r) for r in reported], indent=2, ensure_ascii=False)
    if output_format == "sarif":
        return json.dumps(sarif(reported), indent=2, ensure_ascii=False)
    if output_format == "github":
        return "\n".join(_github(r) for r in reported)
    lines = [
        f"{r.place}{r.finding.range.start.line + 1}:{r.finding.range.start.column + 1}: {r.finding.code} "
        f"{r.finding.message}"
        for r in reported
    ]
    count = len(reported)
    lines.append(f"Found {count} problem{'s' * (count != 1)}." if reported else "All checks passed!")
    if not_run:
        lines.append(not_run)
    return "\n".join(lines)


def _location(position: Position) -> dict[str, int]:
    return {"row": position.line + 1, "column": position.column + 1}


def _fix_json(fix: Fix) -> dict[str, Any]:
    return {
        "message": fix.title,
        "applicability": "safe" if fix.safe else "unsafe",
        "edits": [
            {"content": e.new_text, "location": _location(e.range.start), "end_location": _location(e.range.end)}
            for e in fix.edits
        ],
    }


def _json(reported: Reported) -> dict[str, Any]:
    f = reported.finding
    return {
        "filename": reported.path,
        "cell": reported.cell,
        "code": f.code,
        "name": f.name,
        "severity": f.severity,
        "message": f.message,
        "location": _location(f.range.start),
        "end_location": _location(f.range.end),
        "fixes": [_fix_json(fix) for fix in f.fixes],
    }


def _github(reported: Reported) -> str:
    path, f = reported.path, reported.finding
    cell = "" if reported.cell is None else f"cell {reported.cell}: "
    level = _GITHUB_LEVEL[f.severity]
    start, end = f.range.start, f.range.end
    where = (
        f"file={path},line={start.line + 1},col={start.column + 1},endLine={end.line + 1},endColumn={end.column + 1}"
    )
    return f"::{level} title=fxlens ({f.code}),{where}::{cell}{f.code} {_escape(f.message)}"


def _escape(message: str) -> str:
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _region(start: Position, end: Position) -> dict[str, int]:
    return {
        "startLine": start.line + 1,
        "startColumn": start.column + 1,
        "endLine": end.line + 1,
        "endColumn": end.column + 1,
    }


def sarif(reported: Sequence[Reported]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run, for code-scanning upload (columns in code points)."""
    codes = list(RULES)
    rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
        }
        for r in RULES.values()
    ]
    results = []
    for path, f, cell in reported:
        artifact = {"uri": display(path).replace("\\", "/")}
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {"physicalLocation": {"artifactLocation": artifact, "region": _region(f.range.start, f.range.end)}}
            ],
        }
        if cell is not None:
            result["properties"] = {"cell": cell}
        if f.fixes:
            result["fixes"] = [
                {
                    "description": {"text": fix.title},
                    "artifactChanges": [
                        {
                            "artifactLocation": artifact,
                            "replacements": [
                                {
                                    "deletedRegion": _region(e.range.start, e.range.end),
                                    "insertedContent": {"text": e.new_text},
                                }
                                for e in fix.edits
                            ],
                        }
                    ],
                }
                for fix in f.fixes
            ]
        results.append(result)
    driver = {"name": "fxlens", "version": fxlens.__version__, "rules": rules}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}],
    }

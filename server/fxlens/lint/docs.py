"""Each rule's documentation page (what it catches, why, a wrong and a right example), shipped with
the package so that editors can link a diagnostic's code to it offline."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


def rule_doc(code: str) -> Path:
    """The page of rule ``code`` (``FXL001.md``)."""
    return DOCS / f"{code}.md"


def rule_doc_uri(code: str) -> str:
    """The page's ``file:`` URI, for ``Diagnostic.codeDescription.href``."""
    return rule_doc(code).as_uri()

"""What a rule reports: a ``Finding`` at a range, with the ``Fix``es that repair it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fxlens.nodes import SourceLocation
from fxlens.workspace.callsite import Range

Severity = Literal["error", "warning", "information", "hint"]


@dataclass(frozen=True)
class TextEdit:
    range: Range
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    safe: bool = False  # the one right repair (``--fix`` applies it): not one guess among several


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    range: Range
    fixes: tuple[Fix, ...] = ()
    related: tuple[tuple[SourceLocation, str], ...] = ()

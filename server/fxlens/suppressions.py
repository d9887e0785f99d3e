"""``# fxlens: ignore[FXL007]`` comments: findings silenced on their line, in the editor and the CLI.

A bare ``# fxlens: ignore`` silences every finding that starts on its line; with codes (or
prefixes such as ``FXL00``) only those. Only real comments count, never text inside a string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tree_sitter import Node

from fxlens.lint.findings import Finding

_IGNORE = re.compile(r"#\s*fxlens:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


@dataclass(frozen=True)
class Suppression:
    line: int  # 0-based
    codes: tuple[str, ...]  # empty: every code

    def silences(self, code: str) -> bool:
        return not self.codes or code.startswith(self.codes)


def suppressions(comments: Iterable[tuple[int, str]]) -> dict[int, Suppression]:
    """The suppression of each line, from ``(line, comment text)`` pairs."""
    found: dict[int, Suppression] = {}
    for line, text in comments:
        match = _IGNORE.search(text)
        if match is None:
            continue
        codes = tuple(c.strip().upper() for c in (match.group("codes") or "").split(",") if c.strip())
        found[line] = Suppression(line, codes)
    return found


def comments_of(root: Node) -> list[tuple[int, str]]:
    """Every comment of a tree-sitter tree, as ``(0-based line, text)``."""
    found = []
    cursor = root.walk()
    while True:
        node = cursor.node
        if node is not None and node.type == "comment":
            found.append((node.start_point[0], (node.text or b"").decode("utf-8", "replace")))
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return found


def unsuppressed(findings: Sequence[Finding], by_line: dict[int, Suppression]) -> list[Finding]:
    """The findings no suppression comment silences (by the line each finding starts on)."""
    return [f for f in findings if not ((s := by_line.get(f.range.start.line)) and s.silences(f.code))]

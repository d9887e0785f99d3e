"""Text fixes that rewrite a whole node argument (the split into train and eval arguments)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fxlens.lint.call_rules import regex_error
from fxlens.lint.findings import Fix, TextEdit
from fxlens.nodes import Mode, NodeTable
from fxlens.selection import query_is_present
from fxlens.workspace.callsite import NodeArgument, Position, Range


def split_fix(argument: NodeArgument, table: NodeTable, lines: Sequence[str]) -> tuple[Fix, ...]:
    """Replace ``return_nodes=[...]`` with ``train_return_nodes=[...], eval_return_nodes=[...]``,
    each keeping the queries that exist in that mode (only when nothing else would break)."""
    if argument.form not in ("list", "tuple", "dict") or not argument.complete:
        return ()
    start = _keyword_start(argument, lines) if argument.by_keyword else argument.range.start
    if start is None:
        return ()

    def keep(mode: Mode) -> str:
        kept = [
            q
            for q in argument.queries
            if regex_error(q.name.value) is None and query_is_present(q.name.value, table.names(mode))
        ]
        if argument.form == "dict":
            pairs = (f"{q.name.value!r}: {(q.output.value if q.output else q.name.value)!r}" for q in kept)
            return "{" + ", ".join(pairs) + "}"
        return "[" + ", ".join(repr(q.name.value) for q in kept) + "]"

    new_text = f"train_return_nodes={keep('train')}, eval_return_nodes={keep('eval')}"
    edit = TextEdit(Range(start, argument.range.end), new_text)
    return (Fix("Split into train_return_nodes and eval_return_nodes", (edit,)),)


def _keyword_start(argument: NodeArgument, lines: Sequence[str]) -> Position | None:
    """Where ``return_nodes=`` begins: just before the value, or at the end of the line above."""
    keyword = re.compile(r"return_nodes\s*=\s*$")
    row = argument.range.start.line
    before = lines[row][: argument.range.start.column] if row < len(lines) else ""
    if match := keyword.search(before):
        return Position(row, match.start())
    if not before.strip() and row > 0 and (match := keyword.search(lines[row - 1].rstrip())):
        return Position(row - 1, match.start())
    return None

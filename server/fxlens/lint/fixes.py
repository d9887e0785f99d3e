"""Text fixes that rewrite a whole node argument (the split into train and eval arguments)."""

from __future__ import annotations

from fxlens.lint.call_rules import regex_error
from fxlens.lint.findings import Fix, TextEdit
from fxlens.nodes import Mode, NodeTable
from fxlens.selection import query_is_present
from fxlens.workspace.callsite import NodeArgument, Range


def split_fix(argument: NodeArgument, table: NodeTable) -> tuple[Fix, ...]:
    """Replace ``return_nodes=[...]`` with ``train_return_nodes=[...], eval_return_nodes=[...]``,
    each keeping the queries that exist in that mode (only when nothing else would break)."""
    if argument.form not in ("list", "tuple", "dict") or not argument.complete:
        return ()
    start = argument.keyword_range.start if argument.keyword_range is not None else argument.range.start

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
    return (Fix("Split into train_return_nodes and eval_return_nodes", (edit,), safe=True),)

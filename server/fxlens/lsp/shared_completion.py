"""Completion in a literal that calls on different models read: every model's names, once each.

The names of the first model come first, in its order; a name only another model has follows,
its detail saying which model has it. Each item keeps the resolve data of its own model's table.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types


def merged(lists: Sequence[tuple[str, types.CompletionList]]) -> types.CompletionList:
    """One list from ``(model name, its list)`` pairs, lists whose items carry their own edit and
    data (no ``itemDefaults``: they differ per model); incomplete while any of them is."""
    seen: dict[str, types.CompletionItem] = {}
    for number, (model, found) in enumerate(lists):
        for item in found.items:
            if item.label in seen:
                continue
            if number > 0:
                item.detail = f"{model} only · {item.detail}" if item.detail else f"{model} only"
            item.sort_text = f"{len(seen):06d}"
            seen[item.label] = item
    return types.CompletionList(is_incomplete=any(found.is_incomplete for _, found in lists), items=list(seen.values()))

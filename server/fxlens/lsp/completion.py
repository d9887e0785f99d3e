"""Completion inside node-name strings: every valid name for the argument, in execution order."""

from __future__ import annotations

from lsprotocol import types

from fxlens.lsp.describe import ARGUMENT_MODES, detail, hover_markdown, meaning
from fxlens.nodes import NodeTable
from fxlens.workspace.parse import CursorContext


def candidates(table: NodeTable, kind: str) -> list[tuple[str, str]]:
    """``(name, mark)`` pairs: names valid in every mode of the argument first, in execution
    order with each module prefix just before its first node, then one-mode names, marked."""
    modes = ARGUMENT_MODES[kind]  # type: ignore[index]
    per_mode = [table.names(m) for m in modes]
    order = list(dict.fromkeys(name for names in per_mode for name in names))
    everywhere = set.intersection(*(set(names) for names in per_mode))
    listed: list[tuple[str, str]] = []
    seen: set[str] = set()
    for only in (False, True):
        for name in order:
            if (name not in everywhere) != only:
                continue
            mark = "" if not only else f"{'train' if name in table.names('train') else 'eval'} only"
            parts = name.split(".")
            for depth in range(1, len(parts)):
                prefix = ".".join(parts[:depth])
                if prefix not in seen:
                    seen.add(prefix)
                    listed.append((prefix, mark))
            if name not in seen:
                seen.add(name)
                listed.append((name, mark))
    return listed


def completion_items(
    context: CursorContext, table: NodeTable, edit_range: types.Range | None, table_key: str
) -> list[types.CompletionItem]:
    """Items for the string under the cursor; ``edit_range`` is its whole content (None: no string yet,
    the item then inserts a quoted name). Documentation comes on ``completionItem/resolve``: the items
    carry ``table_key`` (the spec's key) for ``documentation`` to find the table again."""
    if context.role != "node":
        return []
    typed = context.prefix
    scope = typed[: typed.rfind(".") + 1]
    items = []
    for index, (name, mark) in enumerate(candidates(table, context.kind)):
        if not name.startswith(scope):
            continue
        found = meaning(name, table)
        node = found.any_node() if found else None
        text = name if edit_range is not None else f'"{name}"'
        items.append(
            types.CompletionItem(
                label=name,
                kind=types.CompletionItemKind.Module if found and found.is_prefix else types.CompletionItemKind.Field,
                detail=(f"{mark} · " if mark else "") + (f"selects {node.name}" if found and found.is_prefix else detail(node)),
                data={"table": table_key, "query": name},
                sort_text=f"{index:06d}",
                filter_text=name,
                text_edit=types.TextEdit(edit_range, text) if edit_range is not None else None,
                insert_text=None if edit_range is not None else text,
            )
        )
    return items


def documentation(item: types.CompletionItem, table: NodeTable) -> types.CompletionItem:
    """``item`` with its hover text as documentation (for ``completionItem/resolve``)."""
    text = hover_markdown(item.label, table)
    if text is not None:
        item.documentation = types.MarkupContent(types.MarkupKind.Markdown, text)
    return item


def not_ready_item(message: str) -> types.CompletionItem:
    """The single item shown while the model is still being traced (or could not be)."""
    return types.CompletionItem(label=message, kind=types.CompletionItemKind.Text, insert_text="", filter_text="", sort_text="~")

"""Completion inside a site's strings: every valid name for the argument, in its namespace — fx node
names in execution order, or module paths in ``named_modules()`` order."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from lsprotocol import types

from fxlens.lsp.describe import ARGUMENT_MODES, as_markup, detail, hover_markdown, meaning
from fxlens.lsp.module_paths import NAMESPACE, path_candidates, path_detail
from fxlens.nodes import NodeTable, Problem
from fxlens.state import ModelState
from fxlens.workspace.callsite import MODULE_ARG_KINDS, NAME_LIST_KINDS
from fxlens.workspace.parse import CursorContext
from fxlens.workspace.spec import Unresolved

NODE_NAMESPACE = "fx node"  # how completion names the namespace of create_feature_extractor's strings


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


def completion_list(
    context: CursorContext,
    table: NodeTable,
    edit_range: types.Range | None,
    table_key: str,
    item_defaults: Collection[str] = (),
) -> types.CompletionList:
    """The names for the string under the cursor; ``edit_range`` is its whole content (None: no
    string yet, the items then insert a quoted name).

    Documentation comes on ``completionItem/resolve``: the items carry ``{"table": table_key}``
    for ``documentation`` to find the table again. The edit range and that data go once into the
    list's ``itemDefaults`` when the client says it applies them (``item_defaults``): a large
    model's list is then a third of the size.
    """
    shared_range = edit_range is not None and "editRange" in item_defaults
    shared_data = "data" in item_defaults
    paths = context.kind in MODULE_ARG_KINDS
    data = {"table": table_key, "namespace": NAMESPACE} if paths else {"table": table_key}
    typed = context.prefix
    scope = typed[: typed.rfind(".") + 1]
    items = []
    for index, (name, kind, text) in enumerate(_offered(context, table, scope)):
        items.append(
            types.CompletionItem(
                label=name,
                kind=kind,
                detail=text,
                label_details=types.CompletionItemLabelDetails(description=NAMESPACE if paths else NODE_NAMESPACE),
                sort_text=f"{index:06d}",
                data=None if shared_data else data,
                text_edit=types.TextEdit(edit_range, name) if edit_range is not None and not shared_range else None,
                insert_text=f'"{name}"' if edit_range is None else None,
            )
        )
    defaults = types.CompletionItemDefaults(
        edit_range=edit_range if shared_range else None, data=data if shared_data else None
    )
    return types.CompletionList(
        is_incomplete=False, items=items, item_defaults=defaults if shared_range or shared_data else None
    )


def _offered(
    context: CursorContext, table: NodeTable, scope: str
) -> Iterator[tuple[str, types.CompletionItemKind, str]]:
    """``(label, item kind, detail)`` of every name starting with ``scope`` the cursor's string may
    hold, in the site's namespace (the others are skipped before they are described: most of the cost)."""
    if context.kind in MODULE_ARG_KINDS:
        for entry in path_candidates(table, context.call_site.function):
            if not entry.path.startswith(scope):
                continue
            item_kind = types.CompletionItemKind.Module if entry.kind == "module" else types.CompletionItemKind.Field
            yield entry.path, item_kind, path_detail(entry, table)
        return
    if context.kind in NAME_LIST_KINDS:  # a lookup in get_graph_node_names' list: exact names of its mode
        for node in table.nodes(ARGUMENT_MODES[context.kind][0]):
            if node.name.startswith(scope):
                yield node.name, types.CompletionItemKind.Field, detail(node)
        return
    for name, mark in candidates(table, context.kind):
        if not name.startswith(scope):
            continue
        found = meaning(name, table)
        node = found.any_node() if found else None
        prefix = found is not None and found.is_prefix
        item_kind = types.CompletionItemKind.Module if prefix else types.CompletionItemKind.Field
        yield name, item_kind, (f"{mark} · " if mark else "") + (f"selects {node.name}" if prefix else detail(node))


def documentation(
    item: types.CompletionItem, table: NodeTable, formats: Sequence[str] | None = None
) -> types.CompletionItem:
    """``item`` with its hover text as documentation, in one of the client's ``formats`` (for
    ``completionItem/resolve``; the label is the name)."""
    namespace = item.data.get("namespace") if isinstance(item.data, dict) else None
    text = hover_markdown(item.label, table, "module_path" if namespace == NAMESPACE else "return_nodes")
    if text is not None:
        item.documentation = as_markup(text, formats)
    return item


def not_ready_message(state: ModelState, tracing_off: str | None = None) -> str:
    """Why there are no names to offer: the model failed, is unresolved, tracing is off, or it is
    still being traced."""
    if isinstance(state, Problem):
        return f"fxlens: the model failed ({state.kind} error): {state.message}"
    if isinstance(state, Unresolved):
        return f"fxlens: {state.reason}"
    if tracing_off is not None:
        return f"fxlens: {tracing_off}"
    return "fxlens: the model is still being traced"


def not_ready(state: ModelState, tracing_off: str | None = None) -> types.CompletionList:
    """The answer when there is no table: while the model is traced, an empty list the editor asks
    again for as the user types; otherwise one item saying why there will be no names."""
    if state is None and tracing_off is None:
        return types.CompletionList(is_incomplete=True, items=[])
    item = types.CompletionItem(
        label=not_ready_message(state, tracing_off),
        kind=types.CompletionItemKind.Text,
        insert_text="",
        filter_text="",
        sort_text="~",
    )
    return types.CompletionList(is_incomplete=state is None and tracing_off is None, items=[item])

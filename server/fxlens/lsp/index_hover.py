"""Hover on an integer that indexes a timm model's ``feature_info``: an ``out_indices`` entry of
``create_model(..., features_only=True)`` or the ``indices`` of ``model.forward_intermediates`` — the
module, channels and reduction of the feature (or the last ``n`` intermediates) it names, from the
model's traced table."""

from __future__ import annotations

from lsprotocol import types

from fxlens.lint.feature_rules import feature_position
from fxlens.lsp.app import HOVER_WAIT, FxlensServer
from fxlens.lsp.describe import as_markup
from fxlens.nodes import NodeTable
from fxlens.workspace.parse import IndexContext, index_context

NOUNS = {"create_model": "feature", "forward_intermediates": "intermediate"}


def index_markdown(context: IndexContext, table: NodeTable) -> str | None:
    """Markdown for the index under the cursor: which entries of ``feature_info`` it takes, as a table of
    position, module, channels and reduction (all entries when it is out of range); None without them."""
    features = table.features
    value = context.item.value
    if not features or value is None:
        return None
    count, noun = len(features), NOUNS.get(context.call_site.function, "feature")
    model = table.model_type.rsplit(".", 1)[-1]
    name = context.argument.name
    if context.argument.is_list:
        position = feature_position(value, count)
        taken = [position] if position is not None else []
        title = f"**`{name}` {value}** — {noun} {position} of {model}'s {count}" if taken else ""
        ranges = f"0 to {count - 1}, or -{count} to -1"
    else:  # an int: the last ``value`` of them
        taken = list(range(count - value, count)) if 1 <= value <= count else []
        title = f"**`{name}={value}`** — the last {value} of {model}'s {count} {noun}s" if taken else ""
        ranges = f"1 to {count}"
    if not taken:
        title = f"**`{name}` {value}** — out of range: {model} has {count} {noun}s ({ranges})"
        taken = list(range(count))
    lines = [title, "", "| index | module | channels | reduction |", "| --- | --- | --- | --- |"]
    lines += [f"| {i} | `{features[i].module}` | {features[i].channels} | /{features[i].reduction} |" for i in taken]
    lines += ["", f"from {model}'s `feature_info`"]
    return "\n".join(lines)


async def hover(ls: FxlensServer, params: types.HoverParams) -> types.Hover | None:
    """The hover of a timm index under the cursor (None: the cursor is on none, or its model is not traced)."""
    uri = params.text_document.uri
    session = ls.require_session()
    doc = session.docs.current(ls.document_uri(uri))
    if doc is None:
        return None
    positions = ls.positions(doc, uri)
    context = index_context(doc, positions.from_client(params.position))
    if context is None:
        return None
    _, state = await session.call_state(ls.document_uri(uri), context.call_site, HOVER_WAIT)
    text = index_markdown(context, state) if isinstance(state, NodeTable) else None
    if text is None:
        return None
    formats = ls.capability("text_document", "hover", "content_format")
    return types.Hover(as_markup(text, formats), positions.range_to_client(context.item.range))

"""The features: completion, hover, definition, code actions, inlay hints, code lenses (of calls and of
``nn.Module`` classes, with the class lens's command) and the node table.

Each handler finds the document, calls one function of the session or a feature module, and converts
positions and results at the edge."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from fxlens.lsp import (
    class_lenses,
    code_actions,
    completion,
    definition,
    diagnostics,
    index_hover,
    inlay_hints,
    shared_completion,
    show_nodes,
)
from fxlens.lsp.app import HOVER_WAIT, FxlensServer, param, server
from fxlens.lsp.code_lens import call_lens
from fxlens.lsp.describe import as_markup, hover_markdown
from fxlens.lsp.positions import Positions
from fxlens.nodes import NodeTable
from fxlens.workspace.callsite import CallSite
from fxlens.workspace.module_classes import ModuleClass
from fxlens.workspace.parse import CursorContext
from fxlens.workspace.spec import Unresolved


def _context(ls: FxlensServer, uri: str, position: types.Position) -> tuple[Positions, CursorContext | None]:
    """The document's position conversions and what the cursor is in (None: not a node argument)."""
    doc = ls.require_session().documents.get(ls.document_uri(uri))
    if doc is None:
        return Positions([]), None
    positions = ls.positions(doc, uri)
    return positions, ls.require_session().cursor(ls.document_uri(uri), positions.from_client(position))


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=['"', "'", "."], resolve_provider=True),
)
async def complete(ls: FxlensServer, params: types.CompletionParams) -> types.CompletionList | None:
    uri = params.text_document.uri
    positions, context = _context(ls, uri, params.position)
    if context is None or context.role != "node":
        return None
    session = ls.require_session()
    answers = [await session.call_state(*where, 0.0) for where in session.calls_of(ls.document_uri(uri), context)]
    traced = {call.spec.key(): (call.spec, state) for call, state in answers if isinstance(state, NodeTable)}
    if not traced:
        return completion.not_ready(answers[0][1], session.tracing_off)
    edit_range = positions.range_to_client(context.string.range) if context.string is not None else None
    if len(traced) == 1:  # one model (however many calls read the literal)
        ((key, (_, table)),) = traced.items()
        item_defaults = ls.capability("text_document", "completion", "completion_list", "item_defaults") or []
        return completion.completion_list(context, table, edit_range, key, item_defaults)
    lists = [
        (spec.display_name, completion.completion_list(context, table, edit_range, key))
        for key, (spec, table) in traced.items()
    ]
    found = shared_completion.merged(lists)
    found.is_incomplete = found.is_incomplete or len(traced) < len(answers)  # a model still traced
    return found


@server.feature(types.COMPLETION_ITEM_RESOLVE)
def resolve_completion(ls: FxlensServer, item: types.CompletionItem) -> types.CompletionItem:
    if item.data is None:
        return item
    key = param(item.data, "table")
    if not isinstance(key, str):
        raise JsonRpcInvalidParams("completionItem/resolve: `data.table` is not a string")
    table = ls.require_session().traced_table(key)
    if table is None:
        return item
    formats = ls.capability("text_document", "completion", "completion_item", "documentation_format")
    return completion.documentation(item, table, formats)


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: FxlensServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    positions, context = _context(ls, uri, params.position)
    if context is None or context.string is None or context.role != "node":
        return await index_hover.hover(ls, params) if context is None else None  # an integer of a timm index
    session = ls.require_session()
    _, state = await session.call_state(*session.call_of(ls.document_uri(uri), context), HOVER_WAIT)
    text = hover_markdown(context.string.value, state, context.kind) if isinstance(state, NodeTable) else None
    if text is None:
        return None
    formats = ls.capability("text_document", "hover", "content_format")
    return types.Hover(as_markup(text, formats), positions.range_to_client(context.string.range))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
async def goto_definition(ls: FxlensServer, params: types.DefinitionParams) -> types.Location | None:
    uri = params.text_document.uri
    _, context = _context(ls, uri, params.position)
    if context is None or context.string is None:
        return None
    session = ls.require_session()
    _, state = await session.call_state(*session.call_of(ls.document_uri(uri), context), HOVER_WAIT)
    found = definition.node_location(context.string.value, state) if isinstance(state, NodeTable) else None
    return ls.notebooks.location(found)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, code_actions.FIX_ALL]),
)
def code_action(ls: FxlensServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    session = ls.require_session()
    uri = params.text_document.uri
    known = session.findings.get(ls.document_uri(uri))
    doc = session.documents.get(ls.document_uri(uri))
    if known is None or doc is None or known[0] != doc.version:
        return []
    positions = ls.positions(doc, uri)
    to_range = positions.range_to_client
    findings = ls.notebooks.findings_in(uri, diagnostics.configured(known[1], session.settings.rules))
    only = params.context.only or []
    version = ls.notebooks.version(uri, doc.version)
    if any(code_actions.FIX_ALL.startswith(kind) for kind in only if kind.startswith("source")):
        return code_actions.fix_all(findings, uri, version, to_range)
    return code_actions.quick_fixes(
        findings,
        positions.range_from_client(params.range),
        uri,
        version,
        to_range,
        lambda f: diagnostics.to_diagnostic(f, to_range),
        doc.lines.lines,
    )


@server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
async def inlay_hint(ls: FxlensServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    session = ls.require_session()
    uri = params.text_document.uri
    doc = session.documents.get(ls.document_uri(uri))
    if not session.settings.inlay_hints or doc is None:
        return []
    to_range = ls.positions(doc, uri).range_to_client
    hints = []
    for site in ls.notebooks.sites_in(uri, doc.call_sites):
        _, state = await session.call_state(ls.document_uri(uri), site, 0.0)
        if isinstance(state, NodeTable):
            hints += inlay_hints.shape_hints(site, state, to_range)
    return hints


@server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=True))
def code_lens(ls: FxlensServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    session = ls.require_session()
    uri = params.text_document.uri
    doc = session.docs.current(ls.document_uri(uri))
    if doc is None:
        return []
    to_range = ls.positions(doc, uri).range_to_client
    calls = session.calls_with_states(ls.document_uri(uri))
    lenses = (
        call_lens(uri, call, state, tracing, to_range)
        for call, state, tracing in calls
        if ls.notebooks.in_cell(uri, call.site.range.start.line)
    )
    classes = class_lenses.unresolved_lenses(uri, doc, session.workspace, to_range)
    return [lens for lens in lenses if lens is not None] + [
        lens for lens in classes if ls.notebooks.in_cell(uri, lens.data["line"])
    ]


@server.feature(types.CODE_LENS_RESOLVE)
async def resolve_code_lens(ls: FxlensServer, lens: types.CodeLens) -> types.CodeLens:
    """A class lens traced: its summary as the title, and what clicking it does."""
    if lens.command is not None or lens.data is None:
        return lens
    uri, name = param(lens.data, "uri"), param(lens.data, "class")
    session = ls.require_session()
    doc = session.documents.get(ls.document_uri(uri))  # the latest parse, while a newer text may be parsed
    if doc is None:
        raise JsonRpcInvalidParams(f"codeLens/resolve: {uri} is not open")
    cls = class_lenses.find_class(doc, session.workspace, name)
    summary = (
        await class_lenses.summary_of(session.class_states, doc, session.workspace, cls, session.tracing_off)
        if cls is not None
        else None
    )
    to_position = ls.positions(doc, uri).to_client
    lens.command = class_lenses.command(uri, doc, session.workspace, cls, summary, to_position)
    return lens


@server.command(class_lenses.APPLY_TRACE_FIX)
async def apply_trace_fix(ls: FxlensServer, *arguments: Any) -> None:
    """The verified fix applied to the class's calls in the document, or the failing line shown."""
    if len(arguments) != 2 or not all(isinstance(a, str) for a in arguments):
        raise JsonRpcInvalidParams(f"{class_lenses.APPLY_TRACE_FIX} takes the document URI and the class name")
    uri, name = arguments
    session = ls.require_session()
    doc = session.documents.get(ls.document_uri(uri))
    cls = class_lenses.find_class(doc, session.workspace, name) if doc is not None else None
    if doc is None or cls is None:
        raise JsonRpcInvalidParams(f"{name} is not an nn.Module class of {uri}")
    state = await session.class_states.state(cls, doc, session.workspace)
    version = ls.notebooks.version(uri, doc.version)
    action = class_lenses.fix_or_place(uri, version, doc, session.workspace, cls, state, ls.positions(doc, uri))
    if isinstance(action, types.WorkspaceEdit):
        await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(action, label=f"Make {name} trace"))
        return
    target = ls.notebooks.location(action) or action
    await ls.window_show_document_async(types.ShowDocumentParams(target.uri, take_focus=True, selection=target.range))


async def _requested_table(ls: FxlensServer, params: Any) -> tuple[Positions, ModuleClass | CallSite, str, NodeTable]:
    """For a node-table request: the class on the cursor's line, else the call under (or nearest above)
    the cursor, with its display name and node table; ``ValueError`` saying why there is none."""
    session = ls.require_session()
    uri = param(param(params, "textDocument"), "uri")
    position = param(params, "position")
    doc = session.documents.get(ls.document_uri(uri))
    if doc is None:
        raise ValueError("no create_feature_extractor or get_graph_node_names call in this document")
    positions = ls.positions(doc, uri)
    cursor = positions.from_client(types.Position(param(position, "line"), param(position, "character")))
    cls = class_lenses.class_on_line(doc, session.workspace, cursor.line)
    if cls is not None:  # a class lens's command: the class built alone
        table = await class_lenses.class_table(session.class_states, doc, session.workspace, cls, session.tracing_off)
        return positions, cls, class_lenses.display_name(cls), table
    site = show_nodes.call_site_at(doc, cursor)
    call, state = await session.call_state(ls.document_uri(uri), site, session.settings.trace_timeout or 60.0)
    if isinstance(call.spec, Unresolved):
        raise ValueError(call.spec.reason)
    if not isinstance(state, NodeTable):
        raise ValueError(completion.not_ready_message(state, session.tracing_off))
    return positions, site, call.spec.display_name, state


@server.feature("fxlens/showNodes")
async def show_node_table(ls: FxlensServer, params: Any) -> dict[str, str]:
    """The node table of the class on the cursor's line, else of the model of the call under (or nearest
    above) the cursor, as Markdown."""
    _, _, name, table = await _requested_table(ls, params)
    return show_nodes.node_view(table, name)


@server.feature("fxlens/nodeTable")
async def node_table(ls: FxlensServer, params: Any) -> dict[str, Any]:
    """The node table of the class on the cursor's line, else of the call under (or nearest above) the
    cursor, as data, with what the call selects."""
    positions, subject, name, table = await _requested_table(ls, params)
    if isinstance(subject, ModuleClass):
        return class_lenses.class_table_view(table, subject, positions.range_to_client)
    return show_nodes.node_table_view(subject, table, name, positions.range_to_client)


@server.feature("fxlens/stats")
def stats(ls: FxlensServer, params: Any) -> dict[str, Any]:
    """Counters for benchmarks and bug reports: open documents, traces run, workers started."""
    return ls.require_session().stats()

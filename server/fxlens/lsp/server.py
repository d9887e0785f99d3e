"""The pygls wiring: LSP messages in, ``Session`` and the feature functions, lsprotocol types out.

Each handler finds the document, calls one function of the session or a feature module, and
converts positions and results at the edge. The process never imports torch: models are traced by
the worker the session supervises.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

import fxlens
from fxlens.lsp import (
    code_actions,
    completion,
    definition,
    diagnostics,
    inlay_hints,
    notebooks,
    shared_completion,
    show_nodes,
)
from fxlens.lsp.capabilities import client_capability
from fxlens.lsp.code_lens import call_lens
from fxlens.lsp.describe import as_markup, hover_markdown
from fxlens.lsp.positions import Positions, client_changes
from fxlens.lsp.protocol import FxlensProtocol
from fxlens.lsp.reporting import CLIENT_ANSWER_WAIT, ClientReporter
from fxlens.lsp.session import Session
from fxlens.lsp.settings import parse_settings
from fxlens.lsp.transport import serve_stdio, serve_tcp
from fxlens.nodes import NodeTable
from fxlens.workspace.config import ConfigError
from fxlens.workspace.parse import CursorContext, ParsedDocument
from fxlens.workspace.spec import Unresolved

logger = logging.getLogger("fxlens.lsp")

HOVER_WAIT = 1.0  # seconds a hover may wait for a trace in flight (completion never waits)


class FxlensServer(LanguageServer):
    """A pygls server holding one ``Session``."""

    session: Session | None = None
    protocol: FxlensProtocol

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notebooks = notebooks.Notebooks()

    def require_session(self) -> Session:
        if self.session is None:
            raise RuntimeError("the server is not initialized")
        return self.session

    def capability(self, *path: str) -> Any:
        """A nested client capability, or None where the client left out a level."""
        return client_capability(self.client_capabilities, *path)

    def positions(self, doc: ParsedDocument, uri: str | None = None) -> Positions:
        """Position conversions for ``doc``'s text in the encoding negotiated with the client; for a
        request made in notebook cell ``uri``, positions in that cell."""
        return self.notebooks.positions(uri, doc.lines.lines, self.workspace.position_encoding)

    def document_uri(self, uri: str) -> str:
        """The session document a request in ``uri`` is about: a notebook cell's is its notebook's."""
        return self.notebooks.document_uri(uri)

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        """Publish; a notebook's diagnostics go out once per cell."""
        for each in self.notebooks.per_cell(params, self.workspace.position_encoding):
            super().text_document_publish_diagnostics(each)


server = FxlensServer("fxlens", fxlens.__version__, protocol_cls=FxlensProtocol, notebook_document_sync=notebooks.SYNC)


def run(tcp: tuple[str, int] | None = None, log_messages: bool = False) -> None:
    """Serve LSP on stdio, or on TCP at ``(host, port)``; ``log_messages`` logs every message to stderr.

    pygls logs each message at INFO; left on, a client that does not drain the server's stderr
    (pygls' own client, for one) fills the pipe and blocks the server.
    """
    logging.basicConfig(
        level=logging.INFO if log_messages else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("fxlens").setLevel(logging.INFO)
    if tcp is None:
        serve_stdio(server, on_close=_end_session)
    else:
        serve_tcp(server, *tcp)


async def _end_session() -> None:
    """When the connection ends, however it ends: stop the worker and what it started."""
    if server.session is not None:
        await server.session.stop()


# -- lifecycle and settings ----------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: FxlensServer, params: types.InitializeParams) -> None:
    settings, errors = parse_settings(params.initialization_options)
    reporter = ClientReporter(ls)
    ls.session = reporter.session = Session(ls.workspace.root_path or ".", settings, reporter.hooks())
    ls.session.configure(settings)
    _show_errors(ls, errors)


@server.feature(types.INITIALIZED)
async def initialized(ls: FxlensServer, params: types.InitializedParams) -> None:
    session = ls.require_session()
    _show_config_errors(ls, session.workspace.config_errors)
    await _pull_settings(ls)
    session.start_worker()
    await _watch_files(ls)


async def _watch_files(ls: FxlensServer) -> None:
    """Ask the client to report changes of Python files and pyproject.toml made outside the editor
    (a git checkout, a generator), when it can register watchers dynamically."""
    if not ls.capability("workspace", "did_change_watched_files", "dynamic_registration"):
        return
    watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in ("**/*.py", "**/pyproject.toml")]
    registration = types.Registration(
        id=str(uuid.uuid4()),
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    try:
        await asyncio.wait_for(
            ls.client_register_capability_async(types.RegistrationParams([registration])), CLIENT_ANSWER_WAIT
        )
    except Exception as error:  # noqa: BLE001 - without watchers, changes on disk show at the next edit
        logger.warning("registering file watchers failed: %s", error)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: FxlensServer, params: types.DidChangeWatchedFilesParams) -> None:
    _show_config_errors(ls, ls.require_session().files_changed(change.uri for change in params.changes))


def _show_config_errors(ls: FxlensServer, errors: Sequence[ConfigError]) -> None:
    _show_errors(ls, [f"pyproject.toml [tool.fxlens] {error.key}: {error.message}" for error in errors])


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: FxlensServer, params: types.DidChangeConfigurationParams) -> None:
    session = ls.require_session()
    pushed = params.settings.get("fxlens") if isinstance(params.settings, dict) else None
    if pushed is not None:
        settings, errors = parse_settings(pushed, session.settings)
        _show_errors(ls, errors)
        session.configure(settings)
    else:
        await _pull_settings(ls)
    session.start_worker()
    session.refresh_all()


async def _pull_settings(ls: FxlensServer) -> None:
    """Ask the client for section ``fxlens`` when it supports ``workspace/configuration``."""
    session = ls.require_session()
    if not ls.capability("workspace", "configuration"):
        return
    try:
        (pulled,) = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="fxlens")])
            ),
            CLIENT_ANSWER_WAIT,
        )
    except Exception as error:  # noqa: BLE001 - a client that fails (or never answers) keeps the settings it gave
        logger.warning("workspace/configuration failed: %s", error)
        return
    settings, errors = parse_settings(pulled, session.settings)
    _show_errors(ls, errors)
    session.configure(settings)


def _show_errors(ls: FxlensServer, errors: list[str]) -> None:
    for error in errors:
        ls.window_show_message(
            types.ShowMessageParams(types.MessageType.Warning, f"fxlens: {error} (using the default)")
        )


@server.feature(types.SHUTDOWN)
async def shutdown(ls: FxlensServer, params: None) -> None:
    if ls.session is not None:
        await ls.session.stop()


# -- documents -----------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: FxlensServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.require_session().open(item.uri, item.text, item.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: FxlensServer, params: types.DidChangeTextDocumentParams) -> None:
    session = ls.require_session()
    latest = session.docs.latest(params.text_document.uri)
    if latest is None:
        return
    changes = client_changes(latest.text, params.content_changes, ls.workspace.position_encoding)
    session.change(params.text_document.uri, changes, params.text_document.version)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: FxlensServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.require_session().schedule(params.text_document.uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: FxlensServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.require_session().close(params.text_document.uri)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
def notebook_did_open(ls: FxlensServer, params: types.DidOpenNotebookDocumentParams) -> None:
    ls.notebooks.open(ls.require_session(), params)


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
def notebook_did_change(ls: FxlensServer, params: types.DidChangeNotebookDocumentParams) -> None:
    removed = ls.notebooks.change(ls.require_session(), params, ls.workspace.position_encoding)
    for uri in removed:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
def notebook_did_close(ls: FxlensServer, params: types.DidCloseNotebookDocumentParams) -> None:
    for uri in ls.notebooks.close(ls.require_session(), params):
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# -- features ------------------------------------------------------------------------------------


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
    key = _get(item.data, "table")
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
        return None
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


@server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
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
    return [lens for lens in lenses if lens is not None]


@server.feature("fxlens/showNodes")
async def show_node_table(ls: FxlensServer, params: Any) -> dict[str, str]:
    """The node table of the model of the call under (or nearest above) the cursor, as Markdown."""
    session = ls.require_session()
    uri = _get(_get(params, "textDocument"), "uri")
    position = _get(params, "position")
    doc = session.documents.get(ls.document_uri(uri))
    if doc is None:
        raise ValueError("no create_feature_extractor or get_graph_node_names call in this document")
    cursor = ls.positions(doc, uri).from_client(types.Position(_get(position, "line"), _get(position, "character")))
    site = show_nodes.call_site_at(doc, cursor)
    call, state = await session.call_state(ls.document_uri(uri), site, session.settings.trace_timeout or 60.0)
    if isinstance(call.spec, Unresolved):
        raise ValueError(call.spec.reason)
    if not isinstance(state, NodeTable):
        raise ValueError(completion.not_ready_message(state, session.tracing_off))
    return show_nodes.node_view(state, call.spec.display_name)


@server.feature("fxlens/nodeTable")
async def node_table(ls: FxlensServer, params: Any) -> dict[str, Any]:
    """The node table of the call under (or nearest above) the cursor as data, with what the call selects."""
    session = ls.require_session()
    uri = _get(_get(params, "textDocument"), "uri")
    position = _get(params, "position")
    doc = session.documents.get(ls.document_uri(uri))
    if doc is None:
        raise ValueError("no create_feature_extractor or get_graph_node_names call in this document")
    positions = ls.positions(doc, uri)
    cursor = positions.from_client(types.Position(_get(position, "line"), _get(position, "character")))
    site = show_nodes.call_site_at(doc, cursor)
    call, state = await session.call_state(ls.document_uri(uri), site, session.settings.trace_timeout or 60.0)
    if isinstance(call.spec, Unresolved):
        raise ValueError(call.spec.reason)
    if not isinstance(state, NodeTable):
        raise ValueError(completion.not_ready_message(state, session.tracing_off))
    return show_nodes.node_table_view(site, state, call.spec.display_name, positions.range_to_client)


@server.feature("fxlens/stats")
def stats(ls: FxlensServer, params: Any) -> dict[str, Any]:
    """Counters for benchmarks and bug reports: open documents, traces run, workers started."""
    return ls.require_session().stats()


def _get(value: Any, key: str) -> Any:
    """A field of custom-request params or of item data, which arrive as objects or as dicts; a
    missing one is the client's error (-32602), said plainly."""
    try:
        found = value[key] if isinstance(value, dict) else getattr(value, key)
    except (KeyError, AttributeError, TypeError):
        found = None
    if found is None:
        raise JsonRpcInvalidParams(f"the params have no `{key}`")
    return found

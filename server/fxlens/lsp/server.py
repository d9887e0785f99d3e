"""The pygls wiring: LSP messages in, ``Session`` and the feature functions, lsprotocol types out.

No logic lives here beyond converting positions at the edge and choosing which function answers.
The process never imports torch: models are traced by the worker the session supervises.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Sequence
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

import fxlens
from fxlens.lint import Finding, Model
from fxlens.lsp import code_actions, completion, definition, diagnostics, inlay_hints
from fxlens.lsp.describe import as_markup, hover_markdown
from fxlens.lsp.positions import Positions
from fxlens.lsp.protocol import FxlensProtocol
from fxlens.lsp.session import Hooks, Session
from fxlens.lsp.settings import parse_settings
from fxlens.nodes import NodeTable, Problem
from fxlens.render import as_markdown
from fxlens.workspace.config import ConfigError
from fxlens.workspace.parse import CursorContext, ParsedDocument, cursor_context
from fxlens.workspace.spec import Unresolved
from fxlens.workspace.text import LineIndex, TextChange

logger = logging.getLogger("fxlens.lsp")

COMPLETION_WAIT = 0.5  # seconds a completion may wait for a trace before answering "not ready"
HOVER_WAIT = 1.0
CLIENT_ANSWER_WAIT = 10.0  # seconds the server waits for the client to answer one of its requests


class FxlensServer(LanguageServer):
    """A pygls server holding one ``Session``."""

    session: Session | None = None
    protocol: FxlensProtocol

    def require_session(self) -> Session:
        if self.session is None:
            raise RuntimeError("the server is not initialized")
        return self.session

    def report_server_error(self, error: Exception, source: Any) -> None:
        if isinstance(error, json.JSONDecodeError):
            self.protocol.reject_unparsable(error)
        super().report_server_error(error, source)


server = FxlensServer("fxlens", fxlens.__version__, protocol_cls=FxlensProtocol)


def run(tcp: tuple[str, int] | None = None, log_messages: bool = False) -> None:
    """Serve LSP on stdio, or on TCP at ``(host, port)``; ``log_messages`` logs every message to stderr.

    pygls logs each message at INFO; left on, a client that does not drain the server's stderr
    (pygls' own client, for one) fills the pipe and blocks the server.
    """
    logging.basicConfig(level=logging.INFO if log_messages else logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("fxlens").setLevel(logging.INFO)
    if tcp is None:
        server.start_io()
    else:
        server.start_tcp(*tcp)


# -- lifecycle and settings ----------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: FxlensServer, params: types.InitializeParams) -> None:
    settings, errors = parse_settings(params.initialization_options)
    ls.session = Session(ls.workspace.root_path or ".", settings, _hooks(ls))
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
    if not _client_capability(ls, "workspace", "did_change_watched_files", "dynamic_registration"):
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
    for uri in session.documents:
        session.schedule(uri, 0.0)


async def _pull_settings(ls: FxlensServer) -> None:
    """Ask the client for section ``fxlens`` when it supports ``workspace/configuration``."""
    session = ls.require_session()
    if not _client_capability(ls, "workspace", "configuration"):
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


def _hooks(ls: FxlensServer) -> Hooks:
    def publish(uri: str, version: int, findings: list[Finding]) -> None:
        session = ls.require_session()
        positions = _positions(ls, session.documents[uri])
        shown = [
            diagnostics.to_diagnostic(f, positions.range_to_client)
            for f in diagnostics.configured(findings, session.settings.rules)
        ]
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=shown)
        )

    last_status: list[tuple[str, str]] = []

    def status(state: str, message: str) -> None:
        if last_status[-1:] != [(state, message)]:  # only changes reach the client
            last_status[:] = [(state, message)]
            ls.protocol.notify("fxlens/status", {"state": state, "message": message})

    async def tracing(title: str, trace: Awaitable[Model]) -> Model:
        task = asyncio.ensure_future(trace)
        done, _ = await asyncio.wait([task], timeout=0.05)
        if done:
            return task.result()
        status("tracing", title)
        if not _client_capability(ls, "window", "work_done_progress"):
            return await task  # the client cannot show server-initiated progress
        token = str(uuid.uuid4())
        created = asyncio.ensure_future(ls.work_done_progress.create_async(token))
        await asyncio.wait([created, task], timeout=CLIENT_ANSWER_WAIT, return_when=asyncio.FIRST_COMPLETED)
        if not created.done() or created.cancelled() or created.exception() is not None:
            created.cancel()  # a client that is slow to answer (or refuses) still gets the result
            return await task
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=False))
        try:
            return await task
        finally:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd())

    return Hooks(publish, status, tracing)


# -- documents -----------------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: FxlensServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.require_session().open(item.uri, item.text, item.version)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: FxlensServer, params: types.DidChangeTextDocumentParams) -> None:
    session = ls.require_session()
    doc = session.documents.get(params.text_document.uri)
    if doc is None:
        return
    changes = []
    lines = doc.lines
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            edit = TextChange(
                change.text, Positions(lines.lines, ls.workspace.position_encoding).range_from_client(change.range)
            )
        else:
            edit = TextChange(change.text)
        changes.append(edit)
        if len(params.content_changes) > 1:  # the next change is relative to the text after this one
            lines = LineIndex(lines.apply(edit))
    session.change(params.text_document.uri, changes, params.text_document.version)


def _client_capability(ls: FxlensServer, *path: str) -> Any:
    """A nested client capability (``"text_document", "hover", "content_format"``), or None where
    the client left out a level."""
    value: Any = ls.client_capabilities
    for name in path:
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def _positions(ls: FxlensServer, doc: ParsedDocument) -> Positions:
    """Position conversions for ``doc``'s text in the encoding negotiated with the client."""
    return Positions(doc.lines.lines, ls.workspace.position_encoding)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: FxlensServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.require_session().schedule(params.text_document.uri, 0.0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: FxlensServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.require_session().close(params.text_document.uri)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


# -- features ------------------------------------------------------------------------------------


def _context(ls: FxlensServer, uri: str, position: types.Position) -> tuple[Positions, CursorContext | None]:
    doc = ls.require_session().documents.get(uri)
    if doc is None:
        return Positions([]), None
    positions = _positions(ls, doc)
    return positions, cursor_context(doc, positions.from_client(position))


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=['"', "'", "."], resolve_provider=True),
)
async def complete(ls: FxlensServer, params: types.CompletionParams) -> types.CompletionList | None:
    positions, context = _context(ls, params.text_document.uri, params.position)
    if context is None or context.role != "node":
        return None
    session = ls.require_session()
    spec = session.resolve(session.documents[params.text_document.uri], context.call_site)
    model = await session.model_of(spec, COMPLETION_WAIT)
    if not isinstance(model, NodeTable) or isinstance(spec, Unresolved):
        return types.CompletionList(is_incomplete=True, items=[completion.not_ready_item(_not_ready(model))])
    edit_range = positions.range_to_client(context.string.range) if context.string is not None else None
    return completion.completion_list(context, model, edit_range, spec.key(), _item_defaults(ls))


def _item_defaults(ls: FxlensServer) -> Sequence[str]:
    """The ``CompletionList.itemDefaults`` fields the client applies."""
    return _client_capability(ls, "text_document", "completion", "completion_list", "item_defaults") or []


@server.feature(types.COMPLETION_ITEM_RESOLVE)
def resolve_completion(ls: FxlensServer, item: types.CompletionItem) -> types.CompletionItem:
    table = ls.require_session().known(_get(item.data, "table")) if item.data else None
    if not isinstance(table, NodeTable):
        return item
    formats = _client_capability(ls, "text_document", "completion", "completion_item", "documentation_format")
    return completion.documentation(item, table, formats)


def _not_ready(model: Model) -> str:
    if isinstance(model, Problem):
        return f"fxlens: the model failed ({model.kind} error): {model.message}"
    if isinstance(model, Unresolved):
        return f"fxlens: {model.reason}"
    return "fxlens: tracing the model… (ask again in a moment)"


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: FxlensServer, params: types.HoverParams) -> types.Hover | None:
    positions, context = _context(ls, params.text_document.uri, params.position)
    if context is None or context.string is None or context.role != "node":
        return None
    session = ls.require_session()
    model = await session.model(session.documents[params.text_document.uri], context.call_site, HOVER_WAIT)
    if not isinstance(model, NodeTable):
        return None
    text = hover_markdown(context.string.value, model)
    if text is None:
        return None
    formats = _client_capability(ls, "text_document", "hover", "content_format")
    return types.Hover(as_markup(text, formats), positions.range_to_client(context.string.range))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
async def goto_definition(ls: FxlensServer, params: types.DefinitionParams) -> types.Location | None:
    _, context = _context(ls, params.text_document.uri, params.position)
    if context is None or context.string is None:
        return None
    session = ls.require_session()
    model = await session.model(session.documents[params.text_document.uri], context.call_site, HOVER_WAIT)
    return definition.node_location(context.string.value, model) if isinstance(model, NodeTable) else None


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def code_action(ls: FxlensServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    session = ls.require_session()
    uri = params.text_document.uri
    known = session.findings.get(uri)
    doc = session.documents.get(uri)
    if known is None or doc is None or known[0] != doc.version:
        return []
    positions = _positions(ls, doc)
    wanted = positions.range_from_client(params.range)
    to_range = positions.range_to_client
    findings = diagnostics.configured(known[1], session.settings.rules)
    return code_actions.quick_fixes(
        findings, wanted, uri, doc.version, to_range, lambda f: diagnostics.to_diagnostic(f, to_range)
    )


@server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
async def inlay_hint(ls: FxlensServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    session = ls.require_session()
    doc = session.documents.get(params.text_document.uri)
    if not session.settings.inlay_hints or doc is None:
        return []
    positions = _positions(ls, doc)
    hints = []
    for site in doc.call_sites:
        model = await session.model(doc, site, 0.0)
        if isinstance(model, NodeTable):
            hints += inlay_hints.shape_hints(site, model, positions.range_to_client)
    return hints


@server.feature("fxlens/showNodes")
async def show_nodes(ls: FxlensServer, params: Any) -> dict[str, str]:
    """The node table of the model of the call under (or nearest above) the cursor, as Markdown."""
    session = ls.require_session()
    uri = _get(_get(params, "textDocument"), "uri")
    position = _get(params, "position")
    doc = session.documents.get(uri)
    if doc is None or not doc.call_sites:
        raise ValueError("no create_feature_extractor or get_graph_node_names call in this document")
    cursor = _positions(ls, doc).from_client(types.Position(_get(position, "line"), _get(position, "character")))
    site = max(
        (s for s in doc.call_sites if s.range.start <= cursor), key=lambda s: s.range.start, default=doc.call_sites[0]
    )
    spec = session.resolve(doc, site)
    if isinstance(spec, Unresolved):
        raise ValueError(spec.reason)
    model = await session.model(doc, site, session.settings.trace_timeout or 60.0)
    if not isinstance(model, NodeTable):
        raise ValueError(_not_ready(model))
    title = f"Nodes of {spec.display_name}"
    return {"title": title, "markdown": as_markdown(model, title)}


@server.feature("fxlens/stats")
def stats(ls: FxlensServer, params: Any) -> dict[str, Any]:
    """Counters for benchmarks and bug reports: open documents, traces run, workers started."""
    session = ls.require_session()
    supervisor = session.supervisor
    return {
        "documents": len(session.documents),
        "tracesRun": supervisor.traces_run if supervisor else 0,
        "workersStarted": supervisor.workers_started if supervisor else 0,
        "workerState": supervisor.state if supervisor else "off",
    }


def _get(value: Any, key: str) -> Any:
    """A field of custom-request params, which arrive as objects or as dicts."""
    return value[key] if isinstance(value, dict) else getattr(value, key)

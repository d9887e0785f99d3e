"""LSP lifecycle and settings: initialize, settings pushed or pulled, watched files, shutdown."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from lsprotocol import types

from fxlens.lsp.app import FxlensServer, server
from fxlens.lsp.reporting import CLIENT_ANSWER_WAIT, ClientReporter
from fxlens.lsp.session import Session
from fxlens.lsp.settings import parse_settings, trust_stated
from fxlens.workspace.config import ConfigError

logger = logging.getLogger("fxlens.lsp")


@server.feature(types.INITIALIZE)
def initialize(ls: FxlensServer, params: types.InitializeParams) -> None:
    settings, errors = parse_settings(params.initialization_options)
    reporter = ClientReporter(ls)
    root = ls.workspace.root_path or "."
    ls.session = reporter.session = Session(root, settings, reporter.hooks(), ls.take_standby())
    ls.session.configure(settings)
    _show_errors(ls, errors)
    if trust_stated(params.initialization_options):  # import torch while the client finishes starting
        ls.session.start_worker()


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

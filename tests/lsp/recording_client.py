"""The test client: pytest-lsp's client, recording everything the server sends and signalling each arrival.

``wait_for`` (in ``waiting``) re-checks its condition whenever something arrives, so no test sleeps
or polls; what arrived last is kept for the message of a wait that times out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

STATUS = "fxlens/status"


class RecordingClient(LanguageClient):
    """A ``LanguageClient`` that also keeps diagnostics with their versions, ``fxlens/status``
    notifications and capability registrations, and wakes waiters at every message from the server."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.root: Path | None = None  # the workspace folder of the session (set by ``start_session``)
        self.initial_settings: dict[str, Any] = {}  # its initialization options
        self.published: dict[str, types.PublishDiagnosticsParams] = {}  # uri -> latest publication
        self.statuses: list[Any] = []  # params of every fxlens/status notification
        self.registrations: list[types.Registration] = []
        self.last_message = "nothing yet"  # method and params of the latest message from the server
        self._arrival = asyncio.Event()

    async def start_session(self, params: types.InitializeParams) -> None:
        """``initialize`` and ``initialized``, remembering the workspace folder and the options."""
        assert params.root_uri is not None
        self.root = Path(to_fs_path(params.root_uri) or "")
        self.initial_settings = dict(params.initialization_options or {})
        await self.initialize_session(params)

    def arrival(self) -> asyncio.Event:
        """An event set at the next message from the server (take it before checking a condition)."""
        return self._arrival

    def received(self, method: str, params: Any) -> None:
        """Record ``method`` as the latest message and wake whoever waits for the next one."""
        self.last_message = f"{method} {params!r}"
        arrived, self._arrival = self._arrival, asyncio.Event()
        arrived.set()


def _signalling(method: str, handle: Callable[[RecordingClient, Any], Any]) -> Callable[[RecordingClient, Any], Any]:
    def handler(ls: RecordingClient, params: Any) -> Any:
        result = handle(ls, params)
        ls.received(method, params)
        return result

    return handler


def _publish(ls: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
    ls.diagnostics[params.uri] = params.diagnostics
    ls.published[params.uri] = params


def _status(ls: RecordingClient, params: Any) -> None:
    ls.statuses.append(params)


def _register(ls: RecordingClient, params: types.RegistrationParams) -> None:
    ls.registrations += params.registrations


def make_client() -> RecordingClient:
    """pytest-lsp's default client features, each also signalling, plus status and registrations."""
    client = RecordingClient()
    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _publish,
        STATUS: _status,
        types.CLIENT_REGISTER_CAPABILITY: _register,
    }
    register_lsp_features(client, {method: _signalling(method, handle) for method, handle in features.items()})
    return client

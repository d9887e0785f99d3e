"""Each test's own state on a server that several tests share: a folder of the workspace with the
documents the test opens (closed after it), and the settings it pushes (undone after it); the
``documents`` and ``settings`` fixtures give them to a test (a conftest imports them)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fxlens.lint import RULES
from fxlens.lsp.settings import Settings, parse_settings
from lsprotocol import types
from recording_client import RecordingClient


class Documents:
    """Files in a folder only this test uses, and the documents it opened in the server."""

    def __init__(self, client: RecordingClient, test_name: str) -> None:
        assert client.root is not None, "the client fixture sets client.root"
        self.client = client
        self.folder = client.root / re.sub(r"\W", "_", test_name)  # an identifier: importable, unique per test
        self.folder.mkdir()
        self.opened: list[str] = []
        self._messages_before = len(client.messages)

    def messages(self) -> list[types.ShowMessageParams]:
        """The ``window/showMessage`` messages shown since this test began."""
        return self.client.messages[self._messages_before :]

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def open(self, path: Path, version: int = 1) -> str:
        """Open ``path`` with its text on disk; returns its URI."""
        uri = path.as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", version, path.read_text()))
        )
        self.opened.append(uri)
        return uri

    def change(self, uri: str, version: int, *changes: tuple[types.Range, str]) -> None:
        """One ``didChange`` with the given (range, new text) edits, applied one after another."""
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [types.TextDocumentContentChangePartial(where, text) for where, text in changes],
            )
        )

    def close_all(self) -> None:
        for uri in self.opened:
            self.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        self.opened.clear()


_DEFAULTS: dict[str, Any] = {"interpreter": "", "inlayHints": False, "executeCode": True, "defaultInputShape": None}


class PushedSettings:
    """Settings pushed with ``workspace/didChangeConfiguration``; ``restore`` pushes back what the
    session started with (``initial``, its initialization options) for every key a test changed."""

    def __init__(self, client: RecordingClient, initial: dict[str, Any]) -> None:
        self.client = client
        self.initial = initial
        self.changed_rules: set[str] = set()
        self.changed_keys: set[str] = set()

    def push(self, values: dict[str, Any]) -> None:
        """Send ``values`` (the ``fxlens`` section); refuses a value no later push can take back."""
        for key, value in values.items():
            if key == "rules":
                self.changed_rules |= set(value) & set(RULES)
            elif key in _DEFAULTS or key in self.initial:
                self.changed_keys.add(key)
            elif parse_settings({key: value})[0] != Settings():
                raise ValueError(f"a pushed {key} cannot be undone by a push: give the test a server of its own")
        self._send(values)

    def restore(self) -> None:
        """Every rule the test set back to its registered severity, every key back to its start value.

        The server reads each message in its own turn of its event loop, so it has applied this
        push before it handles the next test's first message."""
        if not (self.changed_rules or self.changed_keys):
            return
        values: dict[str, Any] = {key: self.initial.get(key, _DEFAULTS.get(key)) for key in self.changed_keys}
        if self.changed_rules:
            values["rules"] = {code: RULES[code].severity for code in sorted(self.changed_rules)}
        self._send(values)
        self.changed_rules.clear()
        self.changed_keys.clear()

    def _send(self, values: dict[str, Any]) -> None:
        self.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"fxlens": values}))


@pytest_asyncio.fixture(loop_scope="module")
async def documents(client: RecordingClient, request: pytest.FixtureRequest) -> AsyncIterator[Documents]:
    """A workspace folder for this test alone; the documents it opens are closed after it."""
    opened = Documents(client, request.node.name)
    yield opened
    opened.close_all()


@pytest_asyncio.fixture(loop_scope="module")
async def settings(client: RecordingClient, documents: Documents) -> AsyncIterator[PushedSettings]:
    """Settings this test pushes, set back after it (before its documents close)."""
    pushed = PushedSettings(client, client.initial_settings)
    yield pushed
    pushed.restore()

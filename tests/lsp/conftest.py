"""Fixtures that give each LSP test its own state on its module's shared server (``client``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from isolation import Documents, PushedSettings
from recording_client import RecordingClient


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

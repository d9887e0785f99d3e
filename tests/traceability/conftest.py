"""The LSP test helpers of ``tests/lsp`` (server config, documents, waiting) for the code-action test."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).parent.parent / "lsp"))

from isolation import Documents
from recording_client import RecordingClient


@pytest_asyncio.fixture(loop_scope="module")
async def documents(client: RecordingClient, request: pytest.FixtureRequest) -> AsyncIterator[Documents]:
    """A workspace folder for this test alone; the documents it opens are closed after it."""
    opened = Documents(client, request.node.name)
    yield opened
    opened.close_all()

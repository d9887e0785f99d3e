"""When the server tells the client its code lenses are stale (``workspace/codeLens/refresh``): after
the trace a call's lens waits for, never after a class lens's own resolve, which answers with the
result (a refresh re-fetches every lens, and a click that lands during one is lost)."""

from __future__ import annotations

import asyncio
import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, initialize_params
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of, wait_for

pytest.importorskip("torchvision", reason="the script calls torchvision's create_feature_extractor")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

CLASSES = textwrap.dedent("""\
    from torch import nn


    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 10)

        def forward(self, x):
            return self.fc(x)
""")
CALL = CLASSES + textwrap.dedent("""\


    from torchvision.models.feature_extraction import create_feature_extractor

    extractor = create_feature_extractor(Head(), return_nodes=["fc"])
""")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    lsp_client.refreshes = 0

    @lsp_client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(ls: RecordingClient, params: None) -> None:
        ls.refreshes += 1

    params = initialize_params(tmp_path_factory.mktemp("lens_refresh"))
    params.capabilities.workspace.code_lens = types.CodeLensWorkspaceClientCapabilities(refresh_support=True)
    await lsp_client.start_session(params)
    yield
    await lsp_client.shutdown_session()


async def lenses(client: RecordingClient, uri: str) -> list[types.CodeLens]:
    return await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))


async def settled(client: RecordingClient) -> int:
    """The refreshes received once the server has answered a request sent after them, and a moment more."""
    await client.protocol.send_request_async("fxlens/stats", {})
    await asyncio.sleep(0.5)
    return client.refreshes


async def test_resolving_a_class_lens_traces_it_and_asks_for_no_refresh(
    client: RecordingClient, documents: Documents
) -> None:
    uri = documents.open(documents.write("classes.py", CLASSES))
    await diagnostics_of(client, uri, lambda d: True, what="the first lint", version=1)
    before = await settled(client)
    (lens,) = await lenses(client, uri)
    resolved = await client.code_lens_resolve_async(lens)
    assert resolved.command.title == "fx: traceable · 2 nodes · output 1×10"
    assert await settled(client) == before


async def test_a_call_lens_waiting_for_its_trace_is_refreshed_once_it_ends(
    client: RecordingClient, documents: Documents
) -> None:
    before = client.refreshes
    uri = documents.open(documents.write("call.py", CALL))
    await lenses(client, uri)  # the call's lens is shown before its model is traced
    await diagnostics_of(client, uri, lambda d: True, what="the traced lint", version=1)
    await wait_for(client, lambda: client.refreshes, lambda n: n > before, what="a code lens refresh after the trace")
    titles = [lens.command.title for lens in await lenses(client, uri) if lens.command is not None]
    assert any(title.endswith("· 2 nodes · show nodes") for title in titles), titles

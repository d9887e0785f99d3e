"""In an untrusted workspace (code execution off) the class lenses are listed, and resolve to saying that
tracing is off, in the words the other features use; no model code runs."""

from __future__ import annotations

import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, initialize_params
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

SOURCE = textwrap.dedent("""\
    import pathlib
    from torch import nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            pathlib.Path(__file__).with_name("ran").write_text("code ran")

        def forward(self, x):
            return x
""")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("untrusted"), {"executeCode": False}))
    yield
    await lsp_client.shutdown_session()


async def test_the_class_lens_says_tracing_is_off_and_runs_no_code(
    client: RecordingClient, documents: Documents
) -> None:
    path = documents.write("net.py", SOURCE)
    uri = documents.open(path)
    await diagnostics_of(client, uri, lambda d: True, what="the static lint", version=1)
    (lens,) = await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri)))
    assert lens.command is None and lens.data["class"] == "Net"
    resolved = await client.code_lens_resolve_async(lens)
    assert resolved.command == types.Command(
        title="fx: tracing is off: the workspace is not trusted, so no model code runs (static rules only)",
        command="",
    )
    stats = await client.protocol.send_request_async("fxlens/stats", {})
    assert (stats.tracesRun, stats.workerState) == (0, "off")
    assert not path.with_name("ran").exists()

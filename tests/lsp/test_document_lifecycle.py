"""A document's life in the server: closing forgets it, reopening starts afresh, and a result computed
for an earlier opening never reaches a later one."""

from __future__ import annotations

import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, codes, initialize_params, position_of
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of, wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

TINY = textwrap.dedent("""
    import time
    from torch import nn
    from torchvision.models.feature_extraction import create_feature_extractor

    class Tiny(nn.Module):
        def __init__(self, pause: float = 0.0):
            super().__init__()
            time.sleep(pause)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)

    create_feature_extractor(Tiny(PAUSE), return_nodes=["fc", "NAME"])
""")


def script(name: str, pause: float = 0.0) -> str:
    return TINY.replace("NAME", name).replace("PAUSE", repr(pause))


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("lifecycle")))
    yield
    await lsp_client.shutdown_session()


def unknown(diagnostics) -> list[str]:
    return sorted(d.message.split("`")[1] for d in diagnostics if d.code == "FXL001")


async def test_a_document_reopened_with_versions_from_1_again_gets_its_diagnostics(
    client: RecordingClient, documents: Documents
) -> None:
    path = documents.write("reopen.py", script("first"))
    uri = documents.open(path, version=7)
    await diagnostics_of(client, uri, lambda d: unknown(d) == ["first"], what="`first` unknown", version=7)
    documents.close_all()
    path.write_text(script("second"))
    documents.open(path, version=1)  # VS Code starts the versions of a reopened document again
    found = await diagnostics_of(client, uri, lambda d: unknown(d) == ["second"], what="`second` unknown", version=1)
    assert codes(found) == ["FXL001"]


async def test_completion_while_the_model_is_traced_is_incomplete_and_never_stale(
    client: RecordingClient, documents: Documents
) -> None:
    text = script("fc", pause=3.0)
    uri = documents.open(documents.write("tracing.py", text))
    where = position_of(text, '"fc"]', 1)
    first = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), where)
    )
    assert first is not None and first.is_incomplete and list(first.items) == []  # at once, no placeholder

    async def complete() -> types.CompletionList | None:
        return await client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), where)
        )

    done = await wait_for(client, complete, lambda r: r is not None and not r.is_incomplete, what="the names")
    assert [item.label for item in done.items] == ["x", "fc"]

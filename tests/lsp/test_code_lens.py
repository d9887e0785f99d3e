"""A code lens above each call names its model, counts its nodes once traced, and shows them (the class's own
lens comes unresolved: ``tests/traceability/test_lens_lsp.py``)."""

from __future__ import annotations

import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, initialize_params, position_of
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

SCRIPT = textwrap.dedent("""
    from torch import nn
    from torchvision.models.feature_extraction import create_feature_extractor

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x).relu()

    extractor = create_feature_extractor(Tiny(), return_nodes=["fc"])
    other = create_feature_extractor(unknown_model, return_nodes=["fc"])
""")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("lens")))
    yield
    await lsp_client.shutdown_session()


async def test_a_traced_call_has_a_lens_with_its_node_count_that_shows_its_nodes(
    client: RecordingClient, documents: Documents
) -> None:
    uri = documents.open(documents.write("lens.py", SCRIPT))

    async def lenses() -> list[types.CodeLens]:
        return list(await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri))))

    lens, class_lens = await wait_for(
        client,
        lenses,
        lambda found: len(found) == 2 and found[0].command is not None and "nodes" in found[0].command.title,
        what="a traced lens",
    )
    start = position_of(SCRIPT, "create_feature_extractor(Tiny()")
    tiny = position_of(SCRIPT, "class Tiny").line
    assert class_lens == types.CodeLens(  # the class's traceability lens: traced only on codeLens/resolve
        range=types.Range(types.Position(tiny, 0), types.Position(tiny, 0)),
        data={"kind": "class", "uri": uri, "class": "Tiny", "line": tiny},
    )
    assert lens == types.CodeLens(
        range=types.Range(start, start),
        command=types.Command(
            title="Tiny · 3 nodes · show nodes",
            command="fxlens.showNodes",
            arguments=(uri, {"line": start.line, "character": start.character}),
        ),
    )
    shown = await client.protocol.send_request_async(
        "fxlens/showNodes", {"textDocument": {"uri": uri}, "position": lens.command.arguments[1]}
    )
    assert shown.title == "Nodes of Tiny" and "`fc`" in shown.markdown

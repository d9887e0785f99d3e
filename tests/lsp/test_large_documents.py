"""Large documents never hold the server up: over the size limit one finding says so; a large one
under it is parsed in the background while other documents are served."""

from __future__ import annotations

import asyncio
import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, initialize_params, position_of
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

CALL = textwrap.dedent("""
    from torchvision.models.feature_extraction import create_feature_extractor
    create_feature_extractor(model, return_nodes=["head("])
""")
LIMIT = 150_000  # above the size parsed on the event loop (100,000 characters)


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    options = {"executeCode": False, "maxFileSize": LIMIT}
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("large"), options))
    yield
    await lsp_client.shutdown_session()


def codes_and_starts(diagnostics) -> list[tuple[str, types.Position]]:
    return [(str(d.code), d.range.start) for d in diagnostics]


async def test_a_file_over_the_limit_gets_one_finding_until_it_shrinks(
    client: RecordingClient, documents: Documents
) -> None:
    lines = LIMIT // 6 + 100
    uri = documents.open(documents.write("huge.py", CALL + "x = 1\n" * lines))
    (only,) = await diagnostics_of(client, uri, lambda d: len(d) == 1, what="the not-analysed finding", version=1)
    assert (only.code, only.severity, only.range) == (
        "FXL015",
        types.DiagnosticSeverity.Information,
        types.Range(types.Position(0, 0), types.Position(0, 0)),
    )
    assert only.message.startswith("fxlens did not analyse this file: it is 0.2 MB, over the limit of 0.1 MB")
    end = CALL.count("\n")
    documents.change(uri, 2, (types.Range(types.Position(end, 0), types.Position(end + lines, 0)), ""))
    found = await diagnostics_of(client, uri, lambda d: len(d) == 2, what="the file analysed", version=2)
    assert codes_and_starts(found) == [
        ("FXL012", position_of(CALL, "model, ")),
        ("FXL004", position_of(CALL, "head(")),
    ]


async def test_a_large_file_is_parsed_in_the_background_while_others_are_answered(
    client: RecordingClient, documents: Documents
) -> None:
    filler = "y = [1, 2, 3]  # filler\n" * 5_000  # 120,000 characters: parsed off the event loop
    large = documents.open(documents.write("large.py", filler + CALL))
    small_text = CALL
    small = documents.open(documents.write("small.py", small_text))
    hover = client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(small), position_of(small_text, "head("))
    )
    small_found, large_found, _ = await asyncio.gather(
        diagnostics_of(client, small, lambda d: len(d) == 2, what="the small file's findings", version=1),
        diagnostics_of(client, large, lambda d: len(d) == 2, what="the large file's findings", version=1),
        hover,
    )
    offset = filler.count("\n")
    assert [(code, start.line - offset, start.character) for code, start in codes_and_starts(large_found)] == [
        (code, start.line, start.character) for code, start in codes_and_starts(small_found)
    ]

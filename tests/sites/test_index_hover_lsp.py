"""End to end over LSP: hover on an integer of a timm index — an ``out_indices`` entry of
``create_model(..., features_only=True)`` and the ``indices`` of ``forward_intermediates`` — shows the
module, channels and reduction it takes, as the real timm model reports them; FXL028 arrives for an
index the model does not have."""

from __future__ import annotations

import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, initialize_params, position_of
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of

timm = pytest.importorskip("timm")
torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300)]

SCRIPT = textwrap.dedent("""
    import timm
    import torch

    backbone = timm.create_model("resnet18", pretrained=False, features_only=True, out_indices=(1, -2))
    model = timm.create_model("resnet18", pretrained=False)
    x = torch.rand(1, 3, 224, 224)
    final, chosen = model.forward_intermediates(x, indices=[2, 7])
    last = model.forward_intermediates(x, indices=2, intermediates_only=True)
""")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("index_hover")))
    yield
    await lsp_client.shutdown_session()


async def opened(client: RecordingClient, documents: Documents) -> str:
    """Open the script and wait until its traced finding (FXL028 on the index 7) arrives."""
    uri = documents.open(documents.write("indices.py", SCRIPT))
    found = await diagnostics_of(client, uri, lambda d: "FXL028" in {str(x.code) for x in d}, what="traced")
    assert [(str(d.code), d.range.start) for d in found] == [("FXL028", position_of(SCRIPT, "7]"))]
    return uri


async def hover(client: RecordingClient, uri: str, needle: str, offset: int = 0) -> types.Hover | None:
    return await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position_of(SCRIPT, needle, offset))
    )


def table_rows(markdown: str) -> list[str]:
    """The body rows of the hover's Markdown table (its header and separator left out)."""
    return [line for line in markdown.splitlines() if line.startswith("| ")][2:]


def rows(modules: list[str], channels: list[int], reductions: list[int], positions: list[int]) -> list[str]:
    return [
        f"| {p} | `{m}` | {c} | /{r} |" for p, m, c, r in zip(positions, modules, channels, reductions, strict=True)
    ]


async def test_hover_on_an_out_indices_entry_shows_the_feature_timm_returns(
    client: RecordingClient, documents: Documents
):
    uri = await opened(client, documents)
    found = await hover(client, uri, "-2)")
    assert found is not None and found.range.start == position_of(SCRIPT, "-2)")
    assert found.range.end == position_of(SCRIPT, "-2)", 2)
    real = timm.create_model("resnet18", pretrained=False, features_only=True, out_indices=(-2,)).feature_info
    text = found.contents.value
    assert text.startswith("**`out_indices` -2** — feature 3 of ResNet's 5")
    assert table_rows(text) == rows(real.module_name(), real.channels(), real.reduction(), [3])


async def test_hover_on_forward_intermediates_indices_shows_what_the_real_call_returns(
    client: RecordingClient, documents: Documents
):
    uri = await opened(client, documents)
    model = timm.create_model("resnet18", pretrained=False).eval()
    with torch.no_grad():
        outputs = model.forward_intermediates(torch.rand(1, 3, 224, 224), indices=2, intermediates_only=True)
    found = await hover(client, uri, "indices=2", len("indices="))
    assert found is not None
    text = found.contents.value
    assert text.startswith("**`indices=2`** — the last 2 of ResNet's 5 intermediates")
    real = [o.shape[1] for o in outputs], [224 // o.shape[-1] for o in outputs]
    modules = [model.feature_info[i]["module"] for i in (3, 4)]
    assert table_rows(text) == rows(modules, *real, [3, 4])


async def test_hover_on_an_index_out_of_range_lists_every_intermediate(client: RecordingClient, documents: Documents):
    uri = await opened(client, documents)
    found = await hover(client, uri, "7]")
    assert found is not None
    text = found.contents.value
    assert text.startswith("**`indices` 7** — out of range: ResNet has 5 intermediates (0 to 4, or -5 to -1)")
    info = timm.create_model("resnet18", pretrained=False, features_only=True).feature_info
    assert table_rows(text) == rows(info.module_name(), info.channels(), info.reduction(), list(range(5)))


async def test_no_hover_on_other_integers(client: RecordingClient, documents: Documents):
    uri = await opened(client, documents)
    assert await hover(client, uri, "224)") is None

"""With code execution off (an untrusted workspace) the server parses and lints statically only."""

from __future__ import annotations

import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, codes, diagnostics_where, initialize_params, open_document
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("untrusted")
    (root / "script.py").write_text(
        textwrap.dedent("""
        import pathlib
        from torch import nn
        from torchvision.models.feature_extraction import create_feature_extractor

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                pathlib.Path(__file__).with_name("ran").write_text("code ran")

        create_feature_extractor(Net(), return_nodes=["a(", "fc"], train_return_nodes=["fc"])
    """)
    )
    lsp_client.root = root  # type: ignore[attr-defined]
    await lsp_client.initialize_session(initialize_params(root, {"executeCode": False, "interpreter": 3}))
    yield
    await lsp_client.shutdown_session()


async def test_static_rules_still_run_and_no_model_code_does(client: LanguageClient) -> None:
    root = client.root  # type: ignore[attr-defined]
    uri = open_document(client, root / "script.py")
    diagnostics = await diagnostics_where(client, uri, lambda d: len(d) >= 2)
    assert sorted(codes(diagnostics)) == ["FXL004", "FXL009"]
    assert not (root / "ran").exists()
    assert any("fxlens.interpreter must be the path" in m.message for m in client.messages)

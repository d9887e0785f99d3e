"""Changes made on disk outside the editor (reported through the watchers the server registers)."""

from __future__ import annotations

import asyncio
import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, codes, diagnostics_where, initialize_params, open_document
from lsprotocol import types
from pytest_lsp import LanguageClient

pytest.importorskip("torch", reason="the workspace model is traced")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

MODEL = """
from torch import nn


class Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.fc2 = nn.Linear(4, 4)

    def forward(self, x):
        return {forward}
"""
USE = """
import torch
from torchvision.models.feature_extraction import create_feature_extractor
from model import Two

extractor = create_feature_extractor(Two(), return_nodes=["fc2", "fc9"])
extractor(torch.rand(2, 4))
"""


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("workspace")
    (root / "model.py").write_text(textwrap.dedent(MODEL).format(forward="self.fc2(self.fc1(x))"))
    (root / "use.py").write_text(textwrap.dedent(USE))
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.registrations = []  # type: ignore[attr-defined]

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        lsp_client.registrations += params.registrations  # type: ignore[attr-defined]

    params = initialize_params(root)
    params.capabilities.workspace.did_change_watched_files = types.DidChangeWatchedFilesClientCapabilities(
        dynamic_registration=True
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def changed(client: LanguageClient, name: str) -> None:
    uri = (client.root / name).as_uri()  # type: ignore[attr-defined]
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(uri, types.FileChangeType.Changed)])
    )


async def test_the_server_watches_python_files_and_pyproject(client: LanguageClient) -> None:
    for _ in range(100):  # the server registers at the end of its `initialized` handler
        if client.registrations:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.1)
    (registration,) = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]  # type: ignore[attr-defined]
    patterns = [w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in _watchers(registration)]
    assert patterns == ["**/*.py", "**/pyproject.toml"]


def _watchers(registration: types.Registration) -> list:
    options = registration.register_options
    return options["watchers"] if isinstance(options, dict) else options.watchers


async def test_a_model_file_rewritten_on_disk_relints_the_documents_that_use_it(client: LanguageClient) -> None:
    root = client.root  # type: ignore[attr-defined]
    uri = open_document(client, root / "use.py")
    traced = await diagnostics_where(client, uri, lambda d: "FXL001" in codes(d))
    assert [d.message.split(";")[0] for d in traced] == ["`fc9` is not a node of Two"]
    (root / "model.py").write_text(textwrap.dedent(MODEL).format(forward="self.fc1(x)"))
    changed(client, "model.py")
    diagnostics = await diagnostics_where(client, uri, lambda d: len(d) == 2)
    assert [d.message.split(";")[0] for d in diagnostics] == [
        "`fc2` is not a node of Two",
        "`fc9` is not a node of Two",
    ]


async def test_a_pyproject_rewritten_on_disk_is_reloaded_and_its_errors_reported(client: LanguageClient) -> None:
    root = client.root  # type: ignore[attr-defined]
    (root / "pyproject.toml").write_text('[tool.fxlens]\ntrace-timeout = "soon"\n')
    changed(client, "pyproject.toml")
    message = await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
    assert "tool.fxlens.trace-timeout" in message.message


async def test_a_module_created_on_disk_resolves_a_model_that_was_not_found(client: LanguageClient) -> None:
    root = client.root  # type: ignore[attr-defined]
    (root / "later_use.py").write_text(textwrap.dedent(USE).replace("from model import Two", "from later import Two"))
    uri = open_document(client, root / "later_use.py")
    await diagnostics_where(client, uri, lambda d: "FXL012" in codes(d))
    (root / "later.py").write_text(textwrap.dedent(MODEL).format(forward="self.fc2(self.fc1(x))"))
    changed(client, "later.py")
    diagnostics = await diagnostics_where(client, uri, lambda d: "FXL012" not in codes(d) and "FXL001" in codes(d))
    assert [d.message.split(";")[0] for d in diagnostics] == ["`fc9` is not a node of Two"]

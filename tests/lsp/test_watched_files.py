"""Changes made on disk outside the editor (reported through the watchers the server registers)."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from conftest_lsp import SERVER, codes, initialize_params, range_of
from fxlens.lint.docs import rule_doc_uri
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of, wait_for

pytest.importorskip("torch", reason="the workspace model is traced")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

MODEL = textwrap.dedent("""
    from torch import nn


    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 4)
            self.fc2 = nn.Linear(4, 4)

        def forward(self, x):
            return {forward}
""")
USE = textwrap.dedent("""
    import torch
    from torchvision.models.feature_extraction import create_feature_extractor
    from model import Two

    extractor = create_feature_extractor(Two(), return_nodes=["fc2", "fc9"])
    extractor(torch.rand(2, 4))
""")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    params = initialize_params(tmp_path_factory.mktemp("workspace"))
    params.capabilities.workspace.did_change_watched_files = types.DidChangeWatchedFilesClientCapabilities(
        dynamic_registration=True
    )
    await lsp_client.start_session(params)
    yield
    await lsp_client.shutdown_session()


def changed(client: RecordingClient, path: Path, kind: types.FileChangeType = types.FileChangeType.Changed) -> None:
    """Tell the server, as the client's file watcher would, that ``path`` changed on disk."""
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams([types.FileEvent(path.as_uri(), kind)]))


def unknown(name: str) -> str:
    return f"`{name}` is not a node of Two"


def unknown_in(text: str, name: str, suggested: str) -> types.Diagnostic:
    """The error for ``name``, in the script ``text``, which is not a node of ``Two``."""
    return types.Diagnostic(
        range=range_of(text, f'"{name}"', 1, len(name)),
        message=f"{unknown(name)}; did you mean {suggested}?",
        severity=types.DiagnosticSeverity.Error,
        code="FXL001",
        code_description=types.CodeDescription(href=rule_doc_uri("FXL001")),
        source="fxlens",
        data={"name": "unknown-node"},
    )


async def test_the_server_watches_python_files_and_pyproject(client: RecordingClient) -> None:
    def watched() -> list[types.Registration]:  # the server registers at the end of its `initialized` handler
        return [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]

    (registration,) = await wait_for(client, watched, lambda found: len(found) == 1, what="the file watchers")
    patterns = [w["globPattern"] if isinstance(w, dict) else w.glob_pattern for w in _watchers(registration)]
    assert patterns == ["**/*.py", "**/pyproject.toml"]


def _watchers(registration: types.Registration) -> list:
    options = registration.register_options
    return options["watchers"] if isinstance(options, dict) else options.watchers


async def test_a_model_file_rewritten_on_disk_relints_the_documents_that_use_it(
    client: RecordingClient, documents: Documents
) -> None:
    documents.write("model.py", MODEL.format(forward="self.fc2(self.fc1(x))"))
    uri = documents.open(documents.write("use.py", USE))
    traced = await diagnostics_of(client, uri, lambda d: "FXL001" in codes(d), what="FXL001 (traced)")
    assert [d.message.split(";")[0] for d in traced] == [unknown("fc9")]
    assert list(traced) == [unknown_in(USE, "fc9", "`fc2`, `fc1`")]
    changed(client, documents.write("model.py", MODEL.format(forward="self.fc1(x)")))
    diagnostics = await diagnostics_of(client, uri, lambda d: len(d) == 2, what="two findings")
    assert [d.message.split(";")[0] for d in diagnostics] == [unknown("fc2"), unknown("fc9")]
    assert list(diagnostics) == [unknown_in(USE, "fc2", "`fc1`"), unknown_in(USE, "fc9", "`fc1`")]


@pytest_asyncio.fixture(loop_scope="module")
async def rewrite_pyproject(client: RecordingClient) -> AsyncIterator[Callable[[str], None]]:
    """Write the workspace's pyproject.toml and tell the server; removed after the test (and told)."""
    assert client.root is not None
    path = client.root / "pyproject.toml"

    def rewrite(text: str) -> None:
        path.write_text(text)
        changed(client, path)

    yield rewrite
    path.unlink(missing_ok=True)
    changed(client, path, types.FileChangeType.Deleted)


async def test_a_pyproject_rewritten_on_disk_is_reloaded_and_its_errors_reported(
    client: RecordingClient, documents: Documents, rewrite_pyproject: Callable[[str], None]
) -> None:
    rewrite_pyproject('[tool.fxlens]\ntrace-timeout = "soon"\n')
    shown = await wait_for(
        client,
        documents.messages,
        lambda shown: any("trace-timeout" in m.message for m in shown),
        what="a message about trace-timeout",
    )
    assert "tool.fxlens.trace-timeout" in shown[0].message
    assert shown == [
        types.ShowMessageParams(
            types.MessageType.Warning,
            "fxlens: pyproject.toml [tool.fxlens] tool.fxlens.trace-timeout: must be a positive number of seconds"
            " (using the default)",
        )
    ]


async def test_a_module_created_on_disk_resolves_a_model_that_was_not_found(
    client: RecordingClient, documents: Documents
) -> None:
    text = USE.replace("from model import Two", "from later import Two")
    uri = documents.open(documents.write("later_use.py", text))
    unresolved = await diagnostics_of(client, uri, lambda d: "FXL012" in codes(d), what="FXL012 (not found)")
    assert list(unresolved) == [
        types.Diagnostic(
            range=range_of(text, "Two()", 0, len("Two")),
            message="fxlens cannot tell which model this is: `Two` comes from `later`, which is neither torchvision,"
            " timm nor a module of this workspace; fxlens cannot build it — wrap it in a function of a workspace"
            " module and call that",
            severity=types.DiagnosticSeverity.Information,
            code="FXL012",
            code_description=types.CodeDescription(href=rule_doc_uri("FXL012")),
            source="fxlens",
            data={"name": "unresolved-model"},
        )
    ]
    later = documents.write("later.py", MODEL.format(forward="self.fc2(self.fc1(x))"))
    changed(client, later)
    diagnostics = await diagnostics_of(
        client, uri, lambda d: "FXL012" not in codes(d) and "FXL001" in codes(d), what="FXL001 (traced)"
    )
    assert [d.message.split(";")[0] for d in diagnostics] == [unknown("fc9")]
    assert list(diagnostics) == [unknown_in(text, "fc9", "`fc2`, `fc1`")]

"""With code execution off (an untrusted workspace) the server parses and lints statically only."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import pytest_lsp
from conftest_lsp import SERVER, codes, initialize_params, position_of, range_of
from fxlens.lint.docs import rule_doc_uri
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

SCRIPT = textwrap.dedent("""
    import pathlib
    from torch import nn
    from torchvision.models.feature_extraction import create_feature_extractor

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            pathlib.Path(__file__).with_name("ran").write_text("code ran")

    create_feature_extractor(Net(), return_nodes=["a(", "fc"], train_return_nodes=["fc"])
""")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    options = {"executeCode": False, "interpreter": 3}
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("untrusted"), options))
    yield
    await lsp_client.shutdown_session()


async def test_static_rules_still_run_and_no_model_code_does(client: RecordingClient, documents: Documents) -> None:
    uri = documents.open(documents.write("script.py", SCRIPT))
    diagnostics = await diagnostics_of(client, uri, lambda d: len(d) >= 2, what="two static findings", version=1)
    assert sorted(codes(diagnostics)) == ["FXL004", "FXL009"]
    call = 'create_feature_extractor(Net(), return_nodes=["a(", "fc"], train_return_nodes=["fc"])'
    assert list(diagnostics) == [
        types.Diagnostic(
            range=range_of(SCRIPT, call),
            message="create_feature_extractor raises ValueError: If any of `train_return_nodes` and"
            " `eval_return_nodes` are specified, then both should be specified",
            severity=types.DiagnosticSeverity.Error,
            code="FXL009",
            code_description=types.CodeDescription(href=rule_doc_uri("FXL009")),
            source="fxlens",
            data={"name": "invalid-arguments"},
        ),
        types.Diagnostic(
            range=range_of(SCRIPT, '"a("', 1, len("a(")),
            message="`a(` is not a valid regular expression (missing ), unterminated subpattern at position 2);"
            " torchvision's name check raises re.error on it",
            severity=types.DiagnosticSeverity.Error,
            code="FXL004",
            code_description=types.CodeDescription(href=rule_doc_uri("FXL004")),
            source="fxlens",
            data={"name": "invalid-regex-query"},
        ),
    ]
    assert not ran(documents.folder)
    assert any("fxlens.interpreter must be the path" in m.message for m in client.messages)
    assert client.messages == [  # shown at initialize, for the session
        types.ShowMessageParams(
            types.MessageType.Warning,
            "fxlens: fxlens.interpreter must be the path of a Python interpreter (using the default)",
        )
    ]


def ran(folder: Path) -> bool:
    """Whether the model's constructor ran (it leaves a file beside the script)."""
    return (folder / "ran").exists()


async def test_completion_says_tracing_is_off_and_never_promises_a_trace(
    client: RecordingClient, documents: Documents
) -> None:
    uri = documents.open(documents.write("script.py", SCRIPT))
    await diagnostics_of(client, uri, lambda d: len(d) >= 2, what="the static findings", version=1)
    where = position_of(SCRIPT, '"fc"], train', 1)
    answer = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), where)
    )
    assert answer is not None and not answer.is_incomplete
    assert [item.label for item in answer.items] == [
        "fxlens: tracing is off: the workspace is not trusted, so no model code runs (static rules only)"
    ]
    assert not ran(documents.folder)

"""fxlens on a realistic workspace, call by call, against what running torchvision and timm did.

`truth.json` was recorded by `record_truth.py` (real models on CPU). Here the real `fxlens check`
(one subprocess for the whole workspace) and the real language server (one, over stdio) must
agree with it at every marked call: the same findings as the run's failures and silent losses, no
finding where the call is clean, the model's real node names in completion and its real output
shapes in hover. Each call is its own test case, named by its id.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import pytest
import pytest_lsp
from expectations import (
    CALLS,
    REPORTED,
    WORKSPACE,
    completion_names,
    expected_codes,
    findings_at,
    is_valid_query,
    model_class,
    model_names,
    places,
    query_strings,
    served_outputs,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

pytest.importorskip("torchvision", reason="the workspace's models are torchvision's")
pytest.importorskip("timm", reason="the workspace uses timm models")
pytestmark = pytest.mark.timeout(900)
ASYNC = pytest.mark.asyncio(loop_scope="module")

CACHE = tempfile.mkdtemp(prefix="fxlens-realworld-cache-")  # shared: the server reuses the CLI's traces
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "fxlens", "serve", "--stdio"],
    server_env={"XDG_CACHE_HOME": CACHE, "PATH": "/usr/bin:/bin"},
)
FAILED_FILE = re.compile(r"^(.+?):1:1: (fxlens failed on this file.*)$")
TRACED = [i for i, c in CALLS.items() if c.get("model")]
WITH_LITERALS = [i for i in TRACED if CALLS[i]["function"] == "create_feature_extractor" and query_strings(i)]
WITH_OUTPUTS = [i for i in WITH_LITERALS if any(served_outputs(CALLS[i], q.query) for q in query_strings(i))]


@dataclass(frozen=True)
class Check:
    findings: list[dict]
    failed_files: dict[str, str]  # file -> what `fxlens check` said when it failed on it


@pytest.fixture(scope="module")
def check() -> Check:
    """`fxlens check --output-format json .` run once in the workspace."""
    result = subprocess.run(
        [sys.executable, "-m", "fxlens", "check", "--output-format", "json", "."],
        cwd=WORKSPACE,
        env={**os.environ, "XDG_CACHE_HOME": CACHE},
        capture_output=True,
        text=True,
        timeout=850,
    )
    assert result.stdout.lstrip().startswith("["), f"exit {result.returncode}, no JSON: {result.stderr[-2000:]}"
    failed = {}
    for line in result.stderr.splitlines():
        if (match := FAILED_FILE.match(line)) is not None:
            failed[os.path.normpath(match.group(1))] = match.group(2)
    return Check(json.loads(result.stdout), failed)


def _assert_checked(call_id: str, check: Check) -> None:
    """fxlens did not fail on the call's file or on a file holding one of its literals."""
    files = {p.file for p in places(call_id)}
    failed = {f: check.failed_files[f] for f in sorted(files & set(check.failed_files))}
    assert not failed, f"fxlens check failed on {failed}"


def _described(found: list[dict]) -> str:
    return "\n".join(f"  {f['filename']}:{f['location']['row']} {f['code']} {f['message']}" for f in found) or "  none"


@pytest.mark.parametrize("call_id", list(CALLS))
def test_check_reports_what_the_call_really_does(call_id: str, check: Check) -> None:
    """A call that raises or silently loses outputs gets the rule that predicts it; a clean call gets none."""
    _assert_checked(call_id, check)
    call = CALLS[call_id]
    at_call = findings_at(call_id, check.findings)
    reported = {f["code"] for f in at_call if f["severity"] in REPORTED}
    expected = expected_codes(call)
    what = call.get("exception", {}).get("message") or f"returned {call['outcome']}"
    assert reported == expected, (
        f"{call['file']}:{call['line']} ({what[:160]}): expected {sorted(expected) or 'no finding'}, "
        f"fxlens reported:\n{_described(at_call)}"
    )


@pytest.mark.parametrize("call_id", TRACED)
def test_check_resolves_and_traces_the_model_of_each_call(call_id: str, check: Check) -> None:
    """torchvision traced the call's model: fxlens must know which model it is and trace it too."""
    _assert_checked(call_id, check)
    at_call = findings_at(call_id, check.findings)
    unresolved = [f for f in at_call if f["code"] in ("FXL011", "FXL012")]
    assert not unresolved, f"the model is {model_class(CALLS[call_id])}:\n{_described(unresolved)}"


# -- the language server ----------------------------------------------------------------------


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    markdown = [types.MarkupKind.Markdown, types.MarkupKind.PlainText]
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=markdown),
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(documentation_format=markdown)
            ),
        ),
    )
    await lsp_client.initialize_session(types.InitializeParams(capabilities=capabilities, root_uri=WORKSPACE.as_uri()))
    opened = {CALLS[i]["file"] for i in WITH_LITERALS} | {q.file for i in WITH_LITERALS for q in query_strings(i)}
    for path in sorted(WORKSPACE / file for file in opened):
        lsp_client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "python", 1, path.read_text()))
        )
    yield
    await lsp_client.shutdown_session()


async def _complete(client: LanguageClient, file: str, line: int, character: int) -> types.CompletionList | None:
    """Completion at the position, asked again while the server says names are still coming."""
    params = types.CompletionParams(
        types.TextDocumentIdentifier((WORKSPACE / file).as_uri()), types.Position(line, character)
    )
    deadline = asyncio.get_running_loop().time() + 240
    while True:
        result = await client.text_document_completion_async(params)
        if isinstance(result, list):
            result = types.CompletionList(is_incomplete=False, items=result)
        if result is None or not result.is_incomplete or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(1)


@ASYNC
@pytest.mark.parametrize("call_id", WITH_LITERALS)
async def test_completion_in_the_node_literal_offers_the_real_names(client: LanguageClient, call_id: str) -> None:
    """Inside the call's first node string (wherever it is written): every real name, and only valid queries
    (valid for one of the models, in a literal that calls on other models read too)."""
    call = CALLS[call_id]
    place = query_strings(call_id)[0]
    result = await _complete(client, place.file, place.line, place.character)
    assert result is not None and result.items, f"no completion at {place.file}:{place.line + 1} ({place.query!r})"
    assert not result.is_incomplete, "the names were still coming after 240 s"
    labels = [item.label for item in result.items]
    names = completion_names(call, place.query)
    missing = [n for n in names if n not in labels]
    valid = names + [n for other in place.shared_with for n in model_names(CALLS[other]) if CALLS[other].get("model")]
    invalid = [label for label in labels if not is_valid_query(label, valid)]
    assert not missing, (
        f"{len(missing)} of the model's {len(names)} names are not offered, e.g. {missing[:5]}; "
        f"offered {len(labels)}: {labels[:5]}"
    )
    assert not invalid, f"offered names the model does not have: {invalid[:5]}"


@ASYNC
@pytest.mark.parametrize("call_id", WITH_OUTPUTS)
async def test_hover_on_each_node_string_shows_what_the_run_returned(client: LanguageClient, call_id: str) -> None:
    """Hover on each node string names the node the query selected and the shape it had, per mode."""
    await _complete(client, *_first_position(call_id))  # wait until the model's names are known
    wrong = []
    for place in query_strings(call_id):
        served = served_outputs(CALLS[call_id], place.query)
        if not served:
            continue
        hover = await client.text_document_hover_async(
            types.HoverParams(
                types.TextDocumentIdentifier((WORKSPACE / place.file).as_uri()),
                types.Position(place.line, place.character),
            )
        )
        text = hover.contents.value if hover is not None and isinstance(hover.contents, types.MarkupContent) else ""
        for mode, output in served.items():
            shape = "×".join(str(d) for d in output["shape"])
            names_node = output["node"] == place.query or f"`{output['node']}`" in text
            if f"| {mode} | {shape} " not in text or not names_node:
                wrong.append(f"{place.query!r} in {mode}: expected {shape} from `{output['node']}`, hover: {text!r}")
    assert not wrong, "\n".join(wrong)


def _first_position(call_id: str) -> tuple[str, int, int]:
    place = query_strings(call_id)[0]
    return place.file, place.line, place.character

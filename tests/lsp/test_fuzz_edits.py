"""A seeded random-edit fuzzer: whatever the edits, the server's copy never drifts and its findings
end equal to ``fxlens check`` on the final text.

Each step edits one of two scripts the way people and editors do (typing, deleting, pasting,
unicode whitespace and astral characters, CR and CRLF line breaks, unterminated strings, whole-text
changes, save, close and reopen with versions restarted) and now and then asks for completion or
hover at a random (sometimes out-of-range) position. It asserts that every request is answered
within a bound, that no error is shown, and at the end that the diagnostics of each document equal
what ``fxlens check`` reports for it.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import pytest_lsp
from conftest_lsp import CACHE, SERVER, initialize_params
from lsprotocol import types
from recording_client import RecordingClient
from waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="module")]

NETS = """
import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, width: int = 8):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        return self.head(self.act(self.stem(x)).mean((2, 3)))
"""

SCRIPT = """
import torch
from torchvision.models.feature_extraction import create_feature_extractor
from nets import TinyNet

taps = {"stem": "low", "head": "out"}
model = TinyNet(width=8)
first = create_feature_extractor(model, return_nodes=taps)
second = create_feature_extractor(TinyNet(), return_nodes=["stem", "act", "hed", "mean"])
first(torch.rand(1, 3, 32, 32))
"""

SNIPPETS = [
    '"',
    "'",
    "[",
    "]",
    "{",
    "}",
    ", ",
    '"stem", ',
    '"head"',
    '"layer1.',
    "\n",
    "\r\n",
    "\r",
    "    ",
    "\u00a0",
    "\u2028",
    "\u3000",
    "\x0b",
    "é",
    "😀",
    "e\u0301",
    "\u202e",
    "\ufeff",
    "# comment\n",
    'create_feature_extractor(TinyNet(), ["stem", "acts"])\n',
    "def f(:\n",
    "x = (",
]

REQUEST_BOUND = 20.0  # seconds any request may take, even on a loaded machine
MAX_TEXT = 3_000  # characters: past this, edits only delete, so a long run stays a script's size


def split_lines(text: str) -> list[str]:
    """Lines as LSP counts them: broken at CRLF, CR and LF only."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def lsp_position(text: str, offset: int) -> types.Position:
    """The LSP (UTF-16) position of code-point ``offset`` in ``text``."""
    before = text[:offset]
    lines = split_lines(before)
    return types.Position(len(lines) - 1, utf16(lines[-1]))


def code_point_column(line: str, units: int) -> int:
    """The code-point column of UTF-16 column ``units`` in ``line``."""
    count = 0
    for column, char in enumerate(line):
        if count >= units:
            return column
        count += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def safe_offset(text: str, rng: random.Random) -> int:
    """A random code-point offset that does not split a CRLF pair."""
    offset = rng.randint(0, len(text))
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        offset -= 1
    return offset


class Fuzzed:
    """One document's text as the client holds it, and its version."""

    def __init__(self, client: RecordingClient, path: Path) -> None:
        self.client, self.path, self.uri = client, path, path.as_uri()
        self.text, self.version, self.open = path.read_text(), 1, False

    def do_open(self) -> None:
        self.version = 1  # a reopened document starts its versions again, as VS Code does
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(self.uri, "python", self.version, self.text))
        )
        self.open = True

    def do_close(self) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(self.uri)))
        self.open = False

    def edit(self, rng: random.Random) -> None:
        """One random change: usually a range edit, sometimes the whole text."""
        self.version += 1
        if rng.random() < 0.05:
            self.text = self.text[: len(self.text) // 2] + rng.choice(SNIPPETS) + self.text[len(self.text) // 2 :]
            change: types.TextDocumentContentChangeEvent = types.TextDocumentContentChangeWholeDocument(self.text)
        else:
            start = safe_offset(self.text, rng)
            end = (
                start
                if rng.random() < 0.6 and len(self.text) <= MAX_TEXT
                else min(len(self.text), start + rng.randint(1, 40))
            )
            if 0 < end < len(self.text) and self.text[end - 1] == "\r" and self.text[end] == "\n":
                end += 1  # delete the whole CRLF, never half of it
            grown = len(self.text) > MAX_TEXT  # keep the document a script's size: long runs delete more
            new = "" if grown else "".join(rng.choice(SNIPPETS) for _ in range(rng.randint(0, 3)))
            where = types.Range(lsp_position(self.text, start), lsp_position(self.text, end))
            change = types.TextDocumentContentChangePartial(where, new)
            self.text = self.text[:start] + new + self.text[end:]
        identifier = types.VersionedTextDocumentIdentifier(version=self.version, uri=self.uri)
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(identifier, [change]))

    def random_position(self, rng: random.Random) -> types.Position:
        lines = split_lines(self.text)
        line = rng.randint(0, len(lines) + 2)  # now and then past the end
        column = rng.randint(0, (utf16(lines[line]) if line < len(lines) else 3) + 2)
        return types.Position(line, column)


def findings_in_code_points(text: str, diagnostics: list[types.Diagnostic]) -> list[tuple[str, int, int, str]]:
    lines = split_lines(text)
    found = []
    for d in diagnostics:
        line = d.range.start.line
        column = code_point_column(lines[line], d.range.start.character) if line < len(lines) else 0
        found.append((str(d.code), line, column, d.message))
    return sorted(found)


def check_findings(path: Path) -> list[tuple[str, int, int, str]]:
    """What ``fxlens check`` reports for the file on disk, in the same terms."""
    result = subprocess.run(
        [sys.executable, "-m", "fxlens", "check", "--output-format", "json", str(path)],
        capture_output=True, text=True, env={"XDG_CACHE_HOME": CACHE, "PATH": "/usr/bin:/bin"}, timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return sorted(
        (f["code"], f["location"]["row"] - 1, f["location"]["column"] - 1, f["message"])
        for f in json.loads(result.stdout)
    )


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("fuzz")
    await lsp_client.start_session(initialize_params(root))
    yield
    await lsp_client.shutdown_session()


async def fuzz(client: RecordingClient, steps: int, seed: int) -> None:
    rng = random.Random(seed)
    root = client.root
    assert root is not None
    folder = root / f"seed_{seed}"
    folder.mkdir()
    (folder / "nets.py").write_text(textwrap.dedent(NETS))
    documents = []
    for name in ("a.py", "b.py"):
        (folder / name).write_text(textwrap.dedent(SCRIPT))
        documents.append(Fuzzed(client, folder / name))
    for doc in documents:
        doc.do_open()
    for step in range(steps):
        doc = rng.choice(documents)
        roll = rng.random()
        if not doc.open:
            doc.do_open()
        elif roll < 0.02:
            doc.do_close()
        elif roll < 0.04:
            doc.path.write_text(doc.text, newline="")
            client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(doc.uri)))
        else:
            doc.edit(rng)
        if step % 7 == 0 and doc.open:
            identifier, position = types.TextDocumentIdentifier(doc.uri), doc.random_position(rng)
            if rng.random() < 0.5:
                request = client.text_document_completion_async(types.CompletionParams(identifier, position))
            else:
                request = client.text_document_hover_async(types.HoverParams(identifier, position))
            await asyncio.wait_for(request, REQUEST_BOUND)
        if step % 50 == 0:
            await asyncio.sleep(0)  # let the server's messages in
    for doc in documents:
        if not doc.open:
            doc.do_open()
        doc.path.write_text(doc.text, newline="")
        expected = check_findings(doc.path)

        def current(doc: Fuzzed = doc) -> list[tuple[str, int, int, str]] | None:
            published = client.published.get(doc.uri)
            if published is None or published.version != doc.version:
                return None
            return findings_in_code_points(doc.text, list(published.diagnostics))

        await wait_for(
            client,
            current,
            lambda seen, expected=expected: seen == expected,
            what=f"the diagnostics of {doc.path.name} (seed {seed}) to equal fxlens check's: {expected}",
            timeout=120,
        )
    errors = [m for m in client.messages if m.type == types.MessageType.Error]
    assert errors == []


async def test_random_edits_end_with_the_diagnostics_fxlens_check_reports(client: RecordingClient) -> None:
    for seed in (1, 2, 3):
        await fuzz(client, steps=120, seed=seed)


@pytest.mark.slow
@pytest.mark.timeout(1800)
async def test_a_long_random_edit_run_ends_with_the_diagnostics_fxlens_check_reports(client: RecordingClient) -> None:
    await fuzz(client, steps=10_000, seed=2026)

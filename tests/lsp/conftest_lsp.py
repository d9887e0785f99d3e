"""A real fxlens language server over stdio, on a workspace of real models, for end-to-end tests."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

CACHE = tempfile.mkdtemp(prefix="fxlens-lsp-cache-")
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "fxlens", "serve", "--stdio"],
    server_env={"XDG_CACHE_HOME": CACHE, "PATH": "/usr/bin:/bin"},
)

BLOCKS = """
import torch
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, width: int = 8):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.head = nn.Linear(width, 10)
        self.aux = nn.Linear(width, 10)

    def forward(self, x):
        pooled = self.stem(x).mean((2, 3))
        if self.training:
            return self.head(pooled) + self.aux(pooled)
        return self.head(pooled)
"""

TRAIN = """
import torch
from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor
from nets import TinyNet

model = resnet18(weights=None)
extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu2", "layer4"])
extractor(torch.rand(1, 3, 64, 64))

tiny = create_feature_extractor(TinyNet(width=8), return_nodes=["head", "aux"])
"""


def make_workspace(root: Path) -> Path:
    """A workspace: a package re-exporting a model class, and a script using it and resnet18."""
    (root / "nets").mkdir()
    (root / "nets" / "__init__.py").write_text("from .blocks import TinyNet\n")
    (root / "nets" / "blocks.py").write_text(textwrap.dedent(BLOCKS))
    (root / "train.py").write_text(textwrap.dedent(TRAIN))
    return root


def initialize_params(root: Path, options: dict | None = None) -> types.InitializeParams:
    markdown = [types.MarkupKind.Markdown, types.MarkupKind.PlainText]
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(configuration=True),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=markdown),
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(documentation_format=markdown)
            ),
        ),
    )
    return types.InitializeParams(
        capabilities=capabilities, root_uri=root.as_uri(), initialization_options=options or {}
    )


def open_document(client: LanguageClient, path: Path, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", version, path.read_text()))
    )
    return uri


async def diagnostics_where(
    client: LanguageClient, uri: str, accept: Callable[[Sequence[types.Diagnostic]], bool], timeout: float = 90
) -> Sequence[types.Diagnostic]:
    """Wait until the diagnostics published for ``uri`` satisfy ``accept``."""

    async def wait() -> Sequence[types.Diagnostic]:
        while not (uri in client.diagnostics and accept(client.diagnostics[uri])):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return client.diagnostics[uri]

    return await asyncio.wait_for(wait(), timeout)


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in diagnostics]


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of ``needle`` in ``text`` (plus ``offset`` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line, index - (text.rfind("\n", 0, index) + 1))

"""A real fxlens language server over stdio, and the real models and scripts the end-to-end tests open."""

from __future__ import annotations

import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig
from recording_client import make_client

CACHE = tempfile.mkdtemp(prefix="fxlens-lsp-cache-")
SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "fxlens", "serve", "--stdio"],
    client_factory=make_client,
    server_env={"XDG_CACHE_HOME": CACHE, "PATH": "/usr/bin:/bin"},
)

BLOCKS = textwrap.dedent("""
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
""")

TRAIN = textwrap.dedent("""
import torch
from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor
from nets import TinyNet

model = resnet18(weights=None)
extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu2", "layer4"])
extractor(torch.rand(1, 3, 64, 64))

tiny = create_feature_extractor(TinyNet(width=8), return_nodes=["head", "aux"])
""")


def write_project(folder: Path) -> Path:
    """A package re-exporting a model class, and a script (returned) using it and resnet18."""
    (folder / "nets").mkdir()
    (folder / "nets" / "__init__.py").write_text("from .blocks import TinyNet\n")
    (folder / "nets" / "blocks.py").write_text(BLOCKS)
    (folder / "train.py").write_text(TRAIN)
    return folder / "train.py"


def initialize_params(root: Path, options: dict | None = None) -> types.InitializeParams:
    """What VS Code sends, in short: progress, pulled configuration and Markdown hover and completion."""
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


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in diagnostics]


def position_of(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of ``needle`` in ``text`` (plus ``offset`` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line, index - (text.rfind("\n", 0, index) + 1))


def range_of(text: str, needle: str, offset: int = 0, length: int | None = None) -> types.Range:
    """The range of ``needle`` in ``text`` (from ``offset`` characters in, ``length`` long, on one line)."""
    start = position_of(text, needle, offset)
    size = len(needle) - offset if length is None else length
    return types.Range(start, types.Position(start.line, start.character + size))

"""The LSP test helpers of ``tests/lsp`` (server config, documents, waiting) for the traceability tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "lsp"))

from isolation import documents  # noqa: F401 - the fixture

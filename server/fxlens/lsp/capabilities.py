"""What the client declared it can do, read safely: a level the client left out is ``None``."""

from __future__ import annotations

from typing import Any

from lsprotocol import types


def client_capability(capabilities: types.ClientCapabilities | None, *path: str) -> Any:
    """A nested client capability (``"text_document", "hover", "content_format"``), or None where
    the client left out a level."""
    value: Any = capabilities
    for name in path:
        value = getattr(value, name, None)
        if value is None:
            return None
    return value

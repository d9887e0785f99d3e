"""pygls' protocol, answering what it cannot read with JSON-RPC errors.

pygls reports a request whose params do not match the LSP types, or a body that is not JSON, only
as a ``window/showMessage``: the client's request then waits forever. Here such a request gets an
error response with its id (``-32602``, saying which field is wrong), and unreadable JSON a parse
error (``-32700``, id null), as JSON-RPC 2.0 asks; the server keeps serving either way.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cattrs import ClassValidationError, transform_error
from lsprotocol.types import ResponseError
from pygls.exceptions import JsonRpcException, JsonRpcParseError
from pygls.protocol import LanguageServerProtocol

logger = logging.getLogger("fxlens.lsp")


class _Rejected:
    """A request already answered with an error while it was read; nothing more to do."""


REJECTED = _Rejected()


class FxlensProtocol(LanguageServerProtocol):
    """``LanguageServerProtocol`` that answers unreadable requests instead of dropping them."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if not ("jsonrpc" in data and "method" in data and "id" in data):
                raise  # a notification or a nested object: pygls reports it
            cause = error.__cause__
            detail = (
                "; ".join(transform_error(cause)) if isinstance(cause, ClassValidationError) else str(cause or error)
            )
            message = f"cannot read the {data['method']} request: {detail}"
            logger.warning(message)
            self._send_response(data["id"], error=ResponseError(code=error.code, message=message))
            return REJECTED

    def handle_message(self, message: Any) -> None:
        if message is not REJECTED:
            super().handle_message(message)

    def reject_unparsable(self, error: json.JSONDecodeError) -> None:
        """Answer a body that is not JSON with a parse error (its id cannot be known)."""
        error_object = {"code": JsonRpcParseError.CODE, "message": f"the message is not JSON: {error}"}
        self._send_data({"jsonrpc": self.VERSION, "id": None, "error": error_object})  # a plain dict keeps "id": null

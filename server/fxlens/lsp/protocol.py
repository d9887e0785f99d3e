"""pygls' protocol, answering what it cannot read, and what comes out of turn, with JSON-RPC errors.

pygls reports a request whose params do not match the LSP types, or a body that is not JSON, only
as a ``window/showMessage``: the client's request then waits forever. Here such a request gets an
error response with its id (``-32602``, saying which field is wrong), and unreadable JSON a parse
error (``-32700``, id null), as JSON-RPC 2.0 asks. The lifecycle is enforced as LSP says: a
request before ``initialize`` gets ``-32002``, a second ``initialize`` and any request after
``shutdown`` get ``-32600``; a client's late answer to a request the server gave up on is
dropped quietly. The server keeps serving either way.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

from cattrs import ClassValidationError, transform_error
from lsprotocol import types
from lsprotocol.types import ResponseError
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol

logger = logging.getLogger("fxlens.lsp")


class _Rejected:
    """A request already answered with an error while it was read; nothing more to do."""


REJECTED = _Rejected()


class FxlensProtocol(LanguageServerProtocol):
    """``LanguageServerProtocol`` that answers unreadable and out-of-turn requests instead of dropping them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_received = False

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
        if message is REJECTED:
            return
        method, is_request = getattr(message, "method", None), hasattr(message, "id") and hasattr(message, "method")
        refusal = self._out_of_turn(method) if method is not None else None
        if refusal is None:
            if method == types.INITIALIZE:
                self._initialize_received = True
            super().handle_message(message)
        elif is_request:
            logger.warning("%s request refused: %s", method, refusal.message)
            self._send_response(message.id, error=refusal)
        # a notification out of turn is dropped, as LSP asks (``exit`` is never out of turn)

    def _out_of_turn(self, method: str) -> ResponseError | None:
        """Why ``method`` cannot be handled now in the LSP lifecycle (None: it can)."""
        if method == types.EXIT:
            return None
        if self._shutdown:
            return ResponseError(JsonRpcInvalidRequest.CODE, f"the server is shut down: {method} is refused")
        initialized = self._initialize_received
        if method == types.INITIALIZE and initialized:
            return ResponseError(JsonRpcInvalidRequest.CODE, "initialize was already received")
        if method != types.INITIALIZE and not initialized:
            return ResponseError(JsonRpcServerNotInitialized.CODE, f"{method} before initialize")
        return None

    def _handle_response(self, msg_id: Any, result: Any | None = None, error: ResponseError | None = None) -> None:
        """A client's answer; one to a request the server no longer waits for is dropped."""
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():
            self._request_futures.pop(msg_id, None)
            logger.info("late answer to request %s dropped", msg_id)
            return
        super()._handle_response(msg_id, result, error)

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        """A handler's result; a refusal it raised (a JSON-RPC error) is answered with one log line."""
        error = future.exception() if future.done() and not future.cancelled() else None
        if isinstance(error, JsonRpcException):
            self._request_futures.pop(msg_id, None)
            logger.warning("request %s refused: %s", msg_id, error.message)
            self._send_response(msg_id, error=error.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)

    def reject_unparsable(self, error: ValueError) -> None:
        """Answer a body that is not JSON (or not UTF-8) with a parse error (its id cannot be known)."""
        logger.warning("a message that is not JSON: %s", error)
        error_object = {"code": JsonRpcParseError.CODE, "message": f"the message is not JSON: {error}"}
        self._send_data({"jsonrpc": self.VERSION, "id": None, "error": error_object})  # a plain dict keeps "id": null

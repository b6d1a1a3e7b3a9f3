"""JSON-RPC: a request whose params do not fit its method gets an error response (-32602).

pygls 2.1 structures each incoming message inside ``json.loads`` (an ``object_hook``); when the
params do not fit (a hover without ``position``) it raises there, the read loop logs the
exception and the request is dropped without a response, so the client waits forever. JSON-RPC
2.0 says the server answers with ``-32602 Invalid params``. This protocol answers it, and also
refuses negative line/character numbers (LSP positions are unsigned integers), which
``lsprotocol``'s converter lets through.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol.types import ResponseError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger("shapelens.lsp")


class _Dropped:
    """What the read loop gets for a request already answered with an error: handle_message
    ignores a message whose ``jsonrpc`` is not 2.0."""

    jsonrpc = "answered-with-an-error"

    def __repr__(self) -> str:
        return "a request already answered with an error"


def _negative_position(params: Any) -> str | None:
    if not isinstance(params, dict):
        return None
    for key in ("position", "range"):
        value = params.get(key)
        points = [value] if key == "position" else [value.get("start"), value.get("end")] if isinstance(value, dict) else []
        for point in points:
            if isinstance(point, dict):
                for field in ("line", "character"):
                    number = point.get(field)
                    if isinstance(number, int) and number < 0:
                        return f"{key}.{field} must not be negative (got {number})"
    return None


class ShapelensProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]):
        is_request = isinstance(data, dict) and "jsonrpc" in data and "id" in data and "method" in data
        if is_request:
            problem = _negative_position(data.get("params"))
            if problem:
                return self._refuse(data, JsonRpcInvalidParams.CODE, f"Invalid params: {problem}")
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not is_request:
                raise
            return self._refuse(data, exc.CODE, f"Invalid params for {data.get('method')}"
                                if isinstance(exc, JsonRpcInvalidParams) else "Internal error")

    def _refuse(self, data: dict, code: int, message: str) -> _Dropped:
        log.warning("%s: %s", data.get("method"), message)
        self._send_response(data["id"], error=ResponseError(code=code, message=message))
        return _Dropped()

"""The one module the server and the TensorFlow worker share: newline-delimited JSON.

Standard library only, and valid on every Python TensorFlow supports: the worker imports
it under the user's interpreter.

Worker -> server, once, when it is ready (after importing TensorFlow) or cannot be::

    {"kind": "hello", "protocol": 1, "pid": 4242, "python": "3.11.7",
     "tensorflow": "2.21.0", "keras": "3.15.1", "load_seconds": 4.2}
    {"kind": "hello", "protocol": 1, "pid": 4242, "python": "3.11.7",
     "error": {"kind": "tensorflow-missing", "type": "ModuleNotFoundError", "message": "..."}}

Server -> worker, one request per line; the worker answers each in order::

    {"id": 1, "method": "build", "params": {"spec": PAYLOAD}}
    {"id": 2, "method": "ping"}
    {"id": 3, "method": "shutdown"}
    {"id": 1, "result": REPORT}           # or {"id": 1, "error": {"type": ..., "message": ...}}

PAYLOAD is :func:`payload` of an engine specification (core/spec.py): the same layers,
calls, tensors and models without source positions, plus ``nested`` (layer id -> index
in ``models`` of a model used as a layer). REPORT::

    {"layers": [{"id": 3, "status": "built" | "constructed" | "raised" | "skipped",
                 "params": 320 | null, "error": ERROR | null, "reason": "..." | null}],
     "calls":  [{"order": 6, "layer": 3, "status": "ok" | "raised" | "skipped",
                 "inputs": [SHAPE, ...] | null, "outputs": [SHAPE, ...] | null,
                 "assumed": false, "error": ERROR | null, "reason": "..." | null}],
     "models": [{"index": 0, "status": "ok" | "raised" | "skipped", "params": 1234 | null,
                 "error": ERROR | null, "reason": "..." | null}],
     "seconds": 0.12}

SHAPE is a list of ints and nulls; ERROR is ``{"type": "ValueError", "message": "..."}``
with Keras's message. A call is ``assumed`` when one of its inputs is the engine's shape
standing in for a tensor TensorFlow could not produce (an unknown layer before it).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

PROTOCOL_VERSION = 1
INSTALL_COMMAND = "pip install 'shapelens[tf]'"

# hello error kinds
TENSORFLOW_MISSING = "tensorflow-missing"
IMPORT_FAILED = "import-failed"

# Environment of the worker process.
ENV_MEMORY_MB = "SHAPELENS_WORKER_MEMORY_MB"  # address-space limit; 0 = none
ENV_TEST_HOOKS = "SHAPELENS_TEST_HOOKS"  # "1": honour a build request's "test" field (tests only)
DEFAULT_MEMORY_MB = 4096

_POSITION_KEYS = ("line", "col")


def dumps(message: dict) -> bytes:
    """One message as one line (ASCII JSON, so that no encoding can split it)."""
    return json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"


def loads(line: bytes | str) -> dict:
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a protocol message is a JSON object")
    return message


def request(request_id: int, method: str, params: dict | None = None) -> dict:
    message: dict[str, Any] = {"id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def response(request_id: Any, result: Any = None, error: dict | None = None) -> dict:
    if error is not None:
        return {"id": request_id, "error": error}
    return {"id": request_id, "result": result}


def error(exc: BaseException, limit: int = 2000) -> dict:
    """An exception as the protocol carries it: its type and its cleaned-up message."""
    return {"type": type(exc).__name__, "message": clean_message(str(exc), limit)}


def clean_message(text: str, limit: int = 2000) -> str:
    """Keras messages without terminal bold, the echo of the call arguments, extra spaces."""
    text = text.replace("\x1b[1m", "").replace("\x1b[0m", "")
    cut = text.find("Arguments received by")
    if cut > 0:
        text = text[:cut]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- payloads


_UNKNOWN = {"__unknown__": True}


def _strip(value: Any) -> Any:
    """Without source positions, and plain JSON: anything else is unknown to the worker."""
    if isinstance(value, dict):
        return {str(k): _strip(v) for k, v in value.items() if k not in _POSITION_KEYS}
    if isinstance(value, (list, tuple)):
        return [_strip(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return dict(_UNKNOWN)


def payload(spec: dict) -> dict:
    """What the worker receives for an engine specification: no source positions, so that
    moving code around (or editing a comment) sends the same payload.

    Models used as layers are tied to their entry in ``models`` here, where positions are
    still known (both sides of the tie name the same constructor call).
    """
    models = spec.get("models", [])
    by_site = {(m.get("kind"), m.get("line")): i for i, m in enumerate(models)}
    nested = {}
    for layer in spec.get("layers", []):
        if layer.get("model"):
            index = by_site.get((layer.get("kind"), layer.get("line")))
            if index is not None:
                nested[str(layer["id"])] = index
    return {
        "version": spec.get("version", 1),
        "layers": [_strip(layer) for layer in spec.get("layers", [])],
        "calls": [_strip(call) for call in spec.get("calls", [])],
        "tensors": [_strip(t) for t in spec.get("tensors", [])],
        "models": [_strip(m) for m in models],
        "nested": nested,
    }


def payload_key(data: dict) -> str:
    """A stable hash of a payload: equal payloads get equal TensorFlow answers."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def has_work(data: dict) -> bool:
    """Whether a payload has anything for TensorFlow to build."""
    return bool(data.get("calls")) or any(layer.get("complete") for layer in data.get("layers", []))

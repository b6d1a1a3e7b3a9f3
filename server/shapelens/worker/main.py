"""The worker process: import TensorFlow once, then answer build requests until stdin closes.

``python -m shapelens.worker`` runs it where shapelens is installed; the server starts it
through client.BOOTSTRAP instead, which loads this package alone, so that the user's
interpreter needs TensorFlow but not shapelens.

Only protocol lines reach the real stdout: file descriptor 1 is pointed at stderr before
anything is imported, so a print() or a C library writing to stdout cannot corrupt the
stream.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Any, BinaryIO

from shapelens.worker import guard, protocol

GC_EVERY = 25


def _claim_stdout() -> BinaryIO:
    """A private copy of stdout for protocol lines; fd 1 and sys.stdout then go to stderr."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def _send(out: BinaryIO, message: dict) -> None:
    out.write(protocol.dumps(message))


def _memory_mb() -> int:
    try:
        return int(os.environ.get(protocol.ENV_MEMORY_MB, protocol.DEFAULT_MEMORY_MB))
    except ValueError:
        return protocol.DEFAULT_MEMORY_MB


def _hello(**fields: Any) -> dict:
    return {"kind": "hello", "protocol": protocol.PROTOCOL_VERSION, "pid": os.getpid(),
            "python": platform.python_version(), "executable": sys.executable, **fields}


def _import_error(exc: BaseException) -> dict:
    missing = isinstance(exc, ImportError) and getattr(exc, "name", None) in ("tensorflow", "keras")
    err = protocol.error(exc)
    err["kind"] = protocol.TENSORFLOW_MISSING if missing else protocol.IMPORT_FAILED
    return err


def _test_hooks(params: dict) -> None:
    """Test-only behaviour, honoured only when the environment asks for it."""
    hooks = params.get("test")
    if not hooks or os.environ.get(protocol.ENV_TEST_HOOKS) != "1":
        return
    if hooks.get("sleep"):
        time.sleep(float(hooks["sleep"]))
    if hooks.get("exit") is not None:
        os._exit(int(hooks["exit"]))


def main() -> int:
    out = _claim_stdout()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    memory_note = guard.limit_memory(_memory_mb())
    start = time.perf_counter()
    try:
        import tensorflow as tf
        import keras
    except BaseException as exc:  # noqa: BLE001 -- whatever stops the import is the answer
        _send(out, _hello(error=_import_error(exc)))
        return 3
    from shapelens.worker import rebuild

    guard.install()
    _send(out, _hello(tensorflow=tf.__version__, keras=keras.__version__,
                      load_seconds=round(time.perf_counter() - start, 3), memory=memory_note))
    builds = 0
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            message = protocol.loads(line)
        except ValueError as exc:
            _send(out, protocol.response(None, error=protocol.error(exc)))
            continue
        method, rid = message.get("method"), message.get("id")
        params = message.get("params") or {}
        if method == "shutdown":
            _send(out, protocol.response(rid, {"bye": True}))
            return 0
        if method == "ping":
            _send(out, protocol.response(rid, {"pong": True}))
            continue
        if method != "build":
            _send(out, protocol.response(rid, error={"type": "UnknownMethod", "message": str(method)}))
            continue
        try:
            _test_hooks(params)
            result = rebuild.build(params.get("spec") or {})
        except Exception as exc:  # noqa: BLE001 -- a rebuild bug (or MemoryError) must not end the worker
            _send(out, protocol.response(rid, error=protocol.error(exc)))
        else:
            _send(out, protocol.response(rid, result))
        finally:
            builds += 1
            _reset(keras, collect=builds % GC_EVERY == 0)
    return 0


def _reset(keras: Any, collect: bool) -> None:
    """Fresh names and no graph for the next build. The full garbage collection that
    clear_session() does by default costs about 100 ms, so it runs every GC_EVERY builds."""
    try:
        keras.backend.clear_session(free_memory=collect)
    except TypeError:  # a Keras without the argument
        keras.backend.clear_session()

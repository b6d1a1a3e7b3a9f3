"""Logging: stderr and the client's window/logMessage, quiet (warnings only) by default.

Only the ``shapelens`` loggers reach the client; pygls's own logging stays on stderr, so
sending a log message can never log about itself in a loop.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading

from lsprotocol import types

LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
_TYPES = {logging.ERROR: types.MessageType.Error, logging.WARNING: types.MessageType.Warning,
          logging.INFO: types.MessageType.Info, logging.DEBUG: types.MessageType.Log}


class ClientLogHandler(logging.Handler):
    """Forwards records to the client as window/logMessage, from any thread."""

    def __init__(self, server) -> None:
        super().__init__()
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._local, "busy", False) or self.loop is None or self.loop.is_closed():
            return
        try:
            level = max((lv for lv in _TYPES if lv <= record.levelno), default=logging.DEBUG)
            params = types.LogMessageParams(type=_TYPES[level], message=self.format(record))
        except Exception:  # noqa: BLE001
            self.handleError(record)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._send(params)
        else:
            self.loop.call_soon_threadsafe(self._send, params)

    def _send(self, params: types.LogMessageParams) -> None:
        self._local.busy = True
        try:
            self.server.window_log_message(params)
        except Exception:  # noqa: BLE001 -- no client yet, or the pipe is gone
            pass
        finally:
            self._local.busy = False


def setup(server, level: str) -> ClientLogHandler:
    root = logging.getLogger("shapelens")
    root.propagate = False
    for h in list(root.handlers):
        root.removeHandler(h)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(stderr)
    client = ClientLogHandler(server)
    client.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(client)
    logging.getLogger("pygls").setLevel(logging.WARNING if level != "debug" else logging.DEBUG)
    if not logging.getLogger().handlers:
        logging.getLogger().addHandler(stderr)
    set_level(level)
    return client


def set_level(*levels: str) -> None:
    """The most verbose of the given levels wins (the command line and the options)."""
    value = min((LEVELS.get(lv, logging.WARNING) for lv in levels), default=logging.WARNING)
    logging.getLogger("shapelens").setLevel(value)

"""initialize and shutdown; pygls handles exit."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from shapelens.lsp import settings, textdoc

log = logging.getLogger("shapelens.lsp")


def initialize(ls, params: types.InitializeParams) -> None:
    if ls.log_handler is not None:
        ls.log_handler.loop = asyncio.get_running_loop()
    if not textdoc.install(ls.workspace):
        log.warning("this pygls cannot take LSP-conformant documents; keep files free of form feeds")
    settings.apply(ls, params.initialization_options)


def shutdown(ls, *args) -> None:
    ls.shutdown_requested = True
    ls.worker.stop()

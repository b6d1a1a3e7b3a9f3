"""Registration only: which handler serves which LSP method. `shapelens serve` runs it."""

from __future__ import annotations

import gc
import sys

import logging

from lsprotocol import types

from shapelens.lsp import logs
from shapelens.lsp.features import (
    code_actions,
    code_lens,
    commands,
    configuration,
    diagnostics,
    document_symbols,
    documents,
    dry_run,
    hover,
    inlay_hints,
    lifecycle,
    notebooks,
)
from shapelens.lsp.session import ShapelensServer

log = logging.getLogger("shapelens.lsp")


def build() -> ShapelensServer:
    ls = ShapelensServer()
    feature = ls.feature
    feature(types.INITIALIZE)(lifecycle.initialize)
    feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(configuration.did_change_configuration)
    feature(types.TEXT_DOCUMENT_DID_OPEN)(documents.did_open)
    feature(types.TEXT_DOCUMENT_DID_CHANGE)(documents.did_change)
    feature(types.TEXT_DOCUMENT_DID_CLOSE)(documents.did_close)
    ls.result_listeners.append(diagnostics.publish)
    # The TensorFlow dry run wraps these static features (features/dry_run.py).
    feature(types.SHUTDOWN)(dry_run.shutdown)
    feature(types.TEXT_DOCUMENT_DID_SAVE)(dry_run.did_save)
    feature(types.TEXT_DOCUMENT_DIAGNOSTIC, diagnostics.OPTIONS)(dry_run.pull)
    feature(types.TEXT_DOCUMENT_HOVER)(dry_run.hover)
    ls.result_listeners.append(dry_run.on_result)
    ls.command(dry_run.CONFIRM)(dry_run.confirm)
    feature(types.TEXT_DOCUMENT_INLAY_HINT, inlay_hints.OPTIONS)(inlay_hints.inlay_hints)
    feature(types.TEXT_DOCUMENT_CODE_LENS, code_lens.OPTIONS)(code_lens.code_lens)
    feature(types.TEXT_DOCUMENT_CODE_ACTION, code_actions.OPTIONS)(code_actions.code_actions)
    feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(document_symbols.document_symbols)
    ls.command(commands.SHOW_SUMMARY)(commands.show_summary)
    notebooks.register(ls)  # last: it routes cell URIs of the handlers above (features/notebooks.py)
    return ls


def run(tcp: str | None = None, log_level: str = "warning") -> int:
    """Serve over stdio (or TCP at HOST:PORT) until the client exits; the exit code per LSP."""
    ls = build()
    # Analyses run on their own threads; the event loop answers requests and publishes. With
    # Python's default 5 ms switch interval a message waits up to 5 ms for the analysis thread
    # to let go of the GIL; 1 ms keeps the editor's round trips short at a small cost in
    # throughput.
    sys.setswitchinterval(0.001)
    # A full (generation 2) garbage collection every 10th generation-1 one is Python's default;
    # with a notebook's analysis state in memory each takes tens of milliseconds, and they fell
    # between edits and their diagnostics. They are 10x rarer here; the server runs one itself
    # when the documents are quiet (session.py, _collect_when_idle).
    threshold = gc.get_threshold()
    gc.set_threshold(threshold[0], threshold[1], threshold[2] * 10)
    ls.cli_log_level = log_level
    ls.log_handler = logs.setup(ls, log_level)
    if tcp:
        host, _, port = tcp.rpartition(":")
        try:
            port_no = int(port)
        except ValueError:
            log.error("--tcp expects HOST:PORT, got %r", tcp)
            return 2
        try:
            ls.start_tcp(host or "127.0.0.1", port_no)
        except (SystemExit, KeyboardInterrupt):  # `exit` ends the process; start_io catches these itself
            pass
    else:
        ls.start_io()
    return 0 if ls.shutdown_requested else 1

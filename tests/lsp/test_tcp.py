"""`shapelens serve --tcp HOST:PORT`: the same server over a socket, and a clean exit."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from tests.lsp.test_diagnostics import UNICODE

pytestmark = pytest.mark.asyncio


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def connect(client: LanguageClient, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await client.start_tcp("127.0.0.1", port)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_tcp_session():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "shapelens", "serve", "--tcp", f"127.0.0.1:{port}"])
    try:
        client = LanguageClient("tcp-test", "1")
        published: list[types.PublishDiagnosticsParams] = []

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            published.append(params)

        await connect(client, port)
        result = await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
        assert result.server_info.name == "shapelens"
        assert result.capabilities.hover_provider and result.capabilities.inlay_hint_provider
        assert sorted(result.capabilities.execute_command_provider.commands) == [
            "shapelens.confirmWithTensorFlow", "shapelens.showSummary"]
        client.initialized(types.InitializedParams())
        uri = "file:///tmp/shapelens-lsp-tests/tcp.py"
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=UNICODE)))
        deadline = time.monotonic() + 20
        while not published and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert [d.code for d in published[0].diagnostics] == ["SL101"]
        assert published[0].diagnostics[0].range.start.character == 20  # UTF-16 by default
        await client.shutdown_async(None)
        client.exit(None)
        assert proc.wait(timeout=20) == 0
        await client.stop()
    finally:
        if proc.poll() is None:
            proc.kill()

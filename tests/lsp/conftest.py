"""End-to-end fixtures: the real server over stdio, driven as VS Code and as Neovim.

VS Code's captured capabilities (1.65) negotiate UTF-16 positions and push diagnostics;
Neovim's (0.11) negotiate UTF-8 and pull diagnostics. Each test module gets one server
per client; every test opens its own document URIs.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

CLIENTS = ["visual-studio-code", "neovim"]
SERVER = [sys.executable, "-m", "shapelens", "serve"]
TIMEOUT = 20.0
_counter = itertools.count()


def make_client() -> LanguageClient:
    """pytest-lsp's client, also recording every publishDiagnostics (with its version)."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]

    def publish(c: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        c.diagnostics[params.uri] = params.diagnostics
        c.published.append(params)  # type: ignore[attr-defined]

    client.refreshed = []  # type: ignore[attr-defined]

    def refresh(method: str):
        def handler(c: LanguageClient, params: None) -> None:
            c.refreshed.append(method)  # type: ignore[attr-defined]
        return handler

    register_lsp_features(client, {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
        types.WORKSPACE_CODE_LENS_REFRESH: refresh(types.WORKSPACE_CODE_LENS_REFRESH),
        types.WORKSPACE_INLAY_HINT_REFRESH: refresh(types.WORKSPACE_INLAY_HINT_REFRESH),
    })
    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


def init_params(name: str, root: Path | None = None, options: Any = None) -> types.InitializeParams:
    caps = client_capabilities(name)
    return types.InitializeParams(
        capabilities=caps,
        root_uri=root.as_uri() if root else None,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")] if root else None,
        initialization_options=options,
    )


@pytest_lsp.fixture(config=CONFIG, params=CLIENTS, scope="module")
async def client(lsp_client: LanguageClient, request):
    result = await lsp_client.initialize_session(init_params(request.param))
    lsp_client.init_result = result  # type: ignore[attr-defined]
    lsp_client.client_name = request.param  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


# --------------------------------------------------------------------------- helpers


def encoding(client: LanguageClient) -> str:
    enc = client.init_result.capabilities.position_encoding  # type: ignore[attr-defined]
    return getattr(enc, "value", enc) or "utf-16"


def pulls(client: LanguageClient) -> bool:
    return client.capabilities.text_document.diagnostic is not None


def col(client: LanguageClient, line_text: str, code_points: int) -> int:
    """The column of the client's encoding for a code-point column (test oracle, independent of
    shapelens.lsp.positions)."""
    prefix = line_text[:code_points]
    enc = encoding(client)
    if enc == "utf-8":
        return len(prefix.encode("utf-8"))
    if enc == "utf-32":
        return len(prefix)
    return len(prefix.encode("utf-16-le")) // 2


class Doc:
    """An open (unsaved) document and its version."""

    def __init__(self, client: LanguageClient, text: str, name: str | None = None) -> None:
        self.client = client
        self.uri = f"file:///tmp/shapelens-lsp-tests/{name or 'doc'}_{next(_counter)}.py"
        self.version = 1
        self.text = text
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri, language_id="python", version=1, text=text)))

    @property
    def ident(self) -> types.TextDocumentIdentifier:
        return types.TextDocumentIdentifier(uri=self.uri)

    def replace_all(self, text: str) -> None:
        self.version += 1
        self.text = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def edit(self, rng: types.Range, new_text: str, new_full_text: str) -> None:
        """An incremental change; ``new_full_text`` is what the text becomes (for the oracle)."""
        self.version += 1
        self.text = new_full_text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new_text)]))

    def close(self) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=self.ident))

    async def diagnostics(self) -> list[types.Diagnostic]:
        """The diagnostics of the current version: pulled, or the push carrying this version."""
        if pulls(self.client):
            report = await asyncio.wait_for(self.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=self.ident)), TIMEOUT)
            assert report.kind == "full"
            return list(report.items)
        return list(await wait_for_publish(self.client, self.uri, self.version))

    async def hover(self, line: int, character: int) -> types.Hover | None:
        return await self.client.text_document_hover_async(types.HoverParams(
            text_document=self.ident, position=types.Position(line=line, character=character)))


async def wait_for_publish(client: LanguageClient, uri: str, version: int | None,
                           timeout: float = TIMEOUT) -> list[types.Diagnostic]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in reversed(client.published):  # type: ignore[attr-defined]
            if p.uri == uri and p.version == version:
                return list(p.diagnostics)
        await asyncio.sleep(0.01)
    raise AssertionError(f"no diagnostics published for {uri} version {version}")


def rng(sl: int, sc: int, el: int, ec: int) -> types.Range:
    return types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))


@pytest.fixture(autouse=True)
def _unfrozen():
    """Tests that run the server's parts in this process freeze objects as the server does after a
    result (gc.freeze, lsp/analyses.py): unfrozen after each test, as the server's idle collection
    does, so that what a test left is collected."""
    yield
    gc.unfreeze()

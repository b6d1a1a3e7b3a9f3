"""Configuration end to end (initializationOptions, didChangeConfiguration, pyproject.toml,
bad values), logging, and a clean shutdown. One fresh server per test and client."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import CLIENTS, CONFIG, Doc, init_params, pulls, rng, wait_for_publish
from tests.lsp.test_diagnostics import SEQ

pytestmark = pytest.mark.asyncio(loop_scope="function")

# SL101 (error) on the Conv2D 40 and SL120 (warning) on the last Dense
BOTH = SEQ.replace("layers.Conv2D(32, 3)", "layers.Conv2D(32, 3),\n    layers.Conv2D(8, 40)")


@pytest_lsp.fixture(config=CONFIG, params=CLIENTS)
async def server(lsp_client: LanguageClient, request):
    """A started server that each test initialises itself."""
    lsp_client.client_name = request.param  # type: ignore[attr-defined]
    yield
    if lsp_client._server is not None and lsp_client._server.returncode is None \
            and getattr(lsp_client, "_initialized", False):
        await lsp_client.shutdown_session()


async def start(client: LanguageClient, **kwargs) -> None:
    client.init_result = await client.initialize_session(  # type: ignore[attr-defined]
        init_params(client.client_name, **kwargs))
    client._initialized = True  # type: ignore[attr-defined]


async def codes(doc: Doc) -> list[str]:
    return sorted(d.code for d in await doc.diagnostics())


async def hints(client, doc: Doc) -> list:
    return await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=doc.ident, range=rng(0, 0, 20, 0))) or []


async def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_defaults_report_everything_quietly(server):
    await start(server)
    doc = Doc(server, BOTH, "defaults")
    assert await codes(doc) == ["SL101", "SL120"]
    assert len(await hints(server, doc)) == 2
    assert server.messages == []
    assert [m for m in server.log_messages if m.type != types.MessageType.Log] == []  # quiet by default


async def test_initialization_options(server):
    await start(server, options={"diagnostics": {"warning": False}, "inlayHints": {"enabled": False},
                                 "codeLens": {"enabled": False}})
    doc = Doc(server, BOTH, "initopts")
    assert await codes(doc) == ["SL101"]
    assert await hints(server, doc) == []
    assert not await server.text_document_code_lens_async(types.CodeLensParams(text_document=doc.ident))
    assert server.messages == []


async def test_invalid_options_fall_back_with_a_message(server):
    await start(server, options={"diagnostics": {"debounceMs": "fast", "error": "no"}, "bogus": 1,
                                 "dryRun": {"mode": "sometimes"}})
    await wait_until(lambda: server.messages)
    (message,) = server.messages
    assert message.type == types.MessageType.Warning
    for part in ("unknown option `bogus`", "`diagnostics.debounceMs`", "`diagnostics.error`",
                 '"sometimes" for `dryRun.mode`'):
        assert part in message.message
    doc = Doc(server, BOTH, "invalid")
    assert await codes(doc) == ["SL101", "SL120"]  # defaults still in force


async def test_did_change_configuration(server):
    await start(server)
    doc = Doc(server, BOTH, "change")
    assert await codes(doc) == ["SL101", "SL120"]
    server.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"shapelens": {"diagnostics": {"error": False}, "inlayHints": {"enabled": False}}}))
    # the client is asked to refresh what it advertised it can refresh
    expected = {"visual-studio-code": [types.WORKSPACE_CODE_LENS_REFRESH],
                "neovim": [types.WORKSPACE_INLAY_HINT_REFRESH]}[server.client_name]
    await wait_until(lambda: server.refreshed == expected)
    if not pulls(server):  # the new options are pushed at once, for the same version
        await wait_until(lambda: [p for p in server.published if p.uri == doc.uri and
                                  [d.code for d in p.diagnostics] == ["SL120"]])
        assert server.published[-1].version == 1
    assert await codes(doc) == ["SL120"]
    assert await hints(server, doc) == []
    # a later change replaces the client settings as a whole
    server.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"shapelens": {"diagnostics": {"enabled": False}}}))
    doc.replace_all(BOTH + "\n")
    assert await codes(doc) == []
    assert len(await hints(server, doc)) == 2


async def test_did_change_configuration_pulls_settings(server):
    """An empty didChangeConfiguration makes the server ask workspace/configuration."""
    await start(server)
    doc = Doc(server, BOTH, "pullcfg")
    assert await codes(doc) == ["SL101", "SL120"]
    server.set_configuration({"diagnostics": {"error": False}}, section="shapelens")
    server.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_until(lambda: server.refreshed)  # sent once the new options are in force
    doc.replace_all(BOTH + "\n")
    assert await codes(doc) == ["SL120"]


async def test_pyproject_tool_shapelens(server, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.shapelens]\ninlay-hints = { enabled = false }\n'
        '[tool.shapelens.diagnostics]\nwarning = false\nerror = false\n')
    # the client's settings win over the project's, key by key
    await start(server, root=tmp_path, options={"diagnostics": {"error": True}})
    doc = Doc(server, BOTH, "pyproject")
    assert await codes(doc) == ["SL101"]
    assert await hints(server, doc) == []
    assert server.messages == []


async def test_log_level_debug_reaches_the_client(server):
    await start(server, options={"logLevel": "debug"})
    doc = Doc(server, BOTH, "logs")
    await doc.diagnostics()
    await wait_until(lambda: any("options:" in m.message for m in server.log_messages))


async def test_shutdown_and_exit_are_clean(server):
    await start(server)
    doc = Doc(server, BOTH, "bye")
    assert await codes(doc) == ["SL101", "SL120"]
    doc.replace_all(BOTH + "\n\n")  # an analysis may still be pending
    await server.shutdown_session()
    assert server._server.returncode == 0
    if not pulls(server):
        await wait_for_publish(server, doc.uri, 1)


async def test_saving_pyproject_rereads_it(server, tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.shapelens]\n")
    await start(server, root=tmp_path)
    doc = Doc(server, BOTH, "save")
    assert await codes(doc) == ["SL101", "SL120"]
    pyproject.write_text("[tool.shapelens.diagnostics]\nerror = false\n")
    server.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=pyproject.as_uri())))
    await wait_until(lambda: server.refreshed)  # sent once the new options are in force
    doc.replace_all(BOTH + "\n")
    assert await codes(doc) == ["SL120"]


async def test_utf32_negotiation_counts_code_points(server):
    from tests.lsp.test_diagnostics import UNICODE

    params = init_params(server.client_name)
    params.capabilities.general = types.GeneralClientCapabilities(position_encodings=["utf-32", "utf-16"])
    server.init_result = await server.initialize_session(params)
    server._initialized = True
    assert server.init_result.capabilities.position_encoding == "utf-32"
    doc = Doc(server, UNICODE, "utf32")
    (d,) = await doc.diagnostics()
    assert d.range == rng(6, 19, 6, 41)  # code points
    hover = await doc.hover(6, 20)  # inside `layers.Conv1D`, counted in code points
    assert hover is not None and hover.contents.value.startswith("**Conv1D**")


async def test_each_document_gets_its_closest_configuration(server, tmp_path):
    """As on the command line: the closest configuration file, then the editor's settings; a
    suppression comment, unknown codes in the configuration reported by name."""
    (tmp_path / "pyproject.toml").write_text("[tool.shapelens]\nignore = ['SL120', 'SL998']\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "shapelens.toml").write_text("ignore = ['SL101']\n")
    await start(server, root=tmp_path, options={"reportUnusedSuppressions": True})
    top, below = Doc(server, BOTH, "top"), Doc(server, BOTH, "below")
    # Doc opens files under /tmp/shapelens-lsp-tests; reopen them at paths inside the project
    for doc, where in ((top, tmp_path / "model.py"), (below, sub / "model.py")):
        doc.uri = where.as_uri()
        server.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=doc.uri, language_id="python", version=1, text=doc.text)))
    assert await codes(top) == ["SL101"]
    assert await codes(below) == ["SL120"]
    await wait_until(lambda: server.messages)
    assert any('unknown code "SL998" in `ignore`' in m.message and "pyproject.toml" in m.message
               for m in server.messages)
    suppressed = BOTH.replace("layers.Conv2D(8, 40)", "layers.Conv2D(8, 40),  # shapelens: ignore[SL101, SL102]")
    top.replace_all(suppressed)
    found = await top.diagnostics()
    assert [(d.code, d.message) for d in found] == [
        ("SL004", "unused suppression: no SL102 finding on this line")]

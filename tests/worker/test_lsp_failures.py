"""The dry run going wrong, over stdio (VS Code's capabilities): TensorFlow missing, no such
interpreter, a hung build, a crashed worker, a cancelled load, a superseded request, and a
seeded engine bug. Every case ends in a clear message and a server that keeps answering.

Each scenario is one test on its own server, in order, since the worker's state carries over.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from shapelens.lsp.dryrun_scheduler import LOADING, SOURCE
from shapelens.worker import protocol
from tests.lsp.conftest import SERVER, Doc, init_params, make_client
from tests.oracle.client import require_tensorflow
from tests.worker.test_lsp import GOOD, confirm, save, tf_diagnostics

pytestmark = pytest.mark.asyncio(loop_scope="module")
HOOKED = ClientServerConfig(server_command=SERVER, client_factory=make_client,
                            server_env=dict(os.environ, **{protocol.ENV_TEST_HOOKS: "1"}))
SEEDED = ClientServerConfig(server_command=[sys.executable, str(Path(__file__).with_name("seeded_server.py"))],
                            client_factory=make_client)
PLAIN = ClientServerConfig(server_command=SERVER, client_factory=make_client)


async def start(client: LanguageClient, **dry_run) -> None:
    await client.initialize_session(init_params("visual-studio-code", options={"dryRun": {"mode": "onSave",
                                                                                          **dry_run}}))


async def wait_for_message(client: LanguageClient, words: str, timeout: float = 30) -> types.ShowMessageParams:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in client.messages:
            if words in m.message:
                return m
        await asyncio.sleep(0.05)
    raise AssertionError(f"no message with {words!r}: {[m.message for m in client.messages]}")


async def static_features_answer(doc: Doc) -> None:
    started = time.monotonic()
    hover = await asyncio.wait_for(doc.hover(4, 12), 5)
    assert "Conv2D" in hover.contents.value
    assert time.monotonic() - started < 2


# ----------------------------------------------------------------------------- no TensorFlow


@pytest_lsp.fixture(config=PLAIN, scope="module")
async def no_tf(lsp_client: LanguageClient, python_without_tensorflow):
    await start(lsp_client, interpreter=python_without_tensorflow)
    yield
    await lsp_client.shutdown_session()


async def test_missing_tensorflow_is_said_once(no_tf, python_without_tensorflow):
    client = no_tf
    doc = Doc(client, GOOD, "no_tf")
    assert await doc.diagnostics() == []
    save(doc)
    message = await wait_for_message(client, "TensorFlow is not installed")
    assert message.type == types.MessageType.Warning
    assert python_without_tensorflow in message.message and "pip install 'shapelens[tf]'" in message.message
    await static_features_answer(doc)
    save(doc)  # the next save does not ask again
    await asyncio.sleep(1.0)
    assert sum("TensorFlow is not installed" in m.message for m in client.messages) == 1
    report = await confirm(client, doc.uri)  # the command does
    assert report["status"] == "unavailable" and "pip install" in report["message"]
    assert sum("TensorFlow is not installed" in m.message for m in client.messages) == 2
    await static_features_answer(doc)


# ----------------------------------------------------------------------------- no interpreter


@pytest_lsp.fixture(config=PLAIN, scope="module")
async def no_python(lsp_client: LanguageClient):
    await start(lsp_client, interpreter="/nonexistent/bin/python3")
    yield
    await lsp_client.shutdown_session()


async def test_missing_interpreter(no_python):
    client = no_python
    doc = Doc(client, GOOD, "no_python")
    report = await confirm(client, doc.uri)
    assert report["status"] == "unavailable"
    await wait_for_message(client, "/nonexistent/bin/python3 does not exist")
    await static_features_answer(doc)


# ----------------------------------------------------------------------------- hung, crashed, cancelled


@pytest_lsp.fixture(config=HOOKED, scope="module")
async def hooked(lsp_client: LanguageClient):
    require_tensorflow()
    await start(lsp_client, timeoutMs=1500)
    yield
    await lsp_client.shutdown_session()


async def test_cancel_hang_crash_and_supersede(hooked):
    client = hooked
    doc = Doc(client, GOOD, "hooked")

    # 1. the user cancels "Loading TensorFlow…": the worker stops, the run ends quietly
    task = asyncio.create_task(confirm(client, doc.uri))
    token = None
    deadline = time.monotonic() + 10
    while token is None and time.monotonic() < deadline:
        token = next((t for t, reports in client.progress_reports.items()
                      if any(getattr(r, "message", None) == LOADING for r in reports)), None)
        await asyncio.sleep(0.02)
    assert token is not None
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert (await task)["status"] == "cancelled"

    # 2. a build that hangs is stopped after timeoutMs; meanwhile the server answers at once
    task = asyncio.create_task(confirm(client, doc.uri, {"test": {"sleep": 60}}))
    await asyncio.sleep(0.5)
    await static_features_answer(doc)
    report = await task
    assert report["status"] == "timeout"
    assert "did not build the model within 1.5 s" in report["message"]
    await wait_for_message(client, "starts again on the next dry run")

    # 3. the next run starts a fresh worker
    assert (await confirm(client, doc.uri))["status"] == "done"

    # 4. a worker that dies in the middle of a request
    other = Doc(client, GOOD.replace("Dense(10)", "Dense(3)"), "crash")
    report = await confirm(client, other.uri, {"test": {"exit": 3}})
    assert report["status"] == "crashed" and "exit code 3" in report["message"]
    await static_features_answer(doc)
    assert (await confirm(client, other.uri))["status"] == "done"

    # 5. a newer request for the same document supersedes one still waiting
    third = Doc(client, GOOD.replace("Dense(10)", "Dense(4)"), "supersede")
    first = asyncio.create_task(confirm(client, third.uri, {"test": {"sleep": 1}}))
    await asyncio.sleep(0.3)
    second = await confirm(client, third.uri)
    assert (await first)["status"] == "superseded"
    assert second["status"] in ("done", "cached")
    await static_features_answer(doc)


# ----------------------------------------------------------------------------- a seeded engine bug


@pytest_lsp.fixture(config=SEEDED, scope="module")
async def seeded(lsp_client: LanguageClient):
    require_tensorflow()
    await start(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_seeded_engine_bug_is_reported_as_a_disagreement(seeded):
    client = seeded
    doc = Doc(client, GOOD, "seeded")
    save(doc)
    found = await tf_diagnostics(doc)
    assert [(d.code, d.range.start.line) for d in found] == [("SL902", 6)], found
    d = found[0]
    assert d.source == SOURCE and d.severity == types.DiagnosticSeverity.Warning
    assert "TensorFlow 2." in d.message and "(None, 5408)" in d.message and "(None, 5409)" in d.message
    assert d.code_description.href.endswith("SL902.md")
    hover = await doc.hover(6, 6)
    assert "disagrees" in hover.contents.value

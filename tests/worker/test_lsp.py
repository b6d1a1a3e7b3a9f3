"""The dry run end to end: the real server over stdio, driven as VS Code (push) and as
Neovim (pull, no refresh), with dryRun.mode "onSave" and the server's own interpreter.

One server (and so one TensorFlow worker) per client for the whole module.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from shapelens.lsp.dryrun_scheduler import LOADING, SOURCE
from shapelens.lsp.features.dry_run import CONFIRM
from tests.lsp.conftest import CLIENTS, CONFIG, Doc, init_params
from tests.oracle.client import require_tensorflow

pytestmark = pytest.mark.asyncio(loop_scope="module")
TF_TIMEOUT = 90.0  # the first dry run imports TensorFlow

GOOD = """\
import keras
from keras import layers

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)
"""

BROKEN = """\
import keras
from keras import layers

inputs = keras.Input(shape=(8, 8, 3))
x = layers.Conv2D(16, 3)(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(16, 5)(x)
model = keras.Model(inputs, x)
"""


@pytest_lsp.fixture(config=CONFIG, params=CLIENTS, scope="module")
async def client(lsp_client: LanguageClient, request):
    require_tensorflow()
    result = await lsp_client.initialize_session(
        init_params(request.param, options={"dryRun": {"mode": "onSave"}}))
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def save(doc: Doc) -> None:
    doc.client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=doc.ident))


async def confirm(client: LanguageClient, *args) -> dict:
    return await asyncio.wait_for(client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=CONFIRM, arguments=list(args))), TF_TIMEOUT)


async def tf_diagnostics(doc: Doc, timeout: float = TF_TIMEOUT) -> list[types.Diagnostic]:
    """The TensorFlow findings published for the document's current version."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in reversed(doc.client.published):  # type: ignore[attr-defined]
            if p.uri == doc.uri and p.version == doc.version and any(d.source == SOURCE for d in p.diagnostics):
                return [d for d in p.diagnostics if d.source == SOURCE]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no TensorFlow diagnostics for {doc.uri} version {doc.version}")


async def test_command_is_advertised(client: LanguageClient):
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    assert CONFIRM in caps.execute_command_provider.commands


async def test_confirmation_shows_in_hovers_and_progress(client: LanguageClient):
    doc = Doc(client, GOOD, "good")
    report = await confirm(client, doc.uri)
    assert report["status"] == "done", report
    assert report["counts"]["confirmed"] == 5 and report["counts"]["disagrees"] == 0, report
    assert report["diagnostics"] == []
    # "Loading TensorFlow…" was shown while the worker started (the first run of this server)
    begins = [r for reports in client.progress_reports.values() for r in reports
              if isinstance(r, types.WorkDoneProgressBegin)]
    assert any(b.message == LOADING and b.cancellable for b in begins), begins
    hover = await doc.hover(4, 12)  # the Conv2D
    assert "confirmed by TensorFlow 2." in hover.contents.value, hover.contents.value
    model_hover = await doc.hover(8, 1)  # model
    assert "confirmed by TensorFlow 2." in model_hover.contents.value
    assert "params" in model_hover.contents.value
    assert any("confirms 5 of 5" in m.message for m in client.messages)
    doc.close()


async def test_tensorflow_error_on_the_layer_it_concerns(client: LanguageClient):
    doc = Doc(client, BROKEN, "broken")
    static = await doc.diagnostics()
    assert [d.code for d in static if d.source == "shapelens"] == ["SL101"]
    save(doc)
    found = await tf_diagnostics(doc)
    assert [d.code for d in found] == ["SL901"], found
    d = found[0]
    assert d.range.start.line == 6  # the Conv2D(16, 5) that Keras refuses
    assert d.severity == types.DiagnosticSeverity.Error
    assert "Computed output size would be zero or negative" in d.message
    assert d.message.startswith("TensorFlow 2.")
    # pulling clients keep their pulled report static; the findings come as a push of their own
    pulled = await doc.diagnostics()
    assert {x.source for x in pulled} <= {"shapelens", SOURCE}
    hover = await doc.hover(6, 6)
    assert "raises too" in hover.contents.value
    doc.close()


async def test_unchanged_model_costs_nothing(client: LanguageClient):
    doc = Doc(client, GOOD.replace("32", "8"), "cached")
    first = await confirm(client, doc.uri)
    assert first["status"] == "done"
    again = await confirm(client, doc.uri)
    assert again["status"] == "cached"
    # moving the model down (new lines above it) sends the same payload: still cached,
    # and the findings follow the code to its new lines
    doc.replace_all("# a comment\n\n" + doc.text)
    moved = await confirm(client, doc.uri)
    assert moved["status"] == "cached"
    hover = await doc.hover(6, 12)
    assert "confirmed by TensorFlow" in hover.contents.value
    doc.close()


async def test_edits_never_start_a_dry_run(client: LanguageClient):
    doc = Doc(client, GOOD.replace("Dense(10)", "Dense(7)"), "edits")
    for i in range(3):
        doc.replace_all(doc.text + f"# edit {i}\n")
        await doc.diagnostics()
    hover = await doc.hover(4, 12)
    assert "TensorFlow" not in hover.contents.value  # never saved, never confirmed
    doc.close()


async def test_user_file_is_never_executed(client: LanguageClient, tmp_path: Path):
    marker = tmp_path / "executed.txt"
    text = (f"open({str(marker)!r}, 'w').write('ran')\n"
            "import keras\n"
            "from keras import layers\n"
            "inputs = keras.Input(shape=(4,))\n"
            "outputs = layers.Dense(2)(inputs)\n"
            "model = keras.Model(inputs, outputs)\n"
            "raise SystemExit('the program stops here')\n")
    doc = Doc(client, text, "side_effects")
    report = await confirm(client, doc.uri)
    assert report["status"] in ("done", "cached"), report
    assert report["counts"]["confirmed"] == 2  # the Input and the Dense
    assert not marker.exists()
    doc.close()

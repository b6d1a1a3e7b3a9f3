"""The Keras target in the editor: `kerasVersion` from the client settings or [tool.shapelens],
decided per document when "auto" (tf_keras imports); hovers say when the answer is for Keras 2.
The real server over stdio, as VS Code and as Neovim."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.lsp.conftest import Doc, pulls
from tests.lsp.test_configuration import codes, server, start, wait_until  # noqa: F401 -- fixture

pytestmark = pytest.mark.asyncio(loop_scope="function")

# Runs under Keras 2 (tf_keras 2.21, TF_USE_LEGACY_KERAS=1), raises twice under Keras 3:
# Input(784) (SL201) and tf.reshape on a Keras tensor (SL107). Checked in tests/core/test_keras2_diff.py.
BODY = """inp = keras.Input(784)
x = tf.reshape(inp, (-1, 28, 28, 1))
x = keras.layers.Conv2D(8, 3)(x)
x = keras.layers.Flatten()(x)
model = keras.Model(inp, keras.layers.Dense(10)(x))
probe = keras.layers.Dense(3)(keras.Input((4,)))
"""
KERAS = "import tensorflow as tf\nfrom tensorflow import keras\n" + BODY
TF_KERAS = "import tensorflow as tf\nimport tf_keras as keras\n" + BODY


async def hover_text(doc: Doc, line: int, character: int) -> str:
    hover = await doc.hover(line, character)
    assert hover is not None
    return hover.contents.value


async def test_auto_decides_per_document(server):
    await start(server)
    legacy, current = Doc(server, TF_KERAS, "tfkeras"), Doc(server, KERAS, "keras3")
    assert await codes(legacy) == []
    assert await codes(current) == ["SL107", "SL201"]
    text = await hover_text(legacy, 6, 1)  # `model`
    assert "54,170 params" in text or "54,170" in text
    assert "Keras 2: the file imports tf_keras" in text
    assert "(None, 3)" in await hover_text(legacy, 7, 10)
    assert "(None, 3)" in await hover_text(current, 7, 10)
    assert "Keras 2" not in await hover_text(current, 7, 10)
    summary = await server.workspace_execute_command_async(types.ExecuteCommandParams(
        command="shapelens.showSummary", arguments=[legacy.uri, 0]))
    assert summary.splitlines()[-1] == "Shapes for Keras 2 (the file imports tf_keras)."
    assert "(None, 28, 28, 1)" in summary


async def test_setting_changes_the_target_and_reanalyses(server):
    await start(server, options={"kerasVersion": "2"})
    doc = Doc(server, KERAS, "setting")
    assert await codes(doc) == []
    assert 'Keras 2: keras-version = "2" in the settings' in await hover_text(doc, 6, 1)
    server.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"shapelens": {"kerasVersion": "3"}}))
    await wait_until(lambda: server.refreshed)
    if not pulls(server):  # pushed again for the same version once analysed again
        await wait_until(lambda: [p for p in server.published if p.uri == doc.uri and
                                  sorted(d.code for d in p.diagnostics) == ["SL107", "SL201"]])
    assert await codes(doc) == ["SL107", "SL201"]  # the same version, analysed again


async def test_pyproject_keras_version_and_migration(server, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.shapelens]\nkeras-version = "2"\n[tool.shapelens.checks]\nkeras3-migration = true\n')
    await start(server, root=tmp_path)
    doc = Doc(server, KERAS + "model.fit_generator(batches)\n", "pyproject")
    doc.uri = (tmp_path / "model.py").as_uri()
    server.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=doc.uri, language_id="python", version=1, text=doc.text)))
    found = await doc.diagnostics()
    assert [(d.code, d.severity) for d in found] == [("SL402", types.DiagnosticSeverity.Warning)]
    assert found[0].message.startswith("migrating to Keras 3: Keras 3 removed Model.fit_generator()")

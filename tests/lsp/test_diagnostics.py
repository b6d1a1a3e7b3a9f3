"""Diagnostics end to end: exact ranges (non-ASCII before a layer), versions, pull, close."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from shapelens.core.codes import CODES
from tests.lsp.conftest import TIMEOUT, Doc, col, encoding, pulls, rng, wait_for_publish

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNICODE = '''\
from tensorflow import keras
from tensorflow.keras import layers

inp = keras.Input(shape=(20, 3))
x = 1  # Größe 😀
y = layers.Conv1D(4, 15)(inp)  # 😀
s = "😀 Größe"; z = layers.Conv1D(4, 9)(y)  # kernel 9 > 6
m = keras.Model(inp, z)
'''

# Line 6: the call starts at code point 19 and ends at 41. Before it: one emoji (2 UTF-16
# units, 4 UTF-8 bytes), ö and ß (1 unit / 2 bytes each).
EXPECTED = {"utf-16": rng(6, 20, 6, 42), "utf-8": rng(6, 24, 6, 46)}
# The related location: `layers.Conv1D(4, 15)` on line 5, all ASCII before it.
RELATED = rng(5, 4, 5, 24)


async def test_exact_ranges_after_non_ascii(client):
    doc = Doc(client, UNICODE, "unicode")
    diags = await doc.diagnostics()
    assert len(diags) == 1
    d = diags[0]
    enc = encoding(client)
    assert enc == {"visual-studio-code": "utf-16", "neovim": "utf-8"}[client.client_name]
    assert d.range == EXPECTED[enc]
    assert d.code == "SL101"
    assert d.source == "shapelens"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.code_description.href == CODES["SL101"].url
    assert d.message.startswith("Conv1D kernel 9 does not fit the input of length 6")
    assert len(d.related_information) == 1
    rel = d.related_information[0]
    assert rel.location.uri == doc.uri and rel.location.range == RELATED
    assert "(None, 6, 4) comes from Conv1D" in rel.message


SEQ = '''\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3),
    layers.MaxPooling2D(2),
    layers.Dense(10, input_shape=(5,)),
])
'''


async def test_severities_and_warning(client):
    doc = Doc(client, SEQ, "warning")
    diags = await doc.diagnostics()
    assert [(d.code, d.severity, d.range) for d in diags] == [
        ("SL120", types.DiagnosticSeverity.Warning, rng(7, 4, 7, 38))]
    assert diags[0].related_information[0].location.range == rng(3, 8, 8, 2)


async def test_where_keras_raises_is_related_information(client):
    text = SEQ.replace("layers.Dense(10, input_shape=(5,))", "layers.Conv2D(8, 20)")
    doc = Doc(client, text, "raises")
    (d,) = await doc.diagnostics()
    assert d.code == "SL101" and d.range == rng(7, 4, 7, 24)
    assert [(r.location.range, r.message) for r in d.related_information] == [
        (rng(6, 4, 6, 26), "(None, 13, 13, 32) comes from MaxPooling2D (line 7)"),
        (rng(3, 8, 8, 2), "Keras raises here, when this line runs"),  # building the Sequential model
    ]


async def test_edit_updates_to_new_version_only(client):
    doc = Doc(client, UNICODE, "edit")
    assert [d.code for d in await doc.diagnostics()] == ["SL101"]
    # Fix the kernel incrementally: "9" -> "5" on line 6 (code point 37).
    line = UNICODE.splitlines()[6]
    at = line.index("9)(y)")
    start = col(client, line, at)
    fixed = UNICODE.replace("Conv1D(4, 9)", "Conv1D(4, 5)")
    doc.edit(rng(6, start, 6, start + 1), "5", fixed)
    assert await doc.diagnostics() == []
    # And break it differently: the diagnostic is back, for version 3.
    broken = fixed.replace("Conv1D(4, 15)", "Conv1D(4, 20)")
    doc.replace_all(broken)
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["SL101"]
    assert diags[0].range.start.line == 6
    if not pulls(client):
        versions = [p.version for p in client.published if p.uri == doc.uri]
        assert versions == sorted(versions) and versions[-1] == 3
        # each published set matches the text of its version
        by_version = {p.version: [d.code for d in p.diagnostics] for p in client.published if p.uri == doc.uri}
        assert by_version.get(2, []) == [] and by_version[3] == ["SL101"]


async def test_burst_of_edits_ends_with_final_text(client):
    from shapelens.core.analyze import analyze

    doc = Doc(client, SEQ, "burst")
    await doc.diagnostics()
    texts = []
    for i in range(200):
        # alternate between a file with and without the SL101 error, different line counts
        k = 3 + (i % 40)
        text = SEQ.replace("layers.Conv2D(32, 3)", f"layers.Conv2D(32, {k})") + "\n" * (i % 3)
        texts.append(text)
        doc.replace_all(text)
    final = texts[-1]
    expected = [(d.code, d.span.line) for d in analyze(final).diagnostics]
    assert expected and any(code == "SL101" for code, _ in expected)  # k = 3 + 199 % 40 = 42 > 28
    diags = await doc.diagnostics()
    assert [(d.code, d.range.start.line) for d in diags] == expected
    if not pulls(client):
        ours = [p for p in client.published if p.uri == doc.uri]
        assert ours[-1].version == 201
        # nothing stale: every push for version v matches the text of version v
        for p in ours:
            if p.version > 1:
                want = [(d.code, d.span.line) for d in analyze(texts[p.version - 2]).diagnostics]
                assert [(d.code, d.range.start.line) for d in p.diagnostics] == want
        # (how many of the 200 edits were analysed depends on how fast this client sends them
        # against how fast the server analyses: that a burst is coalesced is checked without
        # timing in tests/lsp/test_analyses.py, test_debounce_coalesces_a_burst)


NEVER_PARSES = '''\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3,
'''


async def test_document_that_never_parses(client):
    doc = Doc(client, NEVER_PARSES, "broken")
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["SL001"]
    assert diags[0].severity == types.DiagnosticSeverity.Information
    assert "syntax error" in diags[0].message
    # every further broken edit still yields exactly the syntax note, never a crash or a stale error
    for tail in ("    layers.Dense(", "]", ")))"):
        doc.replace_all(NEVER_PARSES + tail + "\n")
        assert [d.code for d in await doc.diagnostics()] == ["SL001"]
    hover = await doc.hover(5, 8)  # inside the unparsable call: nothing to say
    assert hover is None


async def test_pull_diagnostics_result_ids(client):
    doc = Doc(client, UNICODE, "pull")
    first = await asyncio.wait_for(client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=doc.ident)), TIMEOUT)
    assert first.kind == "full" and [d.code for d in first.items] == ["SL101"] and first.result_id
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=doc.ident, previous_result_id=first.result_id))
    assert again.kind == "unchanged" and again.result_id == first.result_id
    doc.replace_all(UNICODE.replace("Conv1D(4, 9)", "Conv1D(4, 3)"))
    after = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=doc.ident, previous_result_id=first.result_id))
    assert after.kind == "full" and list(after.items) == [] and after.result_id != first.result_id


async def test_push_skipped_for_pull_clients(client):
    doc = Doc(client, UNICODE, "nopush")
    await doc.diagnostics()
    await asyncio.sleep(0.3)
    pushed = [p for p in client.published if p.uri == doc.uri]
    if pulls(client):
        assert pushed == []
    else:
        assert [d.code for d in pushed[-1].diagnostics] == ["SL101"] and pushed[-1].version == 1


async def test_close_clears(client):
    doc = Doc(client, UNICODE, "close")
    assert [d.code for d in await doc.diagnostics()] == ["SL101"]
    doc.close()
    if pulls(client):
        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=doc.ident))
        assert report.kind == "full" and list(report.items) == []
    else:
        assert await wait_for_publish(client, doc.uri, None) == []
        assert list(client.diagnostics[doc.uri]) == []


async def test_non_python_documents_are_ignored(client):
    uri = "file:///tmp/shapelens-lsp-tests/notes.txt"
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="plaintext", version=1, text=UNICODE)))
    await asyncio.sleep(0.3)
    assert uri not in client.diagnostics
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert list(report.items) == []


FORM_FEED = '''\
import keras
from keras import layers
# -- models --\x0c (a form feed: a line break for str.splitlines, not for LSP)
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3),
])
'''


async def test_incremental_edit_after_a_form_feed(client):
    doc = Doc(client, FORM_FEED, "formfeed")
    assert await doc.diagnostics() == []
    at = FORM_FEED.split("\n")[5].index("3)")  # ASCII line: same column in every encoding
    doc.edit(rng(5, at, 5, at + 1), "40", FORM_FEED.replace("Conv2D(32, 3)", "Conv2D(32, 40)"))
    diags = await doc.diagnostics()
    assert [(d.code, d.range) for d in diags] == [("SL101", rng(5, 4, 5, 25))]
    assert "kernel 40×40" in diags[0].message

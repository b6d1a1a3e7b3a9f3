"""Quick fixes end to end: each WorkspaceEdit is applied as the client would, then re-analysed."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.lsp.conftest import Doc, encoding, rng
from tests.lsp.test_diagnostics import SEQ, UNICODE

pytestmark = pytest.mark.asyncio(loop_scope="module")


def apply_workspace_edit(client, edit: types.WorkspaceEdit, doc: Doc) -> str:
    """Apply a WorkspaceEdit to the document text in the client's position encoding."""
    if edit.document_changes:
        (change,) = edit.document_changes
        assert change.text_document.uri == doc.uri and change.text_document.version == doc.version
        edits = change.edits
    else:
        edits = edit.changes[doc.uri]
    lines = doc.text.split("\n")
    enc = encoding(client)

    def offset(pos: types.Position) -> int:
        line = lines[pos.line]
        if enc == "utf-8":
            cp = len(line.encode("utf-8")[: pos.character].decode("utf-8"))
        elif enc == "utf-16":
            cp = len(line.encode("utf-16-le")[: 2 * pos.character].decode("utf-16-le"))
        else:
            cp = pos.character
        return sum(len(x) + 1 for x in lines[: pos.line]) + cp

    text = doc.text
    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


async def actions_for(client, doc: Doc, diag: types.Diagnostic) -> list[types.CodeAction]:
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc.ident, range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag], only=[types.CodeActionKind.QuickFix])))


async def check_fixes(client, text: str, code: str, expected: dict[str, str]) -> None:
    """Every offered fix for ``code`` is one of ``expected`` (title -> fixed text), each applied
    fix makes the diagnostic go away when the server re-analyses the document."""
    doc = Doc(client, text, code)
    diags = [d for d in await doc.diagnostics() if d.code == code]
    assert len(diags) == 1
    actions = await actions_for(client, doc, diags[0])
    assert sorted(a.title for a in actions) == sorted(expected)
    assert sum(1 for a in actions if a.is_preferred) == 1
    for action in actions:
        assert action.kind == types.CodeActionKind.QuickFix
        assert [d.code for d in action.diagnostics] == [code]
        fixed = apply_workspace_edit(client, action.edit, doc)
        assert fixed == expected[action.title], action.title
        check = Doc(client, fixed, code + "_fixed")
        assert code not in [d.code for d in await check.diagnostics()]


async def test_padding_same_and_smaller_kernel_after_non_ascii(client):
    await check_fixes(client, UNICODE, "SL101", {
        'Use padding="same" in Conv1D': UNICODE.replace("Conv1D(4, 9)", 'Conv1D(4, 9, padding="same")'),
        "Shrink the kernel of Conv1D to 6 so it fits the input of length 6": UNICODE.replace(
            "Conv1D(4, 9)", "Conv1D(4, 6)"),
    })


POOL = '''\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(12, 12, 3)),
    layers.Conv2D(8, 3, padding='valid'),
    layers.MaxPooling2D(pool_size=(4, 16)),
    layers.Flatten(),
    layers.Dense(10),
])
'''


async def test_pool_window_fixes(client):
    await check_fixes(client, POOL, "SL101", {
        "Use padding='same' in MaxPooling2D": POOL.replace(
            "pool_size=(4, 16))", "pool_size=(4, 16), padding='same')"),
        "Shrink the pool window of MaxPooling2D to 4×10 so it fits the 10×10 input": POOL.replace(
            "pool_size=(4, 16)", "pool_size=(4, 10)"),
    })


async def test_remove_ignored_input_shape(client):
    await check_fixes(client, SEQ, "SL120", {
        "Remove the ignored input_shape=": SEQ.replace("layers.Dense(10, input_shape=(5,))", "layers.Dense(10)"),
    })


CONCAT = '''\
import keras
from keras import layers

image = keras.Input(shape=(8, 8, 3))
meta = keras.Input(shape=(5,))
a = layers.Conv2D(4, 3)(image)
b = layers.Dense(8)(a)
c = layers.Dense(8)(meta)
d = layers.Concatenate()([b, c])
'''


async def test_flatten_before_dense_on_feature_map(client):
    await check_fixes(client, CONCAT, "SL104", {
        "Insert Flatten() before Dense (line 7), which receives a 4-D feature map":
            CONCAT.replace("layers.Dense(8)(a)", "layers.Dense(8)(layers.Flatten()(a))"),
        "Insert GlobalAveragePooling2D() before Dense (line 7), which receives a 4-D feature map":
            CONCAT.replace("layers.Dense(8)(a)", "layers.Dense(8)(layers.GlobalAveragePooling2D()(a))"),
    })


async def test_no_actions_away_from_diagnostics_or_for_other_kinds(client):
    doc = Doc(client, UNICODE, "noaction")
    await doc.diagnostics()
    away = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc.ident, range=rng(0, 0, 0, 4), context=types.CodeActionContext(diagnostics=[])))
    assert not away
    line = rng(6, 0, 6, 60)
    refactor = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc.ident, range=line,
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.Refactor])))
    assert not refactor
    # the same range without a kind filter: the fixes of the diagnostic on that line
    anything = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc.ident, range=line, context=types.CodeActionContext(diagnostics=[])))
    assert len(anything) == 2 and all(a.diagnostics[0].code == "SL101" for a in anything)

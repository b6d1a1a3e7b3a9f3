"""Hover, inlay hints, code lens (+ its command) and document symbols, end to end."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tests.lsp.conftest import Doc, col, rng

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROGRAM = '''\
import numpy as np
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(2),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
x_train = np.zeros((100, 28, 28, 1))
model.fit(x_train, np.zeros((100, 10)))
preds = model.predict(x_train)

inp = keras.Input(shape=(32,))
h = layers.Dense(64)(inp)
out = layers.Dense(1)(h)
reg = keras.Model(inp, out, name="regressor")
'''
LINES = PROGRAM.splitlines()


def at(line: int, needle: str, offset: int = 0) -> tuple[int, int]:
    return line, LINES[line].index(needle) + offset


async def hover_text(doc: Doc, line: int, character: int) -> str:
    h = await doc.hover(line, character)
    assert h is not None, f"no hover at {line}:{character}"
    assert h.contents.kind == types.MarkupKind.Markdown
    return h.contents.value


@pytest.fixture(scope="module")
def doc(client):
    return Doc(client, PROGRAM, "features")


async def test_hover_layer_constructor_with_arithmetic(client, doc):
    h = await doc.hover(*at(6, "Conv2D", 2))
    assert h.range == rng(6, 4, 6, 43)
    assert h.contents.value == (
        "**Conv2D** · 320 params\n\n"
        "`(None, 28, 28, 1)` → `(None, 26, 26, 32)`\n\n"
        "```text\n"
        "height: floor((28 - 3) / 1) + 1 = 26\n"
        "width:  floor((28 - 3) / 1) + 1 = 26\n"
        "```")
    pool = await hover_text(doc, *at(7, "MaxPooling2D"))
    assert "`(None, 26, 26, 32)` → `(None, 13, 13, 32)`" in pool and "floor((26 - 2) / 2) + 1 = 13" in pool


async def test_hover_layer_call(client, doc):
    text = await hover_text(doc, *at(16, "Dense"))
    assert text.startswith("**Dense** · 2,112 params")
    assert "`(None, 32)` → `(None, 64)`" in text


async def test_hover_model_variable_shows_summary(client, doc):
    for line, needle in ((4, "model"), (12, "model"), (18, "reg")):
        text = await hover_text(doc, *at(line, needle, 1))
        if needle == "reg":
            assert text.startswith("**regressor · Functional · 3 layers · 2,177 params · (None, 32) → (None, 1)**")
            continue
        assert text.startswith("**model · Sequential · 4 layers · 54,410 params · (None, 28, 28, 1) → (None, 10)**")
        assert "Conv2D        line 7   (None, 26, 26, 32)      320" in text
        assert "Total params: 54,410" in text


async def test_hover_tensor_variable(client, doc):
    text = await hover_text(doc, *at(11, "x_train"))
    assert text == "**x_train**: `(100, 28, 28, 1)`\n\nfrom np.zeros(...) (line 12)"
    text = await hover_text(doc, *at(17, "(h)", 1))  # a use of h, not its assignment
    assert text == "**h**: `(None, 64)`\n\nfrom Dense (line 17)"


async def test_hover_fit_and_predict(client, doc):
    text = await hover_text(doc, *at(12, "fit"))
    assert text.splitlines()[0] == "**model.fit()**"
    assert "model `model` (Sequential): `(None, 28, 28, 1)` → `(None, 10)`" in text
    assert "- x = `x_train`: `(100, 28, 28, 1)` from np.zeros(...) (line 12)" in text
    assert "- y = `np.zeros((100, 10))`: shape not known" in text
    text = await hover_text(doc, *at(13, "predict"))
    assert "- returns `(100, 10)` (`preds`)" in text


async def test_hover_nothing_on_plain_code(client, doc):
    assert await doc.hover(0, 3) is None  # `import`


async def test_inlay_hints_whole_file_and_range(client, doc):
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=doc.ident, range=rng(0, 0, len(LINES), 0)))
    got = {(h.position.line, h.position.character): h.label for h in hints}
    assert got == {
        (5, len(LINES[5])): "→ (None, 28, 28, 1)",
        (6, len(LINES[6])): "→ (None, 26, 26, 32)",
        (7, len(LINES[7])): "→ (None, 13, 13, 32)",
        (8, len(LINES[8])): "→ (None, 5408)",
        (9, len(LINES[9])): "→ (None, 10)",
        (15, len(LINES[15])): "→ (None, 32)",
        (16, len(LINES[16])): "→ (None, 64)",
        (17, len(LINES[17])): "→ (None, 1)",
    }
    assert all(h.kind == types.InlayHintKind.Type and h.padding_left for h in hints)
    part = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=doc.ident, range=rng(6, 0, 8, 0)))
    assert [(h.position.line, h.label) for h in part] == [(6, "→ (None, 26, 26, 32)"), (7, "→ (None, 13, 13, 32)")]


async def test_inlay_hint_after_non_ascii_comment(client):
    text = PROGRAM.replace('layers.MaxPooling2D(2),', 'layers.MaxPooling2D(2),  # Größe 😀')
    d = Doc(client, text, "hintcol")
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=d.ident, range=rng(7, 0, 8, 0)))
    line = text.splitlines()[7]
    assert [(h.position.line, h.position.character) for h in hints] == [(7, col(client, line, len(line)))]


async def test_code_lens_and_summary_command(client, doc):
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc.ident))
    assert [(lens.range.start.line, lens.range.start.character, lens.command.title) for lens in lenses] == [
        (4, 8, "model · Sequential · 4 layers · 54,410 params · (None, 28, 28, 1) → (None, 10)"),
        (18, 6, "regressor · Functional · 3 layers · 2,177 params · (None, 32) → (None, 1)"),
    ]
    lens = lenses[0]
    assert lens.command.command == "shapelens.showSummary"
    before = len(client.messages)
    summary = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=lens.command.command, arguments=lens.command.arguments))
    lines = summary.splitlines()
    assert lines[0] == lens.command.title
    assert lines[1].split() == ["Layer", "(type)", "Line", "Output", "Shape", "Param", "#"]
    assert "Dense         line 10  (None, 10)           54,090" in summary
    assert lines[-1] == "Total params: 54,410"
    assert client.messages[before:] and client.messages[-1].message == summary
    assert client.messages[-1].type == types.MessageType.Info


async def test_document_symbols(client, doc):
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc.ident))
    assert [(s.name, s.kind, s.detail) for s in symbols] == [
        ("model", types.SymbolKind.Class, "Sequential · (None, 28, 28, 1) → (None, 10)"),
        ("regressor", types.SymbolKind.Class, "Functional · (None, 32) → (None, 1)"),
    ]
    seq, fun = symbols
    assert [(c.name, c.detail) for c in seq.children] == [
        ("Conv2D", "(None, 26, 26, 32) · 320 params"),
        ("MaxPooling2D", "(None, 13, 13, 32) · 0 params"),
        ("Flatten", "(None, 5408) · 0 params"),
        ("Dense", "(None, 10) · 54,090 params"),
    ]
    assert seq.range == rng(4, 8, 10, 2) and seq.selection_range == rng(4, 8, 10, 2)
    assert seq.children[0].range == rng(6, 4, 6, 43)
    assert [c.name for c in fun.children] == ["InputLayer", "Dense", "Dense"]
    assert fun.range == rng(15, 6, 18, 45)  # from keras.Input(...) to keras.Model(...)
    for c in fun.children:  # children lie inside their parent
        assert (fun.range.start.line, fun.range.start.character) <= (c.range.start.line, c.range.start.character)


UNCALLED = '''\
import keras
from keras import layers


def conv_block(x, filters):
    x = layers.Conv2D(filters, 3, padding="same")(x)
    return layers.ReLU()(x)


inputs = keras.Input(shape=(8, 8, 3))
outputs = layers.Conv2D(4, 3)(inputs)
'''


async def test_hover_on_a_layer_in_a_function_nothing_calls_says_why_there_are_no_shapes(client):
    doc = Doc(client, UNCALLED, "uncalled")
    lines = UNCALLED.splitlines()
    called = await hover_text(doc, 10, lines[10].index("Conv2D") + 2)
    assert "`(None, 8, 8, 3)` → `(None, 6, 6, 4)`" in called
    text = await hover_text(doc, 5, lines[5].index("Conv2D") + 2)
    assert text == ("*No shapes*: `conv_block` is not called anywhere in this file: "
                    "its layers are never made.")
    assert await doc.hover(5, lines[5].index("filters, 3") + 1) is None  # (on an argument: nothing)
    doc.close()


async def test_hover_on_a_custom_layer_class_header_lists_its_calls(client):
    """The program of tests/core/test_lookup.py: a local `Dense` layer class, called three times,
    next to Keras's own Dense (not listed)."""
    from tests.core.test_lookup import CLASSES

    doc = Doc(client, CLASSES, "class_header")
    for character in (8, 16):  # the class name, its base
        h = await doc.hover(4, character)
        assert h is not None and h.contents.kind == types.MarkupKind.Markdown
        assert h.contents.value == (
            "**Dense** · 3 instances · 3 calls\n\n"
            "`(None, 16)` → `(None, 8)` · 136 params · 1 call (line 20)\n\n"
            "`(None, 8)` → `(None, 8)` · 72 params · 1 call (line 21)\n\n"
            "`(None, 4)` → `(None, 2)` · 10 params · 1 call (line 23)")
        assert h.range == rng(4, 0, 4, 25)

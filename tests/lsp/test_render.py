"""Hover texts and what is found at a position (no server)."""

from __future__ import annotations

from shapelens.core.analyze import analyze
from shapelens.core.lookup import Lookup
from shapelens.lsp.render import hint_lines, hover_markdown

SHARED = '''\
import keras
from keras import layers

left = keras.Input(shape=(16,))
right = keras.Input(shape=(16,))
shared = layers.Dense(4)
a = shared(left)
b = shared(right)
c = layers.Dense(3)(layers.Flatten()(a))
'''


def hover_at(text: str, line: int, needle: str, offset: int = 0) -> str:
    lookup = Lookup(text, analyze(text))
    target = lookup.at(line, text.splitlines()[line].index(needle) + offset)
    assert target is not None
    return hover_markdown(target)


def test_shared_layer_constructor_lists_every_call():
    text = hover_at(SHARED, 5, "Dense")
    assert text == ("**shared (Dense)** · 68 params\n\n"
                    "`(None, 16)` → `(None, 4)` (call on line 7)\n\n"
                    "`(None, 16)` → `(None, 4)` (call on line 8)")


def test_one_call_of_a_shared_layer_and_the_layer_variable():
    one = hover_at(SHARED, 7, "(right)")  # on the call's parenthesis: that call only
    assert one == "**shared (Dense)** · 68 params\n\n`(None, 16)` → `(None, 4)`"
    call = hover_at(SHARED, 7, "(right)", 1)  # on `right`: the tensor variable
    assert call == "**right**: `(None, 16)`\n\nfrom keras.Input (line 5)"
    layer_var = hover_at(SHARED, 6, "shared")  # the name of the layer object
    assert layer_var.startswith("**shared (Dense)** · 68 params") and "call on line 8" in layer_var


def test_nested_calls_pick_the_innermost_layer():
    inner = hover_at(SHARED, 8, "Flatten")
    assert inner.startswith("**Flatten** · 0 params\n\n`(None, 4)` → `(None, 4)`")
    outer = hover_at(SHARED, 8, "Dense")
    assert outer.startswith("**Dense** · 15 params\n\n`(None, 4)` → `(None, 3)`")


def test_hint_lines_join_several_layers_on_one_line():
    assert hint_lines(analyze(SHARED))[8] == "→ (None, 4) → (None, 3)"


def test_unreached_layer_has_no_blank_line_run():
    text = '''\
import keras
from keras import layers

model = keras.Sequential()
model.add(keras.Input(shape=(4, 4, 1)))
model.add(layers.Conv2D(2, 9))
model.add(layers.Flatten())
'''
    md = hover_at(text, 6, "Flatten")
    assert md.startswith("**Flatten**\n\n_") and "\n\n\n" not in md

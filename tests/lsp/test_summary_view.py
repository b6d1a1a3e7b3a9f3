"""The model summary view (shapelens.showSummary, code lenses): readable at 100 columns, the
Param # column never cut; long names abbreviated, long shapes wrapped."""

from __future__ import annotations

import re

from shapelens.core.analyze import analyze
from shapelens.lsp import render

WIDE = '''
import keras
from keras import layers
a = keras.Input(shape=(128, 128, 3), name="image")
b = keras.Input(shape=(64,), name="metadata")
x = layers.GlobalAveragePooling2D()(layers.Conv2D(32, 3)(a))
z = layers.Concatenate()([x, layers.Dense(32)(b)])
a_very_long_variable_name_for_the_dense_layer_of_this_model = layers.Dense(10)
out = a_very_long_variable_name_for_the_dense_layer_of_this_model(z)
heads = [layers.Dense(n, name=f"head_{n}")(z) for n in (3, 7, 8, 9, 11, 12, 13, 14, 15)]
model = keras.Model(inputs=[a, b], outputs=[out, *heads], name="a_model_with_a_rather_long_name_and_many_outputs")
'''


def rows(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if re.search(r"\bline \d+\b", ln)]


def test_wide_model_fits_100_columns_with_every_param_count():
    model = analyze(WIDE, "wide.py").models[-1]
    text = render.summary_text(model)
    assert max(len(ln) for ln in text.splitlines()) <= 100, text
    layer_rows = rows(text)
    assert len(layer_rows) == len(model.layers), text
    for row, layer in zip(layer_rows, model.layers):
        assert row.rstrip().endswith(render.fmt_params(layer.params)), (row, layer.params)
    assert "Param #" in text and "Total params:" in text
    assert "a_very_long_variable_name_for_t…" in text  # abbreviated, not cut off at the edge


def test_narrow_width_wraps_shapes_and_keeps_param_column():
    model = analyze(WIDE, "wide.py").models[-1]
    text = render.summary_text(model, width=60)
    assert max(len(ln) for ln in text.splitlines()) <= 60, text
    header = next(ln for ln in text.splitlines() if ln.startswith("Layer (type)"))
    assert header.rstrip().endswith("Param #")
    assert "(None, 128," in text and "128, 3)" in text  # the input shape, wrapped onto two lines


def test_small_model_table_is_unchanged():
    """A model that fits is rendered exactly like the CLI's table."""
    from shapelens.report import model_table, model_title

    src = ("import keras\nfrom keras import layers\n"
           "m = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(32, 5), layers.Flatten(), layers.Dense(4)])\n")
    model = analyze(src, "small.py").models[0]
    assert render.summary_text(model) == "\n".join([model_title(model), *model_table(model)])

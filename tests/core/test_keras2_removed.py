"""Keras 2 import paths and model methods Keras 3 rejects (SL401, SL402).

The TensorFlow side of these facts is checked by the rule pages' examples
(tests/test_docs.py runs them under TensorFlow) and by the corpus programs."""

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.keras2_removed import check_module


@pytest.mark.parametrize("module,names,expected", [
    ("keras.layers.core", ["Dense"], "import Dense from `keras.layers`"),
    ("keras.layers.convolutional", ["Conv2D", "MaxPooling2D"], "import Conv2D, MaxPooling2D from `keras.layers`"),
    ("keras.utils.np_utils", ["to_categorical"], "import to_categorical from `keras.utils`"),
    ("keras.utils", ["np_utils"], "`keras.utils` has no `np_utils`"),
    ("keras.optimizers", ["adam"], "did you mean `Adam`?"),
    ("keras.preprocessing.image", ["ImageDataGenerator"], "still in `tensorflow.keras.preprocessing.image`"),
    ("tensorflow.keras.layers.experimental", ["preprocessing"], "preprocessing layers are in `tensorflow.keras.layers`"),
    # not a layers module: the hint names where its contents went, not the preprocessing layers
    ("tensorflow.keras.optimizers.experimental", ["AdamW"], "import AdamW from `tensorflow.keras.optimizers`"),
    ("tensorflow.keras.optimizers.experimental", None, "what it held is in `tensorflow.keras.optimizers`"),
])
def test_removed(module, names, expected):
    message = check_module(module, names)
    assert message is not None and expected in message


@pytest.mark.parametrize("module,names", [
    ("keras.layers", ["Dense", "Convolution2D", "Conv2D"]), ("keras", None), ("keras.models", ["Sequential"]),
    ("tensorflow.keras.preprocessing.image", ["ImageDataGenerator"]), ("tensorflow.keras.layers", ["*"]),
    ("keras.src.layers.core.dense", ["Dense"]), ("numpy", ["zeros"]), ("keras_tuner", None),
])
def test_still_there(module, names):
    assert check_module(module, names) is None


def test_reported_on_the_import_and_shapes_continue():
    a = analyze("from keras.layers.core import Dense\nfrom keras.models import Sequential\n"
                "m = Sequential([Dense(3, input_shape=(4,))])\n")
    (d,) = a.diagnostics
    assert d.code == "SL401" and d.span.line == 0 and d.raise_span.line == 0
    assert a.models[0].output_shape == (None, 3)


def test_removed_model_method():
    a = analyze("import keras\nm = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
                "g = m.fit_generator(None)\n")
    (d,) = a.diagnostics
    assert d.code == "SL402" and "model.fit(generator" in d.message and d.span.line == 2

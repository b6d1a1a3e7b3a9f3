"""SL107 messages: what the Keras tensor is, and a keras.ops function that exists in Keras 3."""

from __future__ import annotations

import re

import pytest

from shapelens.core.analyze import analyze
from tests.oracle.client import require_tensorflow

PROGRAM = '''
import tensorflow as tf
import keras

x = keras.Input(shape=(4, 3))
m = tf.reduce_mean(x, axis=1)
c = tf.concat([x, x], axis=-1)
s = tf.nn.swish(keras.layers.Dense(2)(x))
d = tf.math.squared_difference(x, x)
t = tf.tile(tf.expand_dims(x, 1), (1, 2, 1, 1))
'''


def _messages() -> list[str]:
    return [d.message for d in analyze(PROGRAM, "p.py").diagnostics if d.code == "SL107"]


def test_hint_names_the_keras_ops_function():
    hints = [re.search(r"Use (.*) or a layer instead", m).group(1) for m in _messages()]
    assert hints == ["keras.ops.mean()", "keras.ops.concatenate()", "keras.ops.swish()",
                     "a keras.ops function", "keras.ops.expand_dims()", "keras.ops.tile()"]


def test_the_tensor_is_named_by_where_it_comes_from():
    messages = _messages()
    assert "cannot take the Keras tensor keras.Input output (None, 4, 3)" in messages[0]
    assert "cannot take the Keras tensor Dense output (None, 4, 2)" in messages[2]
    # after the error, tf.expand_dims(x, 1) is what keras.ops.expand_dims (the fix) gives
    assert "cannot take the Keras tensor from tf.expand_dims (shape (None, 1, 4, 3))" in messages[-1]


def test_after_the_error_the_value_is_the_keras_ops_ones():
    program = PROGRAM + "y = keras.layers.Dense(5)(t)\nz = keras.layers.Dense(5)(d)\n"
    shapes = {i.span.line + 1: i.output_shape for i in analyze(program, "p.py").layers if i.kind == "Dense"}
    assert shapes[11] == (None, 2, 4, 5)
    assert shapes[12] is None  # tf.math.squared_difference has no keras.ops equivalent to go on with


@pytest.mark.tf
def test_named_functions_exist_in_keras():
    require_tensorflow()
    import keras
    for m in _messages():
        name = re.search(r"Use keras\.ops\.(\w+)\(\)", m)
        if name:
            assert hasattr(keras.ops, name.group(1)), m

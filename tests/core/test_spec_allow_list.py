"""The dry-run spec holds only allow-listed, JSON-plain values: anything else makes the
layer incomplete (not rebuilt by the worker) instead of reaching Keras."""

from __future__ import annotations

import json

import pytest

from shapelens.core.analyze import analyze

H = "import keras\nimport tensorflow as tf\nfrom keras import layers\ninputs = keras.Input(shape=(8,))\n"


def dense_spec(arg: str) -> dict:
    spec = analyze(H + f"x = layers.Dense(4, {arg})(inputs)\n", with_spec=True).spec
    json.dumps(spec)  # JSON-plain
    return next(layer for layer in spec["layers"] if layer["kind"] == "Dense")


@pytest.mark.parametrize("arg", [
    "activation=tf.io.gfile.makedirs",
    "activation=tf.keras.utils.get_file",
    "kernel_initializer={'class_name': 'Lambda', 'config': {}}",
    "kernel_initializer={'module': 'os', 'class_name': 'system'}",
])
def test_values_outside_the_allow_list_are_not_sent(arg):
    layer = dense_spec(arg)
    assert not layer["complete"]
    text = json.dumps(layer)
    assert "gfile" not in text and "get_file" not in text and "class_name" not in text and "'os'" not in text


@pytest.mark.parametrize("arg, key, expected", [
    ("activation=keras.activations.relu", "activation", "relu"),
    ("activation=tf.nn.relu", "activation", "relu"),
    ("activation='relu'", "activation", "relu"),
    ("kernel_initializer=keras.initializers.he_normal", "kernel_initializer", "he_normal"),
    ("kernel_regularizer=keras.regularizers.l2", "kernel_regularizer", "l2"),
])
def test_registered_keras_objects_travel_by_name(arg, key, expected):
    layer = dense_spec(arg)
    assert layer["config"][key] == expected
    assert layer["complete"]

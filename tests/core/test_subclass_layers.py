"""Layer/Model subclasses as Keras builds them (the TensorFlow check of the same constructs is
tests/fixtures/programs/custom_layers_*.py, run by tests/test_programs_diff.py)."""

from __future__ import annotations

from shapelens.core.analyze import analyze

HEAD = "import keras\nfrom keras import layers, ops\n"


def _rows(src: str) -> dict:
    a = analyze(HEAD + src, "t.py")
    return {i.kind: (i.output_shape, i.params) for i in a.layers}, a


def test_custom_layer_is_one_node_with_its_sublayers_params():
    rows, a = _rows(
        "class Block(layers.Layer):\n"
        "    def __init__(self, units):\n"
        "        super().__init__()\n"
        "        self.d1 = layers.Dense(units)\n"
        "        self.d2 = layers.Dense(units)\n"
        "    def call(self, x):\n"
        "        return self.d2(self.d1(x)) + x\n"
        "inputs = keras.Input(shape=(16,))\n"
        "model = keras.Model(inputs, layers.Dense(4)(Block(16)(inputs)))\n")
    assert rows["Block"] == ((None, 16), 2 * (16 * 16 + 16))
    [m] = a.models
    assert [i.kind for i in m.layers] == ["InputLayer", "Block", "Dense"]
    assert m.params == 2 * 272 + 68


def test_add_weight_counts_and_gives_a_weight_tensor():
    rows, _ = _rows(
        "class Scale(layers.Layer):\n"
        "    def build(self, input_shape):\n"
        "        self.w = self.add_weight(shape=(input_shape[-1],))\n"
        "        self.b = self.add_weight(shape=(1,), trainable=False)\n"
        "    def call(self, x):\n"
        "        return x * self.w + self.b\n"
        "y = Scale()(keras.Input(shape=(3, 5)))\n")
    assert rows["Scale"] == ((None, 3, 5), 6)


def test_builtin_subclass_is_its_base_layer():
    rows, a = _rows(
        "class SameConv(layers.Conv2D):\n"
        "    def __init__(self, filters, **kwargs):\n"
        "        super().__init__(filters, 3, padding='same', **kwargs)\n"
        "class Std(layers.Conv2D):\n"
        "    def call(self, inputs):\n"
        "        return self.convolution_op(inputs, self.kernel)\n"
        "class Twice(layers.Dense):\n"
        "    def call(self, inputs):\n"
        "        return super().call(inputs) * 2.0\n"
        "x = keras.Input(shape=(8, 8, 3))\n"
        "y = SameConv(4)(x)\n"
        "z = Std(2, 3)(y)\n"
        "w = Twice(5)(z)\n")
    assert rows["SameConv"] == ((None, 8, 8, 4), 3 * 3 * 3 * 4 + 4)
    assert rows["Std"] == ((None, 6, 6, 2), 3 * 3 * 4 * 2 + 2)
    assert rows["Twice"] == ((None, 6, 6, 5), 2 * 5 + 5)
    assert not [d for d in a.diagnostics if d.severity == "error"]


def test_compute_output_shape_when_call_is_not_followed():
    rows, _ = _rows(
        "class Opaque(layers.Layer):\n"
        "    def call(self, x):\n"
        "        return some_unknown_function(x)\n"
        "    def compute_output_shape(self, input_shape):\n"
        "        return (input_shape[0], input_shape[1] * 2)\n"
        "y = Opaque()(keras.Input(shape=(7,)))\n")
    assert rows["Opaque"] == ((None, 14), 0)


def test_super_in_a_subclass_chain_does_not_recurse():
    rows, a = _rows(
        "class Base(keras.Model):\n"
        "    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.d = layers.Dense(4)\n"
        "    def call(self, x):\n"
        "        return self.d(x)\n"
        "class Child(Base):\n"
        "    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.e = layers.Dense(2)\n"
        "    def call(self, x):\n"
        "        return self.e(super().call(x))\n"
        "out = Child()(keras.Input(shape=(5,)))\n")
    assert rows["Child"] == ((None, 2), 24 + 10)
    assert not [d for d in a.diagnostics if d.code == "SL003"]

"""Messages name values the way a user reads them: never an internal object's repr."""

from shapelens.core.analyze import analyze

PROGRAM = '''
import tensorflow as tf
import numpy as np
import keras

x = keras.Input(shape=(8,))
a = keras.layers.Dense(tf.math.reduce_prod((3, 4)))(x)
b = keras.layers.Dense(np.zeros((2,)))(x)
c = keras.layers.LSTM(tf.constant(3))(keras.Input(shape=(4, 2)))
'''


def test_integer_argument_messages_say_what_the_value_is():
    analysis = analyze(PROGRAM, "units.py")
    messages = [d.message for d in analysis.diagnostics if d.code == "SL201"]
    assert len(messages) == 3, messages
    assert "got a tensor of shape ()" in messages[0]
    assert "got a tensor of shape (2,)" in messages[1]
    for m in messages:
        for internal in ("Array(", "Span(", "Tensor(", "origin=", " at 0x"):
            assert internal not in m, m


HALF_TYPED = '''
import keras
from keras import layers

inputs = keras.Input(shape=(64, 64, 3))
x = layers.Conv2D(16, 3)(inputs)
a = layers.MaxPooling2D(x)(x)
b = layers.Conv2D(8, kernel_size=layers.Dense(3))(x)
c = layers.Conv2D(8, 3, strides=[2, x])(x)
'''


def test_an_object_typed_where_a_number_belongs_is_named_in_words():
    """Found by the random-edit fuzz: ``MaxPooling2D(x)`` (the tensor typed into the wrong
    parentheses) showed the tensor's repr, with its producer, layer and rule objects."""
    messages = [d.message for d in analyze(HALF_TYPED, "typed.py").diagnostics if d.code == "SL201"]
    assert len(messages) == 3, messages
    assert messages[0].endswith("got a tensor of shape (None, 62, 62, 16)"), messages[0]
    assert messages[1].endswith("got a Dense layer"), messages[1]
    assert messages[2].endswith("got [2, a tensor of shape (None, 62, 62, 16)]"), messages[2]
    for m in messages:
        for internal in ("Tensor(", "LayerObj(", "Span(", "origin=", " at 0x", "0000000000"):
            assert internal not in m, m


def test_no_template_shows_an_internal_repr():
    """Every message template, every field given one of the analysis's own objects: words only."""
    from shapelens.core.code_registry import all_templates
    from shapelens.core.shapes import Unknown
    from shapelens.core.values import Tensor

    tensor = Tensor((None, 3), "Dense (line 2)", None)
    for value in (tensor, Unknown("read from a file"), [tensor, 1], {"a": tensor}, 10**400):
        for msg in all_templates():
            text = msg(**{f: value for f in msg.fields})
            for internal in ("Tensor(", "Span(", "origin=", " at 0x", "<shapelens", "0" * 100):
                assert internal not in text, (msg.name, text)


def test_a_tensor_of_unknown_shape_is_named_so():
    text = ("import keras\nfrom keras import layers\n"
            "y = layers.Conv2D(4, 9)(keras.Input((8, 8, 3)))\n"  # raises: its output's shape is not known
            "z = layers.MaxPooling2D(y)(y)\n")
    messages = [d.message for d in analyze(text, "typed.py").diagnostics if d.code == "SL201"]
    assert any(m.endswith("got a tensor of unknown shape") for m in messages), messages

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

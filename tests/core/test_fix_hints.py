"""The fix a message suggests is the one that works: Keras 1 keyword names point at their
Keras 2/3 names, a channel mismatch between feature maps is projected with a 1x1 convolution,
and the removed keras.preprocessing.text points at TextVectorization. (That Keras 3 raises at
each of these is checked under TensorFlow by the rule docs' examples and the program diff.)"""

from shapelens.core.analyze import analyze

PROGRAM = """\
import keras
from keras import layers
from keras.preprocessing.text import Tokenizer
dense = layers.Dense(4, init="glorot_uniform")
conv = layers.Conv2D(8, 3, border_mode="same")
inp = keras.Input((8, 8, 3))
c1 = layers.Conv2D(16, 3, padding="same")(inp)
s = layers.Add()([c1, inp])
v = keras.Input((5,))
w = layers.Add()([layers.Dense(7)(v), v])
seq = keras.Input((10, 4))
t = layers.Add()([layers.Conv1D(4, 3)(seq), seq])
"""


def _messages():
    return {(d.span.line + 1, d.code): d.message for d in analyze(PROGRAM).diagnostics}


def test_keras1_keyword_names_point_at_their_new_names():
    m = _messages()
    assert m[(4, "SL201")].endswith("`init`; it is `kernel_initializer` since Keras 2")
    assert m[(5, "SL201")].endswith("`border_mode`; it is `padding` since Keras 2")


def test_a_channel_mismatch_is_projected_the_way_the_tensors_are_shaped():
    m = _messages()
    assert m[(8, "SL104")].endswith("project one side with a 1x1 convolution, Conv2D(16, 1)")
    assert m[(10, "SL104")].endswith("project one side with Dense(7)")
    assert "make that axis the same on both sides" in m[(12, "SL104")]


def test_the_removed_text_module_points_at_textvectorization():
    m = _messages()
    assert "Tokenizer is gone: use the `keras.layers.TextVectorization` layer" in m[(3, "SL401")]

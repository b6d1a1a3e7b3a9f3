"""An unknown shape always says why: a layer whose own rule had no complaint but got an unknown
input names the call where the shape was lost and that call's reason (hover, summary, scan)."""

from shapelens.core.analyze import analyze

PROGRAM = """\
import keras
from keras import layers
inp = keras.Input(shape=(8,))
x = layers.Lambda(lambda t: bar(t))(inp)
y = layers.Dense(4)(x)
z = layers.Dropout(0.1)(y)
bad = keras.Input(shape=8)
w = layers.Dense(2)(bad)
"""


def _notes():
    return {(i.span.line + 1, i.kind): (i.output_shape, i.note) for i in analyze(PROGRAM).layers}


def test_a_layer_after_an_unknown_one_names_where_the_shape_was_lost():
    notes = _notes()
    shape, lam = notes[(4, "Lambda")]
    assert shape is None and "`bar` is not defined" in lam
    for line, kind in ((5, "Dense"), (6, "Dropout")):
        shape, note = notes[(line, kind)]
        assert shape is None
        assert note == f"its input comes from Lambda (line 4): {lam}"


def test_a_call_that_raises_goes_on_with_the_value_of_its_fix():
    # Input(shape=8) raises (SL201: use shape=(8,)); what follows gets the shapes of the fixed
    # program, so a user who makes the fix sees them at once
    infos = {(i.span.line + 1, i.kind): i for i in analyze(PROGRAM).layers}
    assert infos[(7, "InputLayer")].raised and infos[(7, "InputLayer")].output_shape == (None, 8)
    assert infos[(8, "Dense")].output_shape == (None, 2) and not infos[(8, "Dense")].raised


def test_what_follows_a_call_that_raises_without_a_value_points_at_it():
    program = "import keras\nfrom keras import layers\nx = keras.Input(shape=(8,))\n" \
              "y = layers.Dense(4)(layers.Reshape((3, 3))(x))\n"
    notes = {(i.span.line + 1, i.kind): (i.output_shape, i.note) for i in analyze(program).layers}
    assert notes[(4, "Reshape")] == (None, "Reshape raises here")
    assert notes[(4, "Dense")] == (None, "its input comes from Reshape (line 4): Reshape raises here")


def test_known_shapes_carry_no_note():
    notes = _notes()
    assert notes[(3, "InputLayer")] == ((None, 8), None)


SEQUENTIAL_ON_UNKNOWN = """\
import keras
from keras import layers
aug = keras.Sequential([layers.Rescaling(1 / 255.0), layers.RandomFlip("horizontal")])
inp = keras.Input(shape=(32, 32, 3))
x = layers.Lambda(lambda t: mystery(t))(inp)
y = aug(x)
unused = keras.Sequential([layers.Dense(4)])
"""


def test_a_sequential_called_on_an_unknown_tensor_is_not_told_to_add_an_input():
    analysis = analyze(SEQUENTIAL_ON_UNKNOWN)
    notes = {(i.span.line + 1, i.kind): i.note for i in analysis.layers}
    # Keras builds the model on that tensor: its layers are called on a tensor of unknown
    # rank (they keep it: unknown), and say where the shape was lost
    for kind in ("Rescaling", "RandomFlip"):
        assert notes[(3, kind)].startswith("its input comes from Lambda (line 5): "), notes[(3, kind)]
    aug, unused = sorted(analysis.models, key=lambda m: m.span.line)
    assert aug.note.startswith("built on data whose shape shapelens does not know") and "keras.Input" not in aug.note
    # a Sequential that is never called keeps the advice
    assert notes[(7, "Dense")].startswith("never called: the model has no input shape yet (add keras.Input")
    assert unused.note.startswith("no input shape: add keras.Input")


NESTED = """\
import keras
from keras import layers
a = keras.Input(shape=(8,))
b = layers.Lambda(lambda t: bar(t))(a)
inner = keras.Model(a, layers.Dense(3)(b))
x = keras.Input(shape=(8,))
y = inner(x)
"""


def test_a_nested_model_whose_output_is_lost_inside_says_where():
    infos = [i for i in analyze(NESTED).layers if i.kind == "Functional"]
    assert infos and all(i.output_shape is None for i in infos)
    note = infos[-1].note
    assert note.startswith("inside the model, Lambda (line 4): ") and "`bar`" in note, note


OWNED = '''
import keras
from keras import layers


class Block(layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(4)
        self.spare = layers.Dense(2)

    def call(self, x):
        return self.dense(x)


unused = Block()
used = Block()
y = used(keras.Input((3,)))
'''


def test_a_layer_made_in_a_subclass_init_says_why_it_was_never_called():
    a = analyze(OWNED, "p.py")
    notes = {(i.span.line + 1, i.note) for i in a.layers if i.kind == "Dense" and i.output_shape is None}
    assert (9, "never called: made in Block.__init__ (line 16), and that Block is never called on a tensor "
               "shapelens follows") in notes
    assert (10, "never called: made in Block.__init__ (line 17), but the Block.call() shapelens followed "
                "does not call it") in notes
    assert any(i.kind == "Dense" and i.output_shape == (None, 4) for i in a.layers)


UNFOLLOWED_VALUE = """\
import keras
import pandas as pd
from keras import layers
frame = pd.read_csv("data.csv")
x = layers.Dense(4)(frame)
model = keras.Sequential([layers.Dense(3)])
y = model(frame)
"""


def test_a_value_shapelens_does_not_follow_names_why():
    notes = {(i.span.line + 1, i.kind): (i.output_shape, i.note) for i in analyze(UNFOLLOWED_VALUE).layers}
    shape, note = notes[(5, "Dense")]
    assert shape is None and note == "its input (pandas.read_csv(...) is not followed) has an unknown shape"

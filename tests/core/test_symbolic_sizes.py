"""Sizes read from data or configuration through whole programs (no TensorFlow: the rules are
checked against Keras in tests/core/rules/test_symbolic_diff.py and the fixture program
tests/fixtures/programs/symbolic_sizes.py)."""

from __future__ import annotations

from shapelens.core.analyze import analyze
from shapelens.core.shapes import Unknown
from shapelens.report import json_file_entry

PROGRAM = '''
import numpy as np
import keras
from keras import layers

x_train = np.load("x.npy")
vocab = open("v.txt").read().split()
num_classes = len(set(open("y.txt").read().split()))

inp = keras.Input(shape=x_train.shape[1:])
h = layers.Embedding(len(vocab) + 2, 128)(inp)
h = layers.LSTM(32)(h)
h = layers.Dense(16)(h)
out = layers.Dense(num_classes)(h)
model = keras.Model(inp, out)

img = keras.Input(shape=x_train.shape[1:])
c = layers.Conv2D(8, 3)(img)
g = layers.GlobalAveragePooling2D()(c)
'''


def _shown(shape):
    return tuple("?" if isinstance(d, Unknown) else d for d in shape) if isinstance(shape, tuple) else shape


def test_rank_unknown_input_keeps_what_does_not_depend_on_it():
    a = analyze(PROGRAM, "p.py")
    rows = {(i.span.line, i.kind): (_shown(i.output_shape), i.params) for i in a.layers}
    assert rows[(10, "Embedding")] == (None, None)  # rank unknown: shown unknown
    assert rows[(11, "LSTM")] == ((None, 32), 4 * (128 + 32 + 1) * 32)  # batch is Keras's None
    assert rows[(12, "Dense")] == ((None, 16), 528)
    assert rows[(13, "Dense")] == ((None, "?"), None)
    assert rows[(17, "Conv2D")] == ((None, "?", "?", 8), None)
    assert rows[(18, "GlobalAveragePooling2D")] == ((None, 8), 0)
    assert not [d for d in a.diagnostics if d.severity == "error"]


def test_json_keeps_null_and_adds_text_for_unknown_axes():
    entry = json_file_entry("p.py", analyze(PROGRAM, "p.py"))
    dense = [r for r in entry["layers"] if r["line"] == 14][0]
    assert dense["output_shape"] == [None, None]
    assert dense["output_shape_text"] == "(None, ?)"
    lstm = [r for r in entry["layers"] if r["line"] == 12][0]
    assert "output_shape_text" not in lstm


def test_unknown_sizes_never_raise():
    text = '''
import keras
from keras import layers
import numpy as np
x = np.load("x.npy")
n = len(open("f").read())
i = keras.Input(shape=(n, n, 3))
c = layers.Conv2D(4, 7)(i)
p = layers.MaxPooling2D(n)(c)
a = layers.Add()([layers.Dense(4)(keras.Input(shape=(n, 4))), keras.Input(shape=(5, 4))])
r = layers.Reshape((n, 4))(keras.Input(shape=(12,)))
'''
    a = analyze(text, "p.py")
    assert not [d for d in a.diagnostics if d.severity == "error"], [d.message for d in a.diagnostics]


BLOCKS = '''
import sys
import keras
from keras import layers

width = int(sys.argv[1])
frames = int(sys.argv[2])

def block(x):
    h = layers.Conv1D(width, 3, padding="same")(x)
    h = layers.Dense(width * 2)(h)
    return layers.Dense(width)(h)

x = keras.Input(shape=(frames, width))
for _ in range(6):
    x = block(x)
out = layers.GlobalAveragePooling1D()(x)
'''


def _sampled(text: str, monkeypatch) -> tuple:
    """The analysis of ``text`` with the memo of sampled answers and without it, with how many
    questions each asked (rules/symbolic.py, _specialise_values runs)."""
    from shapelens.core.rules import symbolic

    symbolic._MEMO.clear()
    runs = []
    specialise = symbolic._specialise_values

    def counted(*args):
        runs.append(args[1].kind)
        return specialise(*args)

    monkeypatch.setattr(symbolic, "_specialise_values", counted)
    kept = analyze(text, "blocks.py")
    with_memo = len(runs)

    def no_memo(plain, rule, args, inputs, call):
        try:
            return counted(plain, rule, args, inputs, call)
        except Exception:  # noqa: BLE001 -- as _values_memo
            return None

    monkeypatch.setattr(symbolic, "_values_memo", no_memo)
    runs.clear()
    fresh = analyze(text, "blocks.py")
    return kept, fresh, with_memo, len(runs)


def test_a_block_called_again_reuses_the_sampled_answer(monkeypatch):
    """A rule run on sizes not known statically is run again on sample values to find what does
    not depend on them (rules/symbolic.py); the same block called again asks the same question,
    and the answer is kept (_values_memo): the analysis is the one without it."""
    import dataclasses

    kept, fresh, with_memo, without = _sampled(BLOCKS, monkeypatch)
    assert with_memo == 3 and without == 19  # Conv1D, Dense (any width) and the pooling: asked once
    assert repr(dataclasses.asdict(kept)) == repr(dataclasses.asdict(fresh))
    dense = [r for r in kept.layers if r.kind == "Dense"]
    assert len(dense) == 12 and all(str(r.output_shape).startswith("(None, ") for r in dense)


BLOCKS_WITH_INITIALIZERS = BLOCKS.replace(
    'h = layers.Conv1D(width, 3, padding="same")(x)',
    'h = layers.Conv1D(width, 3, padding="same", activation=keras.activations.gelu,\n'
    '                      kernel_initializer=keras.initializers.VarianceScaling(1.0))(x)',
).replace(
    'h = layers.Dense(width * 2)(h)',
    'h = layers.Dense(width * 2, kernel_initializer=init(), bias_initializer="zeros",\n'
    '                     kernel_regularizer=keras.regularizers.l2(1e-4))(h)',
).replace("def block(x):", "def init():\n    return keras.initializers.GlorotUniform()\n\n\ndef block(x):")


def test_initializers_and_activations_by_path_do_not_keep_the_answer_from_being_reused(monkeypatch):
    """DDPM builds every layer with ``kernel_initializer=kernel_init(1.0)`` (a new object each
    time) and passes activations by path (``activation=keras.activations.swish``): no rule reads
    an initializer or a regularizer, and an activation named by its path does what its name says,
    so the answer is kept for them as for plain arguments (questions with no key on the
    keras.io examples: 601 -> 118 of 4,625; DDPM: 70 -> 62 ms). The analysis is the one without the memo."""
    import dataclasses

    assert BLOCKS_WITH_INITIALIZERS.count("initializers") == 2
    kept, fresh, with_memo, without = _sampled(BLOCKS_WITH_INITIALIZERS, monkeypatch)
    # Conv1D, each Dense (their arguments differ) and the pooling: asked once
    assert with_memo == 4 and without == 19
    assert repr(dataclasses.asdict(kept)) == repr(dataclasses.asdict(fresh))
    assert not [d for d in kept.diagnostics if d.severity == "error"]

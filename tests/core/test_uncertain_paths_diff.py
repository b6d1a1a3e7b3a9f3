"""Precision on paths that may not run: code under an ``if`` whose condition shapelens does not
know. Each program below runs under TensorFlow twice (the condition replaced by True and by
False): when Keras raises on one path only, shapelens must report no error (at most a warning);
the path that runs is not known statically."""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from tests.oracle.client import require_tensorflow
from tests.oracle.program_runner import run_program

PROGRAMS = {
    # Sequential.add under an unknown if: the later layers' input depends on the branch
    "sequential_add_if": '''
import sys
import keras
from keras import layers

flag = COND
model = keras.Sequential([keras.Input(shape=(8, 8, 3)), layers.Conv2D(4, 3)])
if flag:
    model.add(layers.Flatten())
model.add(layers.Dense(2))
model.add(layers.Reshape((6, 6, 2)))
''',
    # the same with an else branch adding a different layer
    "sequential_add_if_else": '''
import sys
import keras
from keras import layers

flag = COND
model = keras.Sequential()
model.add(keras.Input(shape=(16,)))
if flag:
    model.add(layers.Reshape((4, 4)))
else:
    model.add(layers.Dense(16))
model.add(layers.Conv1D(2, 3))
''',
}

UNKNOWN = "len(sys.argv) > 5"


@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_one_path_raises_no_error(name: str, tmp_path: Path):
    require_tensorflow()
    template = PROGRAMS[name]
    raised = {}
    for cond in ("True", "False"):
        path = tmp_path / f"{name}_{cond}.py"
        path.write_text(template.replace("COND", cond))
        report = run_program(path, timeout=120)
        raised[cond] = report["error"] is not None
    # the program is only interesting when exactly one path raises under Keras
    assert raised["True"] != raised["False"], f"{name}: Keras raises on {raised}"
    analysis = analyze(template.replace("COND", UNKNOWN), f"{name}.py")
    errors = [(d.code, d.span.line + 1, d.message) for d in analysis.diagnostics if d.severity == "error"]
    assert errors == [], f"{name}: an error on a path that may not run: {errors}"
    # the model after the if is not claimed: its output shape is not known
    assert len(analysis.models) == 1
    assert analysis.models[0].output_shape is None and analysis.models[0].params is None


# Programs that run without error under TensorFlow, built from values shapelens cannot know
# (file contents, branches that depend on them): shapelens must report no error.
CLEAN_PROGRAMS = {
    # a vocabulary collected in a loop over a file's lines: the set is not empty when it runs
    "vocabulary_from_loop": '''
import os
import tempfile
import keras
from keras import layers

path = os.path.join(tempfile.mkdtemp(), "pairs.txt")
with open(path, "w") as f:
    f.write("ab\\tcd\\nbc\\tde\\n")
with open(path) as f:
    lines = f.read().split("\\n")
texts, chars, index = [], set(), {}
for line in lines:
    if not line:
        continue
    source, target = line.split("\\t")
    texts.append(source)
    for ch in target:
        if ch not in chars:
            chars.add(ch)
            index[ch] = len(index)
num_tokens = len(sorted(chars))
model = keras.Sequential([keras.Input(shape=(None, len(index))), layers.LSTM(4), layers.Dense(num_tokens)])
first = texts[0]
''',
    # a list appended under a condition shapelens does not know
    "append_under_unknown_if": '''
import sys
import numpy as np
import keras
from keras import layers

rows = [np.zeros(3)]
if len(sys.argv) < 5:
    rows.append(np.ones(3))
x = np.stack(rows)
y = np.zeros((len(rows), 1))
model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
model.compile(loss="mse")
model.fit(x, y, epochs=1, verbose=0)
''',
    # a set's update method handed to another call (pandas' Series.apply in the wild)
    "mutator_passed_as_callback": '''
import collections
import keras

texts = [["a", "b", "c"], ["b", "d"]]
vocabulary = set()
collections.deque(map(vocabulary.update, texts), maxlen=0)
layer = keras.layers.TextVectorization(max_tokens=len(vocabulary), output_mode="int")
''',
    # lookup layers adapted before their call: the multi-hot width is the learned vocabulary's size
    "adapted_lookup_width": '''
import numpy as np
import keras
from keras import layers


def encode(feature, data):
    lookup = layers.IntegerLookup(output_mode="multi_hot")
    lookup.adapt(data)
    return lookup(feature)


a = keras.Input(shape=(1,), dtype="int64")
b = keras.Input(shape=(1,), dtype="int64")
merged = layers.concatenate([encode(a, np.array([[1], [2], [3]])), encode(b, np.array([[4], [5]]))])
x = layers.Dense(4)(merged)
model = keras.Model([a, b], x)
''',
    # a shape spread from an array loaded from a file: Input(shape=(None, *x.shape[2:]))
    "starred_unknown_shape": '''
import os
import tempfile
import numpy as np
import keras
from keras import layers

path = os.path.join(tempfile.mkdtemp(), "frames.npy")
np.save(path, np.zeros((2, 5, 8, 8, 1), dtype="float32"))


def load(p):
    data = np.load(p)
    return data[:, :-1], data[:, 1:]


x_train, y_train = load(path)
inp = layers.Input(shape=(None, *x_train.shape[2:]))
x = layers.ConvLSTM2D(filters=2, kernel_size=3, padding="same", return_sequences=True)(inp)
''',
}


@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(CLEAN_PROGRAMS))
def test_clean_program_no_error(name: str, tmp_path: Path):
    require_tensorflow()
    path = tmp_path / f"{name}.py"
    path.write_text(CLEAN_PROGRAMS[name])
    report = run_program(path, timeout=120)
    assert report["error"] is None, f"{name} raises under TensorFlow: {report['error']}"
    analysis = analyze(CLEAN_PROGRAMS[name], f"{name}.py")
    errors = [(d.code, d.span.line + 1, d.message) for d in analysis.diagnostics if d.severity == "error"]
    assert errors == [], f"{name}: shapelens reports an error on a program that runs: {errors}"


# Programs whose layers give the same shapes on both paths of an unknown condition but whose
# models differ: each runs under TensorFlow with the condition True and False, and whatever
# shapelens claims about a model (output shape, parameter count) must hold on both paths.
BOTH_PATH_PROGRAMS = {
    # a conditional expression picks one of two same-shaped layers: the graph (and so the
    # parameter count) is the chosen layer's; it once was always the first branch's
    "ifexp_same_shape_other_layers": '''
import sys
import keras
from keras import layers

inputs = keras.Input((4,))
with_bias = layers.Dense(4)
without_bias = layers.Dense(4, use_bias=False)
x = with_bias(inputs) if COND else without_bias(inputs)
outputs = layers.Dense(1, use_bias=False)(x)
model = keras.Model(inputs, outputs)
''',
    # the same with an if statement
    "if_same_shape_other_layers": '''
import sys
import keras
from keras import layers

inputs = keras.Input((4,))
if COND:
    x = layers.Dense(4)(inputs)
else:
    x = layers.Dense(4, use_bias=False)(inputs)
model = keras.Model(inputs, layers.Dense(1)(x))
''',
}


@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(BOTH_PATH_PROGRAMS))
def test_model_claims_hold_on_both_paths(name: str, tmp_path: Path):
    require_tensorflow()
    template = BOTH_PATH_PROGRAMS[name]
    params = set()
    for cond in ("True", "False"):
        path = tmp_path / f"{name}_{cond}.py"
        path.write_text(template.replace("COND", cond))
        report = run_program(path, timeout=120)
        assert report["error"] is None, report["error"]
        params |= {r["params"] for r in report["layers"] if r["kind"] == "Functional"}
    assert len(params) == 2, f"{name}: the paths should build models of different sizes: {params}"
    analysis = analyze(template.replace("COND", UNKNOWN), f"{name}.py")
    assert [e for e in analysis.diagnostics if e.severity == "error"] == []
    assert len(analysis.models) == 1
    model = analysis.models[0]
    assert model.params is None, f"{name}: claims {model.params} parameters; Keras builds {sorted(params)}"
    assert model.output_shape == (None, 1)

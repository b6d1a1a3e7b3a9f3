"""Lead acceptance tests for loop summarising: loops that call built layers and models on data (training,
generation, RL loops) are summarised: one record per call site and input shapes, not one per iteration, and no budget hit.
Loops that create layers still give one record per layer created (a 12-block stack is 12)."""

from __future__ import annotations

import collections
from pathlib import Path

from shapelens.core.analyze import analyze

HEAD = ("import numpy as np\nimport keras\nfrom keras import layers\n"
        "inputs = keras.Input((4,))\nh = layers.Dense(8)(inputs)\nout = layers.Dense(2)(h)\n"
        "model = keras.Model(inputs, out)\n")


def _per_site(text: str):
    a = analyze(text, "loops.py")
    sites = collections.Counter((i.span.line, i.span.col, i.kind) for i in a.layers)
    return a, sites


def test_a_training_loop_calling_a_model_a_thousand_times_is_one_record_per_site():
    a, sites = _per_site(HEAD + "x = np.zeros((16, 4))\nfor epoch in range(1000):\n"
                                "    for step in range(10):\n        y = model(x, training=True)\n")
    assert max(sites.values()) <= 2, sites  # the layer's own record and the model call's
    assert not [d for d in a.diagnostics if d.code == "SL003"]
    assert [v.shape for v in a.values if v.name == "y"][-1] == (16, 2)


def test_predict_in_a_generation_loop_is_summarised():
    a, sites = _per_site(HEAD + "seed = np.zeros((1, 4))\nfor i in range(400):\n"
                                "    preds = model.predict(seed, verbose=0)[0]\n")
    assert max(sites.values()) <= 2, sites
    assert not [d for d in a.diagnostics if d.code == "SL003"]


def test_a_layer_called_on_data_in_a_while_loop_inside_a_function():
    a, sites = _per_site(HEAD + "crop = layers.CenterCrop(2, 2)\n"
                                "def load(n):\n    frames = []\n    i = 0\n    while i < n:\n"
                                "        frames.append(crop(np.zeros((1, 8, 8, 3))))\n        i += 1\n"
                                "    return frames\nvideos = [load(300) for _ in range(5)]\n")
    crop = [v for k, v in sites.items() if k[2] == "CenterCrop"]
    assert crop and max(crop) == 1, sites


def test_a_loop_creating_layers_keeps_one_record_per_layer():
    a, sites = _per_site("import keras\nfrom keras import layers\nx = inputs = keras.Input((16,))\n"
                         "for i in range(12):\n    x = layers.Dense(16)(x)\nm = keras.Model(inputs, x)\n")
    assert sites[(4, 8, "Dense")] == 12
    assert a.models[0].params == 12 * (16 * 16 + 16)


def test_a_shared_layer_called_in_a_loop_on_symbolic_tensors_is_one_record_per_input_shape():
    """The issue's contract: one record per call site and distinct input shape (the model still
    has the three calls: its output and parameters are those of the chain)."""
    a, sites = _per_site("import keras\nfrom keras import layers\nx = inputs = keras.Input((16,))\n"
                         "shared = layers.Dense(16)\nfor i in range(3):\n    x = shared(x)\n"
                         "m = keras.Model(inputs, x)\n")
    assert sum(v for k, v in sites.items() if k[2] == "Dense") == 1
    assert a.models[0].output_shape == (None, 16) and a.models[0].params == 16 * 16 + 16
    b, sites = _per_site("import keras\nfrom keras import layers\nx = inputs = keras.Input((16,))\n"
                         "for n in (8, 4, 2):\n    x = layers.Dense(n)(x)\nm = keras.Model(inputs, x)\n")
    assert sum(v for k, v in sites.items() if k[2] == "Dense") == 3  # three layers made: three records


def test_other_shapes_in_the_loop_are_other_records():
    a, sites = _per_site(HEAD.replace("(4,)", "(None,)") + "for n in [4, 4, 4, 6, 6]:\n"
                         "    y = model(np.zeros((2, n)))\n")
    assert max(sites.values()) <= 3, sites


RL_LOOP = """\
import numpy as np
import keras
from keras import layers

inp = keras.Input(shape=(3,))
actor = keras.Model(inp, layers.Dense(1)(layers.Dense(64)(inp)))
critic_in = keras.Input(shape=(4,))
critic = keras.Model(critic_in, layers.Dense(1)(critic_in))


class Buffer:
    def __init__(self):
        self.count = 0
        self.states = np.zeros((1000, 3))

    def add(self, s):
        self.states[self.count % 1000] = s
        self.count += 1

    def sample(self):
        return self.states[np.random.choice(min(self.count, 1000), 64)]


def train_step(states):
    actions = actor(states, training=True)
    return critic(np.concatenate([states, actions], axis=1), training=True)


memory = Buffer()
for episode in range(100):
    state = np.zeros(3)
    for step in range(200):
        action = actor(state[None, :])
        memory.add(state)
        if memory.count >= 64:
            train_step(memory.sample())
"""


def test_a_loop_whose_first_training_step_comes_late_is_still_summarised():
    # the models are first called like layers (on data) in a later iteration of the episode
    # loop, which creates their layer records, not new layers: the loop is summarised (its
    # inner loop was), never unrolled to the analysis budget
    from shapelens.core.evaluate import Evaluator
    from shapelens.core.source import Source

    analysis, sites = _per_site(RL_LOOP)
    assert not [d for d in analysis.diagnostics if d.code == "SL003"]
    assert max(sites.values()) <= 3, sites  # the layer's own record, the actor call's, train_step's
    source = Source(RL_LOOP)
    module, _ = source.parse()
    ev = Evaluator(source, "<buffer>")
    ev.run(module)
    assert ev.steps < 20_000, ev.steps


# the program also runs under TensorFlow (tests/test_programs_diff.py), with 3,000 questions
DATA_WHILE = (Path(__file__).resolve().parents[1] / "fixtures/programs/loops_while_data_generation.py").read_text()


def test_a_long_data_generating_while_loop_is_summarised_and_a_short_one_stays_exact():
    from shapelens.core.evaluate import Evaluator
    from shapelens.core.source import Source

    analysis, _ = _per_site(DATA_WHILE)
    assert not [d for d in analysis.diagnostics if d.code == "SL003"]
    shapes = [(i.kind, i.output_shape) for i in analysis.layers]
    assert shapes == [("InputLayer", (None, 7, 12)), ("LSTM", (None, 16)), ("RepeatVector", (None, 4, 16)),
                      ("LSTM", (None, 4, 16)),
                      ("Dense", (None, 4, 12))]  # the 12 iterations of `while n > 1` followed exactly  # the 12 iterations of `while n > 1` followed exactly
    source = Source(DATA_WHILE)
    module, _ = source.parse()
    ev = Evaluator(source, "<buffer>")
    ev.run(module)
    assert ev.steps < 20_000, ev.steps

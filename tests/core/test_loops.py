"""Loops that build no layer (core/loops.py): repeated calls of a built layer or model reuse
the first result, long layer-free loops are summarised, and what a summarised loop changes
is unknown (with a reason) while what stays the same keeps its value. Loops that create
layers keep one record per created layer. The TensorFlow-checked counterparts are the
fixture programs tests/fixtures/programs/loop_*.py."""

from __future__ import annotations

import collections
import time

from pathlib import Path
from shapelens.core.analyze import analyze
from shapelens.core.evaluate import Evaluator
from shapelens.core.shapes import Unknown
from shapelens.core.source import Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "programs"

H = """import numpy as np
import keras
from keras import layers

inputs = keras.Input(shape=(8,))
model = keras.Model(inputs, layers.Dense(4)(layers.Dense(16, activation="relu")(inputs)))
data = np.zeros((32, 8), dtype="float32")
"""


def run(text: str) -> Evaluator:
    source = Source(text)
    module, _ = source.parse()
    ev = Evaluator(source, "<test>")
    ev.run(module)
    return ev


def records_per_site_and_layer(text: str) -> collections.Counter:
    a = analyze(text, "<test>")
    return collections.Counter(((i.call_span or i.span).line, i.layer_id) for i in a.layers)


def shape(ev: Evaluator, name: str):
    return getattr(ev.globals.vars[name], "shape", "no shape")


def test_training_loop_calling_a_model_1000_times_is_cheap_and_makes_one_record():
    text = H + """
for epoch in range(1000):
    preds = model(data, training=True)
    loss = keras.ops.mean(preds)
"""
    start = time.process_time()
    ev = run(text)
    assert time.process_time() - start < 0.5
    assert ev.steps < 2_000
    assert shape(ev, "preds") == (32, 4)
    assert ev.globals.vars["epoch"] == 999
    assert not [d for d in ev.diags if d.code == "SL003"]
    counts = records_per_site_and_layer(text)
    assert max(counts.values()) <= 2  # the model call, once, at the loop's call site
    assert sum(1 for (line, _), n in counts.items() if line == 9) == 3  # model + its two Dense


def test_reuse_with_kwargs_and_predict_in_a_while_loop():
    text = H + """
step = 0
while step < 500:
    a = model(data, training=True)
    b = model.predict(data, verbose=0)
    step += 1
"""
    ev = run(text)
    assert shape(ev, "a") == (32, 4)
    assert shape(ev, "b") == (32, 4)
    step = ev.globals.vars["step"]
    assert isinstance(step, Unknown) and "changes from one iteration" in step.reason
    assert max(records_per_site_and_layer(text).values()) <= 2


def test_values_that_change_between_iterations_become_unknown_and_fixed_ones_stay():
    ev = run(H + """
units = 4
lr = 0.1
history = []
for epoch in range(300):
    out = model(data)
    history.append(out)
    units = 4
    if epoch == 150:
        lr = 0.01
n = len(history)
""")
    assert ev.globals.vars["units"] == 4
    assert isinstance(ev.globals.vars["lr"], Unknown)  # changes on one iteration the summary skipped
    assert isinstance(ev.globals.vars["history"], Unknown)
    assert "loop on line" in ev.globals.vars["history"].reason
    assert isinstance(ev.globals.vars["n"], Unknown)
    assert ev.globals.vars["epoch"] == 299


def test_changed_object_attributes_become_unknown_but_the_object_stays():
    ev = run(H + """
class Buffer:
    def __init__(self):
        self.count = 0
        self.size = 64
    def record(self, x):
        self.count += 1

buf = Buffer()
for episode in range(200):
    action = model(data)
    buf.record(action)
size = buf.size
count = buf.count
""")
    assert ev.globals.vars["size"] == 64
    assert isinstance(ev.globals.vars["count"], Unknown)


def test_list_appended_over_unknown_iterable_has_unknown_length():
    ev = run(H + """
items = []
for row in open("data.csv"):
    items.append(row)
n = len(items)
""")
    assert isinstance(ev.globals.vars["items"], Unknown)
    assert isinstance(ev.globals.vars["n"], Unknown)


def test_list_appended_over_a_small_range_stays_exact():
    ev = run(H + """
sizes = []
for i in range(5):
    sizes.append(2 ** i)
total = sum(sizes)
""")
    assert ev.globals.vars["sizes"] == [1, 2, 4, 8, 16]
    assert ev.globals.vars["total"] == 31


def test_model_building_loops_keep_one_record_per_created_layer():
    text = """import keras
from keras import layers

inputs = keras.Input(shape=(16, 32))
x = inputs
for _ in range(12):
    h = layers.Dense(32)(x)
    x = layers.Add()([x, h])
y = inputs
for f in [32, 64, 128]:
    y = layers.Conv1D(f, 3)(y)
shared = layers.Dense(32)
z = inputs
for _ in range(3):
    z = shared(z)
"""
    ev = run(text)
    assert shape(ev, "x") == (None, 16, 32)
    assert shape(ev, "y") == (None, 10, 128)
    assert shape(ev, "z") == (None, 16, 32)
    kinds = collections.Counter(lo.kind for lo in ev.keras.layer_objs)
    assert kinds["Add"] == 12 and kinds["Conv1D"] == 3
    shared_calls = [lo for lo in ev.keras.layer_objs if lo.var == "shared"][0].calls
    assert len(shared_calls) == 3  # a shared layer applied in a chain: every graph node kept


def test_a_costly_layer_free_data_loop_is_summarised():
    ev = run(H + """
rows = []
total = 0
for i in range(2000):
    a = np.zeros((4, 4)) * 2.0
    b = np.reshape(a, (16,))
    total = total + i
after = layers.Dense(3)(inputs)
""")
    assert ev.steps < 30_000
    assert isinstance(ev.globals.vars["total"], Unknown)
    assert shape(ev, "b") == (16,)
    assert shape(ev, "after") == (None, 3)
    assert not [d for d in ev.diags if d.code == "SL003"]


def test_a_gradient_descent_path_of_a_few_hundred_steps_is_summarised():
    """A plotting cell's gradient descent (Hands-On ML, chapter 4): 200 iterations of NumPy math
    that build nothing, run three times. Followed to the end it cost ~30 ms each (1,200 iterations
    of array arithmetic); its remaining iterations cost more than SUMMARY_STEPS, so it is
    summarised after SUMMARY_AFTER of them: the path's shape is not known, the rest is."""
    ev = run(H + """
X = np.random.rand(3, 2)
y = np.random.rand(3, 1)

def bgd_path(theta, X, y, l1, l2, eta=0.05, n_iterations=200):
    path = [theta]
    for iteration in range(n_iterations):
        gradients = (2 / len(X) * X.T @ (X @ theta - y) + l1 * np.sign(theta) + l2 * theta)
        theta = theta - eta * gradients
        path.append(theta)
    return np.array(path)

for l1, l2 in ((2.0, 0), (0, 2.0)):
    path_J = bgd_path(np.array([[0.25], [-1.0]]), X, y, l1=0, l2=0)
    path_JR = bgd_path(np.array([[0.25], [-1.0]]), X, y, l1, l2)
    path_N = bgd_path(np.array([[2.0], [0.5]]), X, y, l1=np.sign(l1) / 3, l2=np.sign(l2))
after = layers.Dense(3)(inputs)
""")
    assert ev.loops_summarised >= 6
    assert ev.steps < 20_000
    assert shape(ev, "after") == (None, 3)
    assert not [d for d in ev.diags if d.code == "SL003"]


def test_a_cheap_loop_that_computes_a_size_stays_exact():
    ev = run(H + """
size = 256
for _ in range(300):
    size = max(size // 2, 4)
x = layers.Dense(size)(inputs)
""")
    assert ev.loops_summarised == 0
    assert shape(ev, "x") == (None, 4)


def test_symbolic_calls_in_a_loop_are_not_reused():
    ev = run(H + """
outs = []
for i in range(4):
    outs.append(model(inputs))
""")
    model_layer = [lo for lo in ev.keras.layer_objs if lo.model is not None][0]
    assert len(model_layer.calls) == 4
    assert len(ev.globals.vars["outs"]) == 4


def test_a_costly_layer_free_comprehension_is_not_followed_item_by_item():
    """A 256 x 128 position-encoding table built with nested comprehensions used to spend the
    statement's whole budget (SL003, ~0.8 s) for a value that ends unknown anyway."""
    text = (FIXTURES / "comprehension_positional_encoding.py").read_text()
    result = analyze(text, "comprehension_positional_encoding.py")
    assert not [d for d in result.diagnostics if d.code == "SL003"], result.diagnostics
    dense = [layer for layer in result.layers if layer.kind == "Dense"]
    assert [layer.output_shape for layer in dense] == [(None, 256, 16), (None, 256, 32), (None, 256, 48), (None, 96)]

"""The program runner on tiny programs: construction lines, call shapes, error lines."""

from __future__ import annotations

import textwrap

import pytest

from tests.oracle.client import require_tensorflow
from tests.oracle.program_runner import run_program

pytestmark = pytest.mark.tf


def write(tmp_path, source: str, name: str = "prog.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source).lstrip("\n"))
    return path


def program_layers(report, op=False):
    return [rec for rec in report["layers"] if bool(rec.get("op")) == op]


def test_functional_lines_and_shapes(tmp_path):
    require_tensorflow()
    path = write(tmp_path, """
        import keras
        from keras import layers

        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.Conv2D(
            32,
            3,
        )(inputs)
        stack = keras.Sequential([
            layers.MaxPooling2D(),
            layers.Conv2D(
                8, 3, padding="same"),
        ])
        y = stack(x)
        out = keras.ops.concatenate([y, y], axis=-1)
        merged = layers.add([y, y])
        print("this goes to stderr, not to the report line")
    """)
    report = run_program(path)
    assert report["error"] is None
    assert report["keras"].startswith("3.")
    kinds = [(r["kind"], r["line"]) for r in program_layers(report)]
    # Python 3.11: a multi-line call reports the line where the call starts,
    # and each element of a multi-line list literal reports its own line.
    assert kinds == [("InputLayer", 4), ("Conv2D", 5), ("MaxPooling2D", 10),
                     ("Conv2D", 11), ("Sequential", 9), ("Add", 16)]
    inp, conv, pool, conv2, seq, add = program_layers(report)
    # layers.add(...) builds the Add layer inside Keras: recorded at the helper's line.
    assert add["calls"][0]["line"] == 16 and add["calls"][0]["output_shapes"] == [[None, 13, 13, 8]]
    assert inp["calls"] == [{"line": 4, "input_shapes": [], "output_shapes": [[None, 28, 28, 1]],
                             "mode": "symbolic"}]
    assert inp["params"] == 0
    assert conv["calls"] == [{"line": 5, "input_shapes": [[None, 28, 28, 1]],
                              "output_shapes": [[None, 26, 26, 32]], "mode": "symbolic"}]
    assert conv["params"] == 3 * 3 * 1 * 32 + 32
    # The Sequential has no input shape: it is only built (and its layers
    # called) by `stack(x)` on line 14.
    assert {c["line"] for c in pool["calls"]} == {14}
    assert {tuple(map(tuple, c["output_shapes"])) for c in pool["calls"]} == {((None, 13, 13, 32),)}
    assert {tuple(map(tuple, c["output_shapes"])) for c in conv2["calls"]} == {((None, 13, 13, 8),)}
    assert seq["calls"][0]["line"] == 14
    assert seq["calls"][0]["output_shapes"] == [[None, 13, 13, 8]]
    assert seq["params"] == conv2["params"] == 3 * 3 * 32 * 8 + 8
    ops = program_layers(report, op=True)
    assert [(o["kind"], o["line"]) for o in ops] == [("Concatenate", 15)]
    assert ops[0]["calls"][0]["output_shapes"] == [[None, 13, 13, 16]]


def test_error_line_and_failed_call(tmp_path):
    require_tensorflow()
    path = write(tmp_path, """
        import numpy as np
        import tensorflow as tf

        def block(x, k):
            return tf.keras.layers.Conv1D(4, k)(x)

        inputs = tf.keras.Input(shape=(10, 1))
        h = block(inputs, 3)
        h = block(
            h,
            15,
        )
        model = tf.keras.Model(inputs, h)
    """)
    report = run_program(path)
    err = report["error"]
    assert err["type"] == "ValueError"
    # Innermost program frame of the traceback: inside the helper.
    assert err["line"] == 5
    convs = [r for r in report["layers"] if r["kind"] == "Conv1D"]
    assert [c["line"] for c in convs] == [5, 5]
    ok, bad = convs
    assert ok["calls"][0]["output_shapes"] == [[None, 8, 4]]
    call = bad["calls"][0]
    assert call["line"] == 5 and call["input_shapes"] == [[None, 8, 4]]
    assert call["output_shapes"] is None and call["error"]["type"] == "ValueError"
    assert not any(r["kind"] == "Functional" for r in report["layers"])


def test_sequential_input_shape_fit_and_subclass(tmp_path):
    require_tensorflow()
    path = write(tmp_path, """
        import numpy as np
        import keras
        from keras import layers

        class Block(layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.dense = layers.Dense(units, activation="relu")

            def call(self, x):
                return self.dense(x)

        model = keras.Sequential([
            layers.Dense(8, input_shape=(4,)),
            Block(3),
        ])
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.random.rand(16, 4), np.random.rand(16, 3), epochs=1, batch_size=8, verbose=0)
        open("/nonexistent/data.csv").read()
    """)
    report = run_program(path)
    assert report["error"]["type"] == "FileNotFoundError"
    assert report["error"]["line"] == 19
    recs = {(r["kind"], r["line"]): r for r in report["layers"]}
    # No InputLayer: the one Sequential builds from input_shape= is Keras-internal.
    assert set(recs) == {("Dense", 14), ("Dense", 8), ("Block", 15), ("Sequential", 13)}
    inner = recs[("Dense", 8)]
    # Built by the Sequential (line 13), then traced again by fit (line 18);
    # the innermost program frame is Block.call.
    assert {c["line"] for c in inner["calls"]} == {11}
    # Inside a layer's call() Keras works on TF graph placeholders, even while
    # building symbolically; fit traces again, with the concrete batch size.
    assert {(c["mode"], tuple(c["output_shapes"][0])) for c in inner["calls"]} == {
        ("graph", (None, 3)), ("graph", (8, 3))}
    assert [c["mode"] for c in recs[("Dense", 14)]["calls"]][0] == "symbolic"
    assert {c["line"] for c in recs[("Block", 15)]["calls"]} == {13, 18}
    assert recs[("Sequential", 13)]["params"] == (4 * 8 + 8) + (8 * 3 + 3)
    assert any("input_shape" in w["message"] and w["line"] == 14 for w in report["warnings"])


def test_exit_and_syntax_error(tmp_path):
    require_tensorflow()
    ok = run_program(write(tmp_path, "import sys\nsys.exit(0)\n", "exit0.py"))
    assert ok["error"] is None and ok["layers"] == []
    bad = run_program(write(tmp_path, "x = (\n", "syntax.py"))
    assert bad["error"]["type"] == "SyntaxError"

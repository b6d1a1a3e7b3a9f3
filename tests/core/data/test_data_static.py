"""Data shapes without TensorFlow: what values the evaluator follows, what it reports, the
quick-fix data it attaches, and the programs where it must stay silent."""

from __future__ import annotations

import textwrap
import time

import pytest

from shapelens.core.analyze import analyze


def run(source: str):
    return analyze(textwrap.dedent(source).lstrip("\n"), "<test>")


def shapes(analysis) -> dict:
    out = {}
    for v in analysis.values:
        out[v.name] = v.shape
    return out


def codes(analysis, severities=("error", "warning")) -> list[str]:
    return [d.code for d in analysis.diagnostics if d.severity in severities]


def only(analysis, code: str):
    found = [d for d in analysis.diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in analysis.diagnostics]
    return found[0]


# --------------------------------------------------------------------------- values


def test_dataset_loaders_and_transformations():
    a = run("""
        import numpy as np
        from tensorflow import keras
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        x = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255.0
        x2 = x_train[..., None]
        x3 = np.expand_dims(x_test, -1)[:100]
        y = keras.utils.to_categorical(y_train)
        y10 = keras.utils.to_categorical(y_test, num_classes=10)
        classes = np.unique(y_train)
        n = len(classes)
        (c_train, c_labels), _ = keras.datasets.cifar10.load_data()
        onehot = np.eye(10)[c_labels.ravel()]
        flat = c_train.reshape(len(c_train), -1)
        t = flat.T
        parts = np.split(x_test, 4)
    """)
    s = shapes(a)
    assert s["x_train"] == (60000, 28, 28) and s["y_test"] == (10000,)
    assert s["x"] == (60000, 28, 28, 1) and s["x2"] == (60000, 28, 28, 1) and s["x3"] == (100, 28, 28, 1)
    assert s["y"] == (60000, 10) and s["y10"] == (10000, 10) and s["classes"] == (10,)
    assert s["c_labels"] == (50000, 1) and s["onehot"] == (50000, 10)
    assert s["flat"] == (50000, 3072) and s["t"] == (3072, 50000)
    assert not codes(a)
    origin = {v.name: v.origin for v in a.values}
    assert origin["x_train"] == "mnist.load_data() (line 3)"
    assert "reshape" in origin["x"]


def test_constructors_tf_and_keras_ops():
    a = run("""
        import numpy as np
        import tensorflow as tf
        import keras
        a = np.zeros((4, 5)); b = np.random.rand(4, 5); c = np.random.randint(0, 3, size=(7,))
        d = np.arange(12).reshape(3, 4); e = np.linspace(0, 1, 9); f = np.full((2, 2), 7)
        g = np.array([[1, 2, 3], [4, 5, 6]]); h = np.concatenate([a, b], axis=1); i = np.stack([a, b])
        j = tf.random.normal((2, 8, 8, 3)); k = tf.image.resize(j, (4, 4)); l = tf.reduce_mean(j, axis=[1, 2])
        m = tf.matmul(tf.ones((2, 3)), tf.ones((3, 5))); n = keras.ops.mean(b, axis=0)
        o = tf.one_hot(c, 3); p = a @ b.T; q = np.vstack([a, b]); r = np.argmax(b, axis=1)
        s_ = keras.ops.expand_dims(a, 0); t = tf.transpose(j, perm=[0, 3, 1, 2]); u = np.squeeze(np.ones((3, 1)))
        v = tf.nn.conv2d(j, tf.zeros((3, 3, 3, 16)), strides=2, padding="SAME")
        w = tf.nn.max_pool2d(v, ksize=2, strides=2, padding="VALID")
        ds = tf.data.Dataset.from_tensor_slices((b, c[:4])).batch(2)
    """)
    s = shapes(a)
    expect = {"a": (4, 5), "c": (7,), "d": (3, 4), "e": (9,), "f": (2, 2), "g": (2, 3), "h": (4, 10),
              "i": (2, 4, 5), "k": (2, 4, 4, 3), "l": (2, 3), "m": (2, 5), "n": (5,), "o": (7, 3),
              "p": (4, 4), "q": (8, 5), "r": (4,), "s_": (1, 4, 5), "t": (2, 3, 8, 8), "u": (3,),
              "v": (2, 4, 4, 16), "w": (2, 2, 2, 16)}
    for name, shape in expect.items():
        assert s[name] == shape, (name, s[name])
    assert not codes(a)


def test_model_built_from_the_data():
    a = run("""
        import numpy as np
        from tensorflow import keras
        X = np.random.rand(500, 12)
        y = keras.utils.to_categorical(np.random.randint(0, 4, 500), 4)
        model = keras.Sequential([
            keras.layers.Dense(8, activation="relu", input_shape=X.shape[1:]),
            keras.layers.Dense(y.shape[1], activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(X, y, epochs=1)
        probs = model.predict(X[:7])
    """)
    assert a.models[0].input_shape == (None, 12) and a.models[0].output_shape == (None, 4)
    assert shapes(a)["probs"] == (7, 4)
    assert not codes(a)


# --------------------------------------------------------------------------- reports


def test_missing_batch_axis_offers_the_axis():
    a = run("""
        import numpy as np
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(2)])
        image = np.zeros((28, 28, 1))
        model.predict(image)
    """)
    d = only(a, "SL302")
    assert d.severity == "error" and d.raise_span.line == 5
    assert "missing batch axis" in d.message and "image" in d.message
    assert d.fix["kind"] == "add_data_axis" and d.fix["axis"] == 0
    assert d.fix["data"]["line"] == 5
    assert not any(x.code == "SL101" for x in a.diagnostics)  # the Conv2D failure is explained, not repeated


def test_wrong_input_shape_names_both_shapes_and_offers_a_reshape():
    a = run("""
        import numpy as np
        import keras
        from keras import layers
        (x_train, y_train), _ = keras.datasets.mnist.load_data()
        model = keras.Sequential([keras.Input((784,)), layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x_train, y_train)
    """)
    d = only(a, "SL301")
    assert "x_train is (60000, 28, 28) from mnist.load_data() (line 4)" in d.message
    assert "(None, 784)" in d.message
    assert d.fix["kind"] == "replace" and d.fix["edits"][0]["new_text"] == "x_train.reshape(-1, 784)"


def test_loss_fixes():
    a = run("""
        import numpy as np
        import keras
        from keras import layers
        x = np.random.rand(10, 3)
        model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(x, np.random.randint(0, 4, size=(10,)))
    """)
    d = only(a, "SL304")
    assert d.fix == {"kind": "replace", "title": 'Use loss="sparse_categorical_crossentropy"',
                     "edits": [{"span": {"line": 5, "col": 37, "end_line": 5, "end_col": 63},
                                "new_text": '"sparse_categorical_crossentropy"'}]}
    b = run("""
        import numpy as np
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="softmax")])
        model.compile("adam", 'sparse_categorical_crossentropy')
        model.fit(np.random.rand(10, 3), keras.utils.to_categorical(np.random.randint(0, 4, size=(10,)), 4))
    """)
    d = only(b, "SL305")
    assert d.fix["edits"][0]["new_text"] == "'categorical_crossentropy'"


def test_last_layer_units_fix():
    a = run("""
        import numpy as np
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((3,)), layers.Dense(5, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(np.random.rand(10, 3), np.zeros((10, 7)))
    """)
    d = only(a, "SL303")
    assert d.fix["kind"] == "replace" and d.fix["edits"][0]["new_text"] == "7"
    assert d.fix["edits"][0]["span"]["line"] == 3  # 0-based: the Dense constructor


def test_numpy_errors_are_reported_where_numpy_raises():
    a = run("""
        import numpy as np
        a = np.zeros((6, 4))
        b = a.reshape(5, -1)
        c = a + np.ones((4, 6))
        d = np.concatenate([a, np.ones((6, 3))])
        e = np.array([[1, 2], [3]])
        f = a[:, 4]
    """)
    got = [(d.code, d.span.line + 1) for d in a.diagnostics]
    assert got == [("SL311", 3), ("SL312", 4), ("SL314", 5), ("SL310", 6), ("SL316", 7)]


def test_mse_broadcast_is_a_warning_not_an_error():
    a = run("""
        import numpy as np
        import keras
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.random.rand(40, 4), np.random.rand(40, 1))
    """)
    assert codes(a) == ["SL307"] and a.diagnostics[0].severity == "warning"


def test_keras3_rank_adjustment_is_not_an_error():
    a = run("""
        import numpy as np
        import keras
        from keras import layers
        model = keras.Sequential([keras.Input((20, 1)), layers.Conv1D(4, 3), layers.Flatten(), layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(np.random.rand(8, 20), np.random.rand(8))
        model.evaluate(np.random.rand(8, 20, 1, 1)[..., 0, :], np.random.rand(8, 1))
    """)
    assert not codes(a)


def test_model_output_on_data_is_not_a_keras_tensor():
    a = run("""
        import numpy as np
        import tensorflow as tf
        model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(3)])
        out = tf.argmax(model(np.zeros((2, 5))), axis=1)
    """)
    assert not codes(a)
    assert shapes(a)["out"] == (2,)


def test_keras_ops_on_keras_tensors_keep_the_graph():
    a = run("""
        import keras
        from keras import layers, ops
        inputs = keras.Input(shape=(10, 16))
        a = layers.Dense(16)(inputs)
        pooled = ops.mean(a + inputs, axis=1)
        outputs = layers.Dense(1)(ops.concatenate([pooled, ops.max(a, axis=1)], axis=-1))
        model = keras.Model(inputs, outputs)
    """)
    assert a.models[0].params == 16 * 16 + 16 + 33 and a.models[0].output_shape == (None, 1)
    assert not codes(a)


# --------------------------------------------------------------------------- no false alarms


NO_ALARM = {
    "pandas_sklearn": """
        import numpy as np
        import pandas as pd
        from sklearn.model_selection import train_test_split
        from tensorflow import keras
        df = pd.read_csv("data.csv")
        X = df.drop("label", axis=1).values
        y = df["label"].values
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
        model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_shape=(X.shape[1],)),
                                  keras.layers.Dense(len(np.unique(y)), activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(X_train, y_train, epochs=3, validation_data=(X_test, y_test))
        print(np.argmax(model.predict(X_test), axis=1))
    """,
    "generator": """
        import numpy as np
        import keras
        def batches(n):
            for _ in range(n):
                yield np.random.rand(8, 12), np.random.randint(0, 3, size=(8,))
        model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(batches(4), epochs=1)
    """,
    "tf_data_map": """
        import tensorflow as tf
        files = tf.data.Dataset.list_files("images/*.png")
        def load(path):
            img = tf.io.decode_png(tf.io.read_file(path), channels=3)
            return tf.image.resize(img, (64, 64)) / 255.0, 0
        ds = files.map(load).batch(32)
        model = tf.keras.Sequential([tf.keras.Input((64, 64, 3)), tf.keras.layers.Conv2D(4, 3),
                                     tf.keras.layers.GlobalAveragePooling2D(), tf.keras.layers.Dense(2)])
        model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(ds, epochs=1)
    """,
    "file_loads_and_unknown_sizes": """
        import sys
        import numpy as np
        import keras
        data = np.load(sys.argv[1])
        x, y = data["x"], data["y"]
        n = int(sys.argv[2])
        z = np.zeros((n, 28, 28))
        w = z.reshape(n, -1)
        model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)])
        model.compile("adam", "mse")
        model.fit(x, y)
        model.predict(w)
        model.predict(z.reshape(-1, 784))
    """,
    "branches": """
        import numpy as np
        import random
        x = np.zeros((10, 4)) if random.random() > 0.5 else np.zeros((10, 5))
        y = x.reshape(10, -1)
        if random.random() > 0.5:
            x = x[:, :2]
        z = x + 1
    """,
}


@pytest.mark.parametrize("name", sorted(NO_ALARM))
def test_no_false_alarm(name: str):
    a = run(NO_ALARM[name])
    assert not codes(a), [(d.code, d.message) for d in a.diagnostics]


# --------------------------------------------------------------------------- bounded


def test_huge_literals_and_shapes_stay_cheap():
    big_literal = "x = np.array([" + ", ".join(["1.0"] * 50_000) + "])\n"
    start = time.perf_counter()
    a = analyze("import numpy as np\n" + big_literal + "y = np.zeros((10**6, 10**6)).reshape(-1)\n"
                "z = np.ones((10**9, 3)) @ np.ones((3, 10**9))\n", "<big>")
    assert time.perf_counter() - start < 20
    s = shapes(a)
    assert s["y"] == (10**12,) and s["z"] == (10**9, 10**9)
    assert not codes(a)


def test_dict_inputs_follow_the_input_names():
    a = run("""
        import numpy as np
        import keras
        from keras import layers
        image = keras.Input(shape=(8, 8, 1), name="image")
        meta = keras.Input(shape=(3,), name="meta")
        x = layers.Concatenate()([layers.Flatten()(image), meta])
        model = keras.Model([image, meta], layers.Dense(1)(x))
        ok = model.predict({"meta": np.zeros((4, 3)), "image": np.zeros((4, 8, 8, 1))})
        other = keras.Model([image, meta], layers.Dense(2)(x))
        other.predict({"meta": np.zeros((4, 3)), "image": np.zeros((4, 8, 8))})  # Keras adds the axis
        third = keras.Model([image, meta], layers.Dense(3)(x))
        third.predict({"meta": np.zeros((4, 3)), "image": np.zeros((4, 9, 8, 1))})
    """)
    assert shapes(a)["ok"] == (4, 1)
    d = only(a, "SL301")
    assert d.span.line == 11 and "(4, 9, 8, 1)" in d.message

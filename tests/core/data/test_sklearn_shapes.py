"""scikit-learn scalers and encoders keep their input's shape (static: scikit-learn is not a test
dependency, so these are checked without running it; the shapes are sklearn's documented ones:
transform(X) of an (n_samples, n_features) array is (n_samples, n_features))."""

from __future__ import annotations

import textwrap

from shapelens.core.analyze import analyze

# modelled on Hands-On Machine Learning, chapters 10 and 12 (California housing regression)
PROGRAM = """
import numpy as np
import tensorflow as tf
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, MinMaxScaler, StandardScaler

X = np.random.rand(500, 8)
y = np.random.rand(500, 1)
X_train_full, X_test, y_train_full, y_test = train_test_split(X, y, random_state=42)
X_train, X_valid, y_train, y_valid = train_test_split(X_train_full, y_train_full, random_state=42)
scaler = StandardScaler()
X_train_scaled = scaler.fit_transform(X_train)
X_valid_scaled = scaler.transform(X_valid)
X_back = scaler.inverse_transform(X_valid_scaled)
X_minmax = MinMaxScaler().fit(X_train).transform(X_test)
labels = LabelEncoder().fit_transform(np.random.randint(0, 3, size=(500,)))
images = StandardScaler().fit_transform(np.random.rand(10, 4, 4))
model = tf.keras.Sequential([tf.keras.layers.Dense(30, activation="relu"), tf.keras.layers.Dense(1)])
model.compile(loss="mse", optimizer="sgd")
model.fit(X_train_scaled, y_train, epochs=1, validation_data=(X_valid_scaled, y_valid))
"""


def _values():
    analysis = analyze(textwrap.dedent(PROGRAM).lstrip("\n"), "<test>")
    return analysis, {v.name: v.shape for v in analysis.values}


def test_scalers_keep_the_shape_of_their_input():
    _, shapes = _values()
    assert shapes["X_train_scaled"] == (281, 8)
    assert shapes["X_valid_scaled"] == (94, 8)
    assert shapes["X_back"] == (94, 8)
    assert shapes["X_minmax"] == (125, 8)
    assert shapes["labels"] == (500,)


def test_what_scikit_learn_refuses_stays_unknown():
    _, shapes = _values()
    assert shapes.get("images") is None  # a 3-D array: StandardScaler raises


def test_the_model_is_built_on_the_scaled_data():
    analysis, _ = _values()
    dense = [i for i in analysis.layers if i.kind == "Dense"]
    assert [i.output_shape for i in dense] == [(None, 30), (None, 1)]
    assert not [d for d in analysis.diagnostics if d.severity == "error"]


# modelled on Hands-On Machine Learning, chapters 10, 12 and 13
LOADERS = """
import tensorflow as tf
from sklearn.datasets import fetch_california_housing, load_iris, load_sample_images
from sklearn.model_selection import train_test_split

housing = fetch_california_housing()
X_train_full, X_test, y_train_full, y_test = train_test_split(
    housing.data, housing.target.reshape(-1, 1), random_state=42)
iris_x, iris_y = load_iris(return_X_y=True)
iris_frame = load_iris(as_frame=True).data
img = load_sample_images()["images"][0]
images = load_sample_images()["images"]
cropped = tf.keras.layers.CenterCrop(height=70, width=120)(images)
norm_layer = tf.keras.layers.Normalization(input_shape=X_train_full.shape[1:])
model = tf.keras.Sequential([norm_layer, tf.keras.layers.Dense(1)])
"""


def test_dataset_loaders_give_their_documented_shapes():
    analysis = analyze(textwrap.dedent(LOADERS).lstrip("\n"), "<test>")
    shapes = {v.name: v.shape for v in analysis.values}
    assert shapes["X_train_full"] == (15480, 8) and shapes["y_test"] == (5160, 1)
    assert shapes["iris_x"] == (150, 4) and shapes["iris_y"] == (150,)
    assert shapes.get("iris_frame") is None  # a pandas DataFrame: not followed
    assert shapes["img"] == (427, 640, 3)
    layers = {i.kind: i.output_shape for i in analysis.layers}
    assert layers["CenterCrop"] == (2, 70, 120, 3)  # the list of two images, stacked by Keras
    assert layers["Dense"] == (None, 1)
    assert not [d for d in analysis.diagnostics if d.severity == "error"]


def test_make_moons_gives_points_and_labels():
    # modelled on keras.io's real_nvp: the two moons, normalised for a flow model
    analysis = analyze(textwrap.dedent("""
        import keras
        from keras import layers
        from sklearn.datasets import make_circles, make_moons
        data = make_moons(3000, noise=0.05)[0].astype("float32")
        X_moons, y_moons = make_moons(n_samples=150, noise=0.2, random_state=42)
        X_circles, _ = make_circles(n_samples=(10, 20))
        norm = layers.Normalization()
        norm.adapt(data)
        normalized_data = norm(data)
    """).lstrip("\n"), "<test>")
    shapes = {v.name: v.shape for v in analysis.values}
    assert shapes["data"] == (3000, 2) and shapes["normalized_data"] == (3000, 2)
    assert shapes["X_moons"] == (150, 2) and shapes["y_moons"] == (150,)
    assert shapes.get("X_circles") is None  # a pair of per-class counts: not followed

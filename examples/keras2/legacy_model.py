# Keras 2 era code (TensorFlow <= 2.15, or tf-keras): runs there, fails under Keras 3.
import numpy as np
import tensorflow as tf
from tensorflow import keras

inp = keras.Input(784)
x = tf.reshape(inp, (-1, 28, 28, 1))
x = keras.layers.Conv2D(8, 3, activation="relu")(x)
x = keras.layers.Flatten()(x)
model = keras.Model(inp, keras.layers.Dense(10, activation="softmax")(x))
model.compile(optimizer="adam", loss="categorical_crossentropy")


def batches():
    while True:
        yield np.zeros((32, 784)), np.zeros((32, 10))


model.fit_generator(batches(), steps_per_epoch=2, epochs=1)

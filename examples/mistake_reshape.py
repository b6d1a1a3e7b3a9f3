"""MISTAKE: a Reshape whose target does not hold the same number of values.

The decoder of an autoencoder projects a 32-d code to 7 * 7 * 64 = 3136 values,
but reshapes them to (14, 14, 64) = 12544 values (the author meant to upsample
first).  Keras raises
    ValueError: The total size of the tensor must be unchanged.
    Received: input_shape=(3136,), target_shape=(14, 14, 64)
on the Reshape line.

Fix: reshape to (7, 7, 64) and let the Conv2DTranspose(strides=2) upsample to 14x14.
"""
import keras
from keras import layers

LATENT_DIM = 32

code = keras.Input(shape=(LATENT_DIM,))
x = layers.Dense(7 * 7 * 64, activation="relu")(code)
x = layers.Reshape((14, 14, 64))(x)  # 7 * 7 * 64 values cannot fill 14 x 14 x 64
x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(x)
image = layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid")(x)
decoder = keras.Model(code, image, name="decoder")

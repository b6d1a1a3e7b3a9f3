"""A correct two-input model: a product photo plus tabular features predict a price.

The image branch ends in GlobalAveragePooling2D, which turns the
(None, 14, 14, 64) feature map into a (None, 64) vector, so it can be
concatenated with the (None, 32) tabular vector into (None, 96).
"""
import keras
from keras import layers

photo = keras.Input(shape=(64, 64, 3), name="photo")
tabular = keras.Input(shape=(12,), name="tabular")

# Image branch: 64 -> 62 -> 31 -> 29 -> 14
x = layers.Conv2D(32, 3, activation="relu")(photo)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(64, 3, activation="relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.GlobalAveragePooling2D()(x)

# Tabular branch
t = layers.Dense(32, activation="relu")(tabular)

merged = layers.Concatenate()([x, t])
h = layers.Dense(64, activation="relu")(merged)
price = layers.Dense(1, name="price")(h)

model = keras.Model(inputs=[photo, tabular], outputs=price)
model.compile(optimizer="adam", loss="mse")

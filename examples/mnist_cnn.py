"""A correct convolutional network for MNIST digits (28x28 grayscale, 10 classes).

shapelens shows the output shape of every layer next to it:

    Input          (None, 28, 28, 1)
    Conv2D 3x3     (None, 26, 26, 32)   valid padding loses 2 pixels
    MaxPooling2D   (None, 13, 13, 32)   halves height and width
    Conv2D 3x3     (None, 11, 11, 64)
    MaxPooling2D   (None, 5, 5, 64)     11 // 2 = 5 (the odd row is dropped)
    Flatten        (None, 1600)         5 * 5 * 64
    Dense          (None, 10)
"""
import keras
from keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)

model = keras.Sequential(
    [
        keras.Input(shape=INPUT_SHAPE),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ]
)

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()

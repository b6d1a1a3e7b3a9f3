"""MISTAKE: a kernel larger than the feature map it slides over.

CIFAR-10 images are only 32x32.  Each 'valid' 5x5 convolution removes 4 pixels
and each pooling halves the size:

    32 -> Conv 5x5 -> 28 -> pool -> 14 -> Conv 5x5 -> 10 -> pool -> 5

The third block asks for a 7x7 kernel on a 5x5 map, so Keras raises
    ValueError: Computed output size would be zero or negative ...
on the model.add(...) line of that Conv2D.

Fix: use padding="same", a smaller kernel, or fewer pooling steps.
"""
import keras
from keras import layers

model = keras.Sequential(name="cifar_cnn")
model.add(keras.Input(shape=(32, 32, 3)))
model.add(layers.Conv2D(32, 5, activation="relu"))
model.add(layers.MaxPooling2D())
model.add(layers.Conv2D(64, 5, activation="relu"))
model.add(layers.MaxPooling2D())
model.add(layers.Conv2D(128, 7, activation="relu"))  # 7x7 kernel on a 5x5 feature map
model.add(layers.Flatten())
model.add(layers.Dense(10, activation="softmax"))

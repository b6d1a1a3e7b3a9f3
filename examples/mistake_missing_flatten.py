"""MISTAKE: forgetting Flatten (or global pooling) before mixing image and vector features.

Note: in Keras 3, Dense directly after a feature map is NOT an error by itself -
Dense acts on the last axis, so (None, 15, 15, 32) -> Dense(64) -> (None, 15, 15, 64).
The problem shows up where that 4-D tensor meets 2-D data: here, concatenating
it with the (None, 64) metadata vector raises
    ValueError: A `Concatenate` layer requires inputs with matching shapes
    except for the concatenation axis ...
on the concatenate line.  (In a single-input model it would surface later,
in model.fit, when the loss compares (None, 15, 15, 10) with the labels.)

Fix: add layers.Flatten() or layers.GlobalAveragePooling2D() before the Dense.
"""
import keras
from keras import layers

image = keras.Input(shape=(32, 32, 3), name="image")
metadata = keras.Input(shape=(10,), name="metadata")

x = layers.Conv2D(32, 3, activation="relu")(image)  # (None, 30, 30, 32)
x = layers.MaxPooling2D()(x)                        # (None, 15, 15, 32)
x = layers.Dense(64, activation="relu")(x)          # forgot Flatten: (None, 15, 15, 64)

m = layers.Dense(64, activation="relu")(metadata)   # (None, 64)

combined = layers.concatenate([x, m])               # 4-D with 2-D: raises here
output = layers.Dense(1, activation="sigmoid")(combined)
model = keras.Model([image, metadata], output)

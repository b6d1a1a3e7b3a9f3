"""MISTAKE: sharing one convolution between an RGB input and a grayscale input.

A layer's weights are created on its first call: the shared Conv2D is built for
3 input channels by the RGB image (kernel shape (3, 3, 3, 16)).  Calling it on
the 1-channel thermal image then raises
    ValueError: Input 0 ... is incompatible with the layer: expected axis -1 of
    input shape to have value 3, but received input with shape (None, 64, 64, 1)
on the line of the second call.

Fix: use two separate Conv2D layers, or convert the grayscale image to 3 channels
(e.g. layers.Concatenate()([g, g, g])) before sharing.
"""
import keras
from keras import layers

rgb = keras.Input(shape=(64, 64, 3), name="rgb_camera")
thermal = keras.Input(shape=(64, 64, 1), name="thermal_camera")

shared_conv = layers.Conv2D(16, 3, padding="same", activation="relu")

rgb_features = shared_conv(rgb)
thermal_features = shared_conv(thermal)  # 1 channel, but the kernel expects 3

fused = layers.Concatenate()([rgb_features, thermal_features])
fused = layers.GlobalAveragePooling2D()(fused)
output = layers.Dense(2, activation="softmax")(fused)
model = keras.Model([rgb, thermal], output)

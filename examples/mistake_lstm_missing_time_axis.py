"""MISTAKE: feeding an LSTM 2-D data - forgetting the time axis.

Recurrent layers need (batch, timesteps, features).  Here each sample is a
flat vector of 24 hourly readings, so the Input is (None, 24) and the LSTM raises
    ValueError: Input 0 ... is incompatible with the layer: expected ndim=3,
    found ndim=2. Full shape received: (None, 24)
on the LSTM line.

Fix: declare the input as shape=(24, 1) (24 timesteps of 1 feature), or add
layers.Reshape((24, 1)) before the LSTM.
"""
import keras
from keras import layers

HOURS = 24

readings = keras.Input(shape=(HOURS,))
x = layers.LSTM(32)(readings)  # needs (batch, timesteps, features)
forecast = layers.Dense(1)(x)
model = keras.Model(readings, forecast)

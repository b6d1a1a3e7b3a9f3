"""A correct LSTM text classifier (e.g. IMDB sentiment).

Reviews arrive as integer token ids padded to MAX_LEN.  Shapes:

    Input                 (None, 200)          int token ids
    Embedding             (None, 200, 64)      one 64-d vector per token
    Bidirectional(LSTM)   (None, 200, 64)      return_sequences keeps the time axis;
                                               forward + backward = 2 * 32
    LSTM                  (None, 32)           last state only
    Dense                 (None, 1)            probability of "positive"
"""
import keras
from keras import layers

VOCAB_SIZE = 20000
MAX_LEN = 200

inputs = keras.Input(shape=(MAX_LEN,), dtype="int32")
x = layers.Embedding(input_dim=VOCAB_SIZE, output_dim=64)(inputs)
x = layers.Bidirectional(layers.LSTM(32, return_sequences=True))(x)
x = layers.LSTM(32)(x)
x = layers.Dropout(0.3)(x)
outputs = layers.Dense(1, activation="sigmoid")(x)

model = keras.Model(inputs, outputs, name="sentiment_lstm")
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

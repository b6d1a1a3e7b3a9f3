"""Where Keras 2 (tf-keras) and Keras 3 differ, in one place.

The engine follows Keras 3 by default (what TensorFlow 2.16+ ships). A future setting can
select KERAS2 for projects pinned to tf-keras.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KerasSemantics:
    name: str
    # Keras 2 let any layer take batch_input_shape=; Keras 3 raises "Unrecognized keyword arguments".
    batch_input_shape_on_layers: bool
    # Keras 2 accepted Input(784); Keras 3 raises "Cannot convert '784' to a shape".
    int_input_shape: bool
    # Keras 3 Functional models add or drop a trailing size-1 axis of their inputs silently.
    adjust_input_rank: bool
    # Keras 2 used Embedding(input_length=...) to fix the sequence length; Keras 3 ignores it.
    embedding_input_length: bool
    # Keras 2 ran call() on a placeholder in a subclassed Model.build(shape); Keras 3 only
    # marks the model built (and warns) unless the class defines build().
    subclass_build_runs_call: bool


KERAS3 = KerasSemantics("keras3", batch_input_shape_on_layers=False, int_input_shape=False,
                        adjust_input_rank=True, embedding_input_length=False,
                        subclass_build_runs_call=False)
KERAS2 = KerasSemantics("keras2", batch_input_shape_on_layers=True, int_input_shape=True,
                        adjust_input_rank=False, embedding_input_length=True,
                        subclass_build_runs_call=True)

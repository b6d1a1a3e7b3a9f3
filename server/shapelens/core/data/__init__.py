"""Data outside the model: arrays and tensors, what is done to them, and what fit/predict get.

The evaluator hands this package every call it does not know as Keras (``numpy.*``,
``tensorflow.*``, ``keras.ops.*``, ``keras.utils.*``, ``keras.datasets.*``, sklearn's
``train_test_split``), the attributes, methods, indexing and arithmetic of tensors, and the
data methods of models (:func:`model_data_call`). Shapes follow the rules of
:mod:`shapelens.core.ops`; values are never computed except for small literal arrays
(:data:`base.MAX_VALUE` elements), so a huge literal is never materialised. Anything not
followed (pandas, files, generators, ``Dataset.map``) becomes an Unknown, silently.

Handlers are registered by the dotted name they model, one module per library family,
like the layer rules in :mod:`shapelens.core.rules`:

- :mod:`.numpy` ``numpy.*``, :mod:`.tensorflow` ``tensorflow.*`` (incl. ``tf.nn``, ``tf.image``),
  :mod:`.tf_data` ``tensorflow.data.*``, :mod:`.keras_ops` ``keras.ops.*``,
  :mod:`.keras_utils` ``keras.utils.*``, :mod:`.datasets` ``keras.datasets.*``, :mod:`.sklearn`;
- :mod:`.arrays` the handlers those tables share, :mod:`.base` values / context / helpers;
- :mod:`.tensor` tensor attributes, methods, indexing, operators;
- :mod:`.fit` fit / evaluate / predict / model(x) checks, :mod:`.losses` losses and targets.

Errors are reported only where numpy / TensorFlow / Keras raise, on the line where they
raise, naming both shapes and where each came from. SL3xx codes (see codes.py):

SL301 data does not fit the model's input    SL311 impossible reshape
SL302 a single sample without its batch axis SL312 arrays that do not broadcast
SL303 targets do not match the output        SL313 an axis out of range / squeeze of a non-1 axis
SL304 integer labels for a categorical loss  SL314 arrays that cannot be joined or split
SL305 one-hot labels for a sparse loss       SL315 matmul / dot inner dimensions differ
SL306 x and y sample counts differ           SL316 an index out of range / of the wrong type
SL307 targets broadcast against the output   SL317 tf.nn convolution / pooling that fails
SL308 fit/predict called again at a new rank SL318 tf.nn.conv*d silently grouped
SL309 a label value >= the output width      SL319 data size differs from the declared input
SL310 a ragged array                         SL320 wrong number of model inputs
"""

from __future__ import annotations

from shapelens.core.shapes import fmt_shape
from shapelens.core.data.base import Array, Dataset, LossSpec
from shapelens.core.data.dispatch import call
from shapelens.core.data.fit import explain_model_call, model_call_check, model_data_call
from shapelens.core.data.sklearn import Bunch, ShapeKeepingTransformer, bunch_field, transformer_method
from shapelens.core.data.tensor import index_tensor, reshape_unknown, tensor_attr, tensor_binop, tensor_method


__all__ = [
    "Array", "Dataset", "LossSpec", "call", "explain_model_call", "index_tensor", "model_call_check",
    "model_data_call", "tensor_attr", "tensor_binop", "tensor_method", "fmt_shape", "ShapeKeepingTransformer",
    "transformer_method", "Bunch", "bunch_field", "reshape_unknown",
]

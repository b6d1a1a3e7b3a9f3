"""Where Keras 2 (tf-keras) and Keras 3 differ, in one place.

The engine follows Keras 3 by default (what TensorFlow 2.16+ ships). The `keras-version`
setting (shapelens.config, decided per file by core/keras_target.py) selects KERAS2 for code
that runs under tf-keras / TensorFlow <= 2.15. Every difference the analysis knows is a field
here, checked against tf_keras 2.21 with TF_USE_LEGACY_KERAS=1 (tests/core/test_keras2_diff.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from shapelens.core.codes import INVALID_ARGUMENT
from shapelens.core.shapes import NumpyInt, Unknown, fmt_shape, known


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
    # Keras 2 turns tf.* on a functional KerasTensor into a TFOpLambda layer; Keras 3 raises (SL107).
    tf_ops_on_keras_tensors: bool
    # The Keras 2 import paths and Model methods Keras 3 removed (SL401/SL402) raise; under Keras 2
    # they only matter when migrating, an opt-in check (checks.keras3Migration).
    keras3_removals_raise: bool
    # Keras 2 AveragePooling1D/2D/3D default to pool_size=2 (Keras 3: a required argument).
    average_pool_size_default: bool
    # Keras 2 converted size arguments with int() (Dense(tf.reduce_prod(shape))); Keras 3 wants an int.
    scalar_tensor_arguments: bool
    # Keras 2 took a NumPy integer as a size (Dense(np.prod(shape))); Keras 3 wants a Python int.
    numpy_int_sizes: bool
    # Keras 2 (tf-keras) runs fit() again with targets of another rank; Keras 3 (TensorFlow
    # backend) retraces with an unknown rank and raises (SL308).
    retrace_rank_raises: bool
    # Keras 3 Embedding(weights=[W]) builds the table and sets W in the constructor (ValueError
    # when W is not (input_dim, output_dim)); Keras 2 sets it only when the layer is built.
    embedding_weights_in_constructor: bool
    # Keras 3 fit/evaluate/predict raise "Invalid dtype: str32" (or object) on a NumPy array of
    # strings, whatever the model; Keras 2 casts it (fine for a string input, an error otherwise).
    string_arrays_raise: bool
    # Keras 2 tracks a tf.Variable set as a layer's attribute as a weight (VQ-VAE's codebook);
    # Keras 3 tracks only keras.Variable (add_weight), the tf.Variable is not in its parameters.
    tf_variables_are_weights: bool


KERAS3 = KerasSemantics("keras3", batch_input_shape_on_layers=False, int_input_shape=False,
                        adjust_input_rank=True, embedding_input_length=False,
                        subclass_build_runs_call=False, tf_ops_on_keras_tensors=False,
                        keras3_removals_raise=True, average_pool_size_default=False,
                        scalar_tensor_arguments=False, numpy_int_sizes=False, retrace_rank_raises=True,
                        embedding_weights_in_constructor=True, string_arrays_raise=True,
                        tf_variables_are_weights=False)
KERAS2 = KerasSemantics("keras2", batch_input_shape_on_layers=True, int_input_shape=True,
                        adjust_input_rank=False, embedding_input_length=True,
                        subclass_build_runs_call=True, tf_ops_on_keras_tensors=True,
                        keras3_removals_raise=False, average_pool_size_default=True,
                        scalar_tensor_arguments=True, numpy_int_sizes=True, retrace_rank_raises=False,
                        embedding_weights_in_constructor=False, string_arrays_raise=False,
                        tf_variables_are_weights=True)


def layer_arguments(semantics: KerasSemantics, kind: str, args: list, kwargs: dict) -> tuple[list, dict]:
    """A layer constructor's arguments as the Keras of ``semantics`` reads them."""
    if semantics.average_pool_size_default and kind in ("AveragePooling1D", "AveragePooling2D",
                                                        "AveragePooling3D") and not args and "pool_size" not in kwargs:
        kwargs = {**kwargs, "pool_size": 2}
    if semantics.scalar_tensor_arguments:
        from shapelens.core.values import Tensor

        def scalar(v):
            return isinstance(v, Tensor) and v.shape == ()

        if any(scalar(v) for v in args) or any(scalar(v) for v in kwargs.values()):
            value = Unknown("a scalar tensor (Keras 2 reads its value with int() when it runs)")
            args = [value if scalar(v) else v for v in args]
            kwargs = {k: value if scalar(v) else v for k, v in kwargs.items()}
    return args, kwargs


# The sizes Keras 3 checks with isinstance(value, int) (checked against Keras 3.15): a NumPy
# integer (or a float) there raises ValueError in the constructor. Keras 2 accepted both; both reject one as a kernel or pool size.
KERAS3_INT_SIZES = {
    "Dense": ("units",), "Embedding": ("input_dim", "output_dim"), "MultiHeadAttention": ("num_heads", "key_dim"),
    "SimpleRNN": ("units",), "GRU": ("units",),  # LSTM(np.int64(4)) raises only when called
}
INT_OR_TUPLE_SIZES = {"Conv2D": ("kernel_size",), "MaxPooling2D": ("pool_size",)}


def numpy_int_argument(semantics: KerasSemantics, kind: str, values: dict) -> str | None:
    """The message when a size argument Keras checks is a NumPy integer, or a float under Keras 3
    (None: fine)."""
    if kind not in INT_OR_TUPLE_SIZES and kind not in KERAS3_INT_SIZES:
        return None
    names = INT_OR_TUPLE_SIZES.get(kind, ())
    if not semantics.numpy_int_sizes:
        names = names + KERAS3_INT_SIZES.get(kind, ())
    for name in KERAS3_INT_SIZES.get(kind, ()) if not semantics.numpy_int_sizes else ():
        value = values.get(name)
        if isinstance(value, float):  # Dense(n / 2): Keras 2 took 3.0, Keras 3 raises
            shown = int(value) if value.is_integer() else value
            return INVALID_ARGUMENT.float_size(
                name=name, kind=kind, value=value, shown=shown if isinstance(shown, int) else "int(...)")
    for name in names:
        if isinstance(values.get(name), NumpyInt):
            what = "an integer or a tuple of integers" if name in INT_OR_TUPLE_SIZES.get(kind, ()) else "a Python int"
            return INVALID_ARGUMENT.numpy_integer_size(name=name, kind=kind, value=values[name], what=what)
    return None


def embedding_weights_problem(semantics: KerasSemantics, kind: str, values: dict) -> str | None:
    """Embedding(input_dim, output_dim, weights=[W]) with W of another shape (None: fine or not known)."""
    if kind != "Embedding" or not semantics.embedding_weights_in_constructor:
        return None
    from shapelens.core.values import Tensor

    weights = values.get("weights")
    if isinstance(weights, (list, tuple)) and len(weights) == 1:
        weights = weights[0]
    n, d = values.get("input_dim"), values.get("output_dim")
    if not isinstance(weights, Tensor) or weights.shape is None or not (known(n) and known(d)):
        return None
    shape = tuple(weights.shape)
    if len(shape) == 2 and not all(known(v) for v in shape):
        return None
    if shape == (n, d):
        return None
    if len(shape) == 2:
        return INVALID_ARGUMENT.embedding_weights_shape(
            n=n, d=d, shape=fmt_shape(shape), rows=shape[0], columns=shape[1])
    return INVALID_ARGUMENT.embedding_weights_not_2d(n=n, d=d, shape=fmt_shape(shape))


def for_version(version: str) -> KerasSemantics:
    """The semantics of Keras "2" or "3" (anything else: Keras 3)."""
    return KERAS2 if version == "2" else KERAS3

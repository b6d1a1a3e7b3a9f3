"""``keras.ops``: the ``keras.ops.*`` table (ops missing here fall back to the numpy handler).
"""

from __future__ import annotations

from typing import Any, Callable

from shapelens.core.data.arrays import (
    _array,
    _cast,
    _ctor,
    _identity,
    _join,
    _keras_random,
    _matmul_fn,
    _one_hot,
    _reduction,
    _tf_image_resize,
)
from shapelens.core.data.base import _Ctx
from shapelens.core.shapes import Unknown
from shapelens.core.values import Tensor
from shapelens.core.data.numpy import _np_reshape
from shapelens.core.data.registry import register
from shapelens.core.data.tensorflow import _extract_patches


def _keras_fft(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """keras.ops.fft / fft2 / ifft2 ((real, imag)): (real, imag) of the same shape as the input's
    two parts (Keras raises when those differ)."""
    x = args[0] if args else kwargs.get("x")
    if not (isinstance(x, (tuple, list)) and len(x) == 2 and all(isinstance(p, Tensor) for p in x)):
        return Unknown(f"{ctx.short}() of values not known")
    real, imag = x
    if real.shape is None or imag.shape is None or tuple(real.shape) != tuple(imag.shape):
        return Unknown(f"{ctx.short}() of parts whose shapes are not known to agree")
    return (ctx.arr(real.shape, dtype="float"), ctx.arr(imag.shape, dtype="float"))


def _keras_argmax(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    return _reduction(default_axis=None, arg=True)(ctx, args, kwargs)


_KERAS_OPS: dict[str, Callable] = {
    "keras.ops.convert_to_tensor": _array, "keras.ops.cast": _cast(1), "keras.ops.one_hot": _one_hot,
    "keras.ops.reshape": _np_reshape, "keras.ops.concatenate": _join("concatenate"),
    "keras.ops.image.resize": _tf_image_resize, "keras.ops.image.extract_patches": _extract_patches(False), "keras.ops.argmax": _keras_argmax, "keras.ops.argmin": _keras_argmax,
    "keras.ops.matmul": _matmul_fn("matmul"), "keras.ops.zeros": _ctor("zeros"), "keras.ops.ones": _ctor("ones"),
    "keras.ops.relu": _identity, "keras.ops.sigmoid": _identity, "keras.ops.softmax": _identity,
    "keras.ops.tanh": _identity, "keras.ops.gelu": _identity, "keras.ops.silu": _identity,
    "keras.ops.log_softmax": _identity, "keras.ops.normalize": _identity, "keras.ops.stop_gradient": _identity,
    # the other activations of keras.ops, elementwise like keras.activations (Keras 3.15's list)
    "keras.ops.celu": _identity, "keras.ops.elu": _identity, "keras.ops.hard_shrink": _identity,
    "keras.ops.hard_sigmoid": _identity, "keras.ops.hard_silu": _identity, "keras.ops.hard_swish": _identity,
    "keras.ops.hard_tanh": _identity, "keras.ops.leaky_relu": _identity, "keras.ops.log_sigmoid": _identity,
    "keras.ops.relu6": _identity, "keras.ops.selu": _identity, "keras.ops.soft_shrink": _identity,
    "keras.ops.softplus": _identity, "keras.ops.softsign": _identity, "keras.ops.sparse_plus": _identity,
    "keras.ops.sparse_sigmoid": _identity, "keras.ops.sparsemax": _identity, "keras.ops.squareplus": _identity,
    "keras.ops.swish": _identity, "keras.ops.tanh_shrink": _identity, "keras.ops.threshold": _identity,
    "keras.ops.fft": _keras_fft, "keras.ops.fft2": _keras_fft, "keras.ops.ifft2": _keras_fft,
    "keras.ops.random.normal": _keras_random, "keras.ops.random.uniform": _keras_random,
}
register(_KERAS_OPS)

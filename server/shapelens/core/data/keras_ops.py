"""``keras.ops``: the ``keras.ops.*`` table (ops missing here fall back to the numpy handler).
"""

from __future__ import annotations

from typing import Any, Callable
from shapelens.core.data.arrays import _array, _cast, _ctor, _identity, _join, _keras_random, _matmul_fn, _one_hot, _reduction, _tf_image_resize
from shapelens.core.data.base import _Ctx
from shapelens.core.data.numpy import _np_reshape


def _keras_argmax(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    return _reduction(default_axis=None, arg=True)(ctx, args, kwargs)


_KERAS_OPS: dict[str, Callable] = {
    "convert_to_tensor": _array, "cast": _cast(1), "one_hot": _one_hot,
    "reshape": _np_reshape, "concatenate": _join("concatenate"), "image.resize": _tf_image_resize,
    "argmax": _keras_argmax, "argmin": _keras_argmax,
    "matmul": _matmul_fn("matmul"),
    "zeros": _ctor("zeros"), "ones": _ctor("ones"),
    "relu": _identity, "sigmoid": _identity, "softmax": _identity, "tanh": _identity, "gelu": _identity,
    "silu": _identity, "log_softmax": _identity, "normalize": _identity, "stop_gradient": _identity,
    "random.normal": _keras_random, "random.uniform": _keras_random,
}

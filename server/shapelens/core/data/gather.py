"""take / gather / einsum / tensordot / moments for numpy, TensorFlow and keras.ops (the shape math is
shape_math.take / shape_math.einsum). They never report: a call that would raise is left
unknown (the library's message is clearer than a guess at it).
"""

from __future__ import annotations

from typing import Any, Callable

from shapelens.core import shape_math
from shapelens.core.shapes import Unknown
from shapelens.core.data.base import _Ctx, _arg, _derived, _is_int, _shape_of, _x
from shapelens.core.data.registry import register


def _take(tf_style: bool) -> Callable:
    """np.take(a, indices, axis=None) / keras.ops.take(x, indices, axis=None) and
    tf.gather(params, indices, validate_indices=None, axis=None, batch_dims=0)."""

    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "params", "a", "x")
        indices = _arg(args, kwargs, 1, "indices")
        shape, where = _shape_of(x), _shape_of(indices)
        if shape is None or where is None:
            return Unknown(f"{ctx.short}() of values not known")
        axis = _arg(args, kwargs, 3 if tf_style else 2, "axis")
        batch_dims = kwargs.get("batch_dims", args[4] if tf_style and len(args) > 4 else 0)
        if not _is_int(batch_dims) or not (axis is None or _is_int(axis)):
            return Unknown(f"{ctx.short}() with arguments not known statically")
        if batch_dims < 0:
            batch_dims += len(where)
        if tf_style and axis is None:
            axis = batch_dims
        try:
            out = shape_math.take(shape, where, axis, batch_dims)
        except shape_math.OpError as err:
            return Unknown(f"{ctx.short}(): {err.message}")
        return _derived(ctx, x, out, None, classes=None, upper=None)

    return fn


def _einsum(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    equation = _arg(args, kwargs, 0, "subscripts", kwargs.get("equation"))
    operands = list(args[1:]) or list(kwargs.get("operands", kwargs.get("inputs", [])))
    shapes = [_shape_of(o) for o in operands]
    if not operands or any(s is None for s in shapes):
        return Unknown(f"{ctx.short}() of values not known")
    try:
        out = shape_math.einsum(equation, shapes)
    except shape_math.OpError as err:
        return Unknown(f"{ctx.short}(): {err.message}")
    return ctx.arr(out, dtype="float")


def _tensordot(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    a, b = _arg(args, kwargs, 0, "a", kwargs.get("x1")), _arg(args, kwargs, 1, "b", kwargs.get("x2"))
    axes = _arg(args, kwargs, 2, "axes", 2)
    sa, sb = _shape_of(a), _shape_of(b)
    if sa is None or sb is None:
        return Unknown(f"{ctx.short}() of values not known")
    try:
        out = shape_math.tensordot(sa, sb, axes)
    except shape_math.OpError as err:
        return Unknown(f"{ctx.short}(): {err.message}")
    return ctx.arr(out, dtype="float")


def _moments(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """tf.nn.moments(x, axes, shift=None, keepdims=False) / keras.ops.moments(x, axes,
    keepdims=False): (mean, variance), each x reduced over those axes."""
    x = _x(args, kwargs, "x")
    shape = _shape_of(x)
    axes = _arg(args, kwargs, 1, "axes")
    keepdims = kwargs.get("keepdims", args[3] if ctx.lib == "tf" and len(args) > 3 else
                          args[2] if ctx.lib != "tf" and len(args) > 2 else False)
    if shape is None or not isinstance(keepdims, bool) or not (
            _is_int(axes) or isinstance(axes, (list, tuple)) and all(_is_int(a) for a in axes)):
        return Unknown(f"{ctx.short}() arguments not known statically")
    try:
        out = shape_math.reduce(shape, list(axes) if isinstance(axes, (list, tuple)) else [axes], keepdims)
    except shape_math.OpError as err:
        return Unknown(f"{ctx.short}(): {err.message}")
    return (ctx.arr(out, dtype="float"), ctx.arr(out, dtype="float"))


register({
    "tensorflow.nn.moments": _moments, "keras.ops.moments": _moments,
    "numpy.tensordot": _tensordot, "keras.ops.tensordot": _tensordot, "tensorflow.tensordot": _tensordot,
    "tensorflow.linalg.tensordot": _tensordot,
    "numpy.take": _take(False), "keras.ops.take": _take(False), "tensorflow.gather": _take(True),
    "numpy.einsum": _einsum, "keras.ops.einsum": _einsum, "tensorflow.einsum": _einsum,
    "tensorflow.linalg.einsum": _einsum,
})

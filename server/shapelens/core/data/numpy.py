"""numpy: the ``numpy.*`` table.
"""

from __future__ import annotations

from typing import Callable

from shapelens.core import shape_math
from shapelens.core.shapes import Unknown
from shapelens.core.data.arrays import (
    _arange,
    _argsort,
    _array,
    _binary,
    _broadcast_to,
    _choice,
    _ctor,
    _expand_dims,
    _eye,
    _flatten_fn,
    _identity,
    _join,
    _like,
    _linspace,
    _matmul_fn,
    _pad,
    _np_scalar_type,
    _permutation,
    _rand,
    _randint,
    _reduction,
    _repeat,
    _reshape_fn,
    _shape_query,
    _size_ctor,
    _split_fn,
    _squeeze,
    _tile,
    _transpose,
    _unary_shape,
    _unique,
    _where,
)
from shapelens.core.data.base import _arg, _shape_arg
from shapelens.core.data.registry import register


def _np_reshape(ctx, args, kwargs):
    return _reshape_fn(ctx, args, kwargs)


def _multivariate_normal(ctx, args, kwargs):
    """np.random.multivariate_normal(mean, cov, size): ``size`` samples of len(mean) values."""
    mean, size = _arg(args, kwargs, 0, "mean"), _arg(args, kwargs, 2, "size")
    if isinstance(mean, (list, tuple)):
        k = len(mean)
    elif isinstance(getattr(mean, "shape", None), tuple) and len(mean.shape) == 1:
        k = mean.shape[0]
    else:
        return Unknown(f"{ctx.short}() of a mean not known statically")
    shape = () if size is None else _shape_arg(size)
    if shape is None:
        return Unknown("a size not known statically")
    return ctx.arr((*shape, k), dtype="float")


_NUMPY_FUNCS: dict[str, Callable] = {
    "numpy.zeros": _ctor("zeros"), "numpy.ones": _ctor("ones"), "numpy.empty": _ctor("empty"),
    "numpy.full": _ctor("full"), "numpy.zeros_like": _like, "numpy.ones_like": _like, "numpy.empty_like": _like,
    "numpy.full_like": _like, "numpy.eye": _eye,
    "numpy.identity": lambda c, a, k: _eye(c, a[:1], {}) if a else Unknown("identity()"), "numpy.arange": _arange,
    "numpy.linspace": _linspace, "numpy.logspace": _linspace, "numpy.geomspace": _linspace, "numpy.array": _array,
    "numpy.asarray": _array, "numpy.asanyarray": _array, "numpy.ascontiguousarray": _array, "numpy.copy": _array,
    "numpy.asfarray": _array, "numpy.random.rand": _rand, "numpy.random.randn": _rand,
    "numpy.random.random": _size_ctor("float", 0), "numpy.random.random_sample": _size_ctor("float", 0),
    "numpy.random.ranf": _size_ctor("float", 0), "numpy.random.sample": _size_ctor("float", 0),
    "numpy.random.standard_normal": _size_ctor("float", 0), "numpy.random.normal": _size_ctor("float", 2),
    "numpy.random.uniform": _size_ctor("float", 2), "numpy.random.binomial": _size_ctor("int", 2),
    "numpy.random.poisson": _size_ctor("int", 1), "numpy.random.exponential": _size_ctor("float", 1),
    "numpy.random.beta": _size_ctor("float", 2),
    "numpy.random.multivariate_normal": _multivariate_normal, "numpy.random.randint": _randint, "numpy.random.choice": _choice,
    "numpy.random.permutation": _permutation, "numpy.reshape": _np_reshape, "numpy.expand_dims": _expand_dims,
    "numpy.squeeze": _squeeze, "numpy.transpose": _transpose,
    "numpy.swapaxes": _unary_shape(shape_math.swapaxes, (1, "axis1", None), (2, "axis2", None)),
    "numpy.moveaxis": _unary_shape(shape_math.moveaxis, (1, "source", None), (2, "destination", None)),
    "numpy.concatenate": _join("concatenate"), "numpy.concat": _join("concatenate"), "numpy.stack": _join("stack"),
    "numpy.vstack": _join("vstack"), "numpy.row_stack": _join("vstack"), "numpy.hstack": _join("hstack"),
    "numpy.dstack": _join("dstack"), "numpy.column_stack": _join("column_stack"), "numpy.split": _split_fn(True),
    "numpy.array_split": _split_fn(False), "numpy.tile": _tile,
    "numpy.repeat": _repeat, "numpy.pad": _pad("pad_width"), "numpy.broadcast_to": _broadcast_to,
    "numpy.atleast_1d": _unary_shape(lambda s: shape_math.atleast(s, 1)),
    "numpy.atleast_2d": _unary_shape(lambda s: shape_math.atleast(s, 2)),
    "numpy.atleast_3d": _unary_shape(lambda s: shape_math.atleast(s, 3)), "numpy.ravel": _flatten_fn,
    "numpy.flatten": _flatten_fn, "numpy.sum": _reduction(), "numpy.mean": _reduction(), "numpy.max": _reduction(),
    "numpy.min": _reduction(), "numpy.amax": _reduction(), "numpy.amin": _reduction(), "numpy.std": _reduction(),
    "numpy.var": _reduction(), "numpy.prod": _reduction(), "numpy.product": _reduction(),
    "numpy.median": _reduction(), "numpy.average": _reduction(), "numpy.nansum": _reduction(),
    "numpy.nanmean": _reduction(), "numpy.nanmax": _reduction(), "numpy.nanmin": _reduction(),
    "numpy.any": _reduction(), "numpy.all": _reduction(), "numpy.count_nonzero": _reduction(),
    "numpy.argmax": _reduction(arg=True), "numpy.argmin": _reduction(arg=True),
    "numpy.nanargmax": _reduction(arg=True), "numpy.nanargmin": _reduction(arg=True), "numpy.unique": _unique,
    "numpy.where": _where, "numpy.dot": _matmul_fn("dot"), "numpy.matmul": _matmul_fn("matmul"),
    "numpy.outer": _matmul_fn("outer"), "numpy.shape": _shape_query("shape"), "numpy.ndim": _shape_query("ndim"),
    "numpy.size": _shape_query("size"), "numpy.abs": _identity, "numpy.absolute": _identity, "numpy.exp": _identity,
    "numpy.log": _identity, "numpy.log1p": _identity, "numpy.log2": _identity, "numpy.log10": _identity,
    "numpy.expm1": _identity, "numpy.sqrt": _identity, "numpy.square": _identity, "numpy.sin": _identity,
    "numpy.cos": _identity, "numpy.tan": _identity, "numpy.tanh": _identity, "numpy.sinh": _identity,
    "numpy.cosh": _identity, "numpy.arctan": _identity, "numpy.floor": _identity, "numpy.ceil": _identity,
    "numpy.round": _identity, "numpy.around": _identity, "numpy.rint": _identity, "numpy.sign": _identity,
    "numpy.negative": _identity, "numpy.isnan": _identity, "numpy.isinf": _identity, "numpy.isfinite": _identity,
    "numpy.nan_to_num": _identity, "numpy.clip": _identity, "numpy.fliplr": _identity, "numpy.flipud": _identity,
    "numpy.flip": _identity, "numpy.roll": _identity,
    "numpy.cumsum": lambda c, a, k: _identity(c, a, k) if _arg(a, k, 1, "axis") is not None else _flatten_fn(c, a, k),
    "numpy.cumprod": lambda c, a, k: _identity(c, a, k) if _arg(a, k, 1, "axis") is not None else _flatten_fn(c, a, k),
    "numpy.sort": _identity, "numpy.argsort": _argsort, "numpy.real": _identity, "numpy.imag": _identity,
    "numpy.conj": _identity, "numpy.reciprocal": _identity, "numpy.sigmoid": _identity,
    "numpy.logical_not": _identity, "numpy.invert": _identity, "numpy.fix": _identity, "numpy.trunc": _identity,
    "numpy.float16": _np_scalar_type, "numpy.float32": _np_scalar_type, "numpy.float64": _np_scalar_type,
    "numpy.int8": _np_scalar_type, "numpy.int16": _np_scalar_type, "numpy.int32": _np_scalar_type,
    "numpy.int64": _np_scalar_type, "numpy.uint8": _np_scalar_type, "numpy.uint16": _np_scalar_type,
    "numpy.bool_": _np_scalar_type, "numpy.double": _np_scalar_type, "numpy.single": _np_scalar_type,
    "numpy.half": _np_scalar_type, "numpy.longlong": _np_scalar_type, "numpy.intc": _np_scalar_type,
    "numpy.add": _binary, "numpy.subtract": _binary, "numpy.multiply": _binary, "numpy.divide": _binary,
    "numpy.true_divide": _binary, "numpy.floor_divide": _binary, "numpy.power": _binary, "numpy.maximum": _binary,
    "numpy.minimum": _binary, "numpy.mod": _binary, "numpy.remainder": _binary, "numpy.fmod": _binary,
    "numpy.equal": _binary, "numpy.not_equal": _binary, "numpy.less": _binary, "numpy.less_equal": _binary,
    "numpy.greater": _binary, "numpy.greater_equal": _binary, "numpy.logical_and": _binary,
    "numpy.logical_or": _binary, "numpy.logical_xor": _binary, "numpy.hypot": _binary, "numpy.arctan2": _binary,
    "numpy.fmax": _binary, "numpy.fmin": _binary, "numpy.bitwise_and": _binary, "numpy.bitwise_or": _binary,
    "numpy.copysign": _binary, "numpy.float_power": _binary, "numpy.heaviside": _binary,
}
register(_NUMPY_FUNCS)

"""numpy: the ``numpy.*`` table.
"""

from __future__ import annotations

from typing import Callable
from shapelens.core import ops
from shapelens.core.shapes import Unknown
from shapelens.core.data.arrays import _arange, _array, _binary, _choice, _ctor, _expand_dims, _eye, _flatten_fn, _identity, _join, _like, _linspace, _matmul_fn, _np_scalar_type, _permutation, _rand, _randint, _reduction, _reshape_fn, _shape_query, _size_ctor, _split_fn, _squeeze, _transpose, _unary_shape, _unique, _where
from shapelens.core.data.base import _arg, _shape_arg


def _np_reshape(ctx, args, kwargs):
    return _reshape_fn(ctx, args, kwargs)


_NUMPY_FUNCS: dict[str, Callable] = {
    "zeros": _ctor("zeros"), "ones": _ctor("ones"), "empty": _ctor("empty"), "full": _ctor("full"),
    "zeros_like": _like, "ones_like": _like, "empty_like": _like, "full_like": _like,
    "eye": _eye, "identity": lambda c, a, k: _eye(c, a[:1], {}) if a else Unknown("identity()"),
    "arange": _arange, "linspace": _linspace, "logspace": _linspace, "geomspace": _linspace,
    "array": _array, "asarray": _array, "asanyarray": _array, "ascontiguousarray": _array, "copy": _array,
    "asfarray": _array,
    "random.rand": _rand, "random.randn": _rand,
    "random.random": _size_ctor("float", 0), "random.random_sample": _size_ctor("float", 0),
    "random.ranf": _size_ctor("float", 0), "random.sample": _size_ctor("float", 0),
    "random.standard_normal": _size_ctor("float", 0),
    "random.normal": _size_ctor("float", 2), "random.uniform": _size_ctor("float", 2),
    "random.binomial": _size_ctor("int", 2), "random.poisson": _size_ctor("int", 1),
    "random.exponential": _size_ctor("float", 1), "random.beta": _size_ctor("float", 2),
    "random.randint": _randint, "random.choice": _choice, "random.permutation": _permutation,
    "reshape": _np_reshape, "expand_dims": _expand_dims, "squeeze": _squeeze, "transpose": _transpose,
    "swapaxes": _unary_shape(ops.swapaxes, (1, "axis1", None), (2, "axis2", None)),
    "moveaxis": _unary_shape(ops.moveaxis, (1, "source", None), (2, "destination", None)),
    "concatenate": _join("concatenate"), "concat": _join("concatenate"), "stack": _join("stack"),
    "vstack": _join("vstack"), "row_stack": _join("vstack"), "hstack": _join("hstack"), "dstack": _join("dstack"),
    "column_stack": _join("column_stack"),
    "split": _split_fn(True), "array_split": _split_fn(False),
    "tile": _unary_shape(ops.tile, (1, "reps", None)),
    "repeat": _unary_shape(ops.repeat, (1, "repeats", None), (2, "axis", None)),
    "pad": _unary_shape(ops.pad, (1, "pad_width", None)),
    "broadcast_to": _unary_shape(lambda s, t: ops.broadcast_to(s, _shape_arg(t) or ()), (1, "shape", None)),
    "atleast_1d": _unary_shape(lambda s: ops.atleast(s, 1)), "atleast_2d": _unary_shape(lambda s: ops.atleast(s, 2)),
    "atleast_3d": _unary_shape(lambda s: ops.atleast(s, 3)),
    "ravel": _flatten_fn, "flatten": _flatten_fn,
    "sum": _reduction(), "mean": _reduction(), "max": _reduction(), "min": _reduction(), "amax": _reduction(),
    "amin": _reduction(), "std": _reduction(), "var": _reduction(), "prod": _reduction(), "product": _reduction(),
    "median": _reduction(), "average": _reduction(), "nansum": _reduction(), "nanmean": _reduction(),
    "nanmax": _reduction(), "nanmin": _reduction(), "any": _reduction(), "all": _reduction(),
    "count_nonzero": _reduction(),
    "argmax": _reduction(arg=True), "argmin": _reduction(arg=True), "nanargmax": _reduction(arg=True),
    "nanargmin": _reduction(arg=True),
    "unique": _unique, "where": _where,
    "dot": _matmul_fn("dot"), "matmul": _matmul_fn("matmul"), "outer": _matmul_fn("outer"),
    "shape": _shape_query("shape"), "ndim": _shape_query("ndim"), "size": _shape_query("size"),
}


for _n in ("abs", "absolute", "exp", "log", "log1p", "log2", "log10", "expm1", "sqrt", "square", "sin", "cos",
           "tan", "tanh", "sinh", "cosh", "arctan", "floor", "ceil", "round", "around", "rint", "sign",
           "negative", "isnan", "isinf", "isfinite", "nan_to_num", "clip", "fliplr", "flipud", "flip", "roll",
           "cumsum", "cumprod", "sort", "argsort", "copy", "real", "imag", "conj", "reciprocal", "sigmoid",
           "logical_not", "invert", "fix", "trunc"):
    _NUMPY_FUNCS.setdefault(_n, _identity)


for _n in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "bool_",
           "double", "single", "half", "longlong", "intc"):
    _NUMPY_FUNCS[_n] = _np_scalar_type


for _n in ("add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "power", "maximum", "minimum",
           "mod", "remainder", "fmod", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
           "logical_and", "logical_or", "logical_xor", "hypot", "arctan2", "fmax", "fmin", "bitwise_and",
           "bitwise_or", "copysign", "float_power", "heaviside"):
    _NUMPY_FUNCS[_n] = _binary


# cumsum / sort flatten without an axis (numpy) -- the common uses pass an axis; keep identity only then
_NUMPY_FUNCS["cumsum"] = lambda c, a, k: _identity(c, a, k) if _arg(a, k, 1, "axis") is not None else _flatten_fn(c, a, k)


_NUMPY_FUNCS["cumprod"] = _NUMPY_FUNCS["cumsum"]

"""Array handlers shared by numpy, TensorFlow and keras.ops: constructors, elementwise ops, shape
functions (reshape, expand_dims, concatenate, split, reductions, matmul, ...).
"""

from __future__ import annotations

from typing import Any, Callable
import math

from shapelens.core import shape_math
from shapelens.core.shape_math import OpError
from shapelens.core.op_errors import OP_ERRORS
from shapelens.core.shapes import UNK, NumpyInt, Unknown, UnknownInt, fmt_shape, known
from shapelens.core.values import Tensor
from shapelens.core.data.base import (
    Array,
    MAX_VALUE,
    _Ctx,
    _arg,
    _as_array,
    _axis_arg,
    _bool,
    _derived,
    _dtype_of,
    _flat_values,
    _is_int,
    _name,
    _raiser,
    _related,
    _run,
    _shape_arg,
    _shape_of,
    _tensors,
    _x,
    keep_like,
)
from shapelens.core.codes import (
    ARRAYS_CANNOT_BE_JOINED,
    ARRAYS_DO_NOT_BROADCAST,
    AXIS_OUT_OF_RANGE,
    DATA_DOES_NOT_FIT_MODEL_INPUT,
    IMPOSSIBLE_RESHAPE,
    MATMUL_INNER_DIMENSIONS,
    SHARED,
)


def _ctor(kind: str) -> Callable:
    """np.zeros/ones/empty/full(shape, ...) and tf.zeros/ones(shape)."""

    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        shape = _shape_arg(_arg(args, kwargs, 0, "shape"))
        if shape is None:
            return Unknown(f"{ctx.short}() of a shape not known statically")
        if any(known(d) and d < 0 for d in shape):
            return Unknown("a negative dimension")
        dt_pos = {"full": 2}.get(kind, 1)
        dtype = _dtype_of(_arg(args, kwargs, dt_pos, "dtype")) or ("float" if kind != "full" else None)
        if kind == "full":
            fill = _arg(args, kwargs, 1, "fill_value")
            dtype = dtype or ("int" if _is_int(fill) else "float" if isinstance(fill, float) else None)
        return ctx.arr(shape, dtype=dtype)

    return fn


def _like(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _arg(args, kwargs, 0, "a", _arg(args, kwargs, 0, "input"))
    override = _shape_arg(kwargs.get("shape")) if "shape" in kwargs else None
    shape = override or _shape_of(x)
    if shape is None:
        return Unknown(f"{ctx.short}() of a value not known")
    return ctx.arr(shape, dtype=_dtype_of(kwargs.get("dtype")) or (x.dtype if isinstance(x, Array) else None))


def _size_ctor(dtype: str | None, size_pos: int | None = None) -> Callable:
    """np.random.random(size), normal(loc, scale, size), uniform(low, high, size) ..."""

    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        size = kwargs.get("size", args[size_pos] if size_pos is not None and len(args) > size_pos else None)
        if size is None and "size" not in kwargs and (size_pos is None or len(args) <= size_pos):
            # a single value (no size): a scalar
            return Unknown("a random scalar")
        shape = _shape_arg(size)
        return ctx.arr(shape, dtype=dtype) if shape is not None else Unknown("a size not known statically")

    return fn


def _rand(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    if not args:
        return Unknown("a random scalar")
    if not all(_is_int(a) for a in args):
        return Unknown(f"{ctx.short}() of sizes not known statically")
    return ctx.arr(tuple(args), dtype="float")


def _randint(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    low = _arg(args, kwargs, 0, "low")
    high = _arg(args, kwargs, 1, "high")
    size = _arg(args, kwargs, 2, "size")
    if size is None:
        return Unknown("a random integer")
    shape = _shape_arg(size)
    if shape is None:
        return Unknown("a size not known statically")
    upper = high if _is_int(high) else (low if high is None and _is_int(low) else None)
    return ctx.arr(shape, dtype="int", upper=upper)


def _choice(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    size = _arg(args, kwargs, 1, "size")
    a = _arg(args, kwargs, 0, "a")
    if size is None and (_is_int(a) or isinstance(a, range)):
        # one item of range(a): a NumPy integer, which indexes like an int
        return ctx.arr((), dtype="int")
    shape = _shape_arg(size)
    if shape is None:
        return Unknown("a random choice")
    return ctx.arr(shape, dtype="int" if _is_int(a) else None, upper=a if _is_int(a) else None)


def _permutation(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _arg(args, kwargs, 0, "x")
    if _is_int(x) or isinstance(x, UnknownInt):
        return ctx.arr((UNK if isinstance(x, UnknownInt) else x,), dtype="int")
    if isinstance(x, Array) and x.shape is not None:
        return ctx.arr(x.shape, keep_like(x), dtype=x.dtype)
    return Unknown("permutation()")


def _arange(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    vals = list(args)
    if "stop" in kwargs:
        vals = [kwargs.get("start", vals[0] if vals else 0), kwargs["stop"]]
    if "step" in kwargs:
        vals = (vals + [None, None])[:2] + [kwargs["step"]] if len(vals) >= 2 else [0, vals[0], kwargs["step"]]
    if not vals or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        if vals and len(vals) <= 3 and all(_scalar_like(v) for v in vals):
            # a bound read at run time (tf.shape(x)[1], a size from data): one axis of unknown length
            floats = any(isinstance(v, float) for v in vals)
            return ctx.arr((UNK,), dtype="float" if floats else "int")
        return Unknown("arange() of values not known statically")
    start, stop, step = (0, vals[0], 1) if len(vals) == 1 else (vals[0], vals[1], vals[2] if len(vals) > 2 else 1)
    if step == 0:
        return Unknown("arange() with step 0")
    n = max(0, math.ceil((stop - start) / step))
    if n > 10**9:
        return Unknown("a very long arange")
    all_int = all(_is_int(v) for v in (start, stop, step))
    value = list(range(start, stop, step)) if all_int and n <= MAX_VALUE else None
    return ctx.arr((n,), dtype="int" if all_int else "float", value=value)


def _scalar_like(v: Any) -> bool:
    """A number, a number not known statically, or a scalar tensor."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float, Unknown)) or v is None:
        return True
    return isinstance(v, Tensor) and v.shape == ()


def _tf_range(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """tf.range(limit) / tf.range(start, limit, delta) as numpy.arange."""
    names = ("start", "limit", "delta")
    v = dict(zip(names, args))
    v.update({k: kwargs[k] for k in names if k in kwargs})
    if "start" not in v:
        return Unknown("range() without a limit")
    if "limit" not in v:  # tf.range(n) counts from 0 to n
        return _arange(ctx, [0, v["start"], v.get("delta", 1)], {})
    return _arange(ctx, [v["start"], v["limit"], v.get("delta", 1)], {})


def _linspace(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    num = _arg(args, kwargs, 2, "num", 50)
    if not _is_int(num) or num < 0:
        return Unknown("linspace() with a count not known statically")
    start = _arg(args, kwargs, 0, "start")
    stop = _arg(args, kwargs, 1, "stop")
    ends = [_shape_of(start), _shape_of(stop)]
    if any(e is None for e in ends):
        return Unknown("linspace() between values whose shapes are not known")
    if ends == [(), ()]:
        return ctx.arr((num,), dtype="float")
    # array endpoints: one row per step along `axis` (default 0), each of the endpoints' broadcast shape
    axis = _arg(args, kwargs, 5, "axis", 0)
    try:
        inner = shape_math.broadcast(*ends)
    except OpError:
        return Unknown("linspace() between endpoints whose shapes do not broadcast")
    if not _is_int(axis) or not -len(inner) - 1 <= axis <= len(inner):
        return Unknown("linspace() along an axis not known statically")
    pos = axis if axis >= 0 else len(inner) + 1 + axis
    x = start if isinstance(start, Tensor) else stop
    return _derived(ctx, x, tuple(inner[:pos]) + (num,) + tuple(inner[pos:]), None)


def _eye(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    n = _arg(args, kwargs, 0, "N", _arg(args, kwargs, 0, "num_rows"))
    m = _arg(args, kwargs, 1, "M", kwargs.get("num_columns"))
    if not _is_int(n):
        return Unknown("eye() of a size not known statically")
    if m is None:
        m = n
    if not _is_int(m):
        return Unknown("eye() of a size not known statically")
    return ctx.arr((n, m), dtype=_dtype_of(kwargs.get("dtype")) or "float")


def _array(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    value = _arg(args, kwargs, 0, "object", _arg(args, kwargs, 0, "value"))
    return _as_array(ctx, value, dtype=_arg(args, kwargs, 1, "dtype"))


def _tf_constant(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    value = _arg(args, kwargs, 0, "value")
    dtype = _arg(args, kwargs, 1, "dtype")
    shape = _shape_arg(_arg(args, kwargs, 2, "shape")) if _arg(args, kwargs, 2, "shape") is not None else None
    base = _as_array(ctx, value, dtype=dtype)
    if shape is None or isinstance(base, Unknown):
        return base
    n = shape_math.size(base.shape) if isinstance(base, Tensor) and base.shape is not None else None
    m = shape_math.size(shape)
    if known(n) and known(m) and n != m and n != 1:
        ctx.report(IMPOSSIBLE_RESHAPE, IMPOSSIBLE_RESHAPE.tf_constant_size(n=n, shape=fmt_shape(shape), m=m))
        return Unknown("tf.constant raises here")
    return ctx.arr(shape, dtype=base.dtype if isinstance(base, Array) else None)


def _tf_fill(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    shape = _shape_arg(_arg(args, kwargs, 0, "dims"))
    return ctx.arr(shape) if shape is not None else Unknown("tf.fill() of a shape not known statically")


def _tf_random(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    shape = _shape_arg(_arg(args, kwargs, 0, "shape"))
    if shape is None:
        return Unknown(f"{ctx.short}() of a shape not known statically")
    dtype = _dtype_of(kwargs.get("dtype")) or "float"
    upper = kwargs.get("maxval") if dtype == "int" and _is_int(kwargs.get("maxval")) else None
    return ctx.arr(shape, dtype=dtype, upper=upper)


def _keras_random(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    return _tf_random(ctx, args, kwargs)


def _identity(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """Same shape as the first argument: unary math, casts, clip, sort along an axis ..."""
    x = _arg(args, kwargs, 0, "x", _arg(args, kwargs, 0, "a"))
    if isinstance(x, Array):
        return Array(x.shape, x.origin, x.span, symbolic=False, dtype=x.dtype, classes=x.classes, upper=x.upper,
                     lib=ctx.lib)
    shape = _shape_of(x)
    if shape is None:
        return Unknown(f"{ctx.short}() of a value not known")
    if shape == ():
        return _scalar_math(ctx, x)
    return ctx.arr(shape)


def _argsort(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """np.argsort / tf.argsort / x.argsort(): the input's shape, integer positions (whatever it held)."""
    out = _identity(ctx, args[:1], {})
    if isinstance(out, Array):
        out.dtype, out.classes, out.upper, out.value = "int", None, None, None
    return out


def _scalar_math(ctx: _Ctx, x: Any) -> Any:
    name = ctx.short.rsplit(".", 1)[-1]
    if isinstance(x, (int, float)) and not isinstance(x, bool) and ctx.lib == "numpy":
        fn = {"sqrt": math.sqrt, "ceil": math.ceil, "floor": math.floor, "abs": abs, "log": math.log,
              "log2": math.log2, "log10": math.log10, "exp": math.exp, "round": round, "around": round,
              "int32": int, "int64": int, "float32": float, "float64": float, "square": lambda v: v * v}.get(name)
        if fn is not None:
            try:
                return fn(x)
            except (ValueError, OverflowError):
                return Unknown("math that fails")
    if isinstance(x, (int, float)) and not isinstance(x, bool) and ctx.lib in ("tf", "keras"):
        # tf.sqrt(gain / fan_in), keras.ops.exp(2.0): a 0-d tensor (its value is not followed)
        return ctx.arr((), dtype="float" if isinstance(x, float) else None)
    return Unknown(f"{ctx.short}() of a scalar")


def _cast(dtype_pos: int) -> Callable:
    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _arg(args, kwargs, 0, "x")
        dtype = _dtype_of(_arg(args, kwargs, dtype_pos, "dtype"))
        if isinstance(x, Array):
            return Array(x.shape, x.origin, x.span, symbolic=False, dtype=dtype or x.dtype, classes=x.classes,
                         upper=x.upper, lib=ctx.lib)
        if isinstance(x, Tensor) and x.shape is not None and not x.symbolic:
            return ctx.arr(x.shape, dtype=dtype)
        return _as_array(ctx, x, dtype=dtype)

    return fn


def _np_scalar_type(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """np.float32(x), np.int64(x): a cast for arrays, the number for plain numbers (a NumPy
    integer stays marked as one)."""
    x = args[0] if args else None
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        out = _scalar_math(ctx, x)
        return NumpyInt(out) if isinstance(out, int) and ctx.short.rsplit(".", 1)[-1].startswith(("int", "uint")) else out
    return _cast(99)(ctx, [x], {"dtype": ctx.short.rsplit(".", 1)[-1]})


def _binary(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    a = _arg(args, kwargs, 0, "x1", _arg(args, kwargs, 0, "x"))
    b = _arg(args, kwargs, 1, "x2", _arg(args, kwargs, 1, "y"))
    return _broadcast_op(ctx, a, b, f"{ctx.short}()")


def _broadcast_op(ctx: _Ctx, a: Any, b: Any, subject: str) -> Any:
    sa, sb = _shape_of(a), _shape_of(b)
    if sa is None or sb is None:
        return Unknown(f"{subject} of a value not known")
    if sa == () and sb == () and not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return Unknown(f"{subject} of numbers")
    try:
        shape = shape_math.broadcast(sa, sb)
    except OpError as err:
        code = ARRAYS_DO_NOT_BROADCAST
        ta, tb = (a if isinstance(a, Tensor) else None), (b if isinstance(b, Tensor) else None)
        lib = ctx.lib
        raiser = {"numpy": "numpy raises ValueError (\"operands could not be broadcast together\")",
                  "tf": "TensorFlow raises InvalidArgumentError (\"Incompatible shapes\")",
                  "keras": "Keras raises ValueError"}.get(lib, "numpy raises ValueError")
        parts = []
        for t, s in ((ta, sa), (tb, sb)):
            parts.append(f"{fmt_shape(s)} from {t.origin}" if isinstance(t, Tensor) and t.origin else fmt_shape(s))
        ctx.report(code, SHARED.cannot_broadcast_together(
            subject=subject, left=parts[0], right=parts[1], reason=err.message.split(': ', 1)[-1],
            raiser=raiser),
                   related=_related(ta) + _related(tb))
        return Unknown(f"{subject} raises here")
    base = a if isinstance(a, Array) and tuple(a.shape) == shape else b if isinstance(b, Array) and tuple(b.shape) == shape else None
    if base is not None:
        return Array(shape, base.origin, base.span, symbolic=False, dtype=None, lib=ctx.lib)
    return ctx.arr(shape, subject if subject.endswith(")") else None)


def _where(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    if len(args) < 3:
        return Unknown("where() with one argument gives index arrays of data-dependent length")
    shapes = [_shape_of(a) for a in args[:3]]
    if any(s is None for s in shapes):
        return Unknown("where() of values not known")
    return _run(ctx, lambda: ctx.arr(shape_math.broadcast(*shapes)), _tensors(args[:3]))


def _reshape_fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "a", "tensor", "x")
    target = _arg(args, kwargs, 1, "newshape", kwargs.get("shape", kwargs.get("new_shape")))
    return _reshape(ctx, x, target, f"{ctx.short}()")


def _reshape(ctx: _Ctx, x: Any, target: Any, subject: str) -> Any:
    shape = _shape_of(x)
    # a None in the target is a size shapelens does not know (ops.shape(x)[0] of a batch axis), not -1:
    # the program passes a runtime value there
    tgt = _shape_arg(target) if not (isinstance(target, (list, tuple)) and any(d is None for d in target)) else \
        tuple(target)  # a None (ops.shape(x)[0] of a batch): shape_math.reshape infers it or leaves it unknown
    if tgt is None and isinstance(target, (list, tuple)):
        tgt = tuple(UNK if not _is_int(d) else d for d in target)
    if shape is None and tgt is not None:
        given = _given_target(target if isinstance(target, (list, tuple)) else tgt)
        if given is not None:
            # the input's shape is not known but the target is: when the reshape runs, the
            # result has the target's rank and every size written out (-1, or a size read at
            # run time, stays unknown)
            if isinstance(x, Tensor) and x.symbolic is not False:
                return Tensor(given, ctx.origin(subject), ctx.span, symbolic=x.symbolic)
            return ctx.arr(given, subject)
    if shape is None or tgt is None:
        return Unknown(f"{subject} with a shape not known statically")
    try:
        out = shape_math.reshape(shape, tgt)
    except OpError as err:
        if err.kind == "argument":
            return Unknown(err.message)
        what = _name(x)
        lib = ctx.lib
        raiser = {"numpy": "numpy raises ValueError (\"cannot reshape array\")",
                  "tf": "TensorFlow raises InvalidArgumentError (\"Input to reshape is a tensor with ... values\")",
                  "keras": "Keras raises ValueError"}.get(lib, "numpy raises ValueError")
        where = f" from {x.origin}" if isinstance(x, Tensor) and x.origin else ""
        ctx.report(IMPOSSIBLE_RESHAPE, IMPOSSIBLE_RESHAPE.op_error_on_data(
            subject=subject, what=what, where=where, shape=fmt_shape(shape), message=err.message, raiser=raiser),
                   related=_related(x))
        return Unknown(f"{subject} raises here")
    if isinstance(x, Tensor) and x.symbolic is False and not getattr(x, "stand_in", False):
        # not a Keras tensor (inside a layer's call(), data): a size inferred from a None batch
        # axis is None while Keras builds the model, but a number when it runs on data: not known
        out = tuple(UNK if d is None and (t is None or t == -1) else d for d, t in zip(out, tgt))
    return _derived(ctx, x, out, subject)


def _given_target(target: Any) -> tuple | None:
    """A reshape target as the result's shape when the input's shape is not known: every entry
    an int (at most one -1, which becomes unknown, none below -1), or a size not known
    statically (unknown); None when the target is not such a sequence."""
    if not isinstance(target, (list, tuple)) or len(target) > 32:
        return None
    out = []
    for d in target:
        if _is_int(d):
            if d < -1:
                return None
            out.append(UNK if d == -1 else d)
        elif d is None or isinstance(d, Unknown):
            out.append(UNK)
        else:
            return None
    if sum(1 for d in target if _is_int(d) and d == -1) > 1:
        return None
    return tuple(out)


def _unary_shape(fn_shape: Callable[..., tuple], *names: tuple[int, str, Any]) -> Callable:
    """A function of one array and some arguments (given as (position, name, default))."""

    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "a", "x", "input", "arr", "ary")
        shape = _shape_of(x)
        if shape is None:
            return Unknown(f"{ctx.short}() of a value not known")
        values = [_arg(args, kwargs, pos, name, default) for pos, name, default in names]
        if any(isinstance(v, Unknown) for v in values):
            return Unknown(f"{ctx.short}() with arguments not known statically")
        return _run(ctx, lambda: _derived(ctx, x, fn_shape(shape, *values), None), _tensors([x]))

    return fn


def _int_tree(value: Any, depth: int = 0) -> Any:
    """Nested lists of sizes as the shape math takes them: ints kept, a size read at run time
    (None from tf.shape(x)[0], an unknown, a 0-d tensor) an Unknown; _NOT_SIZES otherwise."""
    if _is_int(value):
        return value
    if value is None or isinstance(value, Unknown) or (isinstance(value, Tensor) and value.shape == ()):
        return UNK
    if isinstance(value, Array) and isinstance(value.value, list) and depth == 0:
        return _int_tree(value.value, depth)
    if isinstance(value, (list, tuple)) and depth < 2 and len(value) <= 64:
        out = [_int_tree(v, depth + 1) for v in value]
        return _NOT_SIZES if any(o is _NOT_SIZES for o in out) else tuple(out)
    return _NOT_SIZES


_NOT_SIZES = object()


def _sized_op(fn_shape: Callable[..., tuple], x_names: tuple, arg: tuple[int, str], *rest: tuple[int, str]) -> Callable:
    """repeat / pad / broadcast_to: one array and a size argument (sizes read at run time allowed:
    the axes they set are unknown), then plain arguments (given as (position, name))."""

    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, *x_names)
        shape = _shape_of(x)
        if shape is None:
            return Unknown(f"{ctx.short}() of a value not known")
        sizes = _int_tree(_arg(args, kwargs, *arg))
        values = [_arg(args, kwargs, pos, name) for pos, name in rest]
        if sizes is _NOT_SIZES or any(isinstance(v, Unknown) for v in values):
            return Unknown(f"{ctx.short}() with arguments not known statically")
        return _run(ctx, lambda: _derived(ctx, x, fn_shape(shape, sizes, *values), None), _tensors([x]))

    return fn


def _broadcast_target(shape: tuple, target: Any) -> tuple:
    if not isinstance(target, tuple):
        target = (target,)
    if any(isinstance(t, tuple) for t in target):
        raise OpError("argument", OP_ERRORS.broadcast_target_not_sizes())
    return shape_math.broadcast_to(shape, target)


_tile = _sized_op(shape_math.tile, ("A", "x", "input"), (1, "reps"))
_repeat = _sized_op(shape_math.repeat, ("a", "x", "input"), (1, "repeats"), (2, "axis"))
_broadcast_to = _sized_op(_broadcast_target, ("array", "x", "input"), (1, "shape"))


def _pad(width_name: str) -> Callable:
    return _sized_op(shape_math.pad, ("array", "x", "tensor"), (1, width_name))


def _expand_dims(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "a", "x", "input")
    axis = _axis_arg(_arg(args, kwargs, 1, "axis"))
    shape = _shape_of(x)
    if shape is None or isinstance(axis, Unknown) or axis is None:
        return Unknown(f"{ctx.short}() not followed")
    if ctx.lib == "tf" and isinstance(axis, tuple):
        return Unknown("tf.expand_dims takes one axis")
    try:
        out = shape_math.expand_dims(shape, axis)
    except OpError as err:
        ctx.report(AXIS_OUT_OF_RANGE, AXIS_OUT_OF_RANGE.axis_out_range(
            short=ctx.short, axis=axis, shape=fmt_shape(shape), lowest=-len(shape) - 1, n_shape=len(shape),
            raiser=_raiser(ctx.lib, 'axis')),
                   related=_related(x))
        return Unknown("expand_dims raises here")
    return _derived(ctx, x, out, None)


def _squeeze(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "a", "x", "input")
    axis = _axis_arg(_arg(args, kwargs, 1, "axis"))
    shape = _shape_of(x)
    if shape is None or isinstance(axis, Unknown):
        return Unknown(f"{ctx.short}() not followed")
    if isinstance(axis, tuple) and ctx.lib == "tf" and not axis:
        axis = None
    try:
        out = shape_math.squeeze(shape, axis)
    except OpError as err:
        ctx.report(AXIS_OUT_OF_RANGE, AXIS_OUT_OF_RANGE.op_error(
            short=ctx.short, message=err.message, raiser=_raiser(ctx.lib, err.kind)), related=_related(x))
        return Unknown("squeeze raises here")
    if out is None:
        return Unknown("squeeze of dims not known statically")
    return _derived(ctx, x, out, None)


def _transpose(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "a", "x")
    axes = _arg(args, kwargs, 1, "axes", kwargs.get("perm"))
    shape = _shape_of(x)
    if shape is None or isinstance(axes, Unknown) or (axes is not None and not isinstance(axes, (list, tuple))):
        return Unknown(f"{ctx.short}() not followed")
    return _run(ctx, lambda: _derived(ctx, x, shape_math.transpose(shape, axes), None), _tensors([x]))


def _join(kind: str) -> Callable:
    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        seq = _arg(args, kwargs, 0, "arrays", kwargs.get("values", kwargs.get("tup", kwargs.get("xs"))))
        if isinstance(seq, Array) and seq.shape is not None and kind in ("concatenate", "stack"):
            return Unknown(f"{ctx.short}() of a single array")
        if not isinstance(seq, (list, tuple)) or not seq:
            return Unknown(f"{ctx.short}() of a sequence not known statically")
        shapes = [_shape_of(a) for a in seq]
        if any(s is None for s in shapes):
            return Unknown(f"{ctx.short}() of values not known")
        default_axis = 0
        axis = _axis_arg(_arg(args, kwargs, 1, "axis", default_axis))
        if isinstance(axis, Unknown) or isinstance(axis, tuple):
            return Unknown(f"{ctx.short}() along an axis not known statically")
        fn_ = {"concatenate": lambda: shape_math.concatenate(shapes, axis), "stack": lambda: shape_math.stack(shapes, axis),
               "vstack": lambda: shape_math.vstack(shapes), "hstack": lambda: shape_math.hstack(shapes),
               "dstack": lambda: shape_math.dstack(shapes), "column_stack": lambda: shape_math.column_stack(shapes)}[kind]
        try:
            out = fn_()
        except OpError as err:
            if err.kind == "argument":
                return Unknown(err.message)
            related = []
            for t in seq[:4]:
                related.extend(_related(t))
            shown = ", ".join(fmt_shape(s) for s in shapes[:4]) + (", ..." if len(shapes) > 4 else "")
            ctx.report(ARRAYS_CANNOT_BE_JOINED, ARRAYS_CANNOT_BE_JOINED.op_error_of(
                short=ctx.short, shown=shown, message=err.message, raiser=_raiser(ctx.lib, err.kind)),
                       related=related)
            return Unknown(f"{ctx.short}() raises here")
        first = next((t for t in seq if isinstance(t, Array)), None)
        return ctx.arr(out, dtype=first.dtype if first is not None else None)

    return fn


def _split_fn(equal: bool) -> Callable:
    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "ary", "value", "x")
        sections = _arg(args, kwargs, 1, "indices_or_sections", kwargs.get("num_or_size_splits"))
        axis = _axis_arg(_arg(args, kwargs, 2, "axis", 0))
        shape = _shape_of(x)
        if shape is None or isinstance(axis, Unknown) or isinstance(sections, Unknown) or sections is None:
            return Unknown(f"{ctx.short}() not followed")
        if ctx.lib == "tf" and isinstance(sections, (list, tuple)):
            # tf.split takes sizes, not indices
            if not all(_is_int(s) for s in sections):
                return Unknown("tf.split sizes not known")
            bounds, acc = [], 0
            for s in sections[:-1]:
                acc += s
                bounds.append(acc)
            n = shape[axis] if shape and -len(shape) <= axis < len(shape) else None
            if known(n) and sum(sections) != n and -1 not in sections:
                ctx.report(ARRAYS_CANNOT_BE_JOINED, ARRAYS_CANNOT_BE_JOINED.tf_split_sizes(
                    sections=tuple(sections), sum=sum(sections), axis=axis, shape=fmt_shape(shape), n=n),
                           related=_related(x))
                return Unknown("tf.split raises here")
            sections = bounds
        try:
            parts = shape_math.split(shape, sections, axis, equal)
        except OpError as err:
            if err.kind == "argument":
                return Unknown(err.message)
            ctx.report(ARRAYS_CANNOT_BE_JOINED, ARRAYS_CANNOT_BE_JOINED.op_error(
                short=ctx.short, message=err.message, raiser=_raiser(ctx.lib, err.kind)), related=_related(x))
            return Unknown(f"{ctx.short}() raises here")
        return [_derived(ctx, x, p, None) for p in parts]

    return fn


def _reduction(default_axis: Any = None, arg: bool = False, axis_pos: int = 1) -> Callable:
    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "a", "x", "input_tensor", "input")
        axis = _axis_arg(_arg(args, kwargs, axis_pos, "axis", default_axis))
        keepdims = _bool(kwargs.get("keepdims", kwargs.get("keep_dims")), False)
        if isinstance(x, (list, tuple)) and not any(isinstance(v, Tensor) for v in x):
            plain = _plain_numeric(ctx, x, axis)
            if plain is not None:
                return plain
        shape = _shape_of(x)
        if shape is None or isinstance(axis, Unknown) or keepdims is None:
            return Unknown(f"{ctx.short}() not followed")
        if shape == () and not isinstance(x, Tensor):
            return _scalar_math(ctx, x) if not arg else Unknown("argmax of a number")
        f = (lambda: shape_math.argreduce(shape, axis, keepdims)) if arg else (lambda: shape_math.reduce(shape, axis, keepdims))
        try:
            out = f()
        except OpError as err:
            if err.kind == "argument":
                return Unknown(err.message)
            ctx.report(AXIS_OUT_OF_RANGE, AXIS_OUT_OF_RANGE.op_error(
                short=ctx.short, message=err.message, raiser=_raiser(ctx.lib, err.kind)), related=_related(x))
            return Unknown(f"{ctx.short}() raises here")
        if arg:
            return _derived(ctx, x, out, None, dtype="int", classes=None, upper=None)
        return _derived(ctx, x, out, None, classes=None, upper=None)

    return fn


def _plain_numeric(ctx: _Ctx, x: Any, axis: Any) -> Any:
    """np.prod(x.shape[1:]), np.sum([1, 2]) ... on plain numbers: the number itself."""
    name = ctx.short.rsplit(".", 1)[-1]
    if axis is not None or not isinstance(x, (list, tuple)) or len(x) > 10000:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x):
        return None
    def numpy_int(v: Any) -> Any:  # np.prod(shape) is a NumPy integer, not a Python int
        return NumpyInt(v) if ctx.lib == "numpy" and isinstance(v, int) and not isinstance(v, bool) else v

    try:
        if name in ("prod", "product"):
            out = 1
            for v in x:
                out *= v
                if isinstance(out, int) and out.bit_length() > 256:
                    return None
            return numpy_int(out)
        if name == "sum":
            return numpy_int(sum(x))
        if name in ("max", "amax") and x:
            return numpy_int(max(x))
        if name in ("min", "amin") and x:
            return numpy_int(min(x))
        if name == "mean" and x:
            return sum(x) / len(x)
    except (TypeError, ValueError):
        return None
    return None


def _unique(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "ar", "x")
    n: Any = UNK
    if isinstance(x, Array):
        if x.classes is not None:
            n = x.classes
        elif x.value is not None:
            flat = _flat_values(x.value)
            if flat is not None:
                n = len(set(flat))
    elif isinstance(x, (list, tuple)):
        flat = _flat_values(list(x))
        if flat is not None:
            n = len(set(flat))
    if _shape_of(x) is None and n is UNK:
        return Unknown("unique() of a value not known")
    out = ctx.arr((n,), dtype=x.dtype if isinstance(x, Array) else None)
    extras = [k for k in ("return_index", "return_inverse", "return_counts") if kwargs.get(k) is True]
    if extras:
        return tuple([out] + [ctx.arr((n,), dtype="int") for _ in extras])
    return out


def _matmul_fn(kind: str) -> Callable:
    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        a = _arg(args, kwargs, 0, "a", kwargs.get("x1"))
        b = _arg(args, kwargs, 1, "b", kwargs.get("x2"))
        return _matmul(ctx, a, b, kind, kwargs)

    return fn


def _matmul(ctx: _Ctx, a: Any, b: Any, kind: str, kwargs: dict | None = None) -> Any:
    kwargs = kwargs or {}
    sa, sb = _shape_of(a), _shape_of(b)
    if sa is None or sb is None:
        return Unknown(f"{ctx.short}() of values not known")
    try:
        if kind == "tf":
            out = shape_math.tf_matmul(sa, sb, bool(kwargs.get("transpose_a") or kwargs.get("adjoint_a")),
                                bool(kwargs.get("transpose_b") or kwargs.get("adjoint_b")))
        elif kind == "dot":
            out = shape_math.dot(sa, sb)
        elif kind == "outer":
            out = (shape_math.size(sa), shape_math.size(sb))
        else:
            out = shape_math.matmul(sa, sb)
    except OpError as err:
        if err.kind == "argument":
            return Unknown(err.message)
        parts = [f"{fmt_shape(s)} from {t.origin}" if isinstance(t, Tensor) and t.origin else fmt_shape(s)
                 for t, s in ((a, sa), (b, sb))]
        raiser = {"numpy": "numpy raises ValueError", "tf": "TensorFlow raises InvalidArgumentError "
                  "(\"Matrix size-incompatible\")", "keras": "Keras raises ValueError"}.get(ctx.lib)
        ctx.report(MATMUL_INNER_DIMENSIONS, MATMUL_INNER_DIMENSIONS.inner_dimensions_differ(
            short=ctx.short if ctx.short != '@' else 'a @ b', left=parts[0], right=parts[1],
            reason=err.message.split(': ', 1)[-1], raiser=raiser),
                   related=_related(a) + _related(b))
        return Unknown("matmul raises here")
    return ctx.arr(out)


def _one_hot(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "indices", "x")
    depth = _arg(args, kwargs, 1, "depth", kwargs.get("num_classes"))
    shape = _shape_of(x)
    if shape is None or not _is_int(depth):
        return Unknown("one_hot() not followed")
    return ctx.arr((*shape, depth), dtype="float")


def _flatten_fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "a", "x")
    shape = _shape_of(x)
    if shape is None:
        return Unknown("ravel() not followed")
    return _derived(ctx, x, shape_math.flatten(shape), None)


def _shape_query(kind: str) -> Callable:
    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "a", "x", "input")
        shape = _shape_of(x)
        if shape is None:
            return Unknown(f"{ctx.short}() of a value not known")
        if kind == "shape":
            return tuple(shape)
        if kind == "ndim":
            return len(shape)
        n = shape_math.size(shape)
        return n if known(n) else Unknown("the size is not known")

    return fn


def _tf_image_resize(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "images", "image")
    size = _arg(args, kwargs, 1, "size")
    shape = _shape_of(x)
    if shape is None or not (isinstance(size, (list, tuple)) and len(size) == 2):
        return Unknown("image.resize() not followed")
    if len(shape) not in (3, 4):
        ctx.report(DATA_DOES_NOT_FIT_MODEL_INPUT, DATA_DOES_NOT_FIT_MODEL_INPUT.images_must_be_3d_or_4d(
            short=ctx.short, shape=fmt_shape(shape),
            detail=f" from {x.origin}" if isinstance(x, Tensor) and x.origin else ""), related=_related(x))
        return Unknown("resize raises here")
    size = tuple(s if _is_int(s) else UNK for s in size)
    out = (*size, shape[-1]) if len(shape) == 3 else (shape[0], *size, shape[-1])
    return _derived(ctx, x, out, None, dtype="float")

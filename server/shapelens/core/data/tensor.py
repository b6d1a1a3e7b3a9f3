"""Tensors as Python values: attributes (.shape, .ndim), methods (.reshape, .sum, ...), indexing and
arithmetic operators.
"""

from __future__ import annotations

from typing import Any
import ast

from shapelens.core import shape_math
from shapelens.core.resolve import ModuleRef
from shapelens.core.shape_math import ArrayIndex, OpError
from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import BoundMethod, Tensor
from shapelens.core.data import numpy  # noqa: F401 -- registers the numpy.* handlers used here
from shapelens.core.data.arrays import _argsort, _identity, _matmul, _reduction, _reshape, _squeeze, _transpose
from shapelens.core.data.base import (
    Array,
    literal_array,
    Dataset,
    MAX_WALK,
    _Ctx,
    _Ragged,
    _arg,
    _derived,
    _dtype_of,
    _is_int,
    _literal_dtype,
    _literal_shape,
    _related,
    _src,
    _symbolic_op,
)
from shapelens.core.data.registry import HANDLERS
from shapelens.core.data.state import DataEvaluator
from shapelens.core.data.tf_data import _dataset_method
from shapelens.core.codes import ARRAYS_DO_NOT_BROADCAST, INDEX_OUT_OF_RANGE


def tensor_attr(ev: DataEvaluator, t: Tensor, attr: str) -> Any:
    if isinstance(t, Dataset):
        return BoundMethod(t, attr)
    if attr == "shape":
        return tuple(t.shape) if t.shape is not None else Unknown("the tensor's shape is not known")
    if attr == "ndim":
        return len(t.shape) if t.shape is not None else Unknown("the tensor's rank is not known")
    if attr == "size" and not t.symbolic and isinstance(t, Array):
        n = shape_math.size(t.shape) if t.shape is not None else None
        return n if known(n) else Unknown("the size is not known")
    if attr in ("T", "mT") and t.shape is not None:
        shape = tuple(reversed(t.shape)) if attr == "T" else (*t.shape[:-2], t.shape[-1], t.shape[-2])
        if t.symbolic:
            return Tensor(shape, t.origin, t.span, symbolic=True)
        return Array(shape, f"{t.origin.rsplit(' (line', 1)[0]}.T" if t.origin else "a transpose", t.span,
                     symbolic=False, dtype=getattr(t, "dtype", None), lib=getattr(t, "lib", "numpy"))
    if attr in ("dtype", "values", "flat", "real", "imag"):
        return Unknown(f"`.{attr}` of an array is not followed")
    return BoundMethod(t, attr)


def tensor_method(ev: DataEvaluator, t: Tensor, name: str, args: list, kwargs: dict, node) -> Any:
    try:
        return _tensor_method(ev, t, name, args, kwargs, node)
    except (RecursionError, MemoryError):
        return Unknown(f"`.{name}()` is not followed")
    except Exception:  # noqa: BLE001
        return Unknown(f"shapelens could not follow .{name}()")


_METHOD_REDUCTIONS = {"sum", "mean", "max", "min", "std", "var", "prod", "any", "all"}


def _tensor_method(ev: DataEvaluator, t: Tensor, name: str, args: list, kwargs: dict, node) -> Any:
    if isinstance(t, Dataset):
        return _dataset_method(ev, t, name, args, kwargs, node)
    if t.symbolic:
        return Unknown(f"`.{name}()` on a Keras tensor is not followed")
    lib = getattr(t, "lib", "numpy")
    recv = _src(ev, getattr(getattr(node, "func", None), "value", None)) or "x"
    ctx = _Ctx(ev, node, f"{recv}.{name}", lib if lib != "image" else "numpy")
    if t.shape is None:
        return Unknown(f"`.{name}()` of a tensor of unknown shape")
    if name in ("numpy", "copy", "__array__"):
        return Array(t.shape, t.origin, t.span, symbolic=False, dtype=getattr(t, "dtype", None),
                     classes=getattr(t, "classes", None), upper=getattr(t, "upper", None),
                     value=getattr(t, "value", None), lib="numpy", sequences=getattr(t, "sequences", False))
    if name == "astype":
        dtype = _dtype_of(_arg(args, kwargs, 0, "dtype"))
        return Array(t.shape, t.origin, t.span, symbolic=False, dtype=dtype or getattr(t, "dtype", None),
                     classes=getattr(t, "classes", None), upper=getattr(t, "upper", None), lib=lib,
                     sequences=getattr(t, "sequences", False))
    if lib == "tf" and name not in ("numpy",):
        return Unknown(f"`.{name}()` on a tf.Tensor is not followed")
    if name == "reshape":
        target = args[0] if len(args) == 1 else (tuple(args) if args else kwargs.get("shape"))
        return _reshape(ctx, t, target, f"{recv}.reshape({_fmt_args(args)})")
    if name in ("flatten", "ravel"):
        return _derived(ctx, t, shape_math.flatten(t.shape), None)
    if name == "squeeze":
        return _squeeze(ctx, [t, *args], kwargs)
    if name == "transpose":
        axes = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else (tuple(args) if args else None)
        return _transpose(ctx, [t, axes], {})
    if name == "swapaxes":
        return HANDLERS["numpy.swapaxes"](ctx, [t, *args], kwargs)
    if name in _METHOD_REDUCTIONS:
        return _reduction()(ctx, [t, *args], kwargs)
    if name in ("argmax", "argmin"):
        return _reduction(arg=True)(ctx, [t, *args], kwargs)
    if name == "repeat":
        return HANDLERS["numpy.repeat"](ctx, [t, *args], kwargs)
    if name == "argsort":
        return _argsort(ctx, [t], {})
    if name in ("clip", "round", "sort", "cumsum", "fill"):
        return None if name == "fill" else _identity(ctx, [t], {})
    if name in ("tolist", "item", "tobytes"):
        return Unknown(f"`.{name}()` values are not followed")
    return Unknown(f"`.{name}()` on an array is not followed")


def _fmt_args(args: list) -> str:
    out = []
    for a in args:
        if isinstance(a, (int, float, str)) or a is None:
            out.append(repr(a))
        elif isinstance(a, tuple) and all(isinstance(v, int) for v in a):
            out.append(fmt_shape(a))
        else:
            out.append("...")
    return ", ".join(out)


def _index_item(v: Any) -> Any:
    if v is None or v is Ellipsis or isinstance(v, slice) or _is_int(v):
        return v
    if isinstance(v, ModuleRef) and v.leaf == "newaxis":
        return None
    if isinstance(v, Tensor) and v.shape is not None and not v.symbolic:
        if getattr(v, "dtype", None) == "bool":
            return ArrayIndex(tuple(v.shape), boolean=True)
        return ArrayIndex(tuple(v.shape))
    if isinstance(v, list):
        try:
            shape = _literal_shape(v, [MAX_WALK])
        except _Ragged:
            return _NotIndex
        if shape is None:
            return _NotIndex
        if shape and _literal_dtype(v) == "bool":
            return ArrayIndex(shape, boolean=True)
        return ArrayIndex(shape)
    return _NotIndex


_NotIndex = object()


def index_tensor(ev: DataEvaluator, t: Tensor, key: Any, node) -> Any:
    try:
        return _index_tensor(ev, t, key, node)
    except (RecursionError, MemoryError):
        return Unknown("indexing is not followed")
    except Exception:  # noqa: BLE001
        return Unknown("shapelens could not follow this indexing")


def _index_tensor(ev: DataEvaluator, t: Tensor, key: Any, node) -> Any:
    if isinstance(t, Dataset) or t.shape is None:
        return Unknown("indexing a tensor of unknown shape")
    items = key if isinstance(key, tuple) else (key,)
    conv = [_index_item(v) for v in items]
    if any(c is _NotIndex for c in conv):
        return Tensor(None, t.origin, t.span, symbolic=t.symbolic) if t.symbolic else Unknown(
            "an index not known statically")
    ckey = tuple(conv) if isinstance(key, tuple) else conv[0]
    lib = getattr(t, "lib", "numpy")
    recv = _src(ev, getattr(node, "value", None)) or "x"
    text = _src(ev, node, 60) or f"{recv}[...]"
    if t.symbolic:
        if any(isinstance(c, ArrayIndex) for c in conv):
            return Tensor(None, t.origin, t.span)
        return _symbolic_op(ev, node, "ops.getitem", [t], lambda shapes: shape_math.index(shapes[0], ckey))
    if lib == "tf" and any(isinstance(c, ArrayIndex) for c in conv):
        return Unknown("tf.Tensor indexing with arrays is not followed")
    for v in items:
        if isinstance(v, Array) and v.dtype == "float" and lib in ("numpy", "image"):
            ev.report(INDEX_OUT_OF_RANGE, INDEX_OUT_OF_RANGE.index_holds_floats(
                text=text, shape=fmt_shape(v.shape), origin=v.origin), ev.span(node),
                      related=_related(v), raise_span=ev.trigger or ev.span(node))
            return Unknown("indexing raises here")
    try:
        shape = shape_math.index(tuple(t.shape), ckey)
    except OpError as err:
        if err.kind == "argument":
            return Unknown(err.message)
        raiser = "numpy raises IndexError" if lib != "tf" else "TensorFlow raises"
        ev.report(INDEX_OUT_OF_RANGE, INDEX_OUT_OF_RANGE.op_error(
            text=text, origin=t.origin and ('the array from ' + t.origin + ' is ' + fmt_shape(t.shape) + '; ') or '',
            message=err.message, raiser=raiser), ev.span(node), related=_related(t),
                  raise_span=ev.trigger or ev.span(node))
        return Unknown("indexing raises here")
    ctx = _Ctx(ev, node, text, lib)
    classes = getattr(t, "classes", None)
    if isinstance(items[0], Tensor) and _is_eye_like(t):
        # one-hot by indexing: np.eye(k)[y]
        return Array(shape, f"{text} (line {ctx.line})", ctx.span, symbolic=False, dtype="float", lib=lib)
    keep_rows = isinstance(key, slice) or (isinstance(key, tuple) and key and isinstance(key[0], slice))
    origin = t.origin if keep_rows or all(c is None or c is Ellipsis or c == slice(None) for c in conv) else \
        f"{text} (line {ctx.line})"
    first = items[0] if items else None
    all_rows = first == slice(None) or first is Ellipsis or (len(items) == 1 and first is None)
    upper = getattr(t, "upper", None)
    if classes is not None and not all_rows:
        classes, upper = None, classes  # a subset of the samples: the labels stay below, not all present
    return Array(shape, origin, t.span if origin == t.origin else ctx.span, symbolic=False,
                 dtype=getattr(t, "dtype", None), classes=classes if keep_rows or all_rows else None,
                 upper=upper, lib=lib, sequences=getattr(t, "sequences", False))


def _is_eye_like(t: Tensor) -> bool:
    return bool(t.origin) and ("eye(" in t.origin or "identity(" in t.origin)


_OP_NAMES = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide",
             ast.FloorDiv: "floor_divide", ast.Mod: "mod", ast.Pow: "power", ast.MatMult: "matmul",
             ast.BitAnd: "logical_and", ast.BitOr: "logical_or", ast.BitXor: "logical_xor"}


_OP_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
               ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}


def tensor_binop(ev: DataEvaluator, op: type, left: Any, right: Any, node: ast.AST) -> Any:
    try:
        return _tensor_binop(ev, op, left, right, node)
    except (RecursionError, MemoryError):
        return Unknown("arithmetic is not followed")
    except Exception:  # noqa: BLE001
        return Unknown("shapelens could not follow this arithmetic")


def _broadcast_ends(left: Any, right: Any) -> tuple | None:
    """The first and last axis of an elementwise result when an operand's rank is not known.
    The first axis is the higher-rank operand's, or both firsts broadcast at equal ranks: known
    only when the operands' firsts are the same (the batch axis None of two Keras tensors). The
    last axis is the two last axes broadcast."""
    ends = []
    for v in (left, right):
        shape = _operand_shape(v)
        if shape == ():
            continue  # a number or a scalar: no axis of its own
        if shape is not None:
            ends.append((shape[0], shape[-1]))
        elif isinstance(v, Tensor) and v.ends is not None:
            ends.append(tuple(v.ends))
        else:
            return None
    if not ends:
        return None
    firsts = [e[0] for e in ends]
    first = firsts[0] if all(f is firsts[0] or known(f) and f == firsts[0] for f in firsts) else UNK
    try:
        last = shape_math.broadcast(*[(e[1],) for e in ends])[0]
    except OpError:
        last = UNK
    return (first, last)


def _operand_shape(v: Any) -> tuple | None:
    if isinstance(v, Tensor):
        return tuple(v.shape) if v.shape is not None else None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return ()
    if isinstance(v, ModuleRef) and v.leaf in ("pi", "e", "inf", "nan"):
        return ()
    return None


def _tensor_binop(ev: DataEvaluator, op: type, left: Any, right: Any, node: ast.AST) -> Any:
    if isinstance(left, Dataset) or isinstance(right, Dataset):
        return Unknown("arithmetic on a dataset")
    if op is not ast.MatMult and any(isinstance(v, Tensor) and v.symbolic is False for v in (left, right)):
        # a list of numbers written in the code is made an array by numpy and TensorFlow (a
        # Keras tensor refuses it: "Invalid dtype: list")
        left, right = (literal_array(v, "a list", None) or v if isinstance(v, (list, tuple)) else v
                       for v in (left, right))
    symbolic = any(isinstance(v, Tensor) and v.symbolic for v in (left, right))
    sl, sr = _operand_shape(left), _operand_shape(right)
    name = _OP_NAMES.get(op)
    if symbolic:
        if sl is None or sr is None or name is None:
            return Tensor(None, "an operation on a tensor of unknown shape", ev.span(node),
                          ends=_broadcast_ends(left, right) if name is not None and op is not ast.MatMult else None)
        template = [left, right]
        if op is ast.MatMult:
            return _symbolic_op(ev, node, "ops.matmul", template, lambda shapes: shape_math.matmul(*_with_scalars(
                template, shapes)))
        return _symbolic_op(ev, node, f"ops.{name}", template,
                            lambda shapes: shape_math.broadcast(*_with_scalars(template, shapes)))
    if sl is None or sr is None or name is None:
        if any(isinstance(v, Tensor) and v.shape is None for v in (left, right)):
            # an operand that may be a Keras tensor (symbolic None) keeps the result "not known"
            maybe = any(isinstance(v, Tensor) and v.symbolic is None for v in (left, right))
            return Tensor(None, "an operation on a tensor of unknown shape", ev.span(node),
                          symbolic=None if maybe else False,
                          ends=_broadcast_ends(left, right) if name is not None and op is not ast.MatMult else None)
        return Unknown("arithmetic between a tensor and a value not known statically")
    lib = next((getattr(v, "lib", "numpy") for v in (left, right) if isinstance(v, Tensor)), "numpy")
    lib = "numpy" if lib == "image" else lib
    text = _src(ev, node, 60) or f"a {_OP_SYMBOLS.get(op, '?')} b"
    ctx = _Ctx(ev, node, "@" if op is ast.MatMult else text, lib)
    if op is ast.MatMult:
        return _matmul(ctx, left, right, "tf" if lib == "tf" else "matmul")
    try:
        shape = shape_math.broadcast(sl, sr)
    except OpError as err:
        parts = [f"{fmt_shape(s)} from {v.origin}" if isinstance(v, Tensor) and v.origin else fmt_shape(s)
                 for v, s in ((left, sl), (right, sr))]
        raiser = {"numpy": "numpy raises ValueError (\"operands could not be broadcast together\")",
                  "tf": "TensorFlow raises InvalidArgumentError (\"Incompatible shapes\")"}.get(
            lib, "Keras raises ValueError")
        ctx.report(ARRAYS_DO_NOT_BROADCAST, ARRAYS_DO_NOT_BROADCAST.cannot_broadcast_together(
            text=text, left=parts[0], right=parts[1], reason=err.message.split(': ', 1)[-1],
            raiser=raiser),
                   related=_related(left) + _related(right))
        return Unknown("a failed broadcast")
    if any(type(v) is Tensor and v.symbolic is False for v in (left, right)) and not any(
            isinstance(v, Array) and None in v.shape for v in (left, right)):
        # inside a layer's call(): a traced Keras tensor (its None is Keras's batch axis, which
        # only it can bring) with a number or data of known rank: still a traced tensor
        return Tensor(shape, f"{text} (line {ctx.line})", ctx.span, symbolic=False)
    base = None
    for v in (left, right):
        if isinstance(v, Tensor) and v.shape is not None and tuple(v.shape) == shape:
            base = v
            break
    if base is not None:
        keeps_labels = op in (ast.Add, ast.Sub) and isinstance(base, Array) and base.dtype == "int" and any(
            _is_int(v) for v in (left, right))
        return Array(shape, base.origin, base.span, symbolic=False,
                     dtype=getattr(base, "dtype", None) if op not in (ast.Div,) else "float",
                     classes=None, upper=None if not keeps_labels else None, lib=lib,
                     sequences=getattr(base, "sequences", False))
    return ctx.arr(shape, f"{text}")


def _with_scalars(template: list, shapes: list) -> list:
    it = iter(shapes)
    return [next(it) if isinstance(v, Tensor) else () for v in template]


def reshape_unknown(ev: DataEvaluator, value: Unknown, args: list, kwargs: dict, node) -> Any:
    """``x.reshape(target)`` of a value shapelens does not follow: only arrays (numpy, torch, jax)
    have the method, and its result has the target's rank and every size written out."""
    target = args[0] if len(args) == 1 else tuple(args) if args else kwargs.get("shape")
    return _reshape(_Ctx(ev, node, "reshape", "numpy"), Array(None, value.reason, None, symbolic=False), target,
                    ".reshape()")

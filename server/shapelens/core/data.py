"""Data outside the model: arrays and tensors, what is done to them, and what fit/predict get.

The evaluator hands this module every call it does not know as Keras (``numpy.*``,
``tensorflow.*``, ``keras.ops.*``, ``keras.utils.*``, ``keras.datasets.*``, sklearn's
``train_test_split``), the attributes, methods, indexing and arithmetic of tensors, and the
data methods of models (:func:`model_data_call`). Shapes follow the rules of
:mod:`shapelens.core.ops`; values are never computed except for small literal arrays
(:data:`MAX_VALUE` elements), so a huge literal is never materialised. Anything not
followed (pandas, files, generators, ``Dataset.map``) becomes an Unknown, silently.

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

import ast
import contextlib
import math
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from shapelens.core import datasets, ops
from shapelens.core.analysis import Related
from shapelens.core.ops import ArrayIndex, OpError
from shapelens.core.resolve import ModuleRef, keras_name
from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import (
    BoundMethod,
    FunctionalModel,
    Instance,
    LayerObj,
    SequentialModel,
    Tensor,
)

MAX_VALUE = 4096  # elements of a literal array whose values are kept
MAX_WALK = 200_000  # elements walked to find the shape of a literal

_NUMPY = ("numpy.",)
_TF = ("tensorflow.",)


# ============================================================================ values


@dataclass(eq=False)
class Array(Tensor):
    """A concrete array or eager tensor (numpy, TensorFlow, keras.ops), shape tracked."""

    dtype: str | None = None  # "int" | "float" | "bool" | "str" | "object" | None: not known
    classes: int | None = None  # integer labels: every value of range(classes) present (datasets)
    upper: int | None = None  # integer values are < upper (randint), not all necessarily present
    value: Any = None  # a small nested list of the contents, when known
    lib: str = "numpy"  # "numpy" | "tf" | "keras" | "image"
    sequences: bool = False  # an object array of integer sequences (imdb, reuters)


@dataclass(eq=False)
class Dataset(Tensor):
    """A tf.data.Dataset over known arrays: ``element`` is the structure of element shapes."""

    element: Any = None  # a Tensor-shape tuple, or a tuple/list/dict of them
    batched: bool = False
    cardinality: Any = None


@dataclass(eq=False)
class LossSpec:
    """A Keras loss given as an object (keras.losses.CategoricalCrossentropy(...))."""

    name: str  # canonical: mse | mae | cce | scce | bce | other
    display: str


@dataclass
class _State:
    traces: dict  # (model id, function) -> (ranks, line, shapes)
    module: ast.Module | None = None


def _state(ev) -> _State:
    st = getattr(ev, "_shapelens_data", None)
    if st is None:
        st = _State({})
        ev._shapelens_data = st
    return st


class _Ctx:
    """One call being evaluated: where, which library, how to name things."""

    def __init__(self, ev, node: ast.AST, short: str, lib: str) -> None:
        self.ev = ev
        self.node = node
        self.short = short
        self.lib = lib
        self.span = ev.span(node)
        self.line = self.span.line + 1

    def origin(self, what: str | None = None) -> str:
        return f"{what or self.short + '(...)'} (line {self.line})"

    def arr(self, shape: Any, what: str | None = None, **kw: Any) -> Array:
        kw.setdefault("lib", self.lib)
        return Array(tuple(shape) if shape is not None else None, self.origin(what), self.span, symbolic=False, **kw)

    def report(self, code: str, message: str, related: list | None = None, fix: dict | None = None,
               severity: str | None = None) -> None:
        sev = severity or None
        raise_span = None if sev == "warning" else (self.ev.trigger or self.span)
        self.ev.report(code, message, self.span, related=related, raise_span=raise_span, fix=fix, severity=sev)


def _span_dict(span) -> dict:
    return {"line": span.line, "col": span.col, "end_line": span.end_line, "end_col": span.end_col}


def _src(ev, node: ast.AST | None, limit: int = 40) -> str | None:
    if node is None:
        return None
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001
        return None
    return text if len(text) <= limit else None


def _related(t: Any, text: str | None = None) -> list:
    if isinstance(t, Tensor) and t.span is not None:
        return [Related(t.span, text or f"{fmt_shape(t.shape)} comes from {t.origin}")]
    return []


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _dtype_of(value: Any) -> str | None:
    """'int' | 'float' | 'bool' | 'str' | 'object' for a dtype given as a string, np.float32, tf.int64 ..."""
    if isinstance(value, ModuleRef):
        value = value.leaf
    elif type(value).__name__ == "Builtin":
        value = getattr(value, "name", None)
    elif isinstance(value, type):
        value = value.__name__
    elif value is None:
        return None
    if not isinstance(value, str):
        return None
    v = value.lower()
    if v in ("o", "object", "object_"):
        return "object"
    if v.startswith("bool"):
        return "bool"
    if "int" in v or v in ("i", "l", "b", "h", "q"):
        return "int"
    if "float" in v or v in ("f", "d", "e", "double", "half", "single") or "complex" in v:
        return "float"
    if v.startswith("str") or v.startswith("u") and v[1:].isdigit() or v == "unicode":
        return "str"
    return None


# ============================================================================ literal arrays


class _Ragged(Exception):
    def __init__(self, depth: int, shapes: list) -> None:
        self.depth = depth
        self.shapes = shapes


def _literal_shape(value: Any, budget: list, depth: int = 0) -> tuple | None:
    """Shape numpy gives a nested literal; raises _Ragged when numpy raises; None: not known."""
    if isinstance(value, Array) or (isinstance(value, Tensor) and not value.symbolic):
        if value.shape is None or any(not known(d) for d in value.shape) or getattr(value, "sequences", False):
            return None
        return tuple(value.shape)
    if isinstance(value, Tensor):
        return None
    if isinstance(value, (bool, int, float, complex, str, bytes)) or value is None:
        return ()
    if isinstance(value, (list, tuple)):
        budget[0] -= len(value)
        if budget[0] < 0:
            return None
        if not value:
            return (0,)
        shapes = []
        for item in value:
            s = _literal_shape(item, budget, depth + 1)
            if s is None:
                return None
            shapes.append(s)
        first = shapes[0]
        for s in shapes[1:]:
            if s != first:
                raise _Ragged(depth, shapes)
        return (len(value), *first)
    return None


def _literal_dtype(value: Any, depth: int = 0) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Array):
        return value.dtype
    if isinstance(value, (list, tuple)) and value and depth < 8:
        kinds = {_literal_dtype(v, depth + 1) for v in value[:64]}
        for k in ("str", "float", "int", "bool"):
            if k in kinds and None not in kinds:
                return k
    return None


def _small_value(value: Any, shape: tuple) -> Any:
    """Keep plain nested lists of numbers when small."""
    n = 1
    for d in shape:
        n *= d
    if n > MAX_VALUE or not isinstance(value, (list, tuple)):
        return None

    def plain(v: Any, depth: int) -> bool:
        if isinstance(v, (int, float)):
            return True
        return isinstance(v, (list, tuple)) and depth < 10 and all(plain(x, depth + 1) for x in v)

    return value if plain(value, 0) else None


def _flat_values(value: Any) -> list | None:
    out: list = []

    def walk(v: Any) -> bool:
        if isinstance(v, (list, tuple)):
            return all(walk(x) for x in v)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(v)
            return len(out) <= MAX_VALUE
        return False

    return out if walk(value) else None


def _as_array(ctx: _Ctx, value: Any, what: str | None = None, dtype: Any = None) -> Any:
    """np.array(value) / tf.constant(value): the array numpy would make, or Unknown."""
    if isinstance(value, Array):
        out = Array(value.shape, value.origin, value.span, symbolic=False, dtype=_dtype_of(dtype) or value.dtype,
                    classes=value.classes, upper=value.upper, value=value.value, lib=ctx.lib,
                    sequences=value.sequences)
        return out
    if isinstance(value, Tensor):
        if value.symbolic:
            return Unknown("a Keras tensor converted to an array")
        return ctx.arr(value.shape, what) if value.shape is not None else Unknown("an array of unknown shape")
    if isinstance(value, Unknown):
        return value
    budget = [MAX_WALK]
    try:
        shape = _literal_shape(value, budget)
    except _Ragged as r:
        if _dtype_of(dtype) == "object":
            return Unknown("an object array of ragged sequences")
        _report_ragged(ctx, value, r)
        return Unknown("a ragged array (numpy raises here)")
    if shape is None:
        return Unknown("an array built from values not known statically")
    kind = _dtype_of(dtype) or _literal_dtype(value)
    out = ctx.arr(shape, what, dtype=kind, value=_small_value(value, shape))
    if out.value is not None and kind in ("int", None):
        flat = _flat_values(out.value)
        if flat is not None and flat and all(_is_int(v) for v in flat):
            out.dtype = "int"
    return out


def _report_ragged(ctx: _Ctx, value: Any, r: _Ragged) -> None:
    shapes = r.shapes
    distinct = []
    for s in shapes:
        if s not in distinct:
            distinct.append(s)
    shown = ", ".join(fmt_shape(s) for s in distinct[:4]) + (", ..." if len(distinct) > 4 else "")
    related = []
    if isinstance(value, (list, tuple)):
        for item in value[:6]:
            if isinstance(item, Tensor) and item.span is not None:
                related.append(Related(item.span, f"{fmt_shape(item.shape)} from {item.origin}"))
    if ctx.lib == "numpy":
        tail = ("numpy raises ValueError (\"inhomogeneous shape\"). Pad or truncate them to one length "
                "first (keras.utils.pad_sequences(..., maxlen=...)), or pass dtype=object")
    else:
        tail = "TensorFlow raises ValueError (\"Can't convert non-rectangular Python sequence to Tensor\"). " \
               "Pad them to one length first (keras.utils.pad_sequences) or use tf.ragged.constant"
    level = "the items" if r.depth == 0 else f"the items at depth {r.depth + 1}"
    ctx.report("SL310", f"{ctx.short}() of {len(shapes)} sequences whose shapes differ ({level} are {shown}): {tail}",
               related=related[:4])


# ============================================================================ argument helpers


def _shape_arg(value: Any) -> tuple | None:
    """A shape argument: an int, or a tuple/list of ints (TensorShape-like tuples too)."""
    if _is_int(value):
        return (value,)
    if isinstance(value, (list, tuple)) and all(_is_int(v) or v is None or isinstance(v, Unknown) for v in value):
        return tuple(UNK if v is None else v for v in value)
    if isinstance(value, Array) and value.value is not None and isinstance(value.value, list):
        flat = _flat_values(value.value)
        if flat is not None and all(_is_int(v) for v in flat) and value.shape is not None and len(value.shape) == 1:
            return tuple(flat)
    return None


def _shape_of(value: Any) -> tuple | None:
    """Shape of an operand: a tensor, a scalar (()), or a small literal."""
    if isinstance(value, Tensor):
        return tuple(value.shape) if value.shape is not None else None
    if isinstance(value, (bool, int, float, complex)):
        return ()
    if isinstance(value, (list, tuple)):
        try:
            return _literal_shape(value, [MAX_WALK])
        except _Ragged:
            return None
    if isinstance(value, ModuleRef) and value.leaf in ("pi", "e", "inf", "nan", "newaxis"):
        return ()
    return None


def _arg(args: list, kwargs: dict, i: int, name: str, default: Any = None) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[i] if len(args) > i else default


def _axis_arg(value: Any) -> Any:
    """An axis argument as ops expects it; Unknown when not known."""
    if value is None or _is_int(value):
        return value
    if isinstance(value, (list, tuple)) and all(_is_int(v) for v in value):
        return tuple(value)
    return Unknown("an axis not known statically")


def _bool(value: Any, default: bool = False) -> bool | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value)
    return None


def _tensors(values: Any) -> list[Tensor]:
    out = []
    for v in values if isinstance(values, (list, tuple)) else [values]:
        if isinstance(v, Tensor):
            out.append(v)
    return out


def _any_symbolic(values: list) -> bool:
    def walk(v: Any, depth: int = 0) -> bool:
        if isinstance(v, Tensor):
            return v.symbolic
        if isinstance(v, (list, tuple)) and depth < 3:
            return any(walk(x, depth + 1) for x in v)
        return False

    return any(walk(v) for v in values)


# ============================================================================ errors


_OP_CODES = {
    "broadcast": "SL312", "reshape": "SL311", "axis": "SL313", "squeeze": "SL313", "concat": "SL314",
    "stack": "SL314", "split": "SL314", "matmul": "SL315", "index": "SL316",
}
_RAISES = {
    "numpy": {"broadcast": "ValueError", "reshape": "ValueError", "axis": "AxisError", "squeeze": "ValueError",
              "concat": "ValueError", "stack": "ValueError", "split": "ValueError", "matmul": "ValueError",
              "index": "IndexError"},
    "tf": {"__default__": "InvalidArgumentError"},
    "keras": {"__default__": "ValueError"},
}


def _raiser(lib: str, kind: str) -> str:
    table = _RAISES.get(lib, _RAISES["numpy"])
    lib_name = {"numpy": "numpy", "tf": "TensorFlow", "keras": "Keras", "image": "numpy"}.get(lib, lib)
    return f"{lib_name} raises {table.get(kind, table.get('__default__', 'ValueError'))}"


def _op_error(ctx: _Ctx, err: OpError, operands: list | None = None, subject: str | None = None) -> Unknown:
    if err.kind == "argument":
        return Unknown(f"{ctx.short}() with arguments shapelens does not follow ({err.message})")
    code = _OP_CODES.get(err.kind, "SL313")
    related = []
    for t in operands or []:
        related.extend(_related(t))
    what = subject or f"{ctx.short}()"
    ctx.report(code, f"{what}: {err.message} ({_raiser(ctx.lib, err.kind)})", related=related[:4])
    return Unknown(f"{what} raises here")


def _run(ctx: _Ctx, fn: Callable[[], Any], operands: list | None = None, subject: str | None = None) -> Any:
    try:
        return fn()
    except OpError as err:
        return _op_error(ctx, err, operands, subject)


# ============================================================================ symbolic ops (Keras tensors)


def _symbolic_op(ev, node: ast.AST, label: str, template: list, fn: Callable[[list], Any]) -> Any:
    """keras.ops.* / operators on Keras tensors: a pseudo-layer (implicit, no weights) so the
    functional graph stays connected through the op and models replay it on new inputs.

    ``template`` is the argument list with tensors in place; ``fn(shapes)`` gets the shapes of
    those tensors (in order) and returns the output shape (or a list of shapes)."""
    from shapelens.core.rules.base import Args, LayerError, Out, Rule

    code_for = {"broadcast": "SL104", "reshape": "SL105"}

    def rule_fn(args, shapes, call):
        shapes = shapes if isinstance(shapes, list) else [shapes]
        try:
            out = fn([tuple(s) for s in shapes])
        except OpError as err:
            raise LayerError(code_for.get(err.kind, _OP_CODES.get(err.kind, "SL313")),
                             f"{label}: {err.message}") from None
        return Out(out, params=0, explain=[f"{label} → {fmt_shape(out) if isinstance(out, tuple) else out}"])

    rule = Rule(kind=label, fn=rule_fn, signature=(), family="ops", multi_input=True)
    span = ev.span(node)
    layer = LayerObj(layer_id=len(ev.keras.layer_objs), kind=label, rule=rule, args=Args(label, {}), span=span,
                     order=ev.next_order(), implicit=True)
    ev.keras.layer_objs.append(layer)
    inputs = [t for t in template if isinstance(t, Tensor)]
    return ev.keras.call_layer(layer, [inputs], {}, node)


# ============================================================================ entry: calls


def call(ev, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    """A call to numpy / TensorFlow / keras.ops / keras.utils / keras.datasets / sklearn."""
    try:
        return _call(ev, path, args, kwargs, node)
    except (RecursionError, MemoryError):
        return Unknown(f"{path}(...) is not followed")
    except Exception as exc:  # noqa: BLE001 -- an unforeseen value must cost one result, not the analysis
        return Unknown(f"internal: {type(exc).__name__} in {path}")


def _short(path: str) -> str:
    for long, short in (("tensorflow.", "tf."), ("numpy.", "np."), ("keras.src.", "keras."),
                        ("tensorflow.keras.", "keras.")):
        if path.startswith(long):
            return short + path[len(long):]
    return path


def _call(ev, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    kname = keras_name(path)
    leaf = path.rsplit(".", 1)[-1]
    if kname is None and path.startswith(_TF):
        symbolic = [t for t in _tensors(list(args) + list(kwargs.values())) if t.symbolic]
        for v in list(args) + list(kwargs.values()):
            if isinstance(v, (list, tuple)):
                symbolic += [t for t in _tensors(v) if t.symbolic]
        if symbolic:
            short = path.replace("tensorflow.", "tf.")
            ev.report(
                "SL107",
                f"{short}() cannot take the Keras tensor {symbolic[0].origin.split(' (')[0]} output "
                f"{fmt_shape(symbolic[0].shape)}: Keras 3 raises for TensorFlow functions on symbolic "
                f"tensors. Use keras.ops.{leaf}() or a layer instead",
                ev.span(node), raise_span=ev.trigger or ev.span(node),
            )
            return Tensor(None, f"{short}(...) on a Keras tensor", ev.span(node))
    if kname is not None:
        return _keras_call(ev, kname, path, args, kwargs, node)
    if path.startswith(_NUMPY):
        name = path[len("numpy."):]
        ctx = _Ctx(ev, node, "np." + name, "numpy")
        fn = _NUMPY_FUNCS.get(name)
        if fn is None:
            return Unknown(f"np.{name}(...) is not followed")
        return fn(ctx, args, kwargs)
    if path.startswith(_TF):
        name = path[len("tensorflow."):]
        for prefix in ("compat.v2.", "compat.v1."):
            if name.startswith(prefix):
                name = name[len(prefix):]
        ctx = _Ctx(ev, node, "tf." + name, "tf")
        fn = _TF_FUNCS.get(name)
        if fn is None and name.startswith("math."):
            fn = _TF_FUNCS.get(name[5:])
        if fn is None:
            return Unknown(f"tf.{name}(...) is not followed")
        return fn(ctx, args, kwargs)
    if path.startswith("sklearn."):
        ctx = _Ctx(ev, node, leaf, "numpy")
        if leaf == "train_test_split":
            return _train_test_split(ctx, args, kwargs)
        if leaf == "shuffle" and ".utils" in path:
            return list(args) if len(args) > 1 else (args[0] if args else Unknown("shuffle()"))
        return Unknown(f"{leaf}(...) is not followed")
    return Unknown(f"{_short(path)}(...) is not followed")


def _keras_call(ev, kname: str, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    parts = kname.split(".")
    leaf = parts[-1]
    if parts[0] == "ops" and len(parts) >= 2:
        name = ".".join(parts[1:])
        ctx = _Ctx(ev, node, "keras.ops." + name, "keras")
        fn = _KERAS_OPS.get(name) or _NUMPY_FUNCS.get(name)
        if fn is None:
            return Unknown(f"keras.ops.{name}(...) is not followed")
        if _any_symbolic(list(args) + list(kwargs.values())):
            return _symbolic_ops_call(ctx, name, fn, args, kwargs)
        return fn(ctx, args, kwargs)
    if parts[0] == "datasets" and leaf == "load_data":
        segs = path.split(".")
        name = segs[segs.index("datasets") + 1] if "datasets" in segs[:-2] else None
        if name in datasets.NAMES:
            return _load_dataset(_Ctx(ev, node, f"{name}.load_data", "numpy"), name, args, kwargs)
        return Unknown(f"{path}() is not followed")
    if parts[0] == "losses" or (len(parts) == 1 and leaf in _LOSS_NAMES):
        canon = _LOSS_NAMES.get(leaf)
        if canon is not None and leaf[:1].isupper():
            return LossSpec(canon, leaf)
        return Unknown(f"keras.losses.{leaf}(...) is not followed")
    ctx = _Ctx(ev, node, "keras." + kname, "numpy")
    if leaf == "to_categorical":
        return _to_categorical(ctx, args, kwargs)
    if leaf == "pad_sequences":
        return _pad_sequences(ctx, args, kwargs)
    if leaf == "load_img":
        return _load_img(ctx, args, kwargs)
    if leaf == "img_to_array":
        return _img_to_array(ctx, args, kwargs)
    if leaf == "normalize":
        x = _arg(args, kwargs, 0, "x")
        return ctx.arr(x.shape, keep_like(x)) if isinstance(x, Array) else Unknown("normalize()")
    return Unknown(f"keras.{kname}(...) is not followed")


def keep_like(x: Array) -> str:
    return x.origin.rsplit(" (line", 1)[0] if x.origin else "an array"


def _symbolic_ops_call(ctx: _Ctx, name: str, fn: Callable, args: list, kwargs: dict) -> Any:
    """keras.ops on Keras tensors: evaluate the op on stand-in arrays of the input shapes."""
    ev = ctx.ev
    flat: list = []

    def collect(v: Any, depth: int = 0) -> Any:
        if isinstance(v, Tensor):
            if v.shape is None:
                raise _NotFollowed()
            flat.append(v)
            return ("__tensor__", len(flat) - 1)
        if isinstance(v, (list, tuple)) and depth < 3:
            return type(v)(collect(x, depth + 1) for x in v)
        return v

    try:
        t_args = [collect(a) for a in args]
        t_kwargs = {k: collect(v) for k, v in kwargs.items()}
    except _NotFollowed:
        return Tensor(None, f"keras.ops.{name} (line {ctx.line})", ctx.span)

    def rebuild(v: Any, shapes: list) -> Any:
        if isinstance(v, tuple) and len(v) == 2 and v[0] == "__tensor__":
            return Array(shapes[v[1]], "", None, symbolic=False, lib="keras")
        if isinstance(v, (list, tuple)):
            return type(v)(rebuild(x, shapes) for x in v)
        return v

    def shape_fn(shapes: list) -> Any:
        sub = _Ctx(ev, ctx.node, ctx.short, "keras")
        sub.report = _raise_report  # type: ignore[method-assign]
        out = fn(sub, [rebuild(a, shapes) for a in t_args], {k: rebuild(v, shapes) for k, v in t_kwargs.items()})
        if isinstance(out, Tensor) and out.shape is not None:
            return tuple(out.shape)
        if isinstance(out, (list, tuple)) and out and all(isinstance(o, Tensor) and o.shape is not None for o in out):
            return [tuple(o.shape) for o in out]
        raise OpError("argument", "not followed")

    try:
        shape_fn([tuple(t.shape) for t in flat])
    except OpError as err:
        if err.kind == "argument":
            return Tensor(None, f"keras.ops.{name} (line {ctx.line})", ctx.span)
    return _symbolic_op(ev, ctx.node, f"ops.{name}", flat, shape_fn)


class _NotFollowed(Exception):
    pass


def _raise_report(code: str, message: str, related=None, fix=None, severity=None) -> None:
    raise OpError({v: k for k, v in _OP_CODES.items()}.get(code, "axis"), message.split(": ", 1)[-1])


# ============================================================================ constructors


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
    shape = _shape_arg(size)
    if shape is None:
        return Unknown("a random choice")
    a = _arg(args, kwargs, 0, "a")
    return ctx.arr(shape, dtype="int" if _is_int(a) else None, upper=a if _is_int(a) else None)


def _permutation(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _arg(args, kwargs, 0, "x")
    if _is_int(x):
        return ctx.arr((x,), dtype="int")
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


def _linspace(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    num = _arg(args, kwargs, 2, "num", 50)
    if not _is_int(num) or num < 0:
        return Unknown("linspace() with a count not known statically")
    return ctx.arr((num,), dtype="float")


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
    n = ops.size(base.shape) if isinstance(base, Tensor) and base.shape is not None else None
    m = ops.size(shape)
    if known(n) and known(m) and n != m and n != 1:
        ctx.report("SL311", f"tf.constant(): {n:,} values cannot fill shape {fmt_shape(shape)} ({m:,} values); "
                            f"TensorFlow raises TypeError")
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


# ============================================================================ elementwise


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
    """np.float32(x), np.int64(x): a cast for arrays, the number for plain numbers."""
    x = args[0] if args else None
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return _scalar_math(ctx, x)
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
        shape = ops.broadcast(sa, sb)
    except OpError as err:
        code = "SL312"
        ta, tb = (a if isinstance(a, Tensor) else None), (b if isinstance(b, Tensor) else None)
        lib = ctx.lib
        raiser = {"numpy": "numpy raises ValueError (\"operands could not be broadcast together\")",
                  "tf": "TensorFlow raises InvalidArgumentError (\"Incompatible shapes\")",
                  "keras": "Keras raises ValueError"}.get(lib, "numpy raises ValueError")
        parts = []
        for t, s in ((ta, sa), (tb, sb)):
            parts.append(f"{fmt_shape(s)} from {t.origin}" if isinstance(t, Tensor) and t.origin else fmt_shape(s))
        ctx.report(code, f"{subject}: {parts[0]} and {parts[1]} cannot be broadcast together "
                         f"({err.message.split(': ', 1)[-1]}); {raiser}",
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
    return _run(ctx, lambda: ctx.arr(ops.broadcast(*shapes)), _tensors(args[:3]))


# ============================================================================ shape functions


def _x(args: list, kwargs: dict, *names: str) -> Any:
    for n in names:
        if n in kwargs:
            return kwargs[n]
    return args[0] if args else None


def _reshape_fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "a", "tensor", "x")
    target = _arg(args, kwargs, 1, "newshape", kwargs.get("shape", kwargs.get("new_shape")))
    return _reshape(ctx, x, target, f"{ctx.short}()")


def _reshape(ctx: _Ctx, x: Any, target: Any, subject: str) -> Any:
    shape = _shape_of(x)
    tgt = _shape_arg(target) if not (isinstance(target, (list, tuple)) and any(d is None for d in target)) else \
        tuple(-1 if d is None else d for d in target)
    if tgt is None and isinstance(target, (list, tuple)):
        tgt = tuple(UNK if not _is_int(d) else d for d in target)
    if shape is None or tgt is None:
        return Unknown(f"{subject} with a shape not known statically")
    try:
        out = ops.reshape(shape, tgt)
    except OpError as err:
        if err.kind == "argument":
            return Unknown(err.message)
        what = _name(x)
        lib = ctx.lib
        raiser = {"numpy": "numpy raises ValueError (\"cannot reshape array\")",
                  "tf": "TensorFlow raises InvalidArgumentError (\"Input to reshape is a tensor with ... values\")",
                  "keras": "Keras raises ValueError"}.get(lib, "numpy raises ValueError")
        where = f" from {x.origin}" if isinstance(x, Tensor) and x.origin else ""
        ctx.report("SL311", f"{subject}: {what}{where} is {fmt_shape(shape)}; {err.message}. {raiser}",
                   related=_related(x))
        return Unknown(f"{subject} raises here")
    return _derived(ctx, x, out, subject)


def _name(x: Any) -> str:
    if isinstance(x, Tensor):
        return "the array" if not x.symbolic else "the tensor"
    return "the value"


def _derived(ctx: _Ctx, x: Any, shape: tuple, what: str, **kw: Any) -> Array:
    dtype = kw.pop("dtype", x.dtype if isinstance(x, Array) else None)
    classes = kw.pop("classes", x.classes if isinstance(x, Array) else None)
    upper = kw.pop("upper", x.upper if isinstance(x, Array) else None)
    return ctx.arr(shape, what, dtype=dtype, classes=classes, upper=upper, **kw)


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


def _expand_dims(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "a", "x", "input")
    axis = _axis_arg(_arg(args, kwargs, 1, "axis"))
    shape = _shape_of(x)
    if shape is None or isinstance(axis, Unknown) or axis is None:
        return Unknown(f"{ctx.short}() not followed")
    if ctx.lib == "tf" and isinstance(axis, tuple):
        return Unknown("tf.expand_dims takes one axis")
    try:
        out = ops.expand_dims(shape, axis)
    except OpError as err:
        ctx.report("SL313", f"{ctx.short}(): axis {axis} is out of range for {fmt_shape(shape)} — the new axis "
                            f"must be in [{-len(shape) - 1}, {len(shape)}] ({_raiser(ctx.lib, 'axis')})",
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
        out = ops.squeeze(shape, axis)
    except OpError as err:
        ctx.report("SL313", f"{ctx.short}(): {err.message} ({_raiser(ctx.lib, err.kind)})", related=_related(x))
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
    return _run(ctx, lambda: _derived(ctx, x, ops.transpose(shape, axes), None), _tensors([x]))


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
        fn_ = {"concatenate": lambda: ops.concatenate(shapes, axis), "stack": lambda: ops.stack(shapes, axis),
               "vstack": lambda: ops.vstack(shapes), "hstack": lambda: ops.hstack(shapes),
               "dstack": lambda: ops.dstack(shapes), "column_stack": lambda: ops.column_stack(shapes)}[kind]
        try:
            out = fn_()
        except OpError as err:
            if err.kind == "argument":
                return Unknown(err.message)
            related = []
            for t in seq[:4]:
                related.extend(_related(t))
            shown = ", ".join(fmt_shape(s) for s in shapes[:4]) + (", ..." if len(shapes) > 4 else "")
            ctx.report("SL314", f"{ctx.short}() of {shown}: {err.message} ({_raiser(ctx.lib, err.kind)})",
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
                ctx.report("SL314", f"tf.split(): sizes {tuple(sections)} add up to {sum(sections)}, but axis {axis} "
                                    f"of {fmt_shape(shape)} has {n} entries (TensorFlow raises InvalidArgumentError)",
                           related=_related(x))
                return Unknown("tf.split raises here")
            sections = bounds
        try:
            parts = ops.split(shape, sections, axis, equal)
        except OpError as err:
            if err.kind == "argument":
                return Unknown(err.message)
            ctx.report("SL314", f"{ctx.short}(): {err.message} ({_raiser(ctx.lib, err.kind)})", related=_related(x))
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
        f = (lambda: ops.argreduce(shape, axis, keepdims)) if arg else (lambda: ops.reduce(shape, axis, keepdims))
        try:
            out = f()
        except OpError as err:
            if err.kind == "argument":
                return Unknown(err.message)
            ctx.report("SL313", f"{ctx.short}(): {err.message} ({_raiser(ctx.lib, err.kind)})", related=_related(x))
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
    try:
        if name in ("prod", "product"):
            out = 1
            for v in x:
                out *= v
                if isinstance(out, int) and out.bit_length() > 256:
                    return None
            return out
        if name == "sum":
            return sum(x)
        if name in ("max", "amax") and x:
            return max(x)
        if name in ("min", "amin") and x:
            return min(x)
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
            out = ops.tf_matmul(sa, sb, bool(kwargs.get("transpose_a") or kwargs.get("adjoint_a")),
                                bool(kwargs.get("transpose_b") or kwargs.get("adjoint_b")))
        elif kind == "dot":
            out = ops.dot(sa, sb)
        elif kind == "outer":
            out = (ops.size(sa), ops.size(sb))
        else:
            out = ops.matmul(sa, sb)
    except OpError as err:
        if err.kind == "argument":
            return Unknown(err.message)
        parts = [f"{fmt_shape(s)} from {t.origin}" if isinstance(t, Tensor) and t.origin else fmt_shape(s)
                 for t, s in ((a, sa), (b, sb))]
        raiser = {"numpy": "numpy raises ValueError", "tf": "TensorFlow raises InvalidArgumentError "
                  "(\"Matrix size-incompatible\")", "keras": "Keras raises ValueError"}.get(ctx.lib)
        ctx.report("SL315", f"{ctx.short if ctx.short != '@' else 'a @ b'}: {parts[0]} times {parts[1]}: "
                            f"{err.message.split(': ', 1)[-1]}; {raiser}",
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
    return _derived(ctx, x, ops.flatten(shape), None)


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
        n = ops.size(shape)
        return n if known(n) else Unknown("the size is not known")

    return fn


# ============================================================================ TensorFlow specifics


def _tf_image_resize(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "images", "image")
    size = _arg(args, kwargs, 1, "size")
    shape = _shape_of(x)
    if shape is None or not (isinstance(size, (list, tuple)) and len(size) == 2):
        return Unknown("image.resize() not followed")
    if len(shape) not in (3, 4):
        ctx.report("SL301", f"{ctx.short}(): images must be 3-D (height, width, channels) or 4-D (batch, height, "
                            f"width, channels), got {fmt_shape(shape)}"
                            + (f" from {x.origin}" if isinstance(x, Tensor) and x.origin else "")
                            + " (TensorFlow raises ValueError)", related=_related(x))
        return Unknown("resize raises here")
    size = tuple(s if _is_int(s) else UNK for s in size)
    out = (*size, shape[-1]) if len(shape) == 3 else (shape[0], *size, shape[-1])
    return _derived(ctx, x, out, None, dtype="float")


def _tf_gray(channels: int) -> Callable:
    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "images", "image")
        shape = _shape_of(x)
        if not shape:
            return Unknown("not followed")
        return _derived(ctx, x, (*shape[:-1], channels), None)

    return fn


def _conv_window(n: Any, k: int, s: int, padding: str, d: int = 1) -> Any:
    if not known(n):
        return n if n is None else UNK
    if padding == "valid":
        return (n - (k - 1) * d - 1) // s + 1
    return -(-n // s)


def _tf_strides(value: Any, nd: int) -> tuple | None:
    if _is_int(value):
        return (value,) * nd
    if isinstance(value, (list, tuple)) and all(_is_int(v) for v in value):
        if len(value) == 1:
            return tuple(value) * nd
        if len(value) == nd:
            return tuple(value)
        if len(value) == nd + 2:
            return tuple(value[1:-1])
    return None


def _tf_conv(nd: int | None) -> Callable:
    """tf.nn.conv1d/conv2d/conv3d/convolution(input, filters, stride(s), padding)."""

    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "input", "value")
        w = _arg(args, kwargs, 1, "filters", kwargs.get("filter"))
        xs, ws = _shape_of(x), _shape_of(w)
        if xs is None or ws is None:
            return Unknown("convolution of values not known")
        n = nd if nd is not None else len(ws) - 2
        fmt = kwargs.get("data_format")
        if fmt is not None and (not isinstance(fmt, str) or fmt.upper().startswith("NC")):
            return Unknown("channels-first convolution not followed")
        strides_arg = _arg(args, kwargs, 2, "strides", kwargs.get("stride", 1))
        pad_arg = _arg(args, kwargs, 3, "padding", "VALID" if nd is None else None)
        dil = _tf_strides(kwargs.get("dilations", kwargs.get("dilation_rate", 1)), n)
        strides = _tf_strides(strides_arg, n)
        if strides is None or dil is None or not isinstance(pad_arg, str) or n not in (1, 2, 3):
            return Unknown("convolution arguments not known statically")
        padding = pad_arg.lower()
        name = ctx.short
        if len(xs) != n + 2:
            ctx.report("SL317", f"{name}(): the input must be {n + 2}-D (batch, {'spatial, ' * n}channels), got "
                                f"{fmt_shape(xs)}" + (f" from {x.origin}" if isinstance(x, Tensor) else "")
                       + (". Add a batch axis (x[None, ...]); TensorFlow aborts the process on a "
                          "missing batch axis" if len(xs) == n + 1 else "; TensorFlow raises"),
                       related=_related(x))
            return Unknown("conv raises here")
        if len(ws) != n + 2:
            ctx.report("SL317", f"{name}(): the filters must be {n + 2}-D ({'size, ' * n}in_channels, "
                                f"out_channels), got {fmt_shape(ws)}; TensorFlow raises", related=_related(w))
            return Unknown("conv raises here")
        cin, fin, fout = xs[-1], ws[-2], ws[-1]
        if known(cin) and known(fin) and fin > 0:
            if cin % fin:
                ctx.report("SL317", f"{name}(): the input has {cin} channels but the filters {fmt_shape(ws)} expect "
                                    f"{fin} input channels (TensorFlow raises InvalidArgumentError: input depth must "
                                    f"be evenly divisible by filter depth). Make filters[..., in, out] match the "
                                    f"input: in = {cin}", related=_related(x) + _related(w))
                return Unknown("conv raises here")
            groups = cin // fin
            if groups > 1 and known(fout):
                if fout % groups:
                    ctx.report("SL317", f"{name}(): the input has {cin} channels but the filters {fmt_shape(ws)} "
                                        f"take {fin}, so TensorFlow runs a grouped convolution with {groups} groups, "
                                        f"and {fout} output channels do not split into {groups} groups "
                                        f"(InvalidArgumentError: output depth must be evenly divisible by number of "
                                        f"groups). The real cause: the filters' input-channel axis should be {cin}",
                               related=_related(x) + _related(w))
                    return Unknown("conv raises here")
                ctx.report("SL318", f"{name}(): the input has {cin} channels but the filters {fmt_shape(ws)} take "
                                    f"{fin}; TensorFlow silently runs a grouped convolution ({groups} groups of "
                                    f"{fin} channels). If that is not intended, make the filters "
                                    f"{fmt_shape((*ws[:-2], cin, fout))}",
                           related=_related(w), severity="warning")
        spatial = []
        for i in range(n):
            out = _conv_window(xs[1 + i], ws[i], strides[i], padding, dil[i]) if known(ws[i]) else UNK
            if known(out) and out <= 0 and padding == "valid":
                # the CPU kernel returns a malformed result rather than raising: keep it unknown
                return Unknown("a convolution window larger than its input")
            spatial.append(out)
        return ctx.arr((xs[0], *spatial, fout), dtype="float")

    return fn


def _tf_pool(nd: int | None, kind: str) -> Callable:
    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "input", "value")
        xs = _shape_of(x)
        if xs is None:
            return Unknown("pooling of a value not known")
        n = nd if nd is not None else len(xs) - 2
        if n not in (1, 2, 3) or len(xs) != n + 2:
            return Unknown("pooling of an input of another rank")
        ksize = _tf_strides(_arg(args, kwargs, 1, "ksize", kwargs.get("window_shape")), n)
        strides = _tf_strides(_arg(args, kwargs, 2, "strides"), n)
        padding = _arg(args, kwargs, 3, "padding")
        fmt = kwargs.get("data_format")
        if ksize is None or strides is None or not isinstance(padding, str) or (
                fmt is not None and (not isinstance(fmt, str) or fmt.upper().startswith("NC"))):
            return Unknown("pooling arguments not known statically")
        out = []
        for i in range(n):
            o = _conv_window(xs[1 + i], ksize[i], strides[i], padding.lower())
            if known(o) and o <= 0:
                if kind == "max":
                    ctx.report("SL317", f"{ctx.short}(): a {'×'.join(map(str, ksize))} window does not fit "
                                        f"{fmt_shape(xs)} with padding='VALID' (TensorFlow raises AbortedError)",
                               related=_related(x))
                    return Unknown("pooling raises here")
                o = 0
            out.append(o)
        return ctx.arr((xs[0], *out, xs[-1]), dtype="float")

    return fn


def _tf_concat(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    if "axis" not in kwargs and len(args) < 2:
        return Unknown("tf.concat needs an axis")
    return _join("concatenate")(ctx, args, kwargs)


def _tf_argmax(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    return _reduction(default_axis=0, arg=True)(ctx, args, kwargs)


def _tf_tile(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    x = _x(args, kwargs, "input")
    reps = _arg(args, kwargs, 1, "multiples")
    shape = _shape_of(x)
    reps = _shape_arg(reps)
    if shape is None or reps is None:
        return Unknown("tile() not followed")
    if len(reps) != len(shape) and ctx.lib == "tf":
        return Unknown("tf.tile with a multiples length that differs from the rank")
    return _run(ctx, lambda: _derived(ctx, x, ops.tile(shape, reps), None), _tensors([x]))


def _from_tensor_slices(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    data = _arg(args, kwargs, 0, "tensors")
    leaves: list = []

    def element(v: Any, depth: int = 0) -> Any:
        if isinstance(v, Tensor) and not v.symbolic:
            if v.shape is None or not v.shape:
                raise _NotFollowed()
            leaves.append(v)
            return tuple(v.shape[1:])
        if isinstance(v, tuple) and depth < 3:
            return tuple(element(x, depth + 1) for x in v)
        if isinstance(v, dict) and depth < 3:
            return {k: element(x, depth + 1) for k, x in v.items()}
        raise _NotFollowed()

    try:
        el = element(data)
    except _NotFollowed:
        return Unknown("a tf.data.Dataset over values shapelens does not follow")
    counts = {t.shape[0] for t in leaves if known(t.shape[0])}
    if len(counts) > 1:
        a, b = sorted(counts)[:2]
        ctx.report("SL306", "tf.data.Dataset.from_tensor_slices(): the arrays have different numbers of samples ("
                            + ", ".join(f"{fmt_shape(t.shape)} from {t.origin}" for t in leaves[:3])
                            + f"); TensorFlow raises ValueError (\"Dimensions {b} and {a} are not compatible\")",
                   related=[r for t in leaves[:3] for r in _related(t)])
        return Unknown("from_tensor_slices raises here")
    n = counts.pop() if counts else UNK
    return _dataset(ctx, el, False, n, f"tf.data.Dataset.from_tensor_slices(...) (line {ctx.line})")


def _dataset(ctx: _Ctx, element: Any, batched: bool, n: Any, origin: str) -> Dataset:
    return Dataset(None, origin, ctx.span, symbolic=False, element=element, batched=batched, cardinality=n)


def _map_element(el: Any, fn: Callable[[tuple], tuple]) -> Any:
    if isinstance(el, tuple) and (not el or not isinstance(el[0], (tuple, dict))) and all(
            not isinstance(d, (tuple, dict)) for d in el):
        return fn(el)
    if isinstance(el, tuple):
        return tuple(_map_element(e, fn) for e in el)
    if isinstance(el, dict):
        return {k: _map_element(v, fn) for k, v in el.items()}
    return el


def _dataset_method(ev, ds: Dataset, name: str, args: list, kwargs: dict, node) -> Any:
    ctx = _Ctx(ev, node, f"Dataset.{name}", "tf")
    if name == "batch":
        size = _arg(args, kwargs, 0, "batch_size")
        drop = _bool(_arg(args, kwargs, 1, "drop_remainder"), False)
        if not _is_int(size) or drop is None:
            return Unknown("batch() of a size not known statically")
        if ds.batched:
            el = _map_element(ds.element, lambda s: (size if drop else None, *s))
        else:
            el = _map_element(ds.element, lambda s: (size if drop else None, *s))
        out = _dataset(ctx, el, True, ds.cardinality, f"{ds.origin.rsplit(' (line', 1)[0]}.batch({size}) "
                                                      f"(line {ctx.line})")
        out.batch_size = size  # type: ignore[attr-defined]
        return out
    if name in ("shuffle", "prefetch", "cache", "repeat", "take", "skip", "with_options", "apply_options"):
        out = Dataset(None, ds.origin, ds.span, symbolic=False, element=ds.element, batched=ds.batched,
                      cardinality=ds.cardinality if name in ("shuffle", "prefetch", "cache", "with_options") else UNK)
        if hasattr(ds, "batch_size"):
            out.batch_size = ds.batch_size  # type: ignore[attr-defined]
        return out
    if name == "unbatch" and ds.batched:
        return _dataset(ctx, _map_element(ds.element, lambda s: s[1:]), False, UNK, ds.origin)
    return Unknown(f"Dataset.{name}() is not followed")


# ============================================================================ keras.utils, datasets, sklearn


def _load_dataset(ctx: _Ctx, name: str, args: list, kwargs: dict) -> Any:
    split = datasets.load_data(name, args, kwargs)
    if split is None:
        return Unknown(f"{name}.load_data() with arguments shapelens does not follow")
    what = f"{name}.load_data()"

    def part(p: datasets.Part, label: str) -> Array:
        shape = tuple(UNK if d is None else d for d in p.shape)
        dtype = "object" if p.sequences else _dtype_of(p.dtype)
        return Array(shape, f"{what} (line {ctx.line})", ctx.span, symbolic=False, dtype=dtype,
                     classes=p.classes, lib="numpy", sequences=p.sequences, upper=p.vocab)

    (xa, ya), (xb, yb) = split
    return (part(xa, "x_train"), part(ya, "y_train")), (part(xb, "x_test"), part(yb, "y_test"))


def _to_categorical(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    y = _x(args, kwargs, "x", "y")
    k = _arg(args, kwargs, 1, "num_classes")
    if isinstance(y, (list, tuple)):
        y = _as_array(ctx, y)
    if not isinstance(y, Array) or y.shape is None:
        return Unknown("to_categorical() of labels not known")
    shape = tuple(y.shape)
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    if k is None:
        if y.classes is not None:
            k = y.classes
        elif y.value is not None:
            flat = _flat_values(y.value)
            k = int(max(flat)) + 1 if flat else UNK
        elif _surely_reaches(y):
            k = y.upper  # random labels below `upper`: with this many, the largest is all but certain
        else:
            k = UNK
    elif not _is_int(k):
        k = UNK
    elif y.classes is not None and y.classes > k:
        ctx.report("SL309", f"to_categorical(num_classes={k}): the labels {fmt_shape(y.shape)} from {y.origin} take "
                            f"{y.classes} values (0..{y.classes - 1}); Keras raises IndexError for a label ≥ "
                            f"num_classes. Use num_classes={y.classes}", related=_related(y))
        return Unknown("to_categorical raises here")
    return Array((*shape, k), f"to_categorical(...) (line {ctx.line})", ctx.span, symbolic=False, dtype="float",
                 lib="numpy")


def _surely_reaches(y: Array) -> bool:
    """Random integer labels below ``upper`` (randint): the chance that upper - 1 never occurs
    among n of them is at most (1 - 1/upper)**n; below 1% the width max + 1 is taken as upper."""
    if not (_is_int(y.upper) and y.upper > 0 and y.shape and all(known(d) for d in y.shape)):
        return False
    n = ops.size(tuple(y.shape))
    return n > 0 and (1 - 1 / y.upper) ** n <= 0.01


def _pad_sequences(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    seqs = _x(args, kwargs, "sequences")
    maxlen = _arg(args, kwargs, 1, "maxlen")
    if maxlen is not None and not _is_int(maxlen):
        return Unknown("pad_sequences() with a maxlen not known")
    n: Any = UNK
    longest: Any = UNK
    if isinstance(seqs, Array) and seqs.shape:
        n = seqs.shape[0]
        if len(seqs.shape) >= 2 and not seqs.sequences:
            longest = seqs.shape[1]
    elif isinstance(seqs, (list, tuple)):
        n = len(seqs)
        lengths = []
        for s in seqs:
            sh = _shape_of(s)
            lengths.append(sh[0] if sh else None)
        if lengths and all(known(d) for d in lengths):
            longest = max(lengths)
    elif not isinstance(seqs, Tensor):
        return Unknown("pad_sequences() of values not known")
    width = maxlen if maxlen is not None else longest
    return Array((n, width), f"pad_sequences(...) (line {ctx.line})", ctx.span, symbolic=False, dtype="int")


def _load_img(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    size = kwargs.get("target_size")
    mode = kwargs.get("color_mode", "rgb")
    channels = {"rgb": 3, "grayscale": 1, "rgba": 4}.get(mode) if isinstance(mode, str) else None
    if channels is None:
        return Unknown("load_img() with a color mode not known")
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(_is_int(s) for s in size):
        hw = tuple(size)
    else:
        hw = (UNK, UNK)
    return Array((*hw, channels), f"load_img(...) (line {ctx.line})", ctx.span, symbolic=False, dtype="int",
                 lib="image")


def _img_to_array(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    img = _x(args, kwargs, "img")
    if not isinstance(img, Array) or img.shape is None:
        return Unknown("img_to_array() of an image not known")
    shape = tuple(img.shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3:
        return Unknown("img_to_array() of an image of another rank")
    return Array(shape, img.origin, img.span, symbolic=False, dtype="float", lib="numpy")


def _train_test_split(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    arrays = list(args)
    if not arrays:
        return Unknown("train_test_split() of nothing")
    shapes = [_shape_of(a) for a in arrays]
    if any(s is None or not s for s in shapes):
        return Unknown("train_test_split() of values not known")
    counts = {s[0] for s in shapes if known(s[0])}
    if len(counts) > 1:
        ctx.report("SL306", "train_test_split(): the arrays have different numbers of samples: "
                            + ", ".join(f"{fmt_shape(s)}" + (f" from {a.origin}" if isinstance(a, Tensor) else "")
                                        for a, s in zip(arrays[:3], shapes[:3]))
                            + " (scikit-learn raises ValueError: Found input variables with inconsistent numbers "
                              "of samples)", related=[r for a in arrays[:3] for r in _related(a)])
        return Unknown("train_test_split raises here")
    n = next(iter(counts)) if counts else UNK
    test, train = kwargs.get("test_size"), kwargs.get("train_size")
    n_test: Any = UNK
    n_train: Any = UNK
    if known(n):
        def count(v: Any, rounding) -> Any:
            if isinstance(v, float) and 0 < v < 1:
                return rounding(v * n)
            if _is_int(v):
                return v
            return None

        t = count(test, math.ceil) if test is not None else None
        r = count(train, math.floor) if train is not None else None
        if test is None and train is None:
            t = math.ceil(0.25 * n)
        if t is not None and r is None:
            n_test, n_train = t, n - t
        elif r is not None and t is None:
            n_train, n_test = r, n - r
        elif r is not None and t is not None:
            n_train, n_test = r, t
    out = []
    for a, s in zip(arrays, shapes):
        for rows, part in ((n_train, "train"), (n_test, "test")):
            out.append(Array((rows, *s[1:]), f"the {part} split of train_test_split(...) (line {ctx.line})", ctx.span,
                             symbolic=False, dtype=a.dtype if isinstance(a, Array) else None,
                             classes=None, upper=a.upper if isinstance(a, Array) else None))
    return out


# ============================================================================ function tables


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


def _tf_reshape(ctx, args, kwargs):
    x = _x(args, kwargs, "tensor")
    return _reshape(ctx, x, _arg(args, kwargs, 1, "shape"), f"{ctx.short}()")


_TF_FUNCS: dict[str, Callable] = {
    "zeros": _ctor("zeros"), "ones": _ctor("ones"), "fill": _tf_fill, "constant": _tf_constant,
    "convert_to_tensor": _array, "identity": _identity, "zeros_like": _like, "ones_like": _like,
    "cast": _cast(1), "dtypes.cast": _cast(1), "stop_gradient": _identity,
    "random.normal": _tf_random, "random.uniform": _tf_random, "random.truncated_normal": _tf_random,
    "random.shuffle": _identity, "random.stateless_normal": _tf_random, "random.stateless_uniform": _tf_random,
    "reshape": _tf_reshape, "expand_dims": _expand_dims, "squeeze": _squeeze, "transpose": _transpose,
    "concat": _tf_concat, "stack": _join("stack"), "split": _split_fn(True), "tile": _tf_tile,
    "reduce_sum": _reduction(), "reduce_mean": _reduction(), "reduce_max": _reduction(), "reduce_min": _reduction(),
    "reduce_prod": _reduction(), "reduce_std": _reduction(), "reduce_variance": _reduction(),
    "reduce_any": _reduction(), "reduce_all": _reduction(), "reduce_logsumexp": _reduction(),
    "argmax": _tf_argmax, "argmin": _tf_argmax,
    "matmul": _matmul_fn("tf"), "linalg.matmul": _matmul_fn("tf"),
    "one_hot": _one_hot,
    "image.resize": _tf_image_resize, "image.rgb_to_grayscale": _tf_gray(1),
    "image.grayscale_to_rgb": _tf_gray(3), "image.convert_image_dtype": _identity,
    "image.per_image_standardization": _identity, "image.flip_left_right": _identity,
    "image.random_flip_left_right": _identity,
    "nn.conv1d": _tf_conv(1), "nn.conv2d": _tf_conv(2), "nn.conv3d": _tf_conv(3), "nn.convolution": _tf_conv(None),
    "nn.max_pool1d": _tf_pool(1, "max"), "nn.max_pool2d": _tf_pool(2, "max"), "nn.max_pool3d": _tf_pool(3, "max"),
    "nn.max_pool": _tf_pool(None, "max"), "nn.avg_pool1d": _tf_pool(1, "avg"), "nn.avg_pool2d": _tf_pool(2, "avg"),
    "nn.avg_pool3d": _tf_pool(3, "avg"), "nn.avg_pool": _tf_pool(None, "avg"),
    "data.Dataset.from_tensor_slices": _from_tensor_slices,
    "shape": _shape_query("shape"), "rank": _shape_query("ndim"), "size": _shape_query("size"),
}
for _n in ("abs", "exp", "log", "sqrt", "square", "sin", "cos", "tanh", "sigmoid", "floor", "ceil", "round",
           "sign", "negative", "nn.relu", "nn.relu6", "nn.sigmoid", "nn.tanh", "nn.softmax", "nn.log_softmax",
           "nn.elu", "nn.selu", "nn.gelu", "nn.leaky_relu", "nn.silu", "nn.swish", "nn.softplus",
           "clip_by_value", "math.l2_normalize", "nn.l2_normalize", "nn.dropout", "ensure_shape", "sort",
           "argsort", "reverse", "roll", "cumsum", "math.cumsum", "is_nan", "math.is_nan", "nn.bias_add",
           "math.log1p", "reciprocal", "rsqrt", "math.rsqrt", "nn.batch_normalization"):
    _TF_FUNCS.setdefault(_n, _identity)
for _n in ("add", "subtract", "multiply", "divide", "truediv", "floordiv", "pow", "maximum", "minimum", "mod",
           "equal", "not_equal", "less", "greater", "less_equal", "greater_equal", "logical_and", "logical_or",
           "squared_difference", "math.squared_difference", "add_n_pair", "realdiv", "math.divide_no_nan"):
    _TF_FUNCS[_n] = _binary
_TF_FUNCS["add_n"] = lambda c, a, k: _reduce_first(c, a, k)


def _reduce_first(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    seq = _arg(args, kwargs, 0, "inputs")
    if not isinstance(seq, (list, tuple)) or not seq:
        return Unknown("add_n()")
    shapes = [_shape_of(s) for s in seq]
    if any(s is None for s in shapes):
        return Unknown("add_n()")
    return _run(ctx, lambda: ctx.arr(ops.broadcast(*shapes)), _tensors(seq))


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

_LOSS_NAMES = {
    "mse": "mse", "mean_squared_error": "mse", "MeanSquaredError": "mse", "MSE": "mse",
    "mae": "mae", "mean_absolute_error": "mae", "MeanAbsoluteError": "mae", "MAE": "mae",
    "mape": "mse", "mean_absolute_percentage_error": "mse", "MeanAbsolutePercentageError": "mse",
    "msle": "mse", "mean_squared_logarithmic_error": "mse", "MeanSquaredLogarithmicError": "mse",
    "huber": "mse", "Huber": "mse", "log_cosh": "mse", "logcosh": "mse", "LogCosh": "mse",
    "categorical_crossentropy": "cce", "CategoricalCrossentropy": "cce",
    "sparse_categorical_crossentropy": "scce", "SparseCategoricalCrossentropy": "scce",
    "binary_crossentropy": "bce", "BinaryCrossentropy": "bce",
}
_LOSS_DISPLAY = {"mse": "mean squared error", "mae": "mean absolute error", "cce": "categorical_crossentropy",
                 "scce": "sparse_categorical_crossentropy", "bce": "binary_crossentropy"}


# ============================================================================ tensor attributes and methods


def tensor_attr(ev, t: Tensor, attr: str) -> Any:
    if isinstance(t, Dataset):
        return BoundMethod(t, attr)
    if attr == "shape":
        return tuple(t.shape) if t.shape is not None else Unknown("the tensor's shape is not known")
    if attr == "ndim":
        return len(t.shape) if t.shape is not None else Unknown("the tensor's rank is not known")
    if attr == "size" and not t.symbolic and isinstance(t, Array):
        n = ops.size(t.shape) if t.shape is not None else None
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


def tensor_method(ev, t: Tensor, name: str, args: list, kwargs: dict, node) -> Any:
    try:
        return _tensor_method(ev, t, name, args, kwargs, node)
    except (RecursionError, MemoryError):
        return Unknown(f"`.{name}()` is not followed")
    except Exception as exc:  # noqa: BLE001
        return Unknown(f"internal: {type(exc).__name__} in .{name}()")


_METHOD_REDUCTIONS = {"sum", "mean", "max", "min", "std", "var", "prod", "any", "all"}


def _tensor_method(ev, t: Tensor, name: str, args: list, kwargs: dict, node) -> Any:
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
        return _derived(ctx, t, ops.flatten(t.shape), None)
    if name == "squeeze":
        return _squeeze(ctx, [t, *args], kwargs)
    if name == "transpose":
        axes = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else (tuple(args) if args else None)
        return _transpose(ctx, [t, axes], {})
    if name == "swapaxes":
        return _NUMPY_FUNCS["swapaxes"](ctx, [t, *args], kwargs)
    if name in _METHOD_REDUCTIONS:
        return _reduction()(ctx, [t, *args], kwargs)
    if name in ("argmax", "argmin"):
        return _reduction(arg=True)(ctx, [t, *args], kwargs)
    if name == "repeat":
        return _NUMPY_FUNCS["repeat"](ctx, [t, *args], kwargs)
    if name in ("clip", "round", "sort", "argsort", "cumsum", "fill"):
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


# ============================================================================ indexing


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


def index_tensor(ev, t: Tensor, key: Any, node) -> Any:
    try:
        return _index_tensor(ev, t, key, node)
    except (RecursionError, MemoryError):
        return Unknown("indexing is not followed")
    except Exception as exc:  # noqa: BLE001
        return Unknown(f"internal: {type(exc).__name__} in indexing")


def _index_tensor(ev, t: Tensor, key: Any, node) -> Any:
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
        return _symbolic_op(ev, node, "ops.getitem", [t], lambda shapes: ops.index(shapes[0], ckey))
    if lib == "tf" and any(isinstance(c, ArrayIndex) for c in conv):
        return Unknown("tf.Tensor indexing with arrays is not followed")
    for v in items:
        if isinstance(v, Array) and v.dtype == "float" and lib in ("numpy", "image"):
            ev.report("SL316", f"{text}: the index {fmt_shape(v.shape)} from {v.origin} holds floats; numpy raises "
                               f"IndexError (\"arrays used as indices must be of integer (or boolean) type\"). "
                               f"Convert it first: .astype(int)", ev.span(node),
                      related=_related(v), raise_span=ev.trigger or ev.span(node))
            return Unknown("indexing raises here")
    try:
        shape = ops.index(tuple(t.shape), ckey)
    except OpError as err:
        if err.kind == "argument":
            return Unknown(err.message)
        raiser = "numpy raises IndexError" if lib != "tf" else "TensorFlow raises"
        ev.report("SL316", f"{text}: {t.origin and ('the array from ' + t.origin + ' is ' + fmt_shape(t.shape) + '; ') or ''}"
                           f"{err.message} ({raiser})", ev.span(node), related=_related(t),
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


# ============================================================================ arithmetic


_OP_NAMES = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide",
             ast.FloorDiv: "floor_divide", ast.Mod: "mod", ast.Pow: "power", ast.MatMult: "matmul",
             ast.BitAnd: "logical_and", ast.BitOr: "logical_or", ast.BitXor: "logical_xor"}
_OP_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
               ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}


def tensor_binop(ev, op: type, left: Any, right: Any, node: ast.AST) -> Any:
    try:
        return _tensor_binop(ev, op, left, right, node)
    except (RecursionError, MemoryError):
        return Unknown("arithmetic is not followed")
    except Exception as exc:  # noqa: BLE001
        return Unknown(f"internal: {type(exc).__name__} in arithmetic")


def _operand_shape(v: Any) -> tuple | None:
    if isinstance(v, Tensor):
        return tuple(v.shape) if v.shape is not None else None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return ()
    if isinstance(v, ModuleRef) and v.leaf in ("pi", "e", "inf", "nan"):
        return ()
    return None


def _tensor_binop(ev, op: type, left: Any, right: Any, node: ast.AST) -> Any:
    if isinstance(left, Dataset) or isinstance(right, Dataset):
        return Unknown("arithmetic on a dataset")
    symbolic = any(isinstance(v, Tensor) and v.symbolic for v in (left, right))
    sl, sr = _operand_shape(left), _operand_shape(right)
    name = _OP_NAMES.get(op)
    if symbolic:
        if sl is None or sr is None or name is None:
            return Tensor(None, "an operation on a tensor of unknown shape", ev.span(node))
        template = [left, right]
        if op is ast.MatMult:
            return _symbolic_op(ev, node, "ops.matmul", template, lambda shapes: ops.matmul(*_with_scalars(
                template, shapes)))
        return _symbolic_op(ev, node, f"ops.{name}", template,
                            lambda shapes: ops.broadcast(*_with_scalars(template, shapes)))
    if sl is None or sr is None or name is None:
        if any(isinstance(v, Tensor) and v.shape is None for v in (left, right)):
            return Tensor(None, "an operation on a tensor of unknown shape", ev.span(node), symbolic=False)
        return Unknown("arithmetic between a tensor and a value not known statically")
    lib = next((getattr(v, "lib", "numpy") for v in (left, right) if isinstance(v, Tensor)), "numpy")
    lib = "numpy" if lib == "image" else lib
    text = _src(ev, node, 60) or f"a {_OP_SYMBOLS.get(op, '?')} b"
    ctx = _Ctx(ev, node, "@" if op is ast.MatMult else text, lib)
    if op is ast.MatMult:
        return _matmul(ctx, left, right, "tf" if lib == "tf" else "matmul")
    try:
        shape = ops.broadcast(sl, sr)
    except OpError as err:
        parts = [f"{fmt_shape(s)} from {v.origin}" if isinstance(v, Tensor) and v.origin else fmt_shape(s)
                 for v, s in ((left, sl), (right, sr))]
        raiser = {"numpy": "numpy raises ValueError (\"operands could not be broadcast together\")",
                  "tf": "TensorFlow raises InvalidArgumentError (\"Incompatible shapes\")"}.get(
            lib, "Keras raises ValueError")
        ctx.report("SL312", f"{text}: {parts[0]} and {parts[1]} cannot be broadcast together "
                            f"({err.message.split(': ', 1)[-1]}); {raiser}",
                   related=_related(left) + _related(right))
        return Unknown("a failed broadcast")
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


# ============================================================================ models and data


@dataclass
class _Feed:
    """One array given to a model input (or as targets), with how to name it."""

    tensor: Tensor
    shape: tuple  # the shape of one batch the model sees (batch axis None for fit/predict)
    name: str  # "x_train", "the input", ...
    node: ast.AST | None
    samples: Any  # number of samples, or UNK
    actual: tuple | None = None  # the batch shape before a retrace relaxed it
    dataset: bool = False

    def __post_init__(self) -> None:
        if self.actual is None:
            self.actual = tuple(self.shape)


_ARG_POS = {
    "fit": {"x": 0, "y": 1, "batch_size": 2},
    "evaluate": {"x": 0, "y": 1, "batch_size": 2},
    "predict": {"x": 0, "batch_size": 1},
    "train_on_batch": {"x": 0, "y": 1},
    "test_on_batch": {"x": 0, "y": 1},
    "predict_on_batch": {"x": 0},
}
_FUNCTION = {"fit": "train", "evaluate": "test", "predict": "predict"}


def _call_arg(args: list, kwargs: dict, call_node: ast.AST | None, name: str, pos: int | None) -> tuple[Any, Any]:
    node = None
    if isinstance(call_node, ast.Call):
        for kw in call_node.keywords:
            if kw.arg == name:
                node = kw.value
        if node is None and pos is not None and pos < len(call_node.args) and not any(
                isinstance(a, ast.Starred) for a in call_node.args[:pos + 1]):
            node = call_node.args[pos]
    if name in kwargs:
        return kwargs[name], node
    if pos is not None and pos < len(args):
        return args[pos], node
    return None, node


def _var_name(ev, node: ast.AST | None, fallback: str) -> str:
    """How to call an argument in a message: its source when it is a name (x_train, data.x,
    x[:100]), else ``fallback``."""
    base = node
    while isinstance(base, (ast.Subscript, ast.Attribute)):
        base = base.value
    if not isinstance(base, ast.Name):
        return fallback
    text = _src(ev, node, 40)
    return text if text else fallback


def model_data_call(ev, model: Any, name: str, args: list, kwargs: dict, node) -> Any:
    """fit / predict / evaluate / train_on_batch / test_on_batch / predict_on_batch."""
    try:
        return _model_data_call(ev, model, name, args, kwargs, node)
    except (RecursionError, MemoryError):
        return Unknown(f"the result of {name}() is not followed")
    except Exception as exc:  # noqa: BLE001
        return Unknown(f"internal: {type(exc).__name__} in {name}()")


def _model_data_call(ev, model: Any, name: str, args: list, kwargs: dict, node) -> Any:
    pos = _ARG_POS.get(name, {"x": 0})
    x, x_node = _call_arg(args, kwargs, node, "x", pos.get("x"))
    y, y_node = _call_arg(args, kwargs, node, "y", pos.get("y")) if "y" in pos else (None, None)
    batch_size, _ = _call_arg(args, kwargs, node, "batch_size", pos.get("batch_size"))
    on_batch = name.endswith("_on_batch")
    ctx = _Ctx(ev, node, f"{_model_name(model)}.{name}", "keras")

    # -- the data, as batches the model sees
    if isinstance(x, Dataset):
        if y is not None:
            return Unknown(f"the result of {name}() is not followed")
        feeds_x, feeds_y = _dataset_feeds(ev, x, x_node, name)
        bs = getattr(x, "batch_size", None)
    else:
        if isinstance(x, dict) and isinstance(model, FunctionalModel):
            x, x_node = _by_input_names(ev, model, x, x_node)
        feeds_x = _feeds(ev, x, x_node, "the input array", batch_axis=not on_batch)
        feeds_y = _feeds(ev, y, y_node, "the target array", batch_axis=not on_batch) if y is not None else None
        bs = batch_size if _is_int(batch_size) else (None if on_batch else 32)
    if isinstance(model, SequentialModel) and model.input_shape is None and feeds_x and len(feeds_x) == 1 \
            and feeds_x[0] is not None:
        ev.keras.seq_build(model, (None, *feeds_x[0].shape[1:]) if not isinstance(x, Dataset) else
                           feeds_x[0].shape, node)
    if feeds_x is None:
        if _FUNCTION.get(name) and not ev.speculative:
            # the function is traced for data shapelens does not know: forget what it knew
            _state(ev).traces.pop((id(model), _FUNCTION[name]), None)
            _state(ev).traces[(id(model), _FUNCTION[name])] = None
        return Unknown(f"the result of {name}() is not followed")

    # -- Keras' data adapter: the same number of samples everywhere
    if not isinstance(x, Dataset):
        if _check_counts(ctx, name, feeds_x, feeds_y or [], "x", "y"):
            return Unknown(f"{name}() raises here")

    # -- the traced function: a new input rank makes TensorFlow relax it to an unknown rank
    fn_kind = _FUNCTION.get(name)
    if fn_kind and isinstance(model, (SequentialModel, FunctionalModel)):
        if _check_retrace(ctx, model, fn_kind, feeds_x, feeds_y):
            return Unknown(f"{name}() raises here")
        _relax(ctx.ev, model, fn_kind, feeds_x, feeds_y)

    outputs = _feed_model(ctx, model, feeds_x, name, on_batch)
    if outputs is _RAISED:
        return Unknown(f"{name}() raises here")

    # -- targets against the outputs, under the compiled loss
    if name in ("fit", "evaluate", "train_on_batch", "test_on_batch") and feeds_y and outputs:
        if _check_targets(ctx, model, feeds_y, outputs, bs, feeds_x, y_node):
            return Unknown(f"{name}() raises here")

    if name == "fit":
        vd, vd_node = _call_arg(args, kwargs, node, "validation_data", None)
        if isinstance(vd, (tuple, list)) and len(vd) in (2, 3) and not any(isinstance(v, Dataset) for v in vd):
            vnodes = vd_node.elts if isinstance(vd_node, (ast.Tuple, ast.List)) else [None, None, None]
            vx = _feeds(ev, vd[0], vnodes[0], "the validation input array", batch_axis=True)
            vy = _feeds(ev, vd[1], vnodes[1], "the validation target array", batch_axis=True)
            if vx is not None:
                if _check_counts(ctx, name, vx, vy or [], "validation x", "validation y"):
                    return Unknown("fit() raises here")
                if isinstance(model, (SequentialModel, FunctionalModel)):
                    if _check_retrace(ctx, model, "test", vx, vy):
                        return Unknown("fit() raises here")
                    _relax(ev, model, "test", vx, vy)
                vouts = _feed_model(ctx, model, vx, name, False, validation=True)
                if vouts is _RAISED:
                    return Unknown("fit() raises here")
                if vy and vouts and _check_targets(ctx, model, vy, vouts, batch_size if _is_int(batch_size) else 32,
                                                   vx, vnodes[1], validation=True):
                    return Unknown("fit() raises here")
                if not ev.speculative and isinstance(model, (SequentialModel, FunctionalModel)):
                    _remember_trace(ev, model, "test", vx, vy, ctx.line)

    if fn_kind and not ev.speculative and isinstance(model, (SequentialModel, FunctionalModel)):
        _remember_trace(ev, model, fn_kind, feeds_x, feeds_y, ctx.line)

    if name in ("predict", "predict_on_batch") and outputs:
        n = feeds_x[0].samples if feeds_x else UNK
        outs = [Array((n, *o.shape[1:]), f"{ctx.short}(...) (line {ctx.line})", ctx.span, symbolic=False,
                      dtype="float", lib="numpy") if isinstance(o, Tensor) and o.shape is not None else
                Unknown("an output of unknown shape") for o in outputs]
        if isinstance(model, FunctionalModel) and model.output_is_list:
            return outs
        return outs[0] if len(outs) == 1 else outs
    return Unknown(f"the result of {name}() is not followed")


_RAISED = object()


def _input_name(ev, t: Tensor) -> str | None:
    """The name= given to keras.Input(...) (read from the call itself)."""
    if t.producer is None:
        return None
    call = _find_call(ev, t.producer.layer.span)
    if call is None:
        return None
    for kw in call.keywords:
        if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            return kw.value.value
    return None


def _by_input_names(ev, model: FunctionalModel, x: dict, node: ast.AST | None) -> tuple[Any, Any]:
    """A dict of arrays keyed by the inputs' names, in the order of the model's inputs."""
    names = [_input_name(ev, t) for t in model.inputs]
    if any(n is None for n in names) or not all(n in x for n in names):
        return None, None
    nodes = {}
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant):
                nodes[k.value] = v
    value = [x[n] for n in names]
    return value, (ast.List(elts=[nodes.get(n) for n in names]) if all(n in nodes for n in names) else None)


def _model_name(model: Any) -> str:
    if isinstance(model, (SequentialModel, FunctionalModel)) and model.name:
        return model.name
    if isinstance(model, Instance):
        return model.attrs.get("__varname__") or "model"
    return "model"


def _feeds(ev, value: Any, node: ast.AST | None, role: str, batch_axis: bool) -> list[_Feed] | None:
    """The arrays of x (or y): one per model input (output), or None when not followed."""
    if value is None:
        return None
    if isinstance(value, Tensor) and not value.symbolic and not isinstance(value, Dataset):
        if value.shape is None or not value.shape or getattr(value, "sequences", False):
            return None
        shape = (None, *value.shape[1:]) if batch_axis else tuple(value.shape)
        return [_Feed(value, shape, _var_name(ev, node, role), node, value.shape[0])]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) and not v.symbolic
                                                          and not isinstance(v, Dataset) for v in value):
        nodes = node.elts if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) == len(value) else \
            [None] * len(value)
        out = []
        for i, (v, n) in enumerate(zip(value, nodes)):
            if v.shape is None or not v.shape or getattr(v, "sequences", False):
                return None
            shape = (None, *v.shape[1:]) if batch_axis else tuple(v.shape)
            out.append(_Feed(v, shape, _var_name(ev, n, f"{role}[{i}]"), n, v.shape[0]))
        return out
    return None


def _dataset_feeds(ev, ds: Dataset, node: ast.AST | None, name: str) -> tuple[list | None, list | None]:
    el = ds.element
    label = _var_name(ev, node, "the dataset")
    if isinstance(el, tuple) and el and isinstance(el[0], tuple) and (len(el) in (2, 3)):
        xe, ye = el[0], el[1]
    elif isinstance(el, tuple) and all(not isinstance(d, (tuple, dict)) for d in el):
        xe, ye = el, None
    else:
        return None, None

    def feed(shape: tuple, what: str) -> _Feed:
        t = Array(shape, ds.origin, ds.span, symbolic=False)
        return _Feed(t, shape, f"{label}'s {what}", node, UNK, dataset=True)

    fx = [feed(xe, "batches" if ds.batched else "elements")]
    fy = [feed(ye, "label batches" if ds.batched else "labels")] if ye is not None else None
    return fx, fy


def _check_counts(ctx: _Ctx, name: str, xs: list[_Feed], ys: list[_Feed], xrole: str, yrole: str) -> bool:
    xc = [(f, f.samples) for f in xs if known(f.samples)]
    yc = [(f, f.samples) for f in ys if known(f.samples)]
    counts = {c for _, c in xc + yc}
    if len(counts) <= 1:
        return False
    desc = "; ".join(f"{f.name} is {fmt_shape(f.tensor.shape)} from {f.tensor.origin}" for f, _ in (xc + yc)[:4])
    xs_sizes = ", ".join(str(c) for _, c in xc)
    ys_sizes = ", ".join(str(c) for _, c in yc)
    what = f"{xrole} and {yrole}" if yc else "the input arrays"
    ctx.report("SL306", f"{ctx.short}(): {what} must have the same number of samples ({desc}). Keras "
                        f"raises ValueError (\"Data cardinality is ambiguous\": '{xrole}' sizes: {xs_sizes}"
                        + (f", '{yrole}' sizes: {ys_sizes}" if ys_sizes else "") + ")",
               related=[r for f, _ in (xc + yc)[:4] for r in _related(f.tensor, f"{f.name}: {fmt_shape(f.tensor.shape)}"
                                                                                 f" from {f.tensor.origin}")])
    return True


def _ranks(feeds: list[_Feed] | None) -> tuple:
    return tuple(len(f.shape) for f in feeds) if feeds else ()


def _kinds(feeds: list[_Feed] | None) -> tuple:
    """The dtypes the traced function sees: Keras casts every float array to float32; integer
    widths are not tracked, so only float inputs count as known."""
    return tuple(getattr(f.tensor, "dtype", None) if getattr(f.tensor, "dtype", None) == "float" else None
                 for f in feeds or [])


def _same_signature(prev_kinds: tuple, xs: list[_Feed], ys: list[_Feed] | None) -> bool:
    """TensorFlow relaxes a traced signature only towards one with the same structure and
    dtypes; otherwise it traces afresh with the exact shapes (no relaxation, no unknown rank)."""
    now = _kinds(xs) + _kinds(ys)
    return len(now) == len(prev_kinds) and all(k is not None for k in now) and now == prev_kinds


def _check_retrace(ctx: _Ctx, model: Any, kind: str, xs: list[_Feed], ys: list[_Feed] | None) -> bool:
    st = _state(ctx.ev)
    prev = st.traces.get((id(model), kind))
    if prev is None:  # never traced, or traced for data shapelens does not know
        return False
    ranks, line, shapes = prev[0], prev[1], prev[2]
    if not _same_signature(prev[4], xs, ys):
        return False
    now = (_ranks(xs), _ranks(ys))
    if now[0] == ranks[0] and (now[1] == ranks[1] or not now[1] or not ranks[1]):
        return False
    method = {"train": "fit", "test": "evaluate", "predict": "predict"}[kind]
    which = "inputs" if now[0] != ranks[0] else "targets"
    old = shapes[0] if which == "inputs" else shapes[1]
    new = [f.tensor.shape for f in (xs if which == "inputs" else ys or [])]
    ctx.report("SL308", f"{ctx.short}(): {method}() already ran on line {line} with {which} of rank "
                        f"{'/'.join(str(len(s)) for s in old)} {', '.join(fmt_shape(s) for s in old)}; Keras traced "
                        f"its {kind} function for that rank. Called again with rank "
                        f"{'/'.join(str(len(s)) for s in new)} {', '.join(fmt_shape(s) for s in new)}, TensorFlow "
                        f"retraces with an input of unknown rank and Keras raises ValueError (\"Cannot take the "
                        f"length of shape with unknown rank\"). Give every call the same rank (reshape the data "
                        f"once, before the first call)")
    return True


def _remember_trace(ev, model: Any, kind: str, xs: list[_Feed], ys: list[_Feed] | None, line: int) -> None:
    st = _state(ev)
    key = (id(model), kind)
    prev = st.traces.get(key)
    if prev is None and key in st.traces:
        return  # traced for unknown data: shapes are not known from here on
    first_line = prev[1] if prev is not None else line
    first_shapes = prev[2] if prev is not None else ([f.tensor.shape for f in xs], [f.tensor.shape for f in ys or []])
    if prev is not None and not _same_signature(prev[4], xs, ys):
        return  # a separate trace: the relaxable one stays the first
    st.traces[key] = ((_ranks(xs), _ranks(ys)), first_line, first_shapes,
                      ([f.shape for f in xs], [f.shape for f in ys or []]), _kinds(xs) + _kinds(ys))


def _relax(ev, model: Any, kind: str, xs: list[_Feed], ys: list[_Feed] | None) -> None:
    """tf.function(reduce_retracing=True): a call whose shapes differ from the traced ones (same
    rank) runs a retraced function with the differing dims relaxed to None."""
    prev = _state(ev).traces.get((id(model), kind))
    if prev is None or not _same_signature(prev[4], xs, ys):
        return
    traced_x, traced_y = prev[3]
    for feeds, traced in ((xs, traced_x), (ys or [], traced_y)):
        if len(feeds) != len(traced):
            continue
        for f, t in zip(feeds, traced):
            if len(f.shape) == len(t):
                f.shape = tuple(a if a == b else None for a, b in zip(f.shape, t))


def _model_inputs(model: Any) -> list[tuple] | None:
    if isinstance(model, SequentialModel):
        if model.uncertain or model.input_shape is None:
            return None
        return [tuple(model.input_shape)]
    if isinstance(model, FunctionalModel):
        if any(t.shape is None for t in model.inputs):
            return None
        return [tuple(t.shape) for t in model.inputs]
    return None


def _missing_batch(shape: tuple, spec: tuple) -> bool:
    """The data is one sample: its shape is the model's input without the batch axis."""
    full = tuple(shape)
    if len(full) != len(spec) - 1 or not full:
        return False
    return all(not (known(a) and known(b)) or a == b for a, b in zip(full, spec[1:])) and any(
        known(a) and known(b) for a, b in zip(full, spec[1:]))


def _spec_mismatch(shape: tuple, spec: tuple) -> int | None:
    """Keras' InputSpec check with allow_last_axis_squeeze (Functional models): the axis that differs."""
    s, p = list(shape), list(spec)
    if s and s[-1] == 1:
        s = s[:-1]
    if p and p[-1] == 1:
        p = p[:-1]
    for i, (a, b) in enumerate(zip(p, s)):
        if known(a) and known(b) and a != b:
            return i
    return None


def _adjusted(shape: tuple, spec: tuple) -> tuple | None:
    """Functional._adjust_input_rank: None when Keras raises."""
    if len(shape) == len(spec):
        return tuple(shape)
    if len(shape) == len(spec) + 1 and shape[-1] == 1:
        return tuple(shape[:-1])
    if len(shape) == len(spec) - 1 and spec[-1] == 1:
        return (*shape, 1)
    return None


def _reshape_fix(ev, feed: _Feed, spec: tuple) -> dict | None:
    """x.reshape(-1, *spec[1:]) when the values per sample agree (numpy arrays only)."""
    t = feed.tensor
    if not isinstance(t, Array) or t.lib != "numpy" or feed.node is None:
        return None
    per_sample = ops.size(tuple(t.shape[1:]))
    want = ops.size(tuple(spec[1:]))
    if not (known(per_sample) and known(want) and per_sample == want and all(known(d) for d in spec[1:])):
        return None
    text = _src(ev, feed.node, 60)
    if text is None:
        return None
    atom = all(c.isalnum() or c in "_.[]:" for c in text)
    base = text if atom else f"({text})"
    new = f"{base}.reshape(-1, {', '.join(str(d) for d in spec[1:])})"
    return {"kind": "replace", "title": f"Reshape {text} to {fmt_shape((None, *spec[1:])).replace('None', '-1')}",
            "edits": [{"span": _span_dict(ev.span(feed.node)), "new_text": new}]}


def _input_message(ctx: _Ctx, feed: _Feed, spec: tuple, model: Any, why: str) -> tuple[str, str, dict | None]:
    t = feed.tensor
    where = f" from {t.origin}" if t.origin else ""
    data = f"{feed.name} is {fmt_shape(t.shape)}{where}"
    expects = f"the model expects {fmt_shape(spec)}"
    if _missing_batch(tuple(t.shape), spec):
        if feed.dataset:
            return "SL302", (f"{ctx.short}(): missing batch axis: the dataset is not batched, so each element "
                             f"{fmt_shape(t.shape)} reaches the model as a batch of its own ({expects}); Keras "
                             f"takes the element's first axis as the batch{why}. Batch it: "
                             f"{feed.name}.batch(32)"), None
        fix = {"kind": "add_data_axis", "data": _span_dict(ctx.ev.span(feed.node)), "axis": 0} if feed.node else None
        return "SL302", (f"{ctx.short}(): missing batch axis: {feed.name}, {fmt_shape(t.shape)}{where}, is a single "
                         f"sample, but {expects}, batch axis first. Keras takes the sample's first axis as the "
                         f"batch{why}. Add a batch axis: "
                         f"{feed.name}[None, ...] (or np.expand_dims({feed.name}, 0))"), fix
    fix = _reshape_fix(ctx.ev, feed, spec)
    hint = ""
    if len(t.shape) == len(spec) - 1 and all(not (known(a) and known(b)) or a == b
                                             for a, b in zip(t.shape[1:], spec[1:-1])) and spec[-1] != 1:
        hint = f". The data has no channel axis; the model wants {spec[-1]} channels"
    elif fix is not None:
        hint = f". Reshape it: {fix['edits'][0]['new_text']}"
    return "SL301", f"{ctx.short}(): {data}; {expects}{why}{hint}", fix


def _feed_model(ctx: _Ctx, model: Any, feeds: list[_Feed], name: str, on_batch: bool,
                validation: bool = False) -> Any:
    """Check the inputs like Keras does and run the model on them. Returns the output tensors
    (possibly unknown), _RAISED after reporting, or [] when the model is not followed."""
    ev = ctx.ev
    specs = _model_inputs(model)
    label = "validation data: " if validation else ""
    if isinstance(model, Instance):
        if len(feeds) != 1:
            return []
        return _run_instance(ctx, model, feeds[0])
    if isinstance(model, SequentialModel) and model.broken:
        return []  # a layer raised while the model was built: the program stopped there
    if isinstance(model, FunctionalModel) and any(t.shape is None for t in model.outputs):
        return []
    if specs is None:
        out = getattr(model, "output", None) if isinstance(model, SequentialModel) else None
        return [out] if isinstance(out, Tensor) else []
    if len(feeds) != len(specs):
        if isinstance(model, FunctionalModel) and (len(specs) > 1 or len(feeds) > 1):
            ctx.report("SL320", f"{ctx.short}(): {label}the model has {len(specs)} inputs "
                                f"({', '.join(fmt_shape(s) for s in specs)}) but gets {len(feeds)} array"
                                f"{'s' if len(feeds) != 1 else ''} "
                                f"({', '.join(fmt_shape(f.tensor.shape) for f in feeds)}); Keras raises ValueError. "
                                f"Pass a list with one array per input, in the order of the model's inputs",
                       related=[r for f in feeds[:3] for r in _related(f.tensor)])
            return _RAISED
        return []
    adjusted = []
    for feed, spec in zip(feeds, specs):
        if isinstance(model, FunctionalModel):
            axis = _spec_mismatch(feed.shape, spec)
            if axis is not None:
                code, msg, fix = _input_message(ctx, feed, spec, model,
                                                f"; Keras raises ValueError (\"Input 0 ... is incompatible with the "
                                                f"layer: expected shape={fmt_shape(spec)}\")")
                ctx.report(code, label + msg if not label else msg.replace("(): ", "(): " + label, 1),
                           related=_related(feed.tensor) + _model_related(model), fix=fix)
                return _RAISED
        adj = _adjusted(feed.shape, spec)
        if adj is None:
            code, msg, fix = _input_message(
                ctx, feed, spec, model,
                f"; Keras can add or drop only a trailing axis of size 1, so it raises ValueError (\"Invalid "
                f"input shape ... Expected shape {fmt_shape(spec)}, but input has incompatible shape "
                f"{fmt_shape(feed.shape)}\")")
            ctx.report(code, msg.replace("(): ", "(): " + label, 1), related=_related(feed.tensor) +
                       _model_related(model), fix=fix)
            return _RAISED
        adjusted.append(adj)
    relaxed = any(tuple(f.shape) != tuple(f.actual) for f in feeds)
    errors: list = []
    if relaxed:
        # a retraced function (dims relaxed to None) runs on the actual data: what fails, fails
        # at run time; the layers record the relaxed shapes
        actual = [_adjusted(tuple(f.actual), s) for f, s in zip(feeds, specs)]
        if all(a is not None for a in actual) and not _same_as_model(actual, specs):
            with _capture(ev) as caught_a, _rollback_calls(ev):
                _replay(ctx, model, [Tensor(tuple(f.actual), f.tensor.origin, f.tensor.span, symbolic=False)
                                     for f in feeds])
            errors = [d for d in caught_a if d.severity == "error"]
    if _same_as_model(adjusted, specs):
        # the shapes the model was built for: its layers give what they gave (no replay)
        outs = [model.output] if isinstance(model, SequentialModel) else list(model.outputs)
        caught = []
        if _fails_when_run(ctx, model):
            return _RAISED
    else:
        before = {id(obj): len(obj.calls) for obj in ev.keras.layer_objs}
        with _capture(ev) as caught:
            outs = _replay(ctx, model, [Tensor(f.shape, f.tensor.origin, f.tensor.span, symbolic=False)
                                        for f in feeds])
        if relaxed:
            # artefacts of the None dims: the retraced graph builds; what fails, fails at run time
            caught = [d for d in caught if d.severity != "error"]
            for obj in ev.keras.layer_objs:
                for c in obj.calls[before.get(id(obj), 0):]:
                    c.failed = False
        else:
            errors = [d for d in caught if d.severity == "error"]
    if errors:
        first = errors[0]
        feed, spec = feeds[0], specs[0]
        for f, sp in zip(feeds, specs):
            if _missing_batch(tuple(f.tensor.shape), sp):
                feed, spec = f, sp
        code, msg, fix = _input_message(ctx, feed, spec, model, f", and the model fails inside: {first.message}")
        if code == "SL301" and tuple(feed.actual[1:]) == tuple(spec[1:]) and len(feed.actual) == len(spec):
            code, msg = "SL301", f"{ctx.short}(): {label}{first.message}"
        elif label:
            msg = msg.replace("(): ", "(): " + label, 1)
        if relaxed:
            msg += " (TensorFlow raises when the retraced function runs)"
        ev.report(code, msg, ctx.span, related=_related(feed.tensor) + list(first.related)[:3],
                  raise_span=ev.trigger or ctx.span, fix=fix if code == "SL302" else (fix or first.fix))
        ev.diags.extend(d for d in caught if d.severity != "error")
        return _RAISED
    ev.diags.extend(caught)
    _warn_declared_size(ctx, model, feeds, specs)
    return [o for o in outs if isinstance(o, Tensor)]


def _model_calls(model: Any) -> list:
    if isinstance(model, SequentialModel):
        return list(model.built_calls)
    if isinstance(model, FunctionalModel):
        return list(model.calls)
    return []


def _fails_when_run(ctx: _Ctx, model: Any) -> bool:
    """A layer of the model builds but fails when run (the rules warned SL123): running the
    model on data raises there."""
    ev = ctx.ev
    calls = _model_calls(model)
    by_span = {}
    for c in calls:
        by_span.setdefault(c.span, c)
    for d in ev.diags:
        if d.code != "SL123" or d.span not in by_span:
            continue
        call = by_span[d.span]
        ctx.report("SL301", f"{ctx.short}(): {call.layer.kind} (line {call.layer.span.line + 1}) builds but fails "
                            f"when the model runs: {d.message}; TensorFlow raises here",
                   related=[Related(d.span, d.message)])
        return True
    return False


def _same_as_model(adjusted: list, specs: list) -> bool:
    return all(len(a) == len(sp) and tuple(a[1:]) == tuple(sp[1:]) for a, sp in zip(adjusted, specs))


def _replay(ctx: _Ctx, model: Any, xs: list[Tensor]) -> list:
    site = types.SimpleNamespace(span=ctx.span)
    if isinstance(model, SequentialModel):
        return ctx.ev.keras.replay_sequential(model, xs[0], site)
    return ctx.ev.keras.replay_functional(model, xs, site)


@contextlib.contextmanager
def _rollback_calls(ev) -> Iterator[None]:
    """Layer calls made inside are forgotten (a dry run of the model on other shapes)."""
    objs = ev.keras.layer_objs
    n = len(objs)
    marks = [(obj, len(obj.calls), obj.first_call, obj.params, obj.built_spec, obj.built_ndim) for obj in objs]
    try:
        yield
    finally:
        for obj, k, first, params, spec, ndim in marks:
            del obj.calls[k:]
            obj.first_call, obj.params, obj.built_spec, obj.built_ndim = first, params, spec, ndim
        del objs[n:]


def _model_related(model: Any) -> list:
    if isinstance(model, SequentialModel):
        if model.input_layer_obj is not None:
            return [Related(model.input_layer_obj.span, f"the input shape {fmt_shape(model.input_shape)}")]
        if model.layers and model.layers[0].declared_input is not None:
            return [Related(model.layers[0].span, f"the input shape {fmt_shape(model.input_shape)} is declared here")]
        return [Related(model.span, "the model")]
    if isinstance(model, FunctionalModel):
        return [Related(t.span, f"the input {fmt_shape(t.shape)}") for t in model.inputs[:3] if t.span is not None]
    return []


def _warn_declared_size(ctx: _Ctx, model: Any, feeds: list[_Feed], specs: list[tuple]) -> None:
    """Sequential: Keras 3 runs the layers on data of another size than declared, silently."""
    if not isinstance(model, SequentialModel):
        return
    feed, spec = feeds[0], specs[0]
    adj = _adjusted(feed.shape, spec)
    if adj is None or len(adj) != len(spec):
        return
    diffs = [i for i, (a, b) in enumerate(zip(adj, spec)) if i > 0 and known(a) and known(b) and a != b]
    if diffs:
        ctx.report("SL319", f"{ctx.short}(): {feed.name} is {fmt_shape(feed.tensor.shape)} from "
                            f"{feed.tensor.origin}, but the model was declared for {fmt_shape(spec)}; Keras 3 runs "
                            f"the layers on it anyway (a Sequential model does not check its declared input)",
                   related=_related(feed.tensor) + _model_related(model), severity="warning")


def _run_instance(ctx: _Ctx, model: Instance, feed: _Feed) -> Any:
    ev = ctx.ev
    x = Tensor(feed.shape, feed.tensor.origin, feed.tensor.span, symbolic=False)
    with _capture(ev) as caught:
        out = ev.keras.call_instance(model, [x], {}, ctx.node)
    errors = [d for d in caught if d.severity == "error"]
    if errors:
        first = errors[0]
        spec = (None, *model.input_shape[1:]) if isinstance(model.input_shape, tuple) else None
        if spec is not None and _missing_batch(tuple(feed.tensor.shape), spec):
            code, msg, fix = _input_message(ctx, feed, spec, model, f", and the model fails inside: {first.message}")
            ev.report(code, msg, ctx.span, related=_related(feed.tensor), raise_span=ev.trigger or ctx.span, fix=fix)
            ev.diags.extend(d for d in caught if d.severity != "error")
        else:
            ev.diags.extend(caught)
        return _RAISED
    ev.diags.extend(caught)
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (list, tuple)) and all(isinstance(o, Tensor) for o in out):
        return list(out)
    return []


@contextlib.contextmanager
def _capture(ev) -> Iterator[list]:
    """Diagnostics reported inside are taken out of ev.diags and handed to the caller."""
    mark = len(ev.diags)
    caught: list = []
    try:
        yield caught
    finally:
        caught.extend(ev.diags[mark:])
        del ev.diags[mark:]


# ---------------------------------------------------------------------------- model(x) on data


def model_call_check(ev, model: Any, xs: list[Tensor], node) -> Any:
    """model(x) on concrete data (numpy / eager tensors): the checks Keras makes before the
    layers run (Functional input specs, the trailing-axis rank adjustment). Returns None to
    let the model run, or an unknown Tensor after reporting where Keras raises."""
    try:
        return _model_call_check(ev, model, xs, node)
    except Exception:  # noqa: BLE001
        return None


def _model_call_check(ev, model: Any, xs: list[Tensor], node) -> Any:
    if not all(isinstance(t, Tensor) and not t.symbolic and t.shape is not None for t in xs):
        return None
    specs = _model_inputs(model)
    if specs is None:
        return None
    arg_nodes = list(getattr(node, "args", [])[:1])
    x_node = arg_nodes[0] if arg_nodes else None
    nodes = x_node.elts if isinstance(x_node, (ast.List, ast.Tuple)) and len(x_node.elts) == len(xs) else \
        [x_node] * len(xs)
    ctx = _Ctx(ev, node, _model_name(model), "keras")
    if len(specs) != len(xs):
        if isinstance(model, FunctionalModel) and (len(specs) > 1 or len(xs) > 1):
            ctx.report("SL320", f"{ctx.short}(...): the model has {len(specs)} inputs "
                                f"({', '.join(fmt_shape(s) for s in specs)}) but gets {len(xs)} array"
                                f"{'s' if len(xs) != 1 else ''} ({', '.join(fmt_shape(t.shape) for t in xs)}); "
                                f"Keras raises ValueError. Pass a list with one array per input",
                       related=[r for t in xs[:3] for r in _related(t)])
            return Tensor(None, f"{ctx.short}(...) raises", ctx.span, symbolic=False)
        return None
    for t, n, spec in zip(xs, nodes, specs):
        feed = _Feed(t, tuple(t.shape), _var_name(ev, n, "the input"), n, t.shape[0] if t.shape else UNK)
        if isinstance(model, FunctionalModel) and _spec_mismatch(feed.shape, spec) is not None:
            code, msg, fix = _input_message(ctx, feed, spec, model, "; Keras raises ValueError (\"Input 0 ... is "
                                            f"incompatible with the layer: expected shape={fmt_shape(spec)}\")")
            ctx.report(code, msg.replace(f"{ctx.short}(): ", f"{ctx.short}(...): ", 1),
                       related=_related(t) + _model_related(model), fix=fix)
            return Tensor(None, f"{ctx.short}(...) raises", ctx.span, symbolic=False)
        if _adjusted(feed.shape, spec) is None:
            code, msg, fix = _input_message(ctx, feed, spec, model, "; Keras can add or drop only a trailing axis "
                                                                    "of size 1, so it raises ValueError")
            ctx.report(code, msg.replace(f"{ctx.short}(): ", f"{ctx.short}(...): ", 1),
                       related=_related(t) + _model_related(model), fix=fix)
            return Tensor(None, f"{ctx.short}(...) raises", ctx.span, symbolic=False)
    return None


@contextlib.contextmanager
def explain_model_call(ev, model: Any, xs: list, node) -> Iterator[None]:
    """Around model(x)'s replay on data: a failure deep inside a layer that comes from a
    missing batch axis is reported as such (SL302) instead of the layer's own message."""
    specs = _model_inputs(model) if isinstance(model, (SequentialModel, FunctionalModel)) else None
    data = [t for t in xs if isinstance(t, Tensor) and not t.symbolic and t.shape is not None]
    if not specs or len(data) != len(xs) or len(specs) != len(xs) or not any(
            _missing_batch(tuple(t.shape), s) for t, s in zip(data, specs)):
        yield
        return
    with _capture(ev) as caught:
        yield
    errors = [d for d in caught if d.severity == "error"]
    if not errors:
        ev.diags.extend(caught)
        return
    ctx = _Ctx(ev, node, _model_name(model), "keras")
    arg_nodes = list(getattr(node, "args", [])[:1])
    for t, spec in zip(data, specs):
        if _missing_batch(tuple(t.shape), spec):
            feed = _Feed(t, tuple(t.shape), _var_name(ev, arg_nodes[0] if arg_nodes else None, "the input"),
                         arg_nodes[0] if arg_nodes else None, UNK)
            code, msg, fix = _input_message(ctx, feed, spec, model, f", and the model fails inside: "
                                                                    f"{errors[0].message}")
            ev.report(code, msg.replace(f"{ctx.short}(): ", f"{ctx.short}(...): ", 1), ctx.span,
                      related=_related(t) + list(errors[0].related)[:3], raise_span=ev.trigger or ctx.span, fix=fix)
            break
    ev.diags.extend(d for d in caught if d.severity != "error")


# ---------------------------------------------------------------------------- targets and losses


def _resolve_loss(value: Any) -> tuple[str, str] | None:
    """(canonical, display) for a loss given to compile, or None when not checked."""
    if isinstance(value, str):
        canon = _LOSS_NAMES.get(value)
        return (canon, value) if canon else None
    if isinstance(value, LossSpec):
        return value.name, value.display
    if isinstance(value, ModuleRef):
        kname = keras_name(value.path)
        if kname is None:
            return None
        leaf = kname.rsplit(".", 1)[-1]
        canon = _LOSS_NAMES.get(leaf)
        if canon is None or leaf[:1].isupper():
            return None
        return canon, leaf
    return None


def _losses_for(model: Any, n_outputs: int) -> list | None:
    kwargs = getattr(model, "compile_kwargs", None) or {}
    loss = kwargs.get("loss")
    if loss is None:
        return None
    if isinstance(loss, (list, tuple)):
        return [_resolve_loss(v) for v in loss] if len(loss) == n_outputs else None
    if isinstance(loss, dict):
        return None
    one = _resolve_loss(loss)
    return [one] * n_outputs


def _squeeze_or_expand(y: tuple, out: tuple) -> tuple[tuple, tuple]:
    """keras.src.losses.loss.squeeze_or_expand_to_same_rank (expand_rank_1=True)."""
    if len(y) == len(out) + 1 and y[-1] == 1:
        if len(out) == 1:
            out = (*out, 1)
        else:
            y = y[:-1]
    if len(out) == len(y) + 1 and out[-1] == 1:
        if len(y) == 1:
            y = (*y, 1)
        else:
            out = out[:-1]
    return y, out


def _batch_sizes(n: Any, bs: Any) -> set | None:
    if not known(n) or not known(bs) or bs <= 0:
        return None
    out = {min(bs, n)}
    if n > bs and n % bs:
        out.add(n % bs)
    return out


def _check_targets(ctx: _Ctx, model: Any, ys: list[_Feed], outputs: list[Tensor], bs: Any,
                   xs: list[_Feed], y_node: Any, validation: bool = False) -> bool:
    if len(ys) != len(outputs):
        return False
    losses = _losses_for(model, len(outputs))
    if not losses:
        return False
    label = "validation data: " if validation else ""
    for yf, out, loss in zip(ys, outputs, losses):
        if loss is None or out.shape is None:
            continue
        canon, display = loss
        y_shape = tuple(yf.shape)
        o_shape = (None, *tuple(out.shape)[1:])
        yt = yf.tensor
        ydesc = f"{yf.name} is {fmt_shape(yt.shape)} from {yt.origin}"
        odesc = f"the model's output is {fmt_shape(o_shape)}" + (
            f" ({out.origin})" if out.origin and out.producer is not None else "")
        last = _last_layer(model, out)
        related = _related(yt) + ([Related(last.span, f"the output {fmt_shape(o_shape)} comes from this "
                                                       f"{last.kind}")] if last is not None else [])
        yb, ob = _squeeze_or_expand(y_shape, o_shape)
        ya, _ = _squeeze_or_expand(tuple(yf.actual), o_shape)  # for messages: before any retrace relaxed it
        if canon == "mse" or canon == "mae":
            msg = _broadcast_targets(yb, ob, yf, bs)
            if msg is None:
                continue
            kind, detail = msg
            if kind == "error":
                ctx.report("SL303", f"{ctx.short}(): {label}{ydesc}; {odesc}. The {display} loss subtracts them and "
                                    f"{detail}; TensorFlow raises", related=related,
                           fix=_units_fix(ctx, last, yt.shape[-1] if yt.shape and len(yt.shape) > 1 else None))
                return True
            ctx.report("SL307", f"{ctx.short}(): {label}{ydesc}; {odesc}. The {display} loss broadcasts them "
                                f"({detail}), so it trains on a loss that is probably not what you mean",
                       related=related, severity="warning")
            continue
        if canon == "cce":
            if len(yb) != len(ob) or any(known(a) and known(b) and a != b for a, b in zip(yb[1:], ob[1:])):
                width = ob[-1] if ob else None
                integer_labels = len(ya) == len(ob) - 1 or (len(ya) == len(ob) and ya[-1] == 1 and width != 1)
                if integer_labels:
                    fix = _loss_fix(ctx, model, display, "sparse_categorical_crossentropy")
                    ctx.report("SL304", f"{ctx.short}(): {label}{ydesc}: integer class labels, but "
                                        f"{display} needs one-hot targets of the output's width {fmt_dim(width)} "
                                        f"({odesc}); Keras raises ValueError. Use "
                                        f"loss='sparse_categorical_crossentropy', or one-hot encode the labels: "
                                        f"keras.utils.to_categorical({yf.name}, {fmt_dim(width)})",
                               related=related, fix=fix)
                else:
                    fix = _units_fix(ctx, last, ya[-1] if ya and known(ya[-1]) and len(ya) == len(ob) else None)
                    ctx.report("SL303", f"{ctx.short}(): {label}{ydesc}; {odesc}. {display} needs targets of "
                                        f"exactly the output's shape; Keras raises ValueError"
                                        + (f". If the labels are right, the last layer should have {ya[-1]} units"
                                           if fix else ""), related=related, fix=fix)
                return True
            continue
        if canon == "scce":
            t = yb
            if len(t) == len(ob) and t and t[-1] == 1:
                t = t[:-1]
            if len(t) != len(ob) - 1:
                if len(ya) == len(ob) and known(ya[-1]) and ya[-1] > 1:
                    fix = _loss_fix(ctx, model, display, "categorical_crossentropy")
                    ctx.report("SL305", f"{ctx.short}(): {label}{ydesc}: one-hot targets, but {display} needs "
                                        f"integer class labels of shape {fmt_shape(ob[:-1])} ({odesc}); Keras raises "
                                        f"ValueError. Use loss='categorical_crossentropy', or pass the class indices: "
                                        f"np.argmax({yf.name}, axis=-1)", related=related, fix=fix)
                else:
                    ctx.report("SL303", f"{ctx.short}(): {label}{ydesc}; {odesc}. {display} needs integer labels "
                                        f"with one axis less than the output ({fmt_shape(ob[:-1])}); Keras raises "
                                        f"ValueError" + _flatten_hint(o_shape), related=related)
                return True
            if any(known(a) and known(b) and a != b for a, b in zip(t[1:], ob[1:-1])):
                ctx.report("SL303", f"{ctx.short}(): {label}{ydesc}; {odesc}. {display} needs the labels to match "
                                    f"the output up to its last axis; Keras raises ValueError", related=related)
                return True
            width = ob[-1]
            top = yt.classes if isinstance(yt, Array) and yt.classes is not None else None
            if top is None and isinstance(yt, Array) and yt.value is not None:
                flat = _flat_values(yt.value)
                top = int(max(flat)) + 1 if flat and all(_is_int(v) for v in flat) else None
            if top is not None and known(width) and top > width:
                ctx.report("SL309", f"{ctx.short}(): {label}{ydesc} holds class labels up to {top - 1}, but the "
                                    f"output has {width} units ({odesc}); TensorFlow raises InvalidArgumentError "
                                    f"(\"Received a label value of {top - 1} which is outside the valid range of "
                                    f"[0, {width})\"). The last layer needs {top} units",
                           related=related, fix=_units_fix(ctx, last, top))
                return True
            continue
        if canon == "bce":
            if len(yb) != len(ob) or any(known(a) and known(b) and a != b for a, b in zip(yb[1:], ob[1:])):
                ctx.report("SL303", f"{ctx.short}(): {label}{ydesc}; {odesc}. {display} needs targets of exactly "
                                    f"the output's shape; Keras raises ValueError" + _flatten_hint(o_shape),
                           related=related,
                           fix=_units_fix(ctx, last, yb[-1] if len(yb) == len(ob) and known(yb[-1]) else None))
                return True
    return False


def fmt_dim(d: Any) -> str:
    return str(d) if known(d) else "?"


def _flatten_hint(o_shape: tuple) -> str:
    if len(o_shape) >= 3:
        return (". The output still has spatial axes: add Flatten() or GlobalAveragePooling before the last Dense "
                "layer")
    return ""


def _broadcast_targets(y: tuple, out: tuple, yf: _Feed, bs: Any) -> tuple[str, str] | None:
    """Elementwise losses compute y_true - y_pred, both with the same batch size."""
    n = max(len(y), len(out))
    yp = (1,) * (n - len(y)) + tuple(y)
    op = (1,) * (n - len(out)) + tuple(out)
    ybatch, obatch = n - len(y), n - len(out)  # where each batch axis lands
    for i in range(n):
        if i in (ybatch, obatch):
            continue
        a, b = yp[i], op[i]
        if known(a) and known(b) and a != b and a != 1 and b != 1:
            return ("error", f"they cannot be broadcast together (axis {i - n}: {a} against {b})")
    widened = len(y) != len(out) or any(
        known(a) and known(b) and a != b for i, (a, b) in enumerate(zip(yp, op)) if i not in (ybatch, obatch))
    if ybatch != obatch:
        sizes = _batch_sizes(yf.samples, bs)
        first = min(bs, yf.samples) if known(bs) and known(yf.samples) else None
        for i, other in ((ybatch, op[ybatch]), (obatch, yp[obatch])):
            if not known(other) or other == 1:
                continue
            if sizes is None:
                return ("warning", f"the batch axis of one lines up with an axis of size {other} of the other, "
                                   f"which only works when a batch has exactly {other} samples")
            bad = [b for b in ([first] if first is not None else []) + sorted(sizes) if b != other and b != 1]
            if bad:
                return ("error", f"the batch axis of one lines up with an axis of size {other} of the other: a "
                                 f"batch of {bad[0]} samples cannot be broadcast against {other}")
    if widened:
        if len(y) <= len(out):
            return ("warning", f"the targets {fmt_shape(y)} are stretched to the output {fmt_shape(out)}")
        return ("warning", f"the output {fmt_shape(out)} is stretched to the targets {fmt_shape(y)}")
    return None


def _last_layer(model: Any, out: Tensor) -> LayerObj | None:
    if out.producer is not None and out.producer.layer.kind not in ("InputLayer",):
        layer = out.producer.layer
        return layer if not layer.implicit else None
    if isinstance(model, SequentialModel) and model.layers:
        return model.layers[-1]
    return None


def _find_call(ev, span) -> ast.Call | None:
    st = _state(ev)
    if st.module is None:
        try:
            st.module, _ = ev.source.parse()
        except Exception:  # noqa: BLE001
            return None
    for n in ast.walk(st.module):
        if isinstance(n, ast.Call) and hasattr(n, "lineno") and ev.span(n) == span:
            return n
    return None


def _units_fix(ctx: _Ctx, layer: LayerObj | None, units: Any) -> dict | None:
    """Set the units of the last Dense layer (its first argument) to ``units``."""
    if layer is None or layer.kind != "Dense" or not known(units):
        return None
    call = _find_call(ctx.ev, layer.span)
    if call is None:
        return None
    target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "units"), None)
    if target is None or isinstance(target, ast.Starred):
        return None
    return {"kind": "replace", "title": f"Give the last Dense layer {units} units",
            "edits": [{"span": _span_dict(ctx.ev.span(target)), "new_text": str(units)}]}


def _loss_fix(ctx: _Ctx, model: Any, current: str, new: str) -> dict | None:
    """Replace the loss string in the model's compile() call."""
    st = _state(ctx.ev)
    if st.module is None:
        try:
            st.module, _ = ctx.ev.source.parse()
        except Exception:  # noqa: BLE001
            return None
    best = None
    for n in ast.walk(st.module):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "compile"):
            continue
        if n.lineno > ctx.line:
            continue
        lit = next((k.value for k in n.keywords if k.arg == "loss"), n.args[1] if len(n.args) > 1 else None)
        if isinstance(lit, ast.Constant) and lit.value == current:
            if best is None or n.lineno > best[0]:
                best = (n.lineno, lit)
    if best is None:
        return None
    lit = best[1]
    span = ctx.ev.span(lit)
    try:
        quote = ctx.ev.source.lines[span.line][span.col]
    except (AttributeError, IndexError):
        quote = "'"
    quote = quote if quote in ("'", '"') else "'"
    return {"kind": "replace", "title": f"Use loss={quote}{new}{quote}",
            "edits": [{"span": _span_dict(span), "new_text": f"{quote}{new}{quote}"}]}


__all__ = [
    "Array", "Dataset", "LossSpec", "call", "explain_model_call", "index_tensor", "model_call_check",
    "model_data_call", "tensor_attr", "tensor_binop", "tensor_method", "fmt_shape",
]

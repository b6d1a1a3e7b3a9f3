"""Shared ground of the data ops: the value classes (Array, Dataset, LossSpec), the per-call context,
literal arrays, argument helpers, and how op errors become reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
import ast

from shapelens.core.results import Related
from shapelens.core.resolve import ModuleRef
from shapelens.core.shape_math import OpError
from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import LayerObj, Tensor
from shapelens.core.data.state import DataEvaluator
from shapelens.core.codes import (
    ARRAYS_CANNOT_BE_JOINED,
    ARRAYS_DO_NOT_BROADCAST,
    AXIS_OUT_OF_RANGE,
    IMPOSSIBLE_RESHAPE,
    INCOMPATIBLE_MERGE_SHAPES,
    INDEX_OUT_OF_RANGE,
    MATMUL_INNER_DIMENSIONS,
    RAGGED_ARRAY,
    RESHAPE_SIZE_MISMATCH,
    SHARED,
)


MAX_VALUE = 4096  # elements of a literal array whose values are kept


MAX_WALK = 200_000  # elements walked to find the shape of a literal


@dataclass(eq=False)
class Array(Tensor):
    """A concrete array or eager tensor (numpy, TensorFlow, keras.ops), shape tracked."""

    dtype: str | None = None  # "int" | "float" | "bool" | "str" | "object" | None: not known
    classes: int | None = None  # integer labels: every value of range(classes) present (datasets)
    upper: int | None = None  # integer values are < upper (randint), not all necessarily present
    value: Any = None  # a small nested list of the contents, when known
    lib: str = "numpy"  # "numpy" | "tf" | "keras" | "image"
    sequences: bool = False  # an object array of integer sequences (imdb, reuters)
    variable: str | None = None  # a variable: "tf" (tf.Variable) or "keras" (keras.Variable)
    stand_in: bool = False  # a Keras tensor's stand-in in a keras.ops shape function (its None is Keras's)


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


class _Ctx:
    """One call being evaluated: where, which library, how to name things."""

    def __init__(self, ev: DataEvaluator, node: ast.AST, short: str, lib: str) -> None:
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


def _src(ev: DataEvaluator, node: ast.AST | None, limit: int = 40) -> str | None:
    if node is None:
        return None
    try:
        text = node._sl_src  # unparsed once per node (the AST is not changed)
    except AttributeError:
        try:
            text = ast.unparse(node)
        except Exception:  # noqa: BLE001
            text = False
        try:
            node._sl_src = text
        except AttributeError:
            pass
    if text is False:
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


def literal_array(value: Any, origin: str, span: Any) -> Array | None:
    """A nested list or tuple of plain strings or numbers written in the code, as the tensor
    TensorFlow makes of it (``TextVectorization()(["a b", "c"])``); None when it holds anything
    else, is ragged (TensorFlow raises) or is too long to count."""
    budget = [MAX_LITERAL_ITEMS]
    if not isinstance(value, (list, tuple)) or not _plain_items(value):
        return None
    try:
        shape = _literal_shape(value, budget)
    except _Ragged:
        return None
    if shape is None:
        return None
    return Array(shape, origin, span, symbolic=False, dtype=_literal_dtype(value), lib="tf")


MAX_LITERAL_ITEMS = 100_000


# (the recursive helpers here are functions of the module, not closures: a closure that calls
# itself is a reference cycle, which keeps what it holds until the garbage collector runs)
def _plain_items(v: Any, depth: int = 0) -> bool:
    if isinstance(v, (list, tuple)):
        return depth < 8 and all(_plain_items(i, depth + 1) for i in v)
    return isinstance(v, (bool, int, float, str))


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
    return value if _plain_numbers(value, 0) else None


def _plain_numbers(v: Any, depth: int) -> bool:
    if isinstance(v, (int, float)):
        return True
    return isinstance(v, (list, tuple)) and depth < 10 and all(_plain_numbers(x, depth + 1) for x in v)


def _flat_values(value: Any) -> list | None:
    out: list = []
    return out if _flatten_numbers(value, out) else None


def _flatten_numbers(v: Any, out: list) -> bool:
    if isinstance(v, (list, tuple)):
        return all(_flatten_numbers(x, out) for x in v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        out.append(v)
        return len(out) <= MAX_VALUE
    return False


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
    ctx.report(RAGGED_ARRAY, RAGGED_ARRAY.sequences_differ(
        short=ctx.short, n_shapes=len(shapes), level=level, shown=shown, tail=tail),
               related=related[:4])


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
    return any(_symbolic_part(v) for v in values)


def _symbolic_part(v: Any, depth: int = 0) -> bool:
    if isinstance(v, Tensor):
        return v.symbolic
    if isinstance(v, (list, tuple)) and depth < 3:
        return any(_symbolic_part(x, depth + 1) for x in v)
    return False


_OP_CODES = {
    "broadcast": ARRAYS_DO_NOT_BROADCAST, "reshape": IMPOSSIBLE_RESHAPE, "axis": AXIS_OUT_OF_RANGE, "squeeze": AXIS_OUT_OF_RANGE, "concat": ARRAYS_CANNOT_BE_JOINED,
    "stack": ARRAYS_CANNOT_BE_JOINED, "split": ARRAYS_CANNOT_BE_JOINED, "matmul": MATMUL_INNER_DIMENSIONS, "index": INDEX_OUT_OF_RANGE,
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
    code = _OP_CODES.get(err.kind, AXIS_OUT_OF_RANGE)
    related = []
    for t in operands or []:
        related.extend(_related(t))
    what = subject or f"{ctx.short}()"
    ctx.report(code, SHARED.op_error_at(what=what, message=err.message, raiser=_raiser(ctx.lib, err.kind)), related=related[:4])
    return Unknown(f"{what} raises here")


def _run(ctx: _Ctx, fn: Callable[[], Any], operands: list | None = None, subject: str | None = None) -> Any:
    try:
        return fn()
    except OpError as err:
        return _op_error(ctx, err, operands, subject)


def _symbolic_op(ev: DataEvaluator, node: ast.AST, label: str, template: list, fn: Callable[[list], Any]) -> Any:
    """keras.ops.* / operators on Keras tensors: a pseudo-layer (implicit, no weights) so the
    functional graph stays connected through the op and models replay it on new inputs.

    ``template`` is the argument list with tensors in place; ``fn(shapes)`` gets the shapes of
    those tensors (in order) and returns the output shape (or a list of shapes)."""
    from shapelens.core.rules.base import Args, LayerError, Out, Rule

    code_for = {"broadcast": INCOMPATIBLE_MERGE_SHAPES, "reshape": RESHAPE_SIZE_MISMATCH}

    def rule_fn(args, shapes, call):
        shapes = shapes if isinstance(shapes, list) else [shapes]
        try:
            out = fn([tuple(s) for s in shapes])
        except OpError as err:
            raise LayerError(code_for.get(err.kind, _OP_CODES.get(err.kind, AXIS_OUT_OF_RANGE)),
                             SHARED.with_label(label=label, message=err.message)) from None
        return Out(out, params=0, explain=[f"{label} → {fmt_shape(out) if isinstance(out, tuple) else out}"])

    rule = Rule(kind=label, fn=rule_fn, signature=(), family="ops", multi_input=True, per_call=True)
    inputs = [t for t in template if isinstance(t, Tensor)]
    if any(t.shape is None for t in inputs) and not _fixed_rank(rule, Args(label, {}), inputs):
        return None
    span = ev.span(node)
    layer = LayerObj(layer_id=ev.keras.next_layer_id(), kind=label, rule=rule, args=Args(label, {}), span=span,
                     order=ev.next_order(), implicit=True)
    ev.keras.layer_objs.append(layer)
    return ev.keras.call_layer(layer, [inputs], {}, node)


def _fixed_rank(rule: Any, args: Any, inputs: list) -> bool:
    """Does the op give a shape of a fixed rank on these inputs, some of unknown rank (the rule
    run over the ranks they may have, core/rules/symbolic.py)? Without one the op is not made a
    pseudo-layer: its result stays a tensor of unknown shape, as when it is not followed."""
    from shapelens.core.rules import apply
    from shapelens.core.rules.symbolic import RankUnknown

    shapes = [RankUnknown(*(t.ends or (UNK, UNK))) if t.shape is None else tuple(t.shape) for t in inputs]
    try:
        out = apply(rule, args, shapes, {})
    except Exception:  # noqa: BLE001 -- Unresolved, or raising for every rank: not followed
        return False
    return isinstance(out.shape, (tuple, list))


def keep_like(x: Array) -> str:
    return x.origin.rsplit(" (line", 1)[0] if x.origin else "an array"


class _NotFollowed(Exception):
    pass


def _x(args: list, kwargs: dict, *names: str) -> Any:
    for n in names:
        if n in kwargs:
            return kwargs[n]
    return args[0] if args else None


def _name(x: Any) -> str:
    if isinstance(x, Tensor):
        return "the array" if not x.symbolic else "the tensor"
    return "the value"


def _derived(ctx: _Ctx, x: Any, shape: tuple, what: str, **kw: Any) -> Array:
    dtype = kw.pop("dtype", x.dtype if isinstance(x, Array) else None)
    classes = kw.pop("classes", x.classes if isinstance(x, Array) else None)
    upper = kw.pop("upper", x.upper if isinstance(x, Array) else None)
    return ctx.arr(shape, what, dtype=dtype, classes=classes, upper=upper, **kw)


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


def fmt_dim(d: Any) -> str:
    return str(d) if known(d) else "?"

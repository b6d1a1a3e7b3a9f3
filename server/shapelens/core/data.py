"""Tensors and arrays outside the model: constructors, attributes, arithmetic.

Only what the model-building code needs (``x.shape``, ``tf.random.normal(...)`` handed to
a layer, broadcasting between Keras tensors). The data-shape checks on ``fit``/``predict``
build on this module.
"""

from __future__ import annotations

import ast
from typing import Any

from shapelens.core.shapes import ShapeError, Unknown, broadcast_shapes, fmt_shape, known
from shapelens.core.values import Tensor

_NUMPY = ("numpy.",)
_TF = ("tensorflow.",)


def _shape_arg(value: Any) -> tuple | None:
    if known(value):
        return (value,)
    if isinstance(value, (list, tuple)) and all(known(v) or v is None for v in value):
        return tuple(value)
    return None


def _ctor_shape(name: str, args: list, kwargs: dict) -> tuple | None:
    """Shape of the common array constructors, keyed by their last name."""
    if name in ("zeros", "ones", "empty", "full", "normal", "uniform", "truncated_normal"):
        key = "size" if name in ("normal", "uniform") and "size" in kwargs else "shape"
        value = args[0] if args and name not in ("normal", "uniform") else kwargs.get(key, args[0] if args and name in ("zeros", "ones", "empty", "full") else None)
        if name in ("normal", "uniform") and value is None and args:
            value = args[0]
        return _shape_arg(value)
    if name in ("rand", "randn"):
        return tuple(args) if args and all(known(a) for a in args) else None
    if name in ("random", "random_sample"):
        return _shape_arg(args[0] if args else kwargs.get("size"))
    if name == "randint":
        return _shape_arg(kwargs.get("size", args[2] if len(args) > 2 else None))
    return None


def _symbolic_args(args: list, kwargs: dict) -> list[Tensor]:
    found: list[Tensor] = []

    def walk(v: Any, depth: int = 0) -> None:
        if isinstance(v, Tensor) and v.symbolic:
            found.append(v)
        elif isinstance(v, (list, tuple)) and depth < 3:
            for item in v:
                walk(item, depth + 1)

    for v in list(args) + list(kwargs.values()):
        walk(v)
    return found


def call(ev, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    leaf = path.rsplit(".", 1)[-1]
    if path.startswith(_TF):
        symbolic = _symbolic_args(args, kwargs)
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
    if path.startswith(_NUMPY) or path.startswith(_TF):
        if path.startswith("tensorflow.random.") and leaf in ("normal", "uniform", "truncated_normal"):
            shape = _shape_arg(args[0] if args else kwargs.get("shape"))
        elif path.startswith("numpy.random.") and leaf in ("normal", "uniform"):
            shape = _shape_arg(kwargs.get("size", args[2] if len(args) > 2 else None))
        else:
            shape = _ctor_shape(leaf, args, kwargs)
        if shape is not None:
            short = path.replace("tensorflow.", "tf.").replace("numpy.", "np.")
            return Tensor(shape, f"{short}(...) (line {ev.span(node).line + 1})", ev.span(node), symbolic=False)
    return Unknown(f"{path.replace('tensorflow.', 'tf.')}(...) is not followed")


def tensor_attr(ev, t: Tensor, attr: str) -> Any:
    if attr == "shape":
        return tuple(t.shape) if t.shape is not None else Unknown("the tensor's shape is not known")
    if attr == "ndim":
        return len(t.shape) if t.shape is not None else Unknown("the tensor's rank is not known")
    if attr == "T" and t.shape is not None:
        return Tensor(tuple(reversed(t.shape)), t.origin, t.span, symbolic=t.symbolic)
    from shapelens.core.values import BoundMethod

    return BoundMethod(t, attr)


def tensor_method(ev, t: Tensor, name: str, args: list, kwargs: dict, node) -> Any:
    if name in ("numpy", "astype", "copy") and t.shape is not None:
        return Tensor(t.shape, t.origin, t.span, symbolic=False)
    return Unknown(f"`.{name}()` on a tensor is not followed")


def index_tensor(ev, t: Tensor, key: Any, node) -> Any:
    return Unknown("indexing a tensor is not followed")


def tensor_binop(ev, op: type, left: Any, right: Any, node: ast.AST) -> Any:
    if op is ast.MatMult:
        return Unknown("matrix products of tensors are not followed")
    shapes = []
    for v in (left, right):
        if isinstance(v, Tensor):
            if v.shape is None:
                return Tensor(None, "an operation on a tensor of unknown shape", ev.span(node))
            shapes.append(tuple(v.shape))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            shapes.append(())
        else:
            return Unknown("arithmetic between a tensor and a value not known statically")
    try:
        shape = broadcast_shapes(shapes[0], shapes[1])
    except ShapeError as err:
        ev.report("SL104", f"{err.message}", ev.span(node), raise_span=ev.trigger or ev.span(node))
        return Tensor(None, "a failed broadcast", ev.span(node))
    symbolic = any(isinstance(v, Tensor) and v.symbolic for v in (left, right))
    return Tensor(shape, f"an arithmetic result (line {ev.span(node).line + 1})", ev.span(node), symbolic=symbolic)


def model_data_call(ev, model: Any, name: str, args: list, kwargs: dict, node) -> Any:
    """fit/predict/evaluate: an unbuilt Sequential is built from the data it is given."""
    from shapelens.core.values import SequentialModel

    x = args[0] if args else kwargs.get("x")
    if isinstance(model, SequentialModel) and model.input_shape is None and isinstance(x, Tensor) and x.shape:
        ev.keras.seq_build(model, (None, *x.shape[1:]), node)
    if name == "predict" and isinstance(x, Tensor):
        out = getattr(model, "output", None)
        if isinstance(out, Tensor) and out.shape is not None and x.shape is not None and known(x.shape[0]):
            return Tensor((x.shape[0], *out.shape[1:]), f"predict (line {ev.span(node).line + 1})",
                          ev.span(node), symbolic=False)
    return Unknown(f"the result of {name}() is not followed")


__all__ = ["call", "tensor_attr", "tensor_method", "index_tensor", "tensor_binop", "model_data_call", "fmt_shape"]

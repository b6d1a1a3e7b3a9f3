"""Entry point for data calls: routes numpy / tensorflow / keras.ops / keras.utils / keras.datasets /
sklearn calls to the handler registered under the dotted name they model.
"""

from __future__ import annotations

from typing import Any, Callable
import ast

from shapelens.core.resolve import keras_name
from shapelens.core.shape_math import OpError
from shapelens.core.shapes import Unknown, fmt_shape
from shapelens.core.values import Tensor
from shapelens.core.data.base import (
    Array,
    LossSpec,
    _Ctx,
    _NotFollowed,
    _OP_CODES,
    _any_symbolic,
    _arg,
    _symbolic_op,
    _tensors,
    keep_like,
)
from shapelens.core.data.datasets import NAMES, _load_dataset
from shapelens.core.data.keras_utils import _img_to_array, _load_img, _pad_sequences, _to_categorical
from shapelens.core.data.losses import _LOSS_NAMES
from shapelens.core.data.registry import HANDLERS
from shapelens.core.data.sklearn import _train_test_split
from shapelens.core.data.state import DataEvaluator


# the families, imported for their registrations (as core/rules/__init__.py imports every family)
from shapelens.core.data import keras_ops, numpy, tensorflow, tf_data  # noqa: F401,E402
from shapelens.core.codes import TENSORFLOW_FUNCTION_ON_KERAS_TENSOR


_NUMPY = ("numpy.",)
_TF = ("tensorflow.",)


def call(ev: DataEvaluator, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    """A call to numpy / TensorFlow / keras.ops / keras.utils / keras.datasets / sklearn."""
    try:
        return _call(ev, path, args, kwargs, node)
    except (RecursionError, MemoryError):
        return Unknown(f"{path}(...) is not followed")
    except Exception:  # noqa: BLE001 -- an unforeseen value must cost one result, not the analysis
        return Unknown(f"shapelens could not follow {path.removeprefix('tensorflow.').removeprefix('numpy.')}()")


def _short(path: str) -> str:
    for long, short in (("tensorflow.", "tf."), ("numpy.", "np."), ("keras.src.", "keras."),
                        ("tensorflow.keras.", "keras.")):
        if path.startswith(long):
            return short + path[len(long):]
    return path


def _call(ev: DataEvaluator, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    kname = keras_name(path)
    leaf = path.rsplit(".", 1)[-1]
    if kname is None and path.startswith(_TF):
        symbolic = [t for t in _tensors(list(args) + list(kwargs.values())) if t.symbolic]
        for v in list(args) + list(kwargs.values()):
            if isinstance(v, (list, tuple)):
                symbolic += [t for t in _tensors(v) if t.symbolic]
        if symbolic and ev.keras.settings.tf_ops_on_keras_tensors:
            return _keras2_tf_op(ev, path, args, kwargs, node)
        if symbolic and not getattr(ev.keras, "in_layer_call", 0):
            # inside a custom layer's call() Keras 3 passes backend tensors: tf.* ops are legal there
            short = path.replace("tensorflow.", "tf.")
            ev.report(
                TENSORFLOW_FUNCTION_ON_KERAS_TENSOR,
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
        fn = HANDLERS.get("numpy." + name)
        if fn is None:
            return Unknown(f"np.{name}(...) is not followed")
        return fn(ctx, args, kwargs)
    if path.startswith(_TF):
        name = path[len("tensorflow."):]
        for prefix in ("compat.v2.", "compat.v1."):
            if name.startswith(prefix):
                name = name[len(prefix):]
        ctx = _Ctx(ev, node, "tf." + name, "tf")
        fn = HANDLERS.get("tensorflow." + name)
        if fn is None and name.startswith("math."):
            fn = HANDLERS.get("tensorflow." + name[5:])
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


def _keras_call(ev: DataEvaluator, kname: str, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    parts = kname.split(".")
    leaf = parts[-1]
    if parts[0] == "ops" and len(parts) >= 2:
        name = ".".join(parts[1:])
        ctx = _Ctx(ev, node, "keras.ops." + name, "keras")
        fn = HANDLERS.get("keras.ops." + name) or HANDLERS.get("numpy." + name)
        if fn is None:
            return Unknown(f"keras.ops.{name}(...) is not followed")
        if _any_symbolic(list(args) + list(kwargs.values())):
            return _symbolic_ops_call(ctx, name, fn, args, kwargs)
        return fn(ctx, args, kwargs)
    if parts[0] == "datasets" and leaf == "load_data":
        segs = path.split(".")
        name = segs[segs.index("datasets") + 1] if "datasets" in segs[:-2] else None
        if name in NAMES:
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


def _keras2_tf_op(ev: DataEvaluator, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    """Keras 2: tf.* on a Keras tensor becomes a TFOpLambda layer; its shape is the op's own."""
    name = path[len("tensorflow."):]
    for prefix in ("compat.v2.", "compat.v1."):
        name = name.removeprefix(prefix)
    ctx = _Ctx(ev, node, "tf." + name, "tf")
    fn = HANDLERS.get("tensorflow." + name)
    if fn is None and name.startswith("math."):
        fn = HANDLERS.get("tensorflow." + name[5:])
    if fn is None:
        return Tensor(None, f"tf.{name} (line {ctx.line})", ctx.span)
    return _symbolic_ops_call(ctx, name, fn, args, kwargs, label="tf.")


def _symbolic_ops_call(ctx: _Ctx, name: str, fn: Callable, args: list, kwargs: dict,
                       label: str = "keras.ops.") -> Any:
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
        return Tensor(None, f"{label}{name} (line {ctx.line})", ctx.span)

    def rebuild(v: Any, shapes: list) -> Any:
        if isinstance(v, tuple) and len(v) == 2 and v[0] == "__tensor__":
            return Array(shapes[v[1]], "", None, symbolic=False, lib="keras" if label == "keras.ops." else "tf")
        if isinstance(v, (list, tuple)):
            return type(v)(rebuild(x, shapes) for x in v)
        return v

    def shape_fn(shapes: list) -> Any:
        sub = _Ctx(ev, ctx.node, ctx.short, "keras" if label == "keras.ops." else "tf")
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
            return Tensor(None, f"{label}{name} (line {ctx.line})", ctx.span)
    return _symbolic_op(ev, ctx.node, f"ops.{name}" if label == "keras.ops." else f"tf.{name}", flat, shape_fn)


def _raise_report(code: str, message: str, related=None, fix=None, severity=None) -> None:
    raise OpError({v: k for k, v in _OP_CODES.items()}.get(code, "axis"), message.split(": ", 1)[-1])

"""Entry point for data calls: routes numpy / tensorflow / keras.ops / keras.utils / keras.datasets /
sklearn calls to the handler registered under the dotted name they model.
"""

from __future__ import annotations

from typing import Any, Callable
import ast

from shapelens.core.keras2_removed import exports
from shapelens.core.resolve import ModuleRef, keras_name
from shapelens.core.shape_math import OpError
from shapelens.core.shapes import Unknown, fmt_shape
from shapelens.core.values import BoundMethod, FunctionValue, Partial, Tensor
from shapelens.core.data.base import (
    Array,
    LossSpec,
    _Ctx,
    _NotFollowed,
    _OP_CODES,
    _any_symbolic,
    _arg,
    _shape_arg,
    _symbolic_op,
    _tensors,
    keep_like,
)
from shapelens.core.data.arrays import _identity, _keras_random
from shapelens.core.data.datasets import NAMES, _load_dataset
from shapelens.core.data.keras_utils import _img_to_array, _load_img, _pad_sequences, _to_categorical
from shapelens.core.data.losses import _LOSS_NAMES
from shapelens.core.data.registry import HANDLERS
from shapelens.core.data.tensorflow import initializer
from shapelens.core.data.tf_data import from_directory
from shapelens.core.data.sklearn import SHAPE_KEEPING, ShapeKeepingTransformer, _train_test_split, load_dataset, make_dataset
from shapelens.core.data.state import DataEvaluator


# the families, imported for their registrations (as core/rules/__init__.py imports every family)
from shapelens.core.data import gather, keras_ops, numpy, tensorflow, tf_data  # noqa: F401,E402
from shapelens.core.codes import TENSORFLOW_FUNCTION_ON_KERAS_TENSOR
from shapelens.core.op_errors import OP_ERRORS


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


# TensorFlow functions that never convert their arguments to tensors (structure utilities,
# introspection, printing): a Keras tensor passes through them under Keras 3 too
_NO_CONVERSION = ("tensorflow.nest.", "tensorflow.is_tensor", "tensorflow.is_symbolic_tensor",
                  "tensorflow.print", "tensorflow.get_static_value", "tensorflow.TensorSpec",
                  "tensorflow.TensorShape", "tensorflow.as_dtype", "tensorflow.name_scope",
                  "tensorflow.compat.v2.nest.")


def _no_conversion(path: str) -> bool:
    return any(path == p or p.endswith(".") and path.startswith(p) for p in _NO_CONVERSION)


def _nest_flatten(args: list, kwargs: dict) -> Any:
    """tf.nest.flatten: the leaves of nested lists / tuples / dicts (dicts in key order)."""
    out: list = []
    value = args[0] if args else kwargs.get("structure", Unknown("tf.nest.flatten()"))
    return out if _leaves(value, 0, out) else Unknown("tf.nest.flatten() of a structure not known statically")


def _leaves(v: Any, depth: int, out: list) -> bool:
    """(a function of the module, not a closure calling itself: that would be a reference cycle)"""
    if depth > 8 or isinstance(v, Unknown):
        return False
    if isinstance(v, dict):
        try:
            keys = sorted(v)
        except TypeError:
            return False
        return all(_leaves(v[k], depth + 1, out) for k in keys)
    if isinstance(v, (list, tuple)):
        return all(_leaves(x, depth + 1, out) for x in v)
    out.append(v)
    return True


_OPS_NAMES = {"concat": "concatenate", "reduce_variance": "var", "reduce_std": "std", "pow": "power",
              "truediv": "true_divide", "floordiv": "floor_divide", "squared_difference": None}


def _ops_equivalent(leaf: str) -> str:
    """The keras.ops function of a tf function's name (tf.reduce_mean -> keras.ops.mean), when Keras has it."""
    ops = exports("keras.ops")
    for name in (_OPS_NAMES.get(leaf, leaf), leaf.removeprefix("reduce_")):
        if name and name in ops:
            return f"keras.ops.{name}()"
    return "a keras.ops function"


def _call(ev: DataEvaluator, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    kname = keras_name(path)
    leaf = path.rsplit(".", 1)[-1]
    if kname is None and _no_conversion(path):
        if path in ("tensorflow.nest.flatten", "tensorflow.compat.v2.nest.flatten"):
            return _nest_flatten(args, kwargs)
        return Unknown(f"{_short(path)}(...) is not followed")
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
            src, shape = symbolic[0].origin.split(" (")[0], fmt_shape(symbolic[0].shape)
            # a layer's or an Input's output, else a tensor computed by an op
            what = f"the Keras tensor {src} output {shape}" if src[:1].isupper() or src.startswith("keras.") \
                else f"the Keras tensor from {src} (shape {shape})"
            span = ev.span(node)
            # once per place: a function called on several shapes raises at the same call
            if not any(d.code == TENSORFLOW_FUNCTION_ON_KERAS_TENSOR and d.span == span for d in ev.diags):
                ev.report(
                    TENSORFLOW_FUNCTION_ON_KERAS_TENSOR,
                    TENSORFLOW_FUNCTION_ON_KERAS_TENSOR.tf_function_on_keras_tensor(
                        short=short, what=what, ops_equivalent=_ops_equivalent(leaf)),
                    span, raise_span=ev.trigger or span,
                )
            if _ops_equivalent(leaf).startswith("keras.ops."):
                # after the error, the value the suggested keras.ops call gives (the op's own
                # shape): a user who makes that change sees the model's shapes at once
                out = _keras2_tf_op(ev, path, args, kwargs, node)
                if isinstance(out, Tensor) and out.shape is not None:
                    return out
            return Tensor(None, f"{short}(...)", ev.span(node))
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
        if fn is None and name.startswith("experimental.numpy."):
            fn = HANDLERS.get("numpy." + name[len("experimental.numpy."):])  # tf's NumPy API
        if fn is None:
            return Unknown(f"tf.{name}(...) is not followed")
        return fn(ctx, args, kwargs)
    if path.startswith("sklearn."):
        ctx = _Ctx(ev, node, leaf, "numpy")
        if leaf == "train_test_split":
            return _train_test_split(ctx, args, kwargs)
        if path.startswith("sklearn.datasets.") and leaf in ("make_moons", "make_circles"):
            return make_dataset(ctx, leaf, args, kwargs)
        if path.startswith("sklearn.datasets.") and (leaf.startswith("load_") or leaf.startswith("fetch_")):
            return load_dataset(ctx, leaf, args, kwargs)
        if leaf in SHAPE_KEEPING and ".preprocessing" in path:
            return ShapeKeepingTransformer(leaf)
        if leaf == "shuffle" and ".utils" in path:
            return list(args) if len(args) > 1 else (args[0] if args else Unknown("shuffle()"))
        return Unknown(f"{leaf}(...) is not followed")
    return Unknown(f"{_short(path)}(...) is not followed")


# keras.activations functions that keep their input's shape (Keras 3.15's list, glu aside:
# it halves an axis), and what activations.get() returns for them
ELEMENTWISE_ACTIVATIONS = frozenset({
    "celu", "elu", "exponential", "gelu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu",
    "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
})


def _activation_call(ev: DataEvaluator, leaf: str, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    """keras.activations.<name>(x) keeps x's shape; keras.activations.get(name) is that function."""
    if leaf in ("get", "deserialize"):
        ident = args[0] if args else kwargs.get("identifier", kwargs.get("config"))
        if ident is None:
            return ModuleRef("keras.activations.linear")
        if isinstance(ident, str):
            if ident in ELEMENTWISE_ACTIVATIONS:
                return ModuleRef(f"keras.activations.{ident}")
            return Unknown(f"the activation {ident!r} is not one shapelens knows")
        if isinstance(ident, (ModuleRef, FunctionValue, BoundMethod, Partial)):
            return ident  # a function is returned as it is
        return Unknown(f"keras.activations.{leaf}() of a value not known statically")
    if leaf not in ELEMENTWISE_ACTIVATIONS:
        return Unknown(f"keras.activations.{leaf}(...) is not followed")
    x = args[0] if args else kwargs.get("x", Unknown("keras.activations: no input"))
    ctx = _Ctx(ev, node, "keras.activations." + leaf, "keras")
    if not isinstance(x, Tensor):
        return Unknown(f"keras.activations.{leaf}() of a value that is not a tensor shapelens can follow")
    if _any_symbolic([x]):
        return _symbolic_ops_call(ctx, leaf, _identity, [x], {}, label="keras.activations.")
    return _identity(ctx, [x], {})


# keras.ops namespaces whose functions keras.ops itself exports under the same names
_OPS_ALIASES = ("nn", "numpy", "core", "math")


def _keras_call(ev: DataEvaluator, kname: str, path: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    parts = kname.split(".")
    leaf = parts[-1]
    if ".activations." in path and len(parts) == 1:
        return _activation_call(ev, leaf, path, args, kwargs, node)
    if parts[0] == "ops" and len(parts) >= 2:
        name = ".".join(parts[1:])
        if len(parts) == 3 and parts[1] in _OPS_ALIASES:
            name = leaf  # keras.ops.nn.relu is keras.ops.relu, keras.ops.numpy.reshape keras.ops.reshape
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
    if parts[0] == "initializers" and len(parts) == 2 and leaf[:1].isupper():
        return initializer(_Ctx(ev, node, "keras." + kname, "keras"), args, kwargs)
    if kname in ("Variable", "backend.Variable", "variables.Variable"):
        return _keras_variable(_Ctx(ev, node, "keras.Variable", "keras"), args, kwargs)
    ctx = _Ctx(ev, node, "keras." + kname, "numpy")
    if parts[0] == "random" and len(parts) == 2 and leaf in ("normal", "uniform", "truncated_normal", "randint"):
        # keras.random.<leaf>(shape, ...): an array of that shape (ints from randint)
        out = _keras_random(_Ctx(ev, node, "keras." + kname, "keras"), args, kwargs)
        if isinstance(out, Array) and leaf == "randint":
            out.dtype = "int"
        return out
    if leaf == "correct_pad" and "imagenet_utils" in path:
        return _correct_pad(args, kwargs)
    if leaf == "to_categorical":
        return _to_categorical(ctx, args, kwargs)
    if leaf in ("image_dataset_from_directory", "text_dataset_from_directory"):
        return from_directory(_Ctx(ev, node, leaf, "tf"), leaf.split("_")[0], args, kwargs)
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


def _keras_variable(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """keras.Variable(initializer, shape=None, ...): the shape of the initializer when it is a
    tensor, else the shape= given (a weight of the layer it is set on)."""
    init = _arg(args, kwargs, 0, "initializer")
    shape_arg = _arg(args, kwargs, 1, "shape")
    if isinstance(init, Tensor):
        shape = tuple(init.shape) if init.shape is not None else None
    else:
        shape = _shape_arg(shape_arg) if shape_arg is not None else None
    return ctx.arr(shape, "keras.Variable", variable="keras")


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


def _collect(v: Any, flat: list, depth: int = 0) -> Any:
    """The tensors of an op's argument into ``flat``, each replaced by its place there."""
    if isinstance(v, Tensor):
        if v.shape is None and v.symbolic is not True:
            raise _NotFollowed()
        flat.append(v)
        return ("__tensor__", len(flat) - 1)
    if isinstance(v, (list, tuple)) and depth < 3:
        return type(v)(_collect(x, flat, depth + 1) for x in v)
    return v


def _rebuild(v: Any, shapes: list, lib: str) -> Any:
    """An argument of _collect with stand-in arrays of ``shapes`` in its tensors' places."""
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "__tensor__":
        return Array(shapes[v[1]], "", None, symbolic=False, lib=lib, stand_in=True)
    if isinstance(v, (list, tuple)):
        return type(v)(_rebuild(x, shapes, lib) for x in v)
    return v


def _symbolic_ops_call(ctx: _Ctx, name: str, fn: Callable, args: list, kwargs: dict,
                       label: str = "keras.ops.") -> Any:
    """keras.ops on Keras tensors: evaluate the op on stand-in arrays of the input shapes."""
    ev = ctx.ev
    flat: list = []
    lib = "keras" if label.startswith("keras.") else "tf"
    try:
        t_args = [_collect(a, flat) for a in args]
        t_kwargs = {k: _collect(v, flat) for k, v in kwargs.items()}
    except _NotFollowed:
        return Tensor(None, f"{label}{name} (line {ctx.line})", ctx.span)

    answers: dict = {}  # the shapes -> the op's output shape(s): the check below, then the rule

    def shape_fn(shapes: list) -> Any:
        try:
            key = tuple(tuple(s) for s in shapes)
            hit = answers.get(key)
        except TypeError:
            key = hit = None
        if hit is not None:
            return list(hit) if isinstance(hit, list) else hit
        sub = _Ctx(ev, ctx.node, ctx.short, lib)
        sub.report = _raise_report  # type: ignore[method-assign]
        out = fn(sub, [_rebuild(a, shapes, lib) for a in t_args],
                 {k: _rebuild(v, shapes, lib) for k, v in t_kwargs.items()})
        if isinstance(out, Tensor) and out.shape is not None:
            found = tuple(out.shape)
        elif isinstance(out, (list, tuple)) and out and all(isinstance(o, Tensor) and o.shape is not None
                                                             for o in out):
            found = [tuple(o.shape) for o in out]
        else:
            raise OpError("argument", OP_ERRORS.not_followed())
        if key is not None:
            answers[key] = found
        return list(found) if isinstance(found, list) else found

    if all(t.shape is not None for t in flat):
        try:
            shape_fn([tuple(t.shape) for t in flat])
        except OpError as err:
            if err.kind == "argument":
                return Tensor(None, f"{label}{name} (line {ctx.line})", ctx.span)
    # else a Keras tensor of unknown rank: the pseudo-layer's rule is run over the ranks it
    # may have (rules/symbolic.py), claiming only what every rank that does not raise agrees on
    kind = f"ops.{name}" if label == "keras.ops." else f"activations.{name}" if label == "keras.activations." \
        else f"tf.{name}"
    out = _symbolic_op(ev, ctx.node, kind, flat, shape_fn)
    if out is None:  # a tensor of unknown rank, and no fixed rank for the result
        return Tensor(None, f"{label}{name} (line {ctx.line})", ctx.span)
    return out


def _raise_report(code: str, message: str, related=None, fix=None, severity=None) -> None:
    raise OpError({v: k for k, v in _OP_CODES.items()}.get(code, "axis"), message.split(": ", 1)[-1])


def _correct_pad(args: list, kwargs: dict) -> Any:
    """keras.src.applications.imagenet_utils.correct_pad(inputs, kernel_size): the ZeroPadding2D
    padding that keeps a strided 'valid' convolution centred (channels last, as Keras's default)."""
    x, kernel = _arg(args, kwargs, 0, "inputs"), _arg(args, kwargs, 1, "kernel_size")
    if isinstance(kernel, int) and not isinstance(kernel, bool):
        kernel = (kernel, kernel)
    shape = getattr(x, "shape", None)
    if not isinstance(x, Tensor) or not isinstance(shape, tuple) or len(shape) != 4 \
            or not (isinstance(kernel, tuple) and len(kernel) == 2 and all(isinstance(k, int) for k in kernel)):
        return Unknown("correct_pad() of values not known")
    size = shape[1:3]
    if size[0] is None:
        adjust = (1, 1)
    elif all(isinstance(d, int) and not isinstance(d, bool) for d in size):
        adjust = (1 - size[0] % 2, 1 - size[1] % 2)
    else:
        return Unknown("correct_pad() of an image size not known")
    correct = (kernel[0] // 2, kernel[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))

"""TensorFlow ops: the ``tensorflow.*`` table, incl. ``tf.nn`` convolution / pooling and ``tf.image``.
"""

from __future__ import annotations

from typing import Any, Callable
from shapelens.core import ops
from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import Tensor
from shapelens.core.data.arrays import _array, _binary, _cast, _ctor, _expand_dims, _identity, _join, _like, _matmul_fn, _one_hot, _reduction, _reshape, _shape_query, _split_fn, _squeeze, _tf_constant, _tf_fill, _tf_image_resize, _tf_random, _transpose
from shapelens.core.data.base import _Ctx, _arg, _derived, _is_int, _related, _run, _shape_arg, _shape_of, _tensors, _x
from shapelens.core.data.tf_data import _from_tensor_slices


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

"""TensorFlow ops: the ``tensorflow.*`` table, incl. ``tf.nn`` convolution / pooling and ``tf.image``.
"""

from __future__ import annotations

from typing import Any, Callable

from shapelens.core import shape_math
from shapelens.core.resolve import ModuleRef
from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import Partial, Tensor
from shapelens.core.data.arrays import (
    _argsort,
    _array,
    _binary,
    _broadcast_to,
    _cast,
    _ctor,
    _expand_dims,
    _identity,
    _int_tree,
    _join,
    _like,
    _linspace,
    _matmul_fn,
    _one_hot,
    _pad,
    _reduction,
    _repeat,
    _reshape,
    _shape_query,
    _tf_range,
    _split_fn,
    _squeeze,
    _tf_constant,
    _tf_fill,
    _tf_image_resize,
    _tf_random,
    _transpose,
)
from shapelens.core.data.base import (
    _Ctx,
    _arg,
    _derived,
    _is_int,
    _related,
    _run,
    _shape_arg,
    _shape_of,
    _tensors,
    _x,
)
from shapelens.core.data.registry import register
from shapelens.core.codes import TF_CONV_SILENTLY_GROUPED, TF_NN_SHAPE_ERROR


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
    return shape_math.conv_output_length(n, k, s, padding, d)


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
            ctx.report(TF_NN_SHAPE_ERROR, TF_NN_SHAPE_ERROR.input_rank(
                name=name, ndim=n + 2, detail_times_n='spatial, ' * n, xs=fmt_shape(xs),
                detail=f" from {x.origin}" if isinstance(x, Tensor) else "",
                suffix=". Add a batch axis (x[None, ...]); TensorFlow aborts the process on a "
                          "missing batch axis" if len(xs) == n + 1 else "; TensorFlow raises"),
                       related=_related(x))
            return Unknown("conv raises here")
        if len(ws) != n + 2:
            ctx.report(TF_NN_SHAPE_ERROR, TF_NN_SHAPE_ERROR.filters_rank(
                name=name, ndim=n + 2, detail_times_n='size, ' * n, ws=fmt_shape(ws)), related=_related(w))
            return Unknown("conv raises here")
        cin, fin, fout = xs[-1], ws[-2], ws[-1]
        if known(cin) and known(fin) and fin > 0:
            if cin % fin:
                ctx.report(TF_NN_SHAPE_ERROR, TF_NN_SHAPE_ERROR.channels_differ(
                    name=name, cin=cin, ws=fmt_shape(ws), fin=fin), related=_related(x) + _related(w))
                return Unknown("conv raises here")
            groups = cin // fin
            if groups > 1 and known(fout):
                if fout % groups:
                    ctx.report(TF_NN_SHAPE_ERROR, TF_NN_SHAPE_ERROR.input_channels_but_filters(
                        name=name, cin=cin, ws=fmt_shape(ws), fin=fin, groups=groups, fout=fout),
                               related=_related(x) + _related(w))
                    return Unknown("conv raises here")
                ctx.report(TF_CONV_SILENTLY_GROUPED, TF_CONV_SILENTLY_GROUPED.grouped_convolution(
                    name=name, cin=cin, ws=fmt_shape(ws), fin=fin, groups=groups,
                    detail=fmt_shape((*ws[:-2], cin, fout))),
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
                    ctx.report(TF_NN_SHAPE_ERROR, TF_NN_SHAPE_ERROR.pool_window_too_large(
                        short=ctx.short, map='×'.join(map(str, ksize)), xs=fmt_shape(xs)),
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
    shape = _shape_of(x)
    reps = _int_tree(_arg(args, kwargs, 1, "multiples"))
    if shape is None or not isinstance(reps, tuple) or not all(_is_int(r) or isinstance(r, Unknown) for r in reps):
        return Unknown("tile() not followed")
    if len(reps) != len(shape) and ctx.lib == "tf":
        return Unknown("tf.tile with a multiples length that differs from the rank")
    return _run(ctx, lambda: _derived(ctx, x, shape_math.tile(shape, reps), None), _tensors([x]))


def _tf_reshape(ctx, args, kwargs):
    x = _x(args, kwargs, "tensor")
    return _reshape(ctx, x, _arg(args, kwargs, 1, "shape"), f"{ctx.short}()")


def _extract_patches(tf_style: bool) -> Callable:
    """tf.image.extract_patches(images, sizes=[1, kh, kw, 1], strides, rates, padding) and
    keras.ops.image.extract_patches(images, size, strides=None (= size), dilation_rate=1,
    padding="valid"): (batch, rows, cols, kh * kw * channels), rows and cols as a convolution's."""

    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        x = _x(args, kwargs, "images", "image")
        shape = _shape_of(x)
        if shape is None or len(shape) not in (3, 4):
            return Unknown(f"{ctx.short}() of a value not known")
        if tf_style:
            size = _tf_strides(_arg(args, kwargs, 1, "sizes"), 2)
            strides = _tf_strides(_arg(args, kwargs, 2, "strides"), 2)
            rates = _tf_strides(_arg(args, kwargs, 3, "rates"), 2)
            padding = _arg(args, kwargs, 4, "padding")
            if len(shape) != 4:
                return Unknown("tf.image.extract_patches wants 4-D images")
        else:
            if _arg(args, kwargs, 5, "data_format") not in (None, "channels_last"):
                return Unknown("channels-first patches not followed")
            raw = _arg(args, kwargs, 1, "size")
            if isinstance(raw, (list, tuple)) and len(raw) != 2:
                return Unknown("3-D patches not followed")
            size = _tf_strides(raw, 2)
            strides = _tf_strides(_arg(args, kwargs, 2, "strides") or raw, 2)
            rates = _tf_strides(_arg(args, kwargs, 3, "dilation_rate", 1), 2)
            padding = _arg(args, kwargs, 4, "padding", "valid")
        if size is None or strides is None or rates is None or not isinstance(padding, str) \
                or padding.lower() not in ("valid", "same"):
            return Unknown(f"{ctx.short}() arguments not known statically")
        *lead, h, w, c = shape
        out = [_conv_window(n, k, st, padding.lower(), r) for n, k, st, r in zip((h, w), size, strides, rates)]
        if any(known(o) and o <= 0 for o in out):
            return Unknown("patches larger than the image")
        depth = size[0] * size[1] * c if known(c) else UNK
        return _derived(ctx, x, (*lead, *out, depth), None)

    return fn


def _stft(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """tf.signal.stft(signals, frame_length, frame_step, fft_length=None, ..., pad_end=False):
    (..., frames, fft_length // 2 + 1); fft_length defaults to the power of 2 >= frame_length."""
    x = _x(args, kwargs, "signals")
    shape = _shape_of(x)
    length, step = _arg(args, kwargs, 1, "frame_length"), _arg(args, kwargs, 2, "frame_step")
    fft = _arg(args, kwargs, 3, "fft_length")
    pad_end = _arg(args, kwargs, 5, "pad_end", False)
    if shape is None or not shape or not (_is_int(length) and _is_int(step) and length > 0 and step > 0) \
            or not (fft is None or _is_int(fft) and fft > 0) or not isinstance(pad_end, bool):
        return Unknown(f"{ctx.short}() arguments not known statically")
    if fft is None:
        fft = 1 << (length - 1).bit_length()
    n = shape[-1]
    if not known(n):
        frames = UNK if n is not None else None
    elif pad_end:
        frames = -(-n // step)
    else:
        frames = max(0, 1 + (n - length) // step)
    return ctx.arr((*shape[:-1], frames, fft // 2 + 1), dtype="complex")


def _tf_variable(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """tf.Variable(initial_value, trainable, ..., shape=None): the shape of its initial value
    (or the shape= given); a weight of the layer it is set on under Keras 2 only."""
    init = _arg(args, kwargs, 0, "initial_value")
    shape = _shape_arg(kwargs["shape"]) if kwargs.get("shape") is not None else _shape_of(init)
    return ctx.arr(shape, "tf.Variable", variable="tf", dtype=getattr(init, "dtype", None))


def initializer(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """tf.random_uniform_initializer() / keras.initializers.GlorotUniform() ...: called with a
    shape (and a dtype), a tensor of that shape, as tf.random.normal(shape, dtype=...) gives."""
    return Partial(ModuleRef("tensorflow.random.normal"), [], {})


def _bounding_box(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """tf.image.crop_to_bounding_box / pad_to_bounding_box(image, offset_height, offset_width,
    target_height, target_width): the image (3-D) or batch (4-D) at the target height and width."""
    x = _arg(args, kwargs, 0, "image")
    shape = x.shape if isinstance(x, Tensor) else None
    if shape is None or len(shape) not in (3, 4):
        return Unknown(f"{ctx.short}() of an image whose shape is not known")
    size = tuple(d if isinstance(d, int) and not isinstance(d, bool) else UNK
                 for d in (_arg(args, kwargs, 3, "target_height"), _arg(args, kwargs, 4, "target_width")))
    out = (*size, shape[-1]) if len(shape) == 3 else (shape[0], *size, shape[-1])
    if type(x) is Tensor:  # a tensor traced in a layer's call(): its None is Keras's batch axis
        return Tensor(out, ctx.origin(), ctx.span, symbolic=x.symbolic)
    return _derived(ctx, x, out, None)


def _crop_and_resize(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    """tf.image.crop_and_resize(image, boxes, box_indices, crop_size): one crop per box,
    (num_boxes, crop_height, crop_width, depth)."""
    x, boxes = _arg(args, kwargs, 0, "image"), _arg(args, kwargs, 1, "boxes")
    size = _arg(args, kwargs, 3, "crop_size")
    shape, box_shape = _shape_of(x), _shape_of(boxes)
    if shape is None or len(shape) != 4 or box_shape is None or len(box_shape) != 2 \
            or not (isinstance(size, (list, tuple)) and len(size) == 2):
        return Unknown("tf.image.crop_and_resize() of values not known")
    out = (box_shape[0], *(d if _is_int(d) else UNK for d in size), shape[-1])
    if type(x) is Tensor:  # a tensor traced in a layer's call(): its None is Keras's batch axis
        return Tensor(out, ctx.origin(), ctx.span, symbolic=x.symbolic)
    return _derived(ctx, x, out, None, dtype="float")


def _compare(op: Callable) -> Callable:
    """tf.equal / tf.not_equal: of two Python numbers an eager boolean, whose truth decides an
    `if` (MobileViT's `if tf.math.equal(x.shape[-1], output_channels)`); else elementwise.
    Given as a Python bool: only its truth is used."""

    def fn(ctx: _Ctx, args: list, kwargs: dict) -> Any:
        a, b = _arg(args, kwargs, 0, "x"), _arg(args, kwargs, 1, "y")
        # eager only: inside a layer's call() TensorFlow may be tracing a graph, where a tensor
        # cannot decide an `if`
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)) \
                and not getattr(ctx.ev.keras, "in_layer_call", 0):
            return bool(op(a, b))
        return _binary(ctx, args, kwargs)

    return fn


_INITIALIZERS = ("random_uniform_initializer", "random_normal_initializer", "zeros_initializer",
                 "ones_initializer", "constant_initializer", "truncated_normal_initializer",
                 "glorot_uniform_initializer", "glorot_normal_initializer", "variance_scaling_initializer",
                 "orthogonal_initializer")

_TF_FUNCS: dict[str, Callable] = {
    "tensorflow.image.extract_patches": _extract_patches(True), "tensorflow.signal.stft": _stft,
    **{f"tensorflow.signal.{name}": _identity for name in ("fft", "fft2d", "fft3d", "ifft", "ifft2d", "ifft3d")},
    "tensorflow.real": _identity, "tensorflow.imag": _identity, "tensorflow.math.conj": _identity, "tensorflow.Variable": _tf_variable, "tensorflow.repeat": _repeat, "tensorflow.pad": _pad("paddings"),
    "tensorflow.broadcast_to": _broadcast_to, **{f"tensorflow.{name}": initializer for name in _INITIALIZERS},
    "tensorflow.zeros": _ctor("zeros"), "tensorflow.ones": _ctor("ones"), "tensorflow.fill": _tf_fill,
    "tensorflow.constant": _tf_constant, "tensorflow.convert_to_tensor": _array, "tensorflow.identity": _identity,
    "tensorflow.zeros_like": _like, "tensorflow.ones_like": _like, "tensorflow.cast": _cast(1),
    "tensorflow.dtypes.cast": _cast(1), "tensorflow.stop_gradient": _identity,
    "tensorflow.random.normal": _tf_random, "tensorflow.random.uniform": _tf_random,
    "tensorflow.random.truncated_normal": _tf_random, "tensorflow.random.shuffle": _identity,
    "tensorflow.random.stateless_normal": _tf_random, "tensorflow.random.stateless_uniform": _tf_random,
    "tensorflow.reshape": _tf_reshape, "tensorflow.expand_dims": _expand_dims, "tensorflow.squeeze": _squeeze,
    "tensorflow.transpose": _transpose, "tensorflow.concat": _tf_concat, "tensorflow.stack": _join("stack"),
    "tensorflow.split": _split_fn(True), "tensorflow.tile": _tf_tile, "tensorflow.reduce_sum": _reduction(),
    "tensorflow.reduce_mean": _reduction(), "tensorflow.reduce_max": _reduction(),
    "tensorflow.reduce_min": _reduction(), "tensorflow.reduce_prod": _reduction(),
    "tensorflow.reduce_std": _reduction(), "tensorflow.reduce_variance": _reduction(),
    "tensorflow.reduce_any": _reduction(), "tensorflow.reduce_all": _reduction(),
    "tensorflow.reduce_logsumexp": _reduction(), "tensorflow.argmax": _tf_argmax, "tensorflow.argmin": _tf_argmax,
    "tensorflow.matmul": _matmul_fn("tf"), "tensorflow.linalg.matmul": _matmul_fn("tf"),
    "tensorflow.one_hot": _one_hot, "tensorflow.image.resize": _tf_image_resize,
    "tensorflow.image.crop_and_resize": _crop_and_resize,
    # elementwise string ops: one string (or number) per input string
    "tensorflow.strings.lower": _identity, "tensorflow.strings.upper": _identity,
    "tensorflow.strings.strip": _identity, "tensorflow.strings.regex_replace": _identity,
    "tensorflow.strings.to_number": _identity, "tensorflow.strings.length": _identity,
    "tensorflow.strings.as_string": _identity,
    "tensorflow.image.crop_to_bounding_box": _bounding_box, "tensorflow.image.pad_to_bounding_box": _bounding_box,
    "tensorflow.image.rgb_to_grayscale": _tf_gray(1), "tensorflow.image.grayscale_to_rgb": _tf_gray(3),
    "tensorflow.image.convert_image_dtype": _identity, "tensorflow.image.per_image_standardization": _identity,
    "tensorflow.image.flip_left_right": _identity, "tensorflow.image.random_flip_left_right": _identity,
    "tensorflow.nn.conv1d": _tf_conv(1), "tensorflow.nn.conv2d": _tf_conv(2), "tensorflow.nn.conv3d": _tf_conv(3),
    "tensorflow.nn.convolution": _tf_conv(None), "tensorflow.nn.max_pool1d": _tf_pool(1, "max"),
    "tensorflow.nn.max_pool2d": _tf_pool(2, "max"), "tensorflow.nn.max_pool3d": _tf_pool(3, "max"),
    "tensorflow.nn.max_pool": _tf_pool(None, "max"), "tensorflow.nn.avg_pool1d": _tf_pool(1, "avg"),
    "tensorflow.nn.avg_pool2d": _tf_pool(2, "avg"), "tensorflow.nn.avg_pool3d": _tf_pool(3, "avg"),
    "tensorflow.nn.avg_pool": _tf_pool(None, "avg"),
    "tensorflow.shape": _shape_query("shape"), "tensorflow.range": _tf_range,
    "tensorflow.linspace": lambda c, a, k: _linspace(c, a, k) if len(a) < 4 and "axis" not in k
    else Unknown("tf.linspace() along an axis is not followed"),
    "tensorflow.rank": _shape_query("ndim"), "tensorflow.size": _shape_query("size"), "tensorflow.abs": _identity,
    "tensorflow.exp": _identity, "tensorflow.log": _identity, "tensorflow.sqrt": _identity,
    "tensorflow.square": _identity, "tensorflow.sin": _identity, "tensorflow.cos": _identity,
    "tensorflow.tanh": _identity, "tensorflow.sigmoid": _identity, "tensorflow.floor": _identity,
    "tensorflow.ceil": _identity, "tensorflow.round": _identity, "tensorflow.sign": _identity,
    "tensorflow.negative": _identity, "tensorflow.nn.relu": _identity, "tensorflow.nn.relu6": _identity,
    "tensorflow.nn.sigmoid": _identity, "tensorflow.nn.tanh": _identity, "tensorflow.nn.softmax": _identity,
    "tensorflow.nn.log_softmax": _identity, "tensorflow.nn.elu": _identity, "tensorflow.nn.selu": _identity,
    "tensorflow.nn.gelu": _identity, "tensorflow.nn.leaky_relu": _identity, "tensorflow.nn.silu": _identity,
    "tensorflow.nn.swish": _identity, "tensorflow.nn.softplus": _identity, "tensorflow.clip_by_value": _identity,
    "tensorflow.math.l2_normalize": _identity, "tensorflow.nn.l2_normalize": _identity,
    "tensorflow.nn.dropout": _identity, "tensorflow.ensure_shape": _identity, "tensorflow.sort": _identity,
    "tensorflow.argsort": _argsort, "tensorflow.reverse": _identity, "tensorflow.roll": _identity,
    "tensorflow.cumsum": _identity, "tensorflow.math.cumsum": _identity, "tensorflow.is_nan": _identity,
    "tensorflow.math.is_nan": _identity, "tensorflow.nn.bias_add": _identity, "tensorflow.math.log1p": _identity,
    "tensorflow.reciprocal": _identity, "tensorflow.rsqrt": _identity, "tensorflow.math.rsqrt": _identity,
    "tensorflow.nn.batch_normalization": _identity, "tensorflow.add": _binary, "tensorflow.subtract": _binary,
    "tensorflow.multiply": _binary, "tensorflow.divide": _binary, "tensorflow.truediv": _binary,
    "tensorflow.floordiv": _binary, "tensorflow.pow": _binary, "tensorflow.maximum": _binary,
    "tensorflow.minimum": _binary, "tensorflow.mod": _binary, "tensorflow.equal": _compare(lambda a, b: a == b),
    "tensorflow.not_equal": _compare(lambda a, b: a != b), "tensorflow.less": _binary, "tensorflow.greater": _binary,
    "tensorflow.less_equal": _binary, "tensorflow.greater_equal": _binary, "tensorflow.logical_and": _binary,
    "tensorflow.logical_or": _binary, "tensorflow.squared_difference": _binary,
    "tensorflow.math.squared_difference": _binary, "tensorflow.add_n_pair": _binary, "tensorflow.realdiv": _binary,
    "tensorflow.math.divide_no_nan": _binary, "tensorflow.add_n": lambda c, a, k: _reduce_first(c, a, k),
}
register(_TF_FUNCS)


def _reduce_first(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    seq = _arg(args, kwargs, 0, "inputs")
    if not isinstance(seq, (list, tuple)) or not seq:
        return Unknown("add_n()")
    shapes = [_shape_of(s) for s in seq]
    if any(s is None for s in shapes):
        return Unknown("add_n()")
    return _run(ctx, lambda: ctx.arr(shape_math.broadcast(*shapes)), _tensors(seq))

"""Preprocessing layers: Rescaling, Resizing, CenterCrop, RandomCrop, the image augmentation
layers keras.layers exports, CategoryEncoding and Normalization.

Keras 3 computes their symbolic outputs with ``compute_output_shape``
(keras/src/layers/preprocessing/**), which checks very little:

* the augmentation layers return the input shape for any rank (RandomFlip on a 2-D
  tensor builds fine); only RandomColorDegeneration checks rank 3/4 and 3 channels;
* Resizing writes height/width into axes 1, 2 of a 4-D input and into axes 0, 1 of any
  other rank (a 2-D ``(batch, features)`` input becomes ``(height, width)``);
  CenterCrop insists on rank 3 or 4; RandomCrop writes axes -3, -2 of any rank;
* argument validation happens in the constructors and is reproduced here (factor
  ranges, value_range, fill_mode, interpolation, ...).

Where Keras builds but the layer cannot run (Resizing on a rank that is not 3 or 4), the
rule adds an SL123 warning.
"""

from __future__ import annotations

from typing import Any, Callable

from shapelens.core.rules.base import REQUIRED, Args, LayerError, Out, Unresolved, layer, shown
from shapelens.core.shapes import UNK, Shape, fmt_shape, is_unknown, known
from shapelens.core.codes import (
    FAILS_AT_RUN_TIME,
    INCOMPATIBLE_INPUT_DIMENSION,
    INCOMPATIBLE_MERGE_SHAPES,
    INVALID_ARGUMENT,
    UNDEFINED_DIMENSION,
    WRONG_INPUT_RANK,
)

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


# ---------------------------------------------------------------------------
# Argument validation shared by the image layers
# ---------------------------------------------------------------------------


def _number(v: Any) -> bool:
    return isinstance(v, (int, float))


def _resolve(a: Args, name: str, default: Any) -> Any:
    value = a._get(name, default)
    if isinstance(value, (list, tuple)) and any(is_unknown(v) for v in value):
        raise Unresolved(f"`{name}` of {a.kind} is not known statically")
    return value


def _range_txt(lo, hi) -> str:
    return f"[{lo}, {hi}]"


def base_factor(a: Args, name: str, lo, hi, default: Any = REQUIRED, falsy_ok: bool = False) -> None:
    """BaseImagePreprocessingLayer._set_factor: a number in [lo, hi] or a pair that overlaps it.

    ``falsy_ok``: the factor went through the base constructor's ``factor or 0.0``."""
    f = _resolve(a, name, default)
    if falsy_ok and not f:
        return
    bad = False
    if isinstance(f, (list, tuple)):
        if len(f) != 2 or not all(_number(v) for v in f):
            bad = True
        else:
            bad = f[0] > hi or f[1] < lo
    elif _number(f):
        bad = f < lo or f > hi
    else:
        bad = True
    if bad:
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.not_number_or_pair_in_range(name=name, kind=a.kind, range_txt=_range_txt(lo, hi), f=f),
        )


def each_factor(a: Args, name: str, ok: Callable[[float], bool], range_txt: str, default: Any = REQUIRED) -> tuple:
    """RandomTranslation/RandomZoom/RandomShear/Solarization: every number must be in range."""
    f = _resolve(a, name, default)
    if isinstance(f, (list, tuple)):
        if len(f) != 2 or not all(_number(v) for v in f):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_number_or_pair(name=name, kind=a.kind, f=f))
        values = list(f)
    elif _number(f):
        values = [f]
    else:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_number_or_pair(name=name, kind=a.kind, f=f))
    for v in values:
        if not ok(v):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_in_range(
                name=name, kind=a.kind, range_txt=range_txt, v=v))
    return tuple(values)


def value_range(a: Args, default: Any = (0, 255)) -> None:
    vr = _resolve(a, "value_range", default)
    if not isinstance(vr, (list, tuple)) or len(vr) != 2:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.value_range_must_pair(kind=a.kind, vr=vr))


def choice(a: Args, name: str, options, default: Any) -> str:
    value = a._get(name, default)
    if value not in options:
        opts = ", ".join(repr(o) for o in options)
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_one_of(name=name, kind=a.kind, opts=opts, value=value))
    return value


def no_factor(a: Args) -> None:
    """Layers without a `factor` pass it on to the base class, which rejects it."""
    if a.has("factor") and a._get("factor", None) is not None:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.does_not_take_factor(kind=a.kind))


def number_in(a: Args, name: str, lo, hi, default: Any) -> None:
    v = a._get(name, default)
    if not _number(v) or v < lo or v > hi:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.number_out_of_range(
            name=name, kind=a.kind, lo=lo, hi=hi, v=v))


# ---------------------------------------------------------------------------
# Shape-preserving image layers
# ---------------------------------------------------------------------------


def _same(validate: Callable[[Args], None], doc: str):
    def rule(a: Args, x: Shape, call: dict) -> Out:
        a.data_format()
        validate(a)
        return Out(tuple(x), 0)

    rule.__doc__ = doc
    return rule


def _v_flip(a: Args) -> None:
    no_factor(a)


def _v_rotation(a: Args) -> None:
    base_factor(a, "factor", -1, 1, falsy_ok=True)
    choice(a, "fill_mode", FILL_MODES, "reflect")
    choice(a, "interpolation", INTERPOLATIONS, "bilinear")


def _v_zoom(a: Args) -> None:
    no_factor(a)
    each_factor(a, "height_factor", lambda v: -1.0 < v <= 1.0, "(-1, 1]")
    if a._get("width_factor", None) is not None:
        each_factor(a, "width_factor", lambda v: -1.0 < v <= 1.0, "(-1, 1]")
    choice(a, "fill_mode", FILL_MODES, "reflect")
    choice(a, "interpolation", INTERPOLATIONS, "bilinear")


def _v_translation(a: Args) -> None:
    no_factor(a)
    each_factor(a, "height_factor", lambda v: -1.0 <= v <= 1.0, "[-1, 1]")
    each_factor(a, "width_factor", lambda v: -1.0 <= v <= 1.0, "[-1, 1]")
    choice(a, "fill_mode", FILL_MODES, "reflect")
    choice(a, "interpolation", INTERPOLATIONS, "bilinear")


def _v_shear(a: Args) -> None:
    no_factor(a)
    each_factor(a, "x_factor", lambda v: 0.0 <= v <= 1.0, "[0, 1]", 0.0)
    each_factor(a, "y_factor", lambda v: 0.0 <= v <= 1.0, "[0, 1]", 0.0)
    choice(a, "fill_mode", FILL_MODES, "reflect")
    choice(a, "interpolation", INTERPOLATIONS, "bilinear")


def _factor_and_range(lo, hi, default: Any = REQUIRED, checks_range: bool = True, falsy_ok: bool = False):
    def v(a: Args) -> None:
        base_factor(a, "factor", lo, hi, default, falsy_ok=falsy_ok)
        if checks_range:
            value_range(a)

    return v


def _v_contrast(a: Args) -> None:
    base_factor(a, "factor", 0, 1)


def _v_grayscale(a: Args) -> None:
    number_in(a, "factor", 0, 1, 0.5)


def _v_perspective(a: Args) -> None:
    base_factor(a, "factor", 0, 1, 1.0)
    number_in(a, "scale", 0.0, 1.0, 1.0)
    choice(a, "interpolation", INTERPOLATIONS, "bilinear")


def _v_elastic(a: Args) -> None:
    base_factor(a, "factor", 0, 1, 1.0)
    base_factor(a, "scale", 0, 1, 1.0)
    choice(a, "interpolation", INTERPOLATIONS, "bilinear")
    choice(a, "fill_mode", ("constant", "nearest", "wrap", "mirror", "reflect"), "reflect")


def _v_erasing(a: Args) -> None:
    base_factor(a, "factor", 0, 1, 1.0)
    base_factor(a, "scale", 0, 1, (0.02, 0.33))


def _v_blur(a: Args) -> None:
    base_factor(a, "factor", 0, 1, 1.0)
    k = _resolve(a, "kernel_size", 3)
    if isinstance(k, (list, tuple)):
        if len(k) != 2 or not all(_number(v) for v in k):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.kernel_size_must_number(kind=a.kind, k=k))
        odd = all(v % 2 != 0 for v in k)
    elif _number(k):
        odd = k % 2 != 0
    else:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.kernel_size_must_odd(kind=a.kind, k=k))
    if not odd:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.kernel_size_even(kind=a.kind, k=k))
    base_factor(a, "sigma", 0, 1, 1.0)


def _v_solarization(a: Args) -> None:
    no_factor(a)
    each_factor(a, "addition_factor", lambda v: 0 <= v <= 1.0, "[0, 1]", 0.0)
    each_factor(a, "threshold_factor", lambda v: 0 <= v <= 1.0, "[0, 1]", 0.0)
    value_range(a)


def _v_auto_contrast(a: Args) -> None:
    no_factor(a)
    value_range(a)


def _v_equalization(a: Args) -> None:
    _v_pass_factor(a)
    value_range(a)


def _v_pass_factor(a: Args) -> None:
    """Layers that forward **kwargs (with any `factor`) to the base class."""
    base_factor(a, "factor", -1, 1, None, falsy_ok=True)


def _v_color_jitter(a: Args) -> None:
    _v_pass_factor(a)
    # RandomBrightness hands its factor to the base constructor (`factor or 0.0`); the
    # others validate theirs directly
    for name, lo, hi, checks_range, falsy_ok in (
        ("brightness_factor", -1, 1, True, True), ("contrast_factor", 0, 1, False, False),
        ("saturation_factor", -1, 1, True, False), ("hue_factor", 0, 1, False, False),
    ):
        if a._get(name, None) is not None:
            base_factor(a, name, lo, hi, None, falsy_ok=falsy_ok)
            if checks_range:
                value_range(a)


def _augmenter(all_ops_default: bool, factor_default):
    """AugMix / RandAugment: the factor pair feeds RandomShear and Solarization, which need >= 0."""

    def v(a: Args) -> None:
        base_factor(a, "factor", 0, 1, factor_default)
        f = _resolve(a, "factor", factor_default)
        pair = sorted(f) if isinstance(f, (list, tuple)) else [max(-abs(f), 0), abs(f)]
        for p in pair:
            if not 0 <= p <= 1:
                raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.factor_must_lie(kind=a.kind, f=f))
        choice(a, "interpolation", INTERPOLATIONS, "bilinear")
        value_range(a)

    return v


def _v_color_degeneration(a: Args) -> None:
    base_factor(a, "factor", -1, 1)
    value_range(a)


def _v_max_boxes(a: Args) -> None:
    for name, default in (("max_number", REQUIRED), ("fill_value", -1)):
        v = a._get(name, default)
        try:
            int(v)
        except (TypeError, ValueError):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_an_integer(name=name, kind=a.kind, value=shown(v))) from None
    _v_pass_factor(a)


def _nothing(a: Args) -> None:
    _v_pass_factor(a)


_SAME_SHAPE = (
    ("RandomFlip", ("mode", "seed", "data_format"), _v_flip),
    ("RandomRotation", ("factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"), _v_rotation),
    ("RandomZoom", ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"), _v_zoom),
    ("RandomTranslation", ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"), _v_translation),
    ("RandomShear", ("x_factor", "y_factor", "interpolation", "fill_mode", "fill_value", "data_format", "seed"), _v_shear),
    ("RandomContrast", ("factor", "value_range", "seed"), _v_contrast),
    ("RandomBrightness", ("factor", "value_range", "seed"), _factor_and_range(-1, 1, falsy_ok=True)),
    ("RandomHue", ("factor", "value_range", "data_format", "seed"), _factor_and_range(0, 1, checks_range=False)),
    ("RandomSaturation", ("factor", "value_range", "data_format", "seed"), _factor_and_range(-1, 1)),
    ("RandomSharpness", ("factor", "value_range", "data_format", "seed"), _factor_and_range(0, 1)),
    ("RandomInvert", ("factor", "value_range", "seed", "data_format"), _factor_and_range(0, 1, 1.0, checks_range=False)),
    ("RandomPosterization", ("factor", "value_range", "data_format", "seed"), _factor_and_range(1, 8)),
    ("RandomGrayscale", ("factor", "data_format", "seed"), _v_grayscale),
    ("RandomPerspective", ("factor", "scale", "interpolation", "fill_value", "seed", "data_format"), _v_perspective),
    ("RandomElasticTransform", ("factor", "scale", "interpolation", "fill_mode", "fill_value", "value_range", "seed", "data_format"), _v_elastic),
    ("RandomErasing", ("factor", "scale", "fill_value", "value_range", "seed", "data_format"), _v_erasing),
    ("RandomGaussianBlur", ("factor", "kernel_size", "sigma", "value_range", "data_format", "seed"), _v_blur),
    ("RandomColorJitter", ("value_range", "brightness_factor", "contrast_factor", "saturation_factor", "hue_factor", "seed", "data_format"), _v_color_jitter),
    ("Solarization", ("addition_factor", "threshold_factor", "value_range", "seed"), _v_solarization),
    ("AutoContrast", ("value_range",), _v_auto_contrast),
    ("Equalization", ("value_range", "bins", "data_format"), _v_equalization),
    ("ContrastLimitedAdaptiveHistogramEqualization", ("value_range", "clip_limit", "tile_grid_size", "data_format"), _nothing),
    ("CutMix", ("factor", "seed", "data_format"), _factor_and_range(0, 1, 1.0, checks_range=False)),
    ("MixUp", ("alpha", "data_format", "seed"), _nothing),
    ("AugMix", ("value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops", "interpolation", "seed", "data_format"), _augmenter(True, 0.3)),
    ("RandAugment", ("value_range", "num_ops", "factor", "interpolation", "seed", "data_format"), _augmenter(True, 0.5)),
    ("MaxNumBoundingBoxes", ("max_number", "fill_value"), _v_max_boxes),
)
for _name, _args, _validate in _SAME_SHAPE:
    layer(_name, args=_args, family="preprocessing")(
        _same(_validate, "Same shape as the input (image augmentation; Keras does not check the rank).")
    )


@layer("RandomColorDegeneration", args=("factor", "value_range", "data_format", "seed"), family="preprocessing")
def random_color_degeneration(a: Args, x: Shape, call: dict) -> Out:
    """Same shape; the input must be a 3-D image or a 4-D batch with 3 channels."""
    fmt = a.data_format()
    _v_color_degeneration(a)
    if len(x) not in (3, 4):
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.randomcolordegeneration_expects_images(n_x=len(x), x=fmt_shape(x)),
        )
    c = x[-1] if fmt == "channels_last" else x[-3]
    if known(c) and c != 3:
        raise LayerError(
            INCOMPATIBLE_INPUT_DIMENSION, INCOMPATIBLE_INPUT_DIMENSION.randomcolordegeneration_needs_rgb(
                c=c, x=fmt_shape(x))
        )
    return Out(tuple(x), 0)


@layer("Rescaling", args=("scale", "offset"), family="preprocessing")
def rescaling(a: Args, x: Shape, call: dict) -> Out:
    """Same shape: x * scale + offset."""
    if not a.has("scale"):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.rescaling_missing_required())
    return Out(tuple(x), 0)


# ---------------------------------------------------------------------------
# Resizing and cropping
# ---------------------------------------------------------------------------


def _size(a: Args, name: str) -> Any:
    """height / width: Keras stores them as given and they become output dimensions."""
    v = a._get(name, REQUIRED)
    if v is None:
        return None
    if isinstance(v, bool):
        return int(v)
    if not isinstance(v, int):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_integer_pixels(name=name, kind=a.kind, v=v))
    if v < 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.negative(name=name, kind=a.kind, v=v))
    return v


def _set_hw(kind: str, x: Shape, hi: int, wi: int, h, w) -> Shape:
    out = list(x)
    for idx, val in ((hi, h), (wi, w)):
        if not -len(out) <= idx < len(out):
            raise LayerError(
                WRONG_INPUT_RANK,
                WRONG_INPUT_RANK.needs_image_input(kind=kind, n_x=len(x), x=fmt_shape(x)),
            )
        out[idx] = val
    return tuple(out)


RESIZE_ARGS = ("height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio",
               "fill_mode", "fill_value", "antialias", "data_format")


@layer("Resizing", args=RESIZE_ARGS, family="preprocessing")
def resizing(a: Args, x: Shape, call: dict) -> Out:
    """Sets height and width: axes 1, 2 of a 4-D batch (2, 3 channels_first), 0, 1 of a 3-D image."""
    h, w = _size(a, "height"), _size(a, "width")
    fmt = a.data_format()
    no_factor(a)
    if len(x) == 4:
        hi, wi = (1, 2) if fmt == "channels_last" else (2, 3)
    else:
        hi, wi = (0, 1) if fmt == "channels_last" else (1, 2)
    out = _set_hw("Resizing", x, hi, wi, h, w)
    warnings = []
    if len(x) not in (3, 4):
        warnings.append((
            FAILS_AT_RUN_TIME,
            FAILS_AT_RUN_TIME.resizing_expects_images(n_x=len(x), x=fmt_shape(x), out=fmt_shape(out)),
        ))
    return Out(out, 0, warnings=warnings)


@layer("CenterCrop", args=("height", "width", "data_format"), family="preprocessing")
def center_crop(a: Args, x: Shape, call: dict) -> Out:
    """Sets height and width of a 3-D image or a 4-D batch (smaller inputs are resized up)."""
    h, w = _size(a, "height"), _size(a, "width")
    fmt = a.data_format()
    no_factor(a)
    if len(x) not in (3, 4):
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.centercrop_expects_images(n_x=len(x), x=fmt_shape(x)),
        )
    if len(x) == 4:
        hi, wi = (1, 2) if fmt == "channels_last" else (2, 3)
    else:
        hi, wi = (0, 1) if fmt == "channels_last" else (1, 2)
    return Out(_set_hw("CenterCrop", x, hi, wi, h, w), 0)


@layer("RandomCrop", args=("height", "width", "seed", "data_format"), family="preprocessing")
def random_crop(a: Args, x: Shape, call: dict) -> Out:
    """Sets axes -3, -2 (channels_first: -2, -1) to height, width."""
    h, w = _size(a, "height"), _size(a, "width")
    fmt = a.data_format()
    hi, wi = (-3, -2) if fmt == "channels_last" else (-2, -1)
    return Out(_set_hw("RandomCrop", x, hi, wi, h, w), 0)


# ---------------------------------------------------------------------------
# CategoryEncoding and Normalization
# ---------------------------------------------------------------------------


@layer("CategoryEncoding", args=("num_tokens", "output_mode", "sparse"), family="preprocessing")
def category_encoding(a: Args, x: Shape, call: dict) -> Out:
    """multi_hot / count: last axis becomes num_tokens. one_hot: a num_tokens axis is appended
    (it replaces a trailing axis of size 1)."""
    mode = a.str("output_mode", "multi_hot")
    if mode == "binary":
        mode = "multi_hot"
    if mode not in ("count", "one_hot", "multi_hot"):
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.output_mode_categoryencoding_must(mode=mode)
        )
    n = a._get("num_tokens", None)
    if n is None:
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.categoryencoding_needs_num_tokens()
        )
    if isinstance(n, bool):
        n = int(n)
    if not isinstance(n, (int, float)):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.num_tokens_categoryencoding_must(n=shown(n)))
    if n < 1:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.num_tokens_categoryencoding_below_one(n=n))
    if not isinstance(n, int):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.num_tokens_categoryencoding_must(n=shown(n)))
    x = tuple(x)
    if len(x) == 0:
        return Out((n,), 0)
    if mode == "one_hot":
        last = x[-1]
        if is_unknown(last):
            raise Unresolved("the last axis of the CategoryEncoding input is not known statically")
        if last != 1 or len(x) == 1:
            return Out(x + (n,), 0)
        return Out(x[:-1] + (n,), 0)
    return Out(x[:-1] + (n,), 0)


def _np_shape(value: Any) -> tuple:
    """numpy's shape of a nested list literal (rectangular only)."""
    if isinstance(value, (list, tuple)):
        if not value:
            return (0,)
        inner = [_np_shape(v) for v in value]
        if any(s != inner[0] for s in inner):
            raise Unresolved("a ragged nested list is not a valid array")
        return (len(value),) + inner[0]
    if is_unknown(value):
        raise Unresolved("a value of Normalization is not known statically")
    if not isinstance(value, (int, float)):
        raise Unresolved(f"cannot tell the shape of {value!r}")
    return ()


@layer("Normalization", args=("axis", "mean", "variance", "invert"), family="preprocessing")
def normalization(a: Args, x: Shape, call: dict) -> Out:
    """Same shape. Without mean/variance: mean and variance per kept axis + a count (not trainable)."""
    axis = _resolve(a, "axis", -1)
    if axis is None:
        axes: tuple = ()
    elif isinstance(axis, int) and not isinstance(axis, bool):
        axes = (axis,)
    elif isinstance(axis, (list, tuple)):
        axes = tuple(axis)
    else:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.axis_normalization_must(axis=axis))
    mean, variance = a._get("mean", None), a._get("variance", None)
    if (mean is None) != (variance is None):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.normalization_needs_both())
    mean_shape = None
    if mean is not None:
        mean_shape, var_shape = _np_shape(mean), _np_shape(variance)
        if mean_shape != var_shape:
            raise LayerError(
                INVALID_ARGUMENT, INVALID_ARGUMENT.normalization_mean_variance(
                    mean_shape=mean_shape, var_shape=var_shape)
            )
        if len(mean_shape) > len(axes):
            raise LayerError(
                INVALID_ARGUMENT,
                INVALID_ARGUMENT.normalization_mean_rank(n_mean_shape=len(mean_shape), n_axes=len(axes), axes=axes),
            )
    ndim = len(x)
    for ax in axes:
        if not isinstance(ax, int) or not -ndim <= ax < ndim:
            raise LayerError(
                WRONG_INPUT_RANK, WRONG_INPUT_RANK.normalization_axis_out(ax=ax, ndim=ndim, x=fmt_shape(x))
            )
    keep = sorted(ax if ax >= 0 else ax + ndim for ax in axes)
    for d in keep:
        if x[d] is None:
            raise LayerError(
                UNDEFINED_DIMENSION,
                UNDEFINED_DIMENSION.normalization_keeps_axis(d=d, x=fmt_shape(x)),
            )
    if mean_shape is None:
        n = 1
        for d in keep:
            if not known(x[d]):
                return Out(tuple(x), None)
            n *= x[d]
        return Out(tuple(x), 2 * n + 1)
    # given mean / variance: aligned to the kept axes from the right, then broadcast
    for i in range(1, len(mean_shape) + 1):
        d = keep[-i]
        m = mean_shape[-i]
        if known(x[d]) and m != 1 and m != x[d]:
            raise LayerError(
                INCOMPATIBLE_MERGE_SHAPES,
                INCOMPATIBLE_MERGE_SHAPES.normalization_mean_variance(
                    mean_shape=mean_shape, d=d, x_d=x[d], x=fmt_shape(x)),
            )
    return Out(tuple(x), 0)


# ---------------------------------------------------------------------------
# Discretization, Hashing, StringLookup / IntegerLookup, TextVectorization
# (keras/src/layers/preprocessing/{discretization,hashing,index_lookup,text_vectorization}.py)
# ---------------------------------------------------------------------------


def _encode_mode(a: Args, allowed: tuple, default: str = "int", aliases: bool = False) -> str:
    """output_mode; the lookup layers and TextVectorization still take 'binary' and 'tf-idf'."""
    mode = a.str("output_mode", default)
    if aliases:
        mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(mode, mode)
    if mode not in allowed:
        options = ", ".join(repr(m) for m in allowed)
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.output_mode_must_one(
            kind=a.kind, options=options, mode=mode))
    if mode == "int" and a._get("sparse", False):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.sparse_true_needs(kind=a.kind))
    return mode


def _one_hot_shape(x: tuple, depth: Any) -> tuple:
    """one_hot encodes each element; a trailing axis of size 1 is replaced."""
    if len(x) > 1 and is_unknown(x[-1]):
        raise Unresolved(f"the last axis of the {x} input is not known statically")
    if len(x) > 1 and x[-1] == 1:
        return x[:-1] + (depth,)
    return x + (depth,)


@layer("Discretization", args=("bin_boundaries", "num_bins", "epsilon", "output_mode", "sparse"),
       family="preprocessing")
def discretization(a: Args, x: Shape, call: dict) -> Out:
    """int: same shape. one_hot: a num_bins axis (replacing a trailing 1); multi_hot/count: Keras drops
    axis 1 and appends num_bins (a 1-D input gives (num_bins,))."""
    mode = _encode_mode(a, ("int", "one_hot", "multi_hot", "count"))
    bounds = a._get("bin_boundaries", None)
    num_bins = a._get("num_bins", None)
    if num_bins is not None and isinstance(num_bins, (int, float)) and num_bins < 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.num_bins_discretization_must(num_bins=num_bins))
    if num_bins is not None and bounds is not None:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.discretization_takes_num_bins())
    if num_bins is None and bounds is None:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.discretization_needs_num_bins())
    x = tuple(x)
    if mode == "int":
        return Out(x, 0)
    if bounds is not None:
        if not isinstance(bounds, (list, tuple)):
            raise Unresolved("bin_boundaries of Discretization is not a list literal")
        depth = len(bounds) + 1
    else:
        depth = num_bins
    if not known(depth):
        raise Unresolved("the number of bins of Discretization is not known statically")
    if mode == "one_hot":
        return Out(_one_hot_shape(x, depth), 0)
    if len(x) >= 2:
        return Out((x[0],) + x[2:] + (depth,), 0)
    return Out((depth,), 0)


@layer("Hashing", args=("num_bins", "mask_value", "salt", "output_mode", "sparse"), family="preprocessing",
       takes_lists=True)
def hashing(a: Args, x: Shape, call: dict) -> Out:
    """int: same shape. one_hot/multi_hot/count: the last axis becomes num_bins."""
    num_bins = a._get("num_bins", REQUIRED)
    if num_bins is None or isinstance(num_bins, (int, float)) and not isinstance(num_bins, bool) and num_bins <= 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.num_bins_hashing_must(num_bins=num_bins))
    mode = _encode_mode(a, ("int", "one_hot", "multi_hot", "count"))
    x = tuple(x)
    if mode == "int":
        return Out(x, 0)
    return Out(x[:-1] + (num_bins,), 0)


def _lookup_depth(a: Args, mode: str) -> Any:
    """The encoded axis of StringLookup / IntegerLookup in a non-int mode (None: Keras does not know it
    before adapt)."""
    max_tokens = a._get("max_tokens", None)
    if a._get("pad_to_max_tokens", False):
        return max_tokens
    if is_unknown(a.raw("vocabulary")):
        return UNK  # learned by adapt() from data: a size Keras knows, shapelens does not
    vocab = a._get("vocabulary", None)
    if vocab is None:
        return None
    if not isinstance(vocab, (list, tuple)) or not all(isinstance(v, (str, int)) for v in vocab):
        raise Unresolved(f"the vocabulary of {a.kind} is not a list literal")
    if a._get("mask_token", None) is not None or len(set(vocab)) != len(vocab):
        raise Unresolved(f"the vocabulary size of {a.kind} is not followed here")
    size = len(vocab) + a._get("num_oov_indices", 1)
    if max_tokens is not None and size > max_tokens:
        raise Unresolved(f"the vocabulary of {a.kind} is larger than max_tokens")
    return size


def _lookup_checks(a: Args, modes: tuple) -> str:
    max_tokens = a._get("max_tokens", None)
    if known(max_tokens) and max_tokens <= 1:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.max_tokens_must_greater(
            kind=a.kind, max_tokens=max_tokens))
    if a._get("pad_to_max_tokens", False) and max_tokens is None:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.pad_to_max_tokens_true_needs(kind=a.kind))
    oov = a._get("num_oov_indices", 1)
    if known(oov) and oov < 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.num_oov_indices_negative(kind=a.kind, oov=oov))
    mode = _encode_mode(a, modes, aliases=True)
    if a._get("invert", False) and mode != "int":
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.invert_true_needs(kind=a.kind, mode=mode))
    return mode


def index_lookup(a: Args, x: Shape, call: dict) -> Out:
    """int: same shape. one_hot appends the vocabulary axis (replacing a trailing 1); multi_hot, count and
    tf_idf replace the last axis. The vocabulary axis is max_tokens with pad_to_max_tokens, the size of a
    literal vocabulary plus the OOV indices, else None (Keras learns it in adapt())."""
    mode = _lookup_checks(a, ("int", "one_hot", "multi_hot", "count", "tf_idf"))
    x = tuple(x)
    if mode == "int":
        return Out(x, 0)
    depth = _lookup_depth(a, mode)
    if mode == "one_hot":
        return Out(_one_hot_shape(x, depth), 0)
    return Out(x[:-1] + (depth,), 0)


layer("StringLookup", args=("max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary",
                            "idf_weights", "invert", "output_mode", "pad_to_max_tokens", "sparse"),
      family="preprocessing", takes_lists=True)(index_lookup)
layer("IntegerLookup", args=("max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary",
                             "vocabulary_dtype", "idf_weights", "invert", "output_mode", "sparse",
                             "pad_to_max_tokens"),
      family="preprocessing", takes_lists=True)(index_lookup)


@layer("TextVectorization",
       args=("max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length",
             "pad_to_max_tokens", "vocabulary", "idf_weights", "sparse", "ragged", "encoding"),
       family="preprocessing", takes_lists=True)
def text_vectorization(a: Args, x: Shape, call: dict) -> Out:
    """int: (batch, output_sequence_length) (None when not set). Other modes: the string axis is
    split into tokens (an extra axis) and encoded into max_tokens bins with pad_to_max_tokens."""
    mode = _encode_mode(a, ("int", "one_hot", "multi_hot", "count", "tf_idf"), aliases=True)
    osl = a._get("output_sequence_length", None)
    if mode == "int" and not (osl is None or known(osl)):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.output_sequence_length_textvectorization_must(osl=osl))
    if mode != "int" and osl is not None:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.output_sequence_length_textvectorization_output_mode())
    if mode != "int" and a._get("ragged", False):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.ragged_true_textvectorization())
    max_tokens = a._get("max_tokens", None)
    if known(max_tokens) and max_tokens <= 1:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.max_tokens_textvectorization_must(max_tokens=max_tokens))
    if a._get("pad_to_max_tokens", False) and max_tokens is None:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.pad_to_max_tokens_true_textvectorization())
    x = tuple(x)
    if mode == "int":  # a scalar string gives one sequence
        return Out((x[0], osl) if x else (osl,), 0)
    if a._get("vocabulary", None) is not None and not a._get("pad_to_max_tokens", False):
        raise Unresolved("the vocabulary size of TextVectorization is not followed here")
    depth = max_tokens if a._get("pad_to_max_tokens", False) else None
    if a._get("split", "whitespace") is None:
        if len(x) <= 1:
            x = x + (1,)
    else:
        x = x + (None,)
    if mode == "one_hot":
        return Out(_one_hot_shape(x, depth), 0)
    return Out(x[:-1] + (depth,), 0)

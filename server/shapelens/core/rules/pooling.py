"""Max/Average pooling, their global forms and adaptive pooling (Keras 3).

Keras 3 quirks the rules encode:

* AveragePooling*D has no default pool_size (MaxPooling*D defaults to 2 per axis);
  strides default to pool_size;
* pooling compares ``padding`` case-sensitively: 'SAME' is refused (convolutions accept it);
* strides=0 passes the constructor and fails when the layer is called;
* adaptive pooling checks neither the input rank nor output_size when building a model.
"""

from __future__ import annotations

from shapelens.core.rules.base import (
    REQUIRED,
    Args,
    LayerError,
    Out,
    channel_axis,
    layer,
    spatial_axes,
)
from shapelens.core.rules.conv import assemble, spatial_output
from shapelens.core.shapes import Shape, fmt_window
from shapelens.core.codes import FAILS_AT_RUN_TIME, INVALID_ARGUMENT, INVALID_PADDING_MODE, WRONG_INPUT_RANK

POOL_ARGS = ("pool_size", "strides", "padding", "data_format", "name")
GLOBAL_ARGS = ("data_format", "keepdims")
ADAPTIVE_ARGS = ("output_size", "data_format")


def _shown(values: tuple) -> object:
    return values[0] if len(set(values)) == 1 else values


def pool_padding(a: Args) -> str:
    """Keras 3 pooling layers keep padding as given and compare it with 'valid'/'same'."""
    value = a.str("padding", "valid")
    if value in ("valid", "same"):
        return value
    hint = f"write it in lowercase, padding={value.lower()!r}" if value.lower() in ("valid", "same") \
        else "use 'valid' or 'same'"
    raise LayerError(INVALID_PADDING_MODE, INVALID_PADDING_MODE.not_accepted(
        kind=a.kind, value=value, hint=hint))


def read_pool(a: Args, rank: int, default_size):
    """pool_size, strides (defaulting to pool_size) and padding, validated as BasePooling does."""
    pool = a.ints("pool_size", rank, default_size)
    if any(p <= 0 for p in pool):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.pool_size_must_positive(kind=a.kind, pool=_shown(pool)))
    strides = a.ints("strides", rank, None, allow_none=True)
    strides = pool if strides is None else strides
    if any(s <= 0 for s in strides):
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.strides_must_positive_leave(kind=a.kind, strides=_shown(strides)),
        )
    return pool, strides, pool_padding(a)


def _pool(rank: int, mode: str):
    default_size = (2,) * rank if mode == "max" else REQUIRED

    def rule(a: Args, x: Shape, call: dict) -> Out:
        pool, strides, padding = read_pool(a, rank, default_size)
        fmt = a.data_format()
        sizes, explain = spatial_output(a.kind, x, fmt, pool, strides, (1,) * rank, padding, what="pool window")
        return Out(assemble(x, fmt, sizes, x[channel_axis(fmt, len(x))]), 0, explain=explain)

    rule.__doc__ = (
        f"{rank}-D {mode} pooling: floor((n - pool) / strides) + 1 per axis ('same': ceil(n / strides)); "
        "strides default to pool_size."
    )
    return rule


def _global(rank: int, mode: str):
    def rule(a: Args, x: Shape, call: dict) -> Out:
        fmt = a.data_format()
        keepdims = a.bool("keepdims", False)
        channels = x[channel_axis(fmt, len(x))]
        sizes = [1] * rank if keepdims else []
        spatial = fmt_window([x[ax] for ax in spatial_axes(fmt, len(x))])
        verb = "max over" if mode == "max" else "mean over"
        explain = [f"{verb} {spatial} per channel" + (" (keepdims)" if keepdims else "")]
        return Out(assemble(x, fmt, sizes, channels), 0, explain=explain)

    rule.__doc__ = f"Global {mode} pooling over the {rank} spatial axes: (batch, channels), or 1s with keepdims."
    return rule


def _adaptive(rank: int, mode: str):
    def rule(a: Args, x: Shape, call: dict) -> Out:
        size = a.ints("output_size", rank)
        fmt = a.str("data_format", None) or "channels_last"
        if fmt not in ("channels_last", "channels_first"):
            raise LayerError(
                INVALID_ARGUMENT, INVALID_ARGUMENT.data_format_must_channels_last(kind=a.kind, value=fmt)
            )
        if any(s < 0 for s in size):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.output_size_cannot_negative(
                kind=a.kind, size=_shown(size)))
        if fmt == "channels_first" and len(x) < 2:
            raise LayerError(WRONG_INPUT_RANK, WRONG_INPUT_RANK.channels_first_needs_channel(kind=a.kind, n_x=len(x)))
        warnings = []
        if len(x) != rank + 2:
            warnings.append((FAILS_AT_RUN_TIME, FAILS_AT_RUN_TIME.adaptive_pool_rank(
                kind=a.kind, n_x=len(x), needed_rank=rank + 2)))
        if 0 in size:
            warnings.append((FAILS_AT_RUN_TIME, FAILS_AT_RUN_TIME.adaptive_pool_output_zero(kind=a.kind)))
        channels = x[-1] if fmt == "channels_last" else x[1]
        out = (x[0], *size, channels) if fmt == "channels_last" else (x[0], channels, *size)
        return Out(out, 0, explain=[f"any size → {fmt_window(size)}"], warnings=warnings)

    rule.__doc__ = f"Adaptive {rank}-D {mode} pooling: spatial axes become `output_size`, whatever their size."
    return rule


layer("MaxPooling1D", "MaxPool1D", args=POOL_ARGS, family="pooling", ndim=3)(_pool(1, "max"))
layer("AveragePooling1D", "AvgPool1D", args=POOL_ARGS, family="pooling", ndim=3)(_pool(1, "average"))
layer("GlobalMaxPooling1D", "GlobalMaxPool1D", args=GLOBAL_ARGS, family="pooling", ndim=3)(_global(1, "max"))
layer("GlobalAveragePooling1D", "GlobalAvgPool1D", args=GLOBAL_ARGS, family="pooling",
      ndim=3)(_global(1, "average"))
layer("AdaptiveMaxPooling1D", args=ADAPTIVE_ARGS, family="pooling")(_adaptive(1, "max"))
layer("AdaptiveAveragePooling1D", args=ADAPTIVE_ARGS, family="pooling")(_adaptive(1, "average"))
layer("MaxPooling2D", "MaxPool2D", args=POOL_ARGS, family="pooling", ndim=4)(_pool(2, "max"))
layer("AveragePooling2D", "AvgPool2D", args=POOL_ARGS, family="pooling", ndim=4)(_pool(2, "average"))
layer("GlobalMaxPooling2D", "GlobalMaxPool2D", args=GLOBAL_ARGS, family="pooling", ndim=4)(_global(2, "max"))
layer("GlobalAveragePooling2D", "GlobalAvgPool2D", args=GLOBAL_ARGS, family="pooling",
      ndim=4)(_global(2, "average"))
layer("AdaptiveMaxPooling2D", args=ADAPTIVE_ARGS, family="pooling")(_adaptive(2, "max"))
layer("AdaptiveAveragePooling2D", args=ADAPTIVE_ARGS, family="pooling")(_adaptive(2, "average"))
layer("MaxPooling3D", "MaxPool3D", args=POOL_ARGS, family="pooling", ndim=5)(_pool(3, "max"))
layer("AveragePooling3D", "AvgPool3D", args=POOL_ARGS, family="pooling", ndim=5)(_pool(3, "average"))
layer("GlobalMaxPooling3D", "GlobalMaxPool3D", args=GLOBAL_ARGS, family="pooling", ndim=5)(_global(3, "max"))
layer("GlobalAveragePooling3D", "GlobalAvgPool3D", args=GLOBAL_ARGS, family="pooling",
      ndim=5)(_global(3, "average"))
layer("AdaptiveMaxPooling3D", args=ADAPTIVE_ARGS, family="pooling")(_adaptive(3, "max"))
layer("AdaptiveAveragePooling3D", args=ADAPTIVE_ARGS, family="pooling")(_adaptive(3, "average"))

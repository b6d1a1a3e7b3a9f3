"""Conv1D/2D/3D (strides, dilation, groups, padding valid/same/causal)."""

from __future__ import annotations

from shapelens.core.rules.base import (
    Args,
    LayerError,
    Out,
    channel_axis,
    count,
    expect_ndim,
    layer,
    require_defined,
    spatial_axes,
)
from shapelens.core.shapes import Shape, fmt_shape, fmt_window, known
from shapelens.core.shape_math import conv_explain, conv_output_length
from shapelens.core.codes import (
    GROUPS_NOT_DIVISIBLE,
    INVALID_ARGUMENT,
    OUTPUT_SIZE_NOT_POSITIVE,
    STRIDES_WITH_DILATION,
)

CONV_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias")


def read_window(a: Args, rank: int, causal: bool = False):
    """kernel_size, strides, dilation_rate and padding, validated as BaseConv.__init__ does."""
    kernel = a.ints("kernel_size", rank)
    strides = a.ints("strides", rank, 1)
    dilation = a.ints("dilation_rate", rank, 1)
    padding = a.padding(("valid", "same", "causal") if causal else ("valid", "same"))
    if not all(kernel):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.kernel_size_zero(
            kind=a.kind, kernel=fmt_window(kernel)))
    if any(k < 0 for k in kernel):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.kernel_size_negative(
            kind=a.kind, kernel=fmt_window(kernel)))
    if any(v <= 0 for v in strides):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.strides_not_positive(
            kind=a.kind, strides=fmt_window(strides)))
    if any(v <= 0 for v in dilation):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.dilation_rate_not_positive(
            kind=a.kind, dilation=fmt_window(dilation)))
    if max(strides) > 1 and max(dilation) > 1:
        raise LayerError(
            STRIDES_WITH_DILATION,
            STRIDES_WITH_DILATION.both_above_one(
                kind=a.kind, strides=strides if rank > 1 else strides[0],
                dilation=dilation if rank > 1 else dilation[0]),
        )
    return kernel, strides, dilation, padding


def spatial_output(
    kind: str, x: Shape, data_format: str, kernel, strides, dilation, padding: str, what: str = "kernel"
) -> tuple[list, list[str]]:
    """Output spatial sizes and the arithmetic behind each; raises SL101 on size <= 0."""
    axes = spatial_axes(data_format, len(x))
    sizes, explain = [], []
    for i, ax in enumerate(axes):
        out = conv_output_length(x[ax], kernel[i], strides[i], padding, dilation[i])
        explain.append(conv_explain(x[ax], kernel[i], strides[i], padding, dilation[i]))
        sizes.append(out)
    bad = [i for i, s in enumerate(sizes) if known(s) and s <= 0]
    if bad:
        in_sp = fmt_window([x[ax] for ax in axes])
        in_txt = f"input of length {in_sp}" if len(axes) == 1 else f"{in_sp} input"
        eff = [dilation[i] * (kernel[i] - 1) + 1 for i in range(len(kernel))]
        window = fmt_window(kernel)
        dil = f" dilated to {fmt_window(eff)}" if any(d > 1 for d in dilation) else ""
        stride_txt = f", strides {fmt_window(strides)}" if any(s > 1 for s in strides) else ""
        raise LayerError(
            OUTPUT_SIZE_NOT_POSITIVE,
            OUTPUT_SIZE_NOT_POSITIVE.window_does_not_fit(
                kind=kind, what=what, window=window, dil=dil, stride_txt=stride_txt, in_txt=in_txt,
                sizes=fmt_window(sizes)),
            fix="padding_same",
        )
    return sizes, explain


def assemble(x: Shape, data_format: str, sizes: list, channels) -> Shape:
    if data_format == "channels_last":
        return (x[0], *sizes, channels)
    return (x[0], channels, *sizes)


def _conv(rank: int):
    def rule(a: Args, x: Shape, call: dict) -> Out:
        filters = a.positive_int("filters")
        groups = a.int("groups", 1)
        if groups <= 0:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.groups_not_positive(kind=a.kind, groups=groups))
        if filters % groups:
            raise LayerError(
                GROUPS_NOT_DIVISIBLE, GROUPS_NOT_DIVISIBLE.filters_not_divisible(
                    kind=a.kind, filters=filters, groups=groups)
            )
        kernel, strides, dilation, padding = read_window(a, rank, causal=rank == 1)
        fmt = a.data_format()
        expect_ndim(a.kind, x, ndim=rank + 2)
        cax = channel_axis(fmt, len(x))
        cin = x[cax]
        require_defined(a.kind, "channel axis", cin, x)
        if cin % groups:
            raise LayerError(
                GROUPS_NOT_DIVISIBLE,
                GROUPS_NOT_DIVISIBLE.input_channels_not_divisible(kind=a.kind, cin=cin, groups=groups, x=fmt_shape(x)),
            )
        sizes, explain = spatial_output(a.kind, x, fmt, kernel, strides, dilation, padding)
        params = count(*kernel, cin // groups, filters)
        if a.bool("use_bias", True):
            params += filters
        return Out(assemble(x, fmt, sizes, filters), params, explain=explain, spec={cax: cin})

    rule.__doc__ = f"{rank}-D convolution: Keras 3 compute_conv_output_shape per spatial axis."
    return rule


layer("Conv1D", "Convolution1D", args=CONV_ARGS, family="convolution", min_ndim=3)(_conv(1))
layer("Conv2D", "Convolution2D", args=CONV_ARGS, family="convolution", min_ndim=4)(_conv(2))
layer("Conv3D", "Convolution3D", args=CONV_ARGS, family="convolution", min_ndim=5)(_conv(3))

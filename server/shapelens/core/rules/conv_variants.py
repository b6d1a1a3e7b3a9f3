"""Conv*Transpose, SeparableConv1D/2D and DepthwiseConv1D/2D (Keras 3).

Differences from Conv*D that the rules encode:

* transposed convolutions grow the input (deconv_output_length) and never fail on size;
  ``output_padding`` must be below ``strides`` (SL203);
* separable and depthwise convolutions in Keras 3 accept strides > 1 together with
  dilation > 1 (Keras 2 refused); only the transposes still raise SL204;
* none of them accepts padding='causal', not even the 1-D ones.
"""

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
from shapelens.core.rules.conv import assemble, read_window, spatial_output
from shapelens.core.shapes import Dim, fmt_dim, known
from shapelens.core.shape_math import deconv_output_length
from shapelens.core.codes import INVALID_ARGUMENT, OUTPUT_PADDING_TOO_LARGE

_TAIL = ("activation", "use_bias")
TRANSPOSE_ARGS = ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format",
                  "dilation_rate", *_TAIL, "kernel_initializer", "bias_initializer", "kernel_regularizer",
                  "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint")
# Conv3DTranspose takes data_format before output_padding.
TRANSPOSE3D_ARGS = TRANSPOSE_ARGS[:4] + ("data_format", "output_padding") + TRANSPOSE_ARGS[6:]
SEPARABLE_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                  "depth_multiplier", *_TAIL, "depthwise_initializer", "pointwise_initializer",
                  "bias_initializer", "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
                  "activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint")
DEPTHWISE_ARGS = ("kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate",
                  *_TAIL, "depthwise_initializer", "bias_initializer", "depthwise_regularizer",
                  "bias_regularizer", "activity_regularizer", "depthwise_constraint", "bias_constraint")


def _shown(values: tuple) -> object:
    return values[0] if len(set(values)) == 1 else values


def positive_window(a: Args, rank: int, strided_dilation_ok: bool):
    """kernel_size, strides, dilation_rate and padding, validated as Keras's standardize_tuple does.

    read_window (Conv*D) covers zeros and strides-with-dilation; Keras also refuses negative
    values and a zero dilation, and separable/depthwise layers allow strides with dilation.
    """
    kernel = a.ints("kernel_size", rank)
    strides = a.ints("strides", rank, 1)
    dilation = a.ints("dilation_rate", rank, 1)
    for name, vals in (("kernel_size", kernel), ("strides", strides), ("dilation_rate", dilation)):
        if any(v <= 0 for v in vals):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_positive(
                name=name, kind=a.kind, vals=_shown(vals)))
    if not strided_dilation_ok:
        return read_window(a, rank)
    return kernel, strides, dilation, a.padding()


def _channels(a: Args, x, fmt: str):
    cax = channel_axis(fmt, len(x))
    require_defined(a.kind, "channel axis", x[cax], x)
    return cax, x[cax]


def _required_positive(a: Args, name: str, default=...) -> int:
    value = a.positive_int(name) if default is ... else a.positive_int(name, default)
    if value is None:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.positive_integer_got_none(name=name, kind=a.kind))
    return value


# ---------------------------------------------------------------------------
# Transposed convolutions
# ---------------------------------------------------------------------------


def deconv_explain(length: Dim, kernel: int, stride: int, padding: str, output_padding, dilation: int) -> str:
    """The arithmetic behind one Conv*Transpose output size, for hovers."""
    if not known(length):
        return f"{fmt_dim(length)} stays {fmt_dim(length)}"
    out = deconv_output_length(length, kernel, stride, padding, output_padding, dilation)
    eff = (kernel - 1) * dilation + 1
    eff_txt = f"{dilation}·({kernel} - 1) + 1" if dilation != 1 else str(kernel)
    if padding == "valid":
        op = max(eff, stride) - eff if output_padding is None else output_padding
        return f"({length} - 1)·{stride} + {eff_txt} + {op} = {out}"
    if output_padding is None:
        return f"{length}·{stride} = {out}  (same)"
    return f"({length} - 1)·{stride} + {eff} % 2 + {output_padding} = {out}  (same)"


def _transpose(rank: int):
    def rule(a: Args, x, call: dict) -> Out:
        filters = _required_positive(a, "filters")
        kernel, strides, dilation, padding = positive_window(a, rank, strided_dilation_ok=False)
        out_pad = a.ints("output_padding", rank, None, allow_none=True)
        if out_pad is not None:
            if any(p < 0 for p in out_pad):
                raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.output_padding_cannot_negative(
                    kind=a.kind, out_pad=_shown(out_pad)))
            bad = [i for i in range(rank) if out_pad[i] >= strides[i]]
            if bad:
                i = bad[0]
                fix = "remove output_padding or use strides > 1" if strides[i] == 1 else \
                    f"use output_padding <= {strides[i] - 1} or larger strides"
                raise LayerError(
                    OUTPUT_PADDING_TOO_LARGE,
                    OUTPUT_PADDING_TOO_LARGE.not_smaller_than_strides(
                        kind=a.kind, out_pad=_shown(out_pad), strides=_shown(strides), i=i, out_pad_i=out_pad[i],
                        strides_i=strides[i], fix=fix),
                )
        fmt = a.data_format()
        expect_ndim(a.kind, x, ndim=rank + 2)
        cax, cin = _channels(a, x, fmt)
        sizes, explain = [], []
        for i, ax in enumerate(spatial_axes(fmt, len(x))):
            op = None if out_pad is None else out_pad[i]
            sizes.append(deconv_output_length(x[ax], kernel[i], strides[i], padding, op, dilation[i]))
            explain.append(deconv_explain(x[ax], kernel[i], strides[i], padding, op, dilation[i]))
        params = count(*kernel, filters, cin)
        if a.bool("use_bias", True):
            params += filters
        return Out(assemble(x, fmt, sizes, filters), params, explain=explain, spec={cax: cin})

    rule.__doc__ = (
        f"{rank}-D transposed convolution: (n - 1)·stride + kernel + output_padding per axis "
        "('same' without output_padding: n·stride)."
    )
    return rule


layer("Conv1DTranspose", "Convolution1DTranspose", args=TRANSPOSE_ARGS,
      family="convolution", min_ndim=3)(_transpose(1))
layer("Conv2DTranspose", "Convolution2DTranspose", args=TRANSPOSE_ARGS,
      family="convolution", min_ndim=4)(_transpose(2))
layer("Conv3DTranspose", "Convolution3DTranspose", args=TRANSPOSE3D_ARGS,
      family="convolution", min_ndim=5)(_transpose(3))


# ---------------------------------------------------------------------------
# Separable and depthwise convolutions
# ---------------------------------------------------------------------------


def _separable(rank: int):
    def rule(a: Args, x, call: dict) -> Out:
        multiplier = _required_positive(a, "depth_multiplier", 1)
        filters = _required_positive(a, "filters")
        kernel, strides, dilation, padding = positive_window(a, rank, strided_dilation_ok=True)
        fmt = a.data_format()
        expect_ndim(a.kind, x, ndim=rank + 2)
        cax, cin = _channels(a, x, fmt)
        sizes, explain = spatial_output(a.kind, x, fmt, kernel, strides, dilation, padding)
        depthwise = count(*kernel, cin, multiplier)
        pointwise = count(cin, multiplier, filters)
        params = depthwise + pointwise + (filters if a.bool("use_bias", True) else 0)
        return Out(assemble(x, fmt, sizes, filters), params, explain=explain, spec={cax: cin})

    rule.__doc__ = (
        f"{rank}-D separable convolution: a depthwise pass (kernel × channels × depth_multiplier) "
        f"then a 1×1 pointwise one; sizes as Conv{rank}D."
    )
    return rule


def _depthwise(rank: int):
    def rule(a: Args, x, call: dict) -> Out:
        multiplier = _required_positive(a, "depth_multiplier", 1)
        kernel, strides, dilation, padding = positive_window(a, rank, strided_dilation_ok=True)
        fmt = a.data_format()
        expect_ndim(a.kind, x, ndim=rank + 2)
        cax, cin = _channels(a, x, fmt)
        sizes, explain = spatial_output(a.kind, x, fmt, kernel, strides, dilation, padding)
        cout = cin * multiplier
        params = count(*kernel, cout) + (cout if a.bool("use_bias", True) else 0)
        return Out(assemble(x, fmt, sizes, cout), params, explain=explain, spec={cax: cin})

    rule.__doc__ = (
        f"{rank}-D depthwise convolution: one kernel per input channel, "
        f"channels × depth_multiplier outputs; sizes as Conv{rank}D."
    )
    return rule


layer("SeparableConv1D", "SeparableConvolution1D", args=SEPARABLE_ARGS,
      family="convolution", min_ndim=3)(_separable(1))
layer("DepthwiseConv1D", args=DEPTHWISE_ARGS, family="convolution", min_ndim=3)(_depthwise(1))
layer("SeparableConv2D", "SeparableConvolution2D", args=SEPARABLE_ARGS,
      family="convolution", min_ndim=4)(_separable(2))
layer("DepthwiseConv2D", args=DEPTHWISE_ARGS, family="convolution", min_ndim=4)(_depthwise(2))

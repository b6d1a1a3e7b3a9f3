"""Dense, activations, dropout/noise and the other shape-preserving core layers."""

from __future__ import annotations

from shapelens.core.rules.base import Args, LayerError, Out, count, layer, require_defined
from shapelens.core.shapes import Shape, fmt_shape, known
from shapelens.core.codes import INVALID_ARGUMENT, UNDEFINED_DIMENSION


@layer("Dense", args=("units", "activation", "use_bias"), family="core", min_ndim=2)
def dense(a: Args, x: Shape, call: dict) -> Out:
    """Replaces the last axis with `units`; kernel (in, units) + bias."""
    units = a.positive_int("units")
    require_defined("Dense", "last axis", x[-1], x)
    bias = units if a.bool("use_bias", True) else 0
    return Out(x[:-1] + (units,), count(x[-1], units) + bias, spec={-1: x[-1]})


def _same_shape(a: Args, x: Shape, call: dict) -> Out:
    """Same shape as the input, no weights."""
    return Out(tuple(x), 0)


_SHAPE_PRESERVING = (
    ("Activation", "activation", ("activation",)),
    ("ReLU", "activation", ("max_value", "negative_slope", "threshold")),
    ("LeakyReLU", "activation", ("negative_slope",)),
    ("ELU", "activation", ("alpha",)),
    ("Softmax", "activation", ("axis",)),
    ("Identity", "core", ()),
    ("Masking", "core", ("mask_value",)),
    ("ActivityRegularization", "regularization", ("l1", "l2")),
)
for _name, _family, _args in _SHAPE_PRESERVING:
    layer(_name, args=_args, family=_family)(_same_shape)


def _check_rate(a: Args) -> None:
    rate = a.float("rate")
    if not 0 <= rate <= 1:
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.rate_must_between(kind=a.kind, rate=rate),
        )


@layer("Dropout", args=("rate", "noise_shape", "seed"), family="regularization")
def dropout(a: Args, x: Shape, call: dict) -> Out:
    """Same shape as the input."""
    _check_rate(a)
    return Out(tuple(x), 0)


def _spatial_dropout(ndim: int):
    def rule(a: Args, x: Shape, call: dict) -> Out:
        _check_rate(a)
        return Out(tuple(x), 0)

    rule.__doc__ = f"Same shape as the input, which must be {ndim}-D."
    return rule


layer("SpatialDropout1D", args=("rate", "seed"), family="regularization", ndim=3)(_spatial_dropout(3))
layer("SpatialDropout2D", args=("rate", "data_format", "seed"), family="regularization", ndim=4)(_spatial_dropout(4))
layer("SpatialDropout3D", args=("rate", "data_format", "seed"), family="regularization", ndim=5)(_spatial_dropout(5))


@layer("AlphaDropout", args=("rate", "noise_shape", "seed"), family="regularization")
def alpha_dropout(a: Args, x: Shape, call: dict) -> Out:
    """Same shape as the input."""
    _check_rate(a)
    return Out(tuple(x), 0)


@layer("GaussianDropout", args=("rate", "seed"), family="regularization")
def gaussian_dropout(a: Args, x: Shape, call: dict) -> Out:
    """Same shape as the input."""
    _check_rate(a)
    return Out(tuple(x), 0)


@layer("GaussianNoise", args=("stddev", "seed"), family="regularization")
def gaussian_noise(a: Args, x: Shape, call: dict) -> Out:
    """Same shape as the input."""
    return Out(tuple(x), 0)


@layer("PReLU", args=("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"), family="activation")
def prelu(a: Args, x: Shape, call: dict) -> Out:
    """Same shape; one alpha per input value except along `shared_axes`."""
    shared = a.raw("shared_axes")
    param_shape = list(x[1:])
    if shared is not None:
        axes = [shared] if known(shared) else list(shared)
        for ax in axes:
            if not known(ax):
                raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.shared_axes_prelu_must(shared=shared))
            if not -len(param_shape) <= ax - 1 < len(param_shape):
                raise LayerError(
                    INVALID_ARGUMENT,
                    INVALID_ARGUMENT.prelu_shared_axes_names(
                        shared=shared, ax=ax, x=fmt_shape(x), n_param_shape=len(param_shape)),
                )
            param_shape[ax - 1] = 1
    for i, d in enumerate(param_shape):
        if d is None:
            raise LayerError(
                UNDEFINED_DIMENSION,
                UNDEFINED_DIMENSION.prelu_needs_every(axis=i + 1),
            )
    return Out(tuple(x), count(*param_shape))

"""BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization, RMSNormalization.

All keep the input shape. What differs is the weights and the checks, which follow
keras/src/layers/normalization/*.py:

* the normalized axis (or axes) must exist -- Keras indexes the shape with Python
  semantics, so negative axes count from the end and the batch axis is allowed;
* every weight is created from those axis sizes, so a ``None`` there is an error
  (unless, for LayerNormalization, ``center=False, scale=False`` create no weights);
* BatchNormalization counts its moving mean and variance (non-trainable) too, as
  ``count_params()`` does.
"""

from __future__ import annotations

import math

from typing import Any

from shapelens.core.rules.base import Args, LayerError, Out, Unresolved, layer
from shapelens.core.shapes import Dim, Shape, fmt_shape, is_unknown, known
from shapelens.core.codes import (
    GROUPS_NOT_DIVISIBLE,
    INVALID_ARGUMENT,
    UNDEFINED_DIMENSION,
    WRONG_INPUT_RANK,
)


def _axis_dim(kind: str, x: Shape, axis: int) -> Dim:
    if not -len(x) <= axis < len(x):
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.axis_out_of_range(kind=kind, axis=axis, n_x=len(x), x=fmt_shape(x), last_axis=len(x) - 1),
        )
    return x[axis]


def _weights(kind: str, x: Shape, axes: list[int], dims: list[Dim], copies: int, what: str) -> int | None:
    """copies × prod(dims); None dims are an error (Keras cannot create the weights)."""
    if copies == 0:
        return 0
    for ax, d in zip(axes, dims):
        if d is None:
            raise LayerError(
                UNDEFINED_DIMENSION,
                UNDEFINED_DIMENSION.needs_axis_defined(kind=kind, ax=ax, what=what, x=fmt_shape(x)),
            )
    n = 1
    for d in dims:
        if not known(d):
            return None
        n *= d
    return copies * n


def _int_or_list_axis(a: Args, default: Any = -1) -> int | list[int]:
    """LayerNormalization / UnitNormalization / RMSNormalization: an int or a list of ints."""
    axis = a._get("axis", default)
    if isinstance(axis, (list, tuple)):
        if any(is_unknown(v) for v in axis):
            raise Unresolved(f"`axis` of {a.kind} is not known statically")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in axis):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.axis_must_int(kind=a.kind, axis=list(axis)))
        return list(axis)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.axis_must_int(kind=a.kind, axis=axis))
    return axis


def _bounds(kind: str, x: Shape, axis) -> None:
    """compute_output_shape's check, shared by the normalization layers."""
    for ax in axis if isinstance(axis, list) else [axis]:
        _axis_dim(kind, x, ax)


# ---------------------------------------------------------------------------


BN_ARGS = ("axis", "momentum", "epsilon", "center", "scale")


@layer("BatchNormalization", args=BN_ARGS, family="normalization")
def batch_normalization(a: Args, x: Shape, call: dict) -> Out:
    """Same shape. gamma, beta, moving mean and moving variance: 4 × channels (renorm adds 3 more)."""
    raw = a._get("axis", -1)
    if isinstance(raw, float):
        raw = int(raw)  # Keras does int(axis)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.axis_batchnormalization_must(raw=raw))
    axis = raw
    for name in ("momentum", "epsilon"):
        if a.has(name):
            a.float(name)
    renorm = a.bool("renorm", False)
    if renorm:
        clip = a._get("renorm_clipping", None) or {}
        if not isinstance(clip, dict):
            raise Unresolved("`renorm_clipping` of BatchNormalization is not a dict literal")
        bad = set(clip) - {"rmax", "rmin", "dmax"}
        if bad:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.renorm_clipping_batchnormalization_takes(
                bad=sorted(bad)))
        rmax, rmin, dmax = clip.get("rmax"), clip.get("rmin"), clip.get("dmax")
        if any(is_unknown(v) for v in (rmax, rmin, dmax)):
            raise Unresolved("`renorm_clipping` of BatchNormalization is not known statically")
        if rmax is not None and rmin is not None and rmax < rmin:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.renorm_clipping_rmax_smaller(rmax=rmax, rmin=rmin))
        if dmax is not None and dmax < 0:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.renorm_clipping_dmax_must(dmax=dmax))
    dim = _axis_dim("BatchNormalization", x, axis)
    copies = 2 + (1 if a.bool("center", True) else 0) + (1 if a.bool("scale", True) else 0) + (3 if renorm else 0)
    params = _weights("BatchNormalization", x, [axis], [dim], copies, "its per-channel weights")
    spec = {axis: dim} if known(dim) else None
    return Out(tuple(x), params, explain=[f"{copies} × {dim} (gamma/beta + moving mean/variance)"], spec=spec)


@layer("LayerNormalization", args=("axis", "epsilon", "center", "scale"), family="normalization")
def layer_normalization(a: Args, x: Shape, call: dict) -> Out:
    """Same shape. gamma and beta shaped like the normalized axes."""
    axis = _int_or_list_axis(a)
    axes = sorted(axis) if isinstance(axis, list) else [axis]
    dims = [_axis_dim("LayerNormalization", x, ax) for ax in axes]
    rms = a.bool("rms_scaling", False)
    copies = (1 if a.bool("scale", True) or rms else 0) + (1 if a.bool("center", True) and not rms else 0)
    params = _weights("LayerNormalization", x, axes, dims, copies, "gamma/beta")
    _bounds("LayerNormalization", x, axis)
    return Out(tuple(x), params)


@layer("GroupNormalization", args=("groups", "axis", "epsilon", "center", "scale"), family="normalization")
def group_normalization(a: Args, x: Shape, call: dict) -> Out:
    """Same shape; `groups` must divide the channels. gamma and beta: one per channel."""
    groups = a._get("groups", 32)
    if isinstance(groups, bool) or not isinstance(groups, int) or (groups <= 0 and groups != -1):
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.groups_groupnormalization_must(groups=groups),
        )
    axis = a._get("axis", -1)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.axis_groupnormalization_must(axis=axis))
    dim = _axis_dim("GroupNormalization", x, axis)
    if dim is None:
        raise LayerError(
            UNDEFINED_DIMENSION,
            UNDEFINED_DIMENSION.groupnormalization_needs_axis(axis=axis, x=fmt_shape(x)),
        )
    if known(dim):
        g = dim if groups == -1 else groups
        if dim < g:
            raise LayerError(
                GROUPS_NOT_DIVISIBLE,
                GROUPS_NOT_DIVISIBLE.groupnormalization_groups_above_channels(g=g, dim=dim, x=fmt_shape(x)),
            )
        if dim % g:
            small = [d for d in range(1, math.isqrt(dim) + 1) if dim % d == 0]  # the divisors in order,
            divisors = small + [dim // d for d in reversed(small) if d * d != dim]  # in O(sqrt(dim))
            raise LayerError(
                GROUPS_NOT_DIVISIBLE,
                GROUPS_NOT_DIVISIBLE.groupnormalization_groups_not_divisor(g=g, dim=dim, x=fmt_shape(x), divisors=divisors),
            )
    copies = (1 if a.bool("center", True) else 0) + (1 if a.bool("scale", True) else 0)
    params = copies * dim if known(dim) else None
    return Out(tuple(x), params, spec={axis: dim} if known(dim) else None)


@layer("UnitNormalization", args=("axis",), family="normalization")
def unit_normalization(a: Args, x: Shape, call: dict) -> Out:
    """Same shape (L2-normalizes along `axis`); no weights."""
    axis = _int_or_list_axis(a)
    _bounds("UnitNormalization", x, axis)
    return Out(tuple(x), 0)


@layer("RMSNormalization", args=("axis", "epsilon"), family="normalization")
def rms_normalization(a: Args, x: Shape, call: dict) -> Out:
    """Same shape. One `scale` weight shaped like the normalized axes."""
    axis = _int_or_list_axis(a)
    axes = sorted(axis) if isinstance(axis, list) else [axis]
    dims = [_axis_dim("RMSNormalization", x, ax) for ax in axes]
    params = _weights("RMSNormalization", x, axes, dims, 1, "its scale")
    _bounds("RMSNormalization", x, axis)
    return Out(tuple(x), params)

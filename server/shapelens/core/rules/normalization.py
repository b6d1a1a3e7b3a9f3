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
            f"{kind} axis={axis} is out of range for the {len(x)}-D input {fmt_shape(x)}; "
            f"use an axis in [-{len(x)}, {len(x) - 1}] (channels are usually -1)",
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
                f"{kind} needs axis {ax} defined to create {what}, but the input {fmt_shape(x)} has None there",
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
            raise LayerError(INVALID_ARGUMENT, f"`axis` of {a.kind} must be an int or a list of ints, got {list(axis)!r}")
        return list(axis)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise LayerError(INVALID_ARGUMENT, f"`axis` of {a.kind} must be an int or a list of ints, got {axis!r}")
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
        raise LayerError(INVALID_ARGUMENT, f"`axis` of BatchNormalization must be one int, got {raw!r}")
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
            raise LayerError(INVALID_ARGUMENT, f"renorm_clipping of BatchNormalization takes rmax, rmin, dmax; got {sorted(bad)}")
        rmax, rmin, dmax = clip.get("rmax"), clip.get("rmin"), clip.get("dmax")
        if any(is_unknown(v) for v in (rmax, rmin, dmax)):
            raise Unresolved("`renorm_clipping` of BatchNormalization is not known statically")
        if rmax is not None and rmin is not None and rmax < rmin:
            raise LayerError(INVALID_ARGUMENT, f"renorm_clipping rmax={rmax} is smaller than rmin={rmin}")
        if dmax is not None and dmax < 0:
            raise LayerError(INVALID_ARGUMENT, f"renorm_clipping dmax={dmax} must be non-negative")
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
            f"`groups` of GroupNormalization must be a positive integer (or -1 for instance norm), got {groups!r}",
        )
    axis = a._get("axis", -1)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise LayerError(INVALID_ARGUMENT, f"`axis` of GroupNormalization must be one int, got {axis!r}")
    dim = _axis_dim("GroupNormalization", x, axis)
    if dim is None:
        raise LayerError(
            UNDEFINED_DIMENSION,
            f"GroupNormalization needs axis {axis} (the channels) defined, but the input {fmt_shape(x)} has None there",
        )
    if known(dim):
        g = dim if groups == -1 else groups
        if dim < g:
            raise LayerError(
                GROUPS_NOT_DIVISIBLE,
                f"GroupNormalization groups={g} is more than the {dim} channels of {fmt_shape(x)}; "
                f"use a divisor of {dim}",
            )
        if dim % g:
            small = [d for d in range(1, math.isqrt(dim) + 1) if dim % d == 0]  # the divisors in order,
            divisors = small + [dim // d for d in reversed(small) if d * d != dim]  # in O(sqrt(dim))
            raise LayerError(
                GROUPS_NOT_DIVISIBLE,
                f"GroupNormalization groups={g} does not divide the {dim} channels of {fmt_shape(x)}; "
                f"use one of {divisors}",
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

"""Flatten, Reshape, Permute, RepeatVector, ZeroPadding*D, Cropping*D and UpSampling*D (Keras 3).

Keras 3 quirks the rules encode:

* Flatten over a None axis gives None (the error comes later, at the Dense that needs it);
* Reshape checks the element count only when every input and target axis is defined;
* ZeroPadding1D has a data_format; ZeroPadding2D/3D take a negative int without complaint
  (the model builds, TensorFlow's pad then fails when run);
* Cropping that leaves 0 or fewer rows raises when the layer is called;
* UpSampling1D wants a plain int size; UpSampling2D checks `interpolation` only when run.
"""

from __future__ import annotations

from typing import Any

from shapelens.core.rules.base import (
    Args,
    LayerError,
    Out,
    Unresolved,
    expect_ndim,
    layer,
    spatial_axes,
)
from shapelens.core.shapes import Dim, Shape, ShapeError, fmt_dim, fmt_shape, fmt_window, is_unknown, known
from shapelens.core.shape_math import prod, reshape_target
from shapelens.core.codes import (
    FAILS_AT_RUN_TIME,
    INVALID_ARGUMENT,
    INVALID_PERMUTE,
    OUTPUT_SIZE_NOT_POSITIVE,
    SHARED,
)

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def _literal(a: Args, name: str, default: Any = ...) -> Any:
    """An argument's value, Unresolved if any part of it is unknown."""
    if not a.has(name):
        if default is ...:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.missing_required_argument(kind=a.kind, name=name))
        return default
    value = a.raw(name)
    if _has_unknown_part(value):
        raise Unresolved(f"`{name}` of {a.kind} is not known statically")
    return value


def _has_unknown_part(v: Any) -> bool:
    if is_unknown(v):
        return True
    return isinstance(v, (list, tuple)) and any(_has_unknown_part(item) for item in v)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _pair(a: Args, name: str, value: Any, what: str) -> tuple[int, int]:
    """standardize_tuple(value, 2, allow_zero=True): an int or two ints, none negative."""
    pair = (value, value) if _is_int(value) else tuple(value) if isinstance(value, (list, tuple)) else None
    if pair is None or len(pair) != 2 or not all(_is_int(v) for v in pair):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_integer_or_pair(what=what, kind=a.kind, value=value))
    if min(pair) < 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.negative_value(what=what, kind=a.kind, value=value))
    return pair


def _pairs(a: Args, name: str, n: int, default: Any) -> tuple[tuple[int, int], ...]:
    """ZeroPadding2D/3D and Cropping2D/3D: an int, or n entries that are ints or (before, after)."""
    value = _literal(a, name, default)
    if _is_int(value):
        return ((value, value),) * n
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.not_int_or_one_per_spatial_axis(name=name, kind=a.kind, n=n, value=value),
        )
    return tuple(_pair(a, name, v, f"entry {i} of `{name}`") for i, v in enumerate(value))


def _positive_sizes(a: Args, n: int, default: Any) -> tuple[int, ...]:
    size = a.ints("size", n, default)
    if any(s <= 0 for s in size):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.size_must_positive(
            kind=a.kind, size=size[0] if n == 1 else size))
    return size


def _stays(d: Dim) -> str:
    return f"{fmt_dim(d)} stays {fmt_dim(d)}"


def _with_spatial(x: Shape, axes: list[int], sizes: list[Dim]) -> Shape:
    out = list(x)
    for ax, s in zip(axes, sizes):
        out[ax] = s
    return tuple(out)


# ---------------------------------------------------------------------------
# Flatten, Reshape, Permute, RepeatVector
# ---------------------------------------------------------------------------


@layer("Flatten", args=("data_format",), family="reshaping", min_ndim=1)
def flatten(a: Args, x: Shape, call: dict) -> Out:
    """(batch, product of the other axes); None if any of them is None."""
    a.data_format()
    rest = x[1:]
    if not rest:
        return Out((x[0], 1), 0, explain=["no axes to flatten: 1"])
    size = None if any(d is None for d in rest) else prod(rest)
    return Out((x[0], size), 0, explain=[f"{fmt_window([fmt_dim(d) for d in rest])} = {fmt_dim(size)}"])


@layer("Reshape", args=("target_shape",), family="reshaping", min_ndim=1)
def reshape(a: Args, x: Shape, call: dict) -> Out:
    """(batch, *target_shape) with one -1 inferred; the value count must match."""
    target = _literal(a, "target_shape")
    if not isinstance(target, (list, tuple)):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.target_shape_reshape_must(target=target))
    if any(_is_int(t) and t < -1 for t in target):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.target_shape_reshape_can(target=tuple(target)))
    if sum(1 for t in target if _is_int(t) and t == -1) > 1:
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.target_shape_reshape_several(target=tuple(target))
        )
    target = [t if _is_int(t) or is_unknown(t) else None for t in target]
    try:
        out = reshape_target(tuple(x[1:]), target)
    except ShapeError as e:
        hint = "" if -1 in target else " (or use -1 for one axis to infer it)"
        raise LayerError(e.code, SHARED.in_reshape(message=e.message, prod=fmt_dim(prod(x[1:])), hint=hint)) from None
    return Out((x[0], *out), 0, explain=[f"{fmt_dim(prod(x[1:]))} values → {fmt_shape(out)}"])


@layer("Permute", args=("dims",), family="reshaping")
def permute(a: Args, x: Shape, call: dict) -> Out:
    """Reorders the non-batch axes; dims is a permutation of 1..rank-1."""
    dims = _literal(a, "dims")
    if not isinstance(dims, (list, tuple)) or not all(_is_int(d) for d in dims):
        raise LayerError(INVALID_PERMUTE, INVALID_PERMUTE.dims_not_a_tuple(dims=dims))
    if sorted(dims) != list(range(1, len(dims) + 1)):
        want = tuple(range(1, len(dims) + 1))
        raise LayerError(
            INVALID_PERMUTE,
            INVALID_PERMUTE.not_a_permutation(dims=tuple(dims), want=want),
        )
    expect_ndim("Permute", x, ndim=len(dims) + 1)
    return Out((x[0], *(x[d] for d in dims)), 0)


@layer("RepeatVector", args=("n",), family="reshaping", ndim=2)
def repeat_vector(a: Args, x: Shape, call: dict) -> Out:
    """(batch, features) -> (batch, n, features)."""
    n = _literal(a, "n")
    if not _is_int(n) or n <= 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.n_repeatvector_must(n=n))
    return Out((x[0], n, x[1]), 0)


# ---------------------------------------------------------------------------
# ZeroPadding, Cropping
# ---------------------------------------------------------------------------


def _padded(kind: str, x: Shape, axes: list[int], pads) -> tuple[Shape, list[str]]:
    sizes, explain = [], []
    for ax, (before, after) in zip(axes, pads):
        d = x[ax]
        out = d + before + after if known(d) else d
        if known(out) and out < 0:
            raise LayerError(
                OUTPUT_SIZE_NOT_POSITIVE,
                OUTPUT_SIZE_NOT_POSITIVE.padding_removes_axis(kind=kind, before=before, after=after, d=d, out=out),
            )
        sizes.append(out)
        explain.append(f"{d} {_signed(before)} {_signed(after)} = {out}" if known(d) else _stays(d))
    return _with_spatial(x, axes, sizes), explain


def _signed(v: int) -> str:
    return f"+ {v}" if v >= 0 else f"- {-v}"


def _cropped(kind: str, x: Shape, axes: list[int], crops) -> tuple[Shape, list[str]]:
    sizes, explain = [], []
    for ax, (before, after) in zip(axes, crops):
        d = x[ax]
        if known(d) and before + after >= d:
            raise LayerError(
                OUTPUT_SIZE_NOT_POSITIVE,
                OUTPUT_SIZE_NOT_POSITIVE.cropping_removes_axis(
                    kind=kind, before=before, after=after, removed=before + after, d=d,
                    left=d - before - after, most=d - 1),
            )
        sizes.append(d - before - after if known(d) else d)
        explain.append(f"{d} - {before} - {after} = {d - before - after}" if known(d) else _stays(d))
    return _with_spatial(x, axes, sizes), explain


@layer("ZeroPadding1D", args=("padding", "data_format"), family="reshaping", ndim=3)
def zero_padding1d(a: Args, x: Shape, call: dict) -> Out:
    """Adds rows at both ends of the steps axis."""
    pad = _pair(a, "padding", _literal(a, "padding", 1), "padding")
    fmt = a.data_format()
    out, explain = _padded(a.kind, x, spatial_axes(fmt, 3), [pad])
    return Out(out, 0, explain=explain)


def _zero_padding(rank: int):
    def rule(a: Args, x: Shape, call: dict) -> Out:
        pads = _pairs(a, "padding", rank, (1,) * rank)
        fmt = a.data_format()
        out, explain = _padded(a.kind, x, spatial_axes(fmt, rank + 2), pads)
        warnings = []
        if any(p < 0 for pair in pads for p in pair):
            warnings.append((FAILS_AT_RUN_TIME, FAILS_AT_RUN_TIME.negative_padding(kind=a.kind)))
        return Out(out, 0, explain=explain, warnings=warnings)

    rule.__doc__ = f"Adds (before, after) zeros along each of the {rank} spatial axes."
    return rule


@layer("Cropping1D", args=("cropping",), family="reshaping", ndim=3)
def cropping1d(a: Args, x: Shape, call: dict) -> Out:
    """Removes rows at both ends of axis 1; must leave at least one."""
    crop = _pair(a, "cropping", _literal(a, "cropping", (1, 1)), "cropping")
    out, explain = _cropped(a.kind, x, [1], [crop])
    return Out(out, 0, explain=explain)


def _cropping(rank: int, default: Any):
    def rule(a: Args, x: Shape, call: dict) -> Out:
        value = _literal(a, "cropping", default)
        if _is_int(value) and value < 0:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.cropping_cannot_negative(kind=a.kind, value=value))
        crops = _pairs(a, "cropping", rank, default)
        fmt = a.data_format()
        out, explain = _cropped(a.kind, x, spatial_axes(fmt, rank + 2), crops)
        return Out(out, 0, explain=explain)

    rule.__doc__ = f"Removes (before, after) along each of the {rank} spatial axes; each must keep at least one."
    return rule


# ---------------------------------------------------------------------------
# UpSampling
# ---------------------------------------------------------------------------


def _upsampled(x: Shape, axes: list[int], size) -> tuple[Shape, list[str]]:
    sizes = [x[ax] * s if known(x[ax]) else x[ax] for ax, s in zip(axes, size)]
    explain = [f"{x[ax]}·{s} = {out}" if known(x[ax]) else _stays(x[ax]) for ax, s, out in zip(axes, size, sizes)]
    return _with_spatial(x, axes, sizes), explain


@layer("UpSampling1D", args=("size",), family="reshaping", ndim=3)
def up_sampling1d(a: Args, x: Shape, call: dict) -> Out:
    """Repeats each step `size` times along axis 1."""
    size = _literal(a, "size", 2)
    if not _is_int(size) or size <= 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.size_upsampling1d_must(size=size))
    out, explain = _upsampled(x, [1], (size,))
    return Out(out, 0, explain=explain)


@layer("UpSampling2D", args=("size", "data_format", "interpolation"), family="reshaping", ndim=4)
def up_sampling2d(a: Args, x: Shape, call: dict) -> Out:
    """Multiplies height and width by `size`."""
    size = _positive_sizes(a, 2, (2, 2))
    fmt = a.data_format()
    interpolation = a.str("interpolation", "nearest")
    warnings = []
    if interpolation is None or interpolation.lower() not in RESIZE_INTERPOLATIONS:
        options = ", ".join(repr(i) for i in RESIZE_INTERPOLATIONS)
        warnings.append((FAILS_AT_RUN_TIME, FAILS_AT_RUN_TIME.upsampling2d_interpolation(
            interpolation=interpolation, options=options)))
    out, explain = _upsampled(x, spatial_axes(fmt, 4), size)
    return Out(out, 0, explain=explain, warnings=warnings)


@layer("UpSampling3D", args=("size", "data_format"), family="reshaping", ndim=5)
def up_sampling3d(a: Args, x: Shape, call: dict) -> Out:
    """Multiplies the three spatial axes by `size`."""
    size = _positive_sizes(a, 3, (2, 2, 2))
    fmt = a.data_format()
    out, explain = _upsampled(x, spatial_axes(fmt, 5), size)
    return Out(out, 0, explain=explain)


layer("ZeroPadding2D", args=("padding", "data_format"), family="reshaping", ndim=4)(_zero_padding(2))
layer("ZeroPadding3D", args=("padding", "data_format"), family="reshaping", ndim=5)(_zero_padding(3))
layer("Cropping2D", args=("cropping", "data_format"), family="reshaping", ndim=4)(_cropping(2, ((0, 0), (0, 0))))
layer("Cropping3D", args=("cropping", "data_format"), family="reshaping", ndim=5)(_cropping(3, ((1, 1),) * 3))

"""Dimension and shape values, and the shape arithmetic every layer rule shares.

A shape is a plain tuple. Each dimension is one of:

* an ``int`` -- known statically;
* ``None`` -- Keras itself leaves it undefined (the batch axis, ``Input(shape=(None, 3))``);
* an :class:`Unknown` -- shapelens could not work it out (an argument it cannot evaluate).

The distinction matters: Keras raises on some ``None`` dimensions (a ``Dense`` after a
``Flatten`` over a ``None`` axis) but nothing is known about an :class:`Unknown` one, so
the rules only report errors on facts.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence, Union


class Unknown:
    """A value the analysis could not determine, with the reason why."""

    __slots__ = ("reason",)

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return "?"

    def __bool__(self) -> bool:  # an unknown is never taken as true or false silently
        return True


UNK = Unknown("not known statically")

Dim = Union[int, None, Unknown]
Shape = tuple  # tuple[Dim, ...]


class ShapeError(Exception):
    """Raised by the shape helpers; rules turn it into a diagnostic with a code."""

    def __init__(self, code: str, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fix = fix


def is_unknown(value: object) -> bool:
    return isinstance(value, Unknown)


def known(d: object) -> bool:
    """True for a dimension that is a concrete integer."""
    return isinstance(d, int) and not isinstance(d, bool)


def all_known(dims: Iterable[object]) -> bool:
    return all(known(d) for d in dims)


def fmt_dim(d: Dim) -> str:
    if d is None:
        return "None"
    if isinstance(d, Unknown):
        return "?"
    return str(d)


def fmt_shape(shape: Shape | None) -> str:
    if shape is None or isinstance(shape, Unknown):
        return "unknown"
    if isinstance(shape, list):
        return "[" + ", ".join(fmt_shape(s) for s in shape) + "]"
    inner = ", ".join(fmt_dim(d) for d in shape)
    if len(shape) == 1:
        inner += ","
    return f"({inner})"


def fmt_window(values: Sequence[int]) -> str:
    """(3, 3) -> '3×3' as people write kernel sizes."""
    return "×".join(str(v) for v in values)


def prod(dims: Iterable[Dim]) -> Dim:
    """Product of dimensions; None if any is None, Unknown if any is unknown."""
    out = 1
    saw_none = False
    for d in dims:
        if isinstance(d, Unknown):
            return UNK
        if d is None:
            saw_none = True
            continue
        out *= d
    return None if saw_none else out


def dim_eq(a: Dim, b: Dim) -> bool:
    """Definitely different? False when either side is not a known int."""
    return not (known(a) and known(b)) or a == b


def merge_dim(a: Dim, b: Dim) -> Dim:
    """The more informative of two dimensions that are supposed to be equal."""
    if known(a):
        return a
    if known(b):
        return b
    if a is None or b is None:
        return None
    return UNK


# ---------------------------------------------------------------------------
# Convolution and pooling arithmetic (keras/src/ops/operation_utils.py)
# ---------------------------------------------------------------------------


def conv_output_length(
    length: Dim, kernel: int, stride: int, padding: str, dilation: int = 1
) -> Dim:
    """Output length of a convolution along one axis, as Keras 3 computes it.

    Returns a non-positive int when 'valid' padding leaves nothing; callers decide
    what to report (Keras raises "Computed output size would be zero or negative").
    """
    if not known(length):
        return length
    if padding == "valid":
        effective = dilation * (kernel - 1) + 1
        return math.floor((length - effective) / stride) + 1
    # 'same' and 'causal'
    return math.floor((length - 1) / stride) + 1


def conv_explain(
    length: Dim, kernel: int, stride: int, padding: str, dilation: int = 1
) -> str:
    """The arithmetic behind one output size, for hovers."""
    if not known(length):
        return f"{fmt_dim(length)} stays {fmt_dim(length)}"
    out = conv_output_length(length, kernel, stride, padding, dilation)
    if padding == "valid":
        eff = f"{dilation}·({kernel} - 1) + 1" if dilation != 1 else str(kernel)
        return f"floor(({length} - {eff}) / {stride}) + 1 = {out}"
    return f"floor(({length} - 1) / {stride}) + 1 = {out}  ({padding})"


def pool_output_length(length: Dim, pool: int, stride: int, padding: str) -> Dim:
    if not known(length):
        return length
    if padding == "valid":
        return math.floor((length - pool) / stride) + 1
    return math.floor((length - 1) / stride) + 1


def deconv_output_length(
    length: Dim,
    kernel: int,
    stride: int,
    padding: str,
    output_padding: int | None,
    dilation: int = 1,
) -> Dim:
    """Conv*Transpose output length (keras/src/backend/common/backend_utils.py)."""
    if not known(length):
        return length
    kernel = (kernel - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(kernel, stride) - kernel
        return (length - 1) * stride + kernel + output_padding
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + kernel - 2 * (kernel // 2) + output_padding


# ---------------------------------------------------------------------------
# Broadcasting and reshaping
# ---------------------------------------------------------------------------


def broadcast_shapes(a: Shape, b: Shape) -> Shape:
    """numpy/Keras broadcasting; raises ShapeError('SL104') on a definite conflict."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out: list[Dim] = []
    for i, (x, y) in enumerate(zip(a, b)):
        if known(x) and known(y):
            if x == y or y == 1:
                out.append(x)
            elif x == 1:
                out.append(y)
            else:
                raise ShapeError(
                    "SL104",
                    f"shapes {fmt_shape(a)} and {fmt_shape(b)} cannot be broadcast: "
                    f"axis {i} is {x} in one and {y} in the other",
                )
        elif known(x):
            out.append(y if x == 1 else x)
        elif known(y):
            out.append(x if y == 1 else y)
        else:
            out.append(merge_dim(x, y))
    return tuple(out)


def reshape_target(source: Shape, target: Sequence[Dim]) -> Shape:
    """Resolve a reshape target (one -1 allowed) against a source shape.

    Both shapes exclude any batch axis. Raises ShapeError('SL105') when the element
    counts cannot match.
    """
    target = list(target)
    if sum(1 for t in target if t == -1) > 1:
        raise ShapeError("SL105", f"can only infer one unknown dimension, target {tuple(target)} has several -1")
    total = prod(source)
    if -1 in target:
        idx = target.index(-1)
        rest = prod(t for j, t in enumerate(target) if j != idx)
        if known(total) and known(rest):
            if rest == 0 or total % rest != 0:
                raise ShapeError(
                    "SL105",
                    f"cannot reshape {fmt_shape(tuple(source))} ({total} values) into "
                    f"{fmt_shape(tuple(target))}: {total} is not divisible by {rest}",
                )
            target[idx] = total // rest
        else:
            target[idx] = None if (total is None or rest is None) else UNK
        return tuple(target)
    want = prod(target)
    if known(total) and known(want) and total != want:
        raise ShapeError(
            "SL105",
            f"cannot reshape {fmt_shape(tuple(source))} ({total} values) into "
            f"{fmt_shape(tuple(target))} ({want} values)",
        )
    return tuple(target)


def normalize_axis(axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise ShapeError("SL102", f"axis {axis} is out of range for rank {rank}")
    return axis % rank

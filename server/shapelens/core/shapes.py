"""Dimension and shape values: Dim, Shape, Unknown, ShapeError and how they are shown.

The arithmetic on them (conv/pool/transpose lengths, broadcasting, reshape) is in
:mod:`shapelens.core.shape_math`.

A shape is a plain tuple. Each dimension is one of:

* an ``int`` -- known statically;
* ``None`` -- Keras itself leaves it undefined (the batch axis, ``Input(shape=(None, 3))``);
* an :class:`Unknown` -- shapelens could not work it out (an argument it cannot evaluate).

The distinction matters: Keras raises on some ``None`` dimensions (a ``Dense`` after a
``Flatten`` over a ``None`` axis) but nothing is known about an :class:`Unknown` one, so
the rules only report errors on facts.
"""

from __future__ import annotations

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


class UnknownInt(Unknown):
    """An integer whose value is not known statically (``len(x)`` of an array of unknown length):
    unknown, but known to be a number, not an array."""

    __slots__ = ()


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


class NumpyInt(int):
    """An integer NumPy computed (``np.int64(3)``, ``np.prod(shape)``): a number like any other,
    except that it is not a Python ``int`` -- Keras 3 rejects it where it wants one
    (``Dense(np.prod(shape))``, core/keras_versions.py). Arithmetic gives a plain int (the
    marker is not followed further: a check on it can only be missed, never made up)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return int.__repr__(self)

"""``keras.datasets.<name>.load_data()``: the shapes, dtypes and classes of the built-in datasets.
"""

from __future__ import annotations

from typing import Any
from shapelens.core import datasets
from shapelens.core.shapes import UNK, Unknown
from shapelens.core.data.base import Array, _Ctx, _dtype_of


def _load_dataset(ctx: _Ctx, name: str, args: list, kwargs: dict) -> Any:
    split = datasets.load_data(name, args, kwargs)
    if split is None:
        return Unknown(f"{name}.load_data() with arguments shapelens does not follow")
    what = f"{name}.load_data()"

    def part(p: datasets.Part, label: str) -> Array:
        shape = tuple(UNK if d is None else d for d in p.shape)
        dtype = "object" if p.sequences else _dtype_of(p.dtype)
        return Array(shape, f"{what} (line {ctx.line})", ctx.span, symbolic=False, dtype=dtype,
                     classes=p.classes, lib="numpy", sequences=p.sequences, upper=p.vocab)

    (xa, ya), (xb, yb) = split
    return (part(xa, "x_train"), part(ya, "y_train")), (part(xb, "x_test"), part(yb, "y_test"))

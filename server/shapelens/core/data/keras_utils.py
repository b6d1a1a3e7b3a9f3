"""``keras.utils``: to_categorical, pad_sequences, load_img, img_to_array.
"""

from __future__ import annotations

from typing import Any

from shapelens.core import shape_math
from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import Tensor
from shapelens.core.data.base import (
    Array,
    _Ctx,
    _arg,
    _as_array,
    _flat_values,
    _is_int,
    _related,
    _shape_of,
    _x,
)
from shapelens.core.codes import LABEL_OUT_OF_RANGE


def _to_categorical(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    y = _x(args, kwargs, "x", "y")
    k = _arg(args, kwargs, 1, "num_classes")
    if isinstance(y, (list, tuple)):
        y = _as_array(ctx, y)
    if not isinstance(y, Array) or y.shape is None:
        return Unknown("to_categorical() of labels not known")
    shape = tuple(y.shape)
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    if k is None:
        if y.classes is not None:
            k = y.classes
        elif y.value is not None:
            flat = _flat_values(y.value)
            k = int(max(flat)) + 1 if flat else UNK
        elif _surely_reaches(y):
            k = y.upper  # random labels below `upper`: with this many, the largest is all but certain
        else:
            k = UNK
    elif not _is_int(k):
        k = UNK
    elif y.classes is not None and y.classes > k:
        ctx.report(LABEL_OUT_OF_RANGE, LABEL_OUT_OF_RANGE.to_categorical_num_classes(
            k=k, shape=fmt_shape(y.shape), origin=y.origin, classes=y.classes, top_label=y.classes - 1), related=_related(y))
        return Unknown("to_categorical raises here")
    return Array((*shape, k), f"to_categorical(...) (line {ctx.line})", ctx.span, symbolic=False, dtype="float",
                 lib="numpy")


def _surely_reaches(y: Array) -> bool:
    """Random integer labels below ``upper`` (randint): the chance that upper - 1 never occurs
    among n of them is at most (1 - 1/upper)**n; below 1% the width max + 1 is taken as upper."""
    if not (_is_int(y.upper) and y.upper > 0 and y.shape and all(known(d) for d in y.shape)):
        return False
    n = shape_math.size(tuple(y.shape))
    return n > 0 and (1 - 1 / y.upper) ** n <= 0.01


def _pad_sequences(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    seqs = _x(args, kwargs, "sequences")
    maxlen = _arg(args, kwargs, 1, "maxlen")
    if maxlen is not None and not _is_int(maxlen):
        return Unknown("pad_sequences() with a maxlen not known")
    n: Any = UNK
    longest: Any = UNK
    if isinstance(seqs, Array) and seqs.shape:
        n = seqs.shape[0]
        if len(seqs.shape) >= 2 and not seqs.sequences:
            longest = seqs.shape[1]
    elif isinstance(seqs, (list, tuple)):
        n = len(seqs)
        lengths = []
        for s in seqs:
            sh = _shape_of(s)
            lengths.append(sh[0] if sh else None)
        if lengths and all(known(d) for d in lengths):
            longest = max(lengths)
    elif not isinstance(seqs, Tensor):
        return Unknown("pad_sequences() of values not known")
    width = maxlen if maxlen is not None else longest
    return Array((n, width), f"pad_sequences(...) (line {ctx.line})", ctx.span, symbolic=False, dtype="int")


def _load_img(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    size = kwargs.get("target_size")
    mode = kwargs.get("color_mode", "rgb")
    channels = {"rgb": 3, "grayscale": 1, "rgba": 4}.get(mode) if isinstance(mode, str) else None
    if channels is None:
        return Unknown("load_img() with a color mode not known")
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(_is_int(s) for s in size):
        hw = tuple(size)
    else:
        hw = (UNK, UNK)
    return Array((*hw, channels), f"load_img(...) (line {ctx.line})", ctx.span, symbolic=False, dtype="int",
                 lib="image")


def _img_to_array(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    img = _x(args, kwargs, "img")
    if not isinstance(img, Array) or img.shape is None:
        return Unknown("img_to_array() of an image not known")
    shape = tuple(img.shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3:
        return Unknown("img_to_array() of an image of another rank")
    return Array(shape, img.origin, img.span, symbolic=False, dtype="float", lib="numpy")

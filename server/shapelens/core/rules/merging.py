"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

All of them are called on a list of tensors. Keras 3 computes their symbolic output with
``compute_output_shape`` (keras/src/layers/merging/*.py), never by running the op, so
these rules follow that code exactly, quirks included:

* one input is accepted (``Add()([x])`` is ``x``); Subtract and Dot want exactly two;
* element-wise merges broadcast the non-batch axes right-aligned, and a ``None`` on
  either side makes that output axis ``None``;
* Concatenate takes every non-axis dimension from the *first* input;
* Dot compares the two contracted axes strictly: ``None`` against 5 is an error.
"""

from __future__ import annotations

from shapelens.core.rules.base import Args, LayerError, Out, Unresolved, layer
from shapelens.core.shapes import UNK, Dim, Shape, fmt_dim, fmt_shape, is_unknown, known
from shapelens.core.codes import INCOMPATIBLE_MERGE_SHAPES, INVALID_ARGUMENT, WRONG_INPUT_RANK

# keras.layers' functional forms -> the layer class each one builds. The evaluator maps
# `layers.add([a, b])` onto the class's rule; `dot` differs from `Dot` in that its
# `axes` defaults to -1 (FUNCTIONAL_DEFAULTS).
FUNCTIONAL_FORMS = {
    "add": "Add",
    "subtract": "Subtract",
    "multiply": "Multiply",
    "average": "Average",
    "maximum": "Maximum",
    "minimum": "Minimum",
    "concatenate": "Concatenate",
    "dot": "Dot",
}
FUNCTIONAL_DEFAULTS = {"dot": {"axes": -1}, "concatenate": {"axis": -1}}


def _inputs(kind: str, xs: list) -> list[Shape]:
    if not xs:
        raise LayerError(INCOMPATIBLE_MERGE_SHAPES, INCOMPATIBLE_MERGE_SHAPES.empty_list(kind=kind))
    for s in xs:
        if isinstance(s, list) or is_unknown(s):
            raise Unresolved(f"an input shape of {kind} is not known statically")
        if len(s) == 0:
            raise LayerError(WRONG_INPUT_RANK, WRONG_INPUT_RANK.inputs_need_batch(kind=kind, s=fmt_shape(s)))
    return [tuple(s) for s in xs]


def _shapes_txt(xs: list[Shape]) -> str:
    return ", ".join(fmt_shape(s) for s in xs)


# ---------------------------------------------------------------------------
# Element-wise merges (keras/src/layers/merging/base_merge.py)
# ---------------------------------------------------------------------------



def _merge_fix(axis: int, size: int, rank_a: int, rank_b: int) -> str:
    """How to make the sizes meet: channels are projected (a 1x1 convolution keeps the feature
    map; Dense for vectors), other axes are resized or cropped."""
    if axis != -1:
        return "make that axis the same on both sides (padding='same', or crop/resize one side)"
    rank = max(rank_a, rank_b)
    if 3 <= rank <= 5:
        return f"e.g. project one side with a 1x1 convolution, Conv{rank - 2}D({size}, 1)"
    return f"e.g. project one side with Dense({size})"

def _pair(kind: str, a: Shape, b: Shape, full_a: Shape, full_b: Shape) -> Shape:
    """Merge._compute_elemwise_op_output_shape on the non-batch parts a and b."""
    if len(a) < len(b):
        a, b, full_a, full_b = b, a, full_b, full_a
    if not b:
        return a
    out: list[Dim] = list(a[: len(a) - len(b)])
    offset = len(a) - len(b)
    for k, (i, j) in enumerate(zip(a[offset:], b)):
        if i is None or j is None:
            out.append(None)
        elif is_unknown(i) or is_unknown(j):
            other = j if is_unknown(i) else i
            out.append(UNK if is_unknown(other) or other == 1 else other)
        elif i == 1:
            out.append(j)
        elif j == 1:
            out.append(i)
        elif i != j:
            axis = k - len(b)  # counted from the end, the same for both inputs
            raise LayerError(
                INCOMPATIBLE_MERGE_SHAPES,
                INCOMPATIBLE_MERGE_SHAPES.axis_mismatch(
                    kind=kind, full_a=fmt_shape(full_a), full_b=fmt_shape(full_b), axis=axis, i=i, j=j,
                    merge_fix=_merge_fix(axis, max(i, j), len(full_a), len(full_b))),
            )
        else:
            out.append(i)
    return tuple(out)


def _batch(kind: str, xs: list[Shape]) -> Dim:
    sizes = {s[0] for s in xs if known(s[0])}
    if len(sizes) > 1:
        raise LayerError(
            INCOMPATIBLE_MERGE_SHAPES,
            INCOMPATIBLE_MERGE_SHAPES.batch_mismatch(
                kind=kind, sizes=', '.join(str(v) for v in sorted(sizes)), shapes_txt=_shapes_txt(xs)),
        )
    if sizes:
        return sizes.pop()
    return UNK if any(is_unknown(s[0]) for s in xs) else None


def _elementwise(a: Args, xs: list, call: dict) -> Out:
    """Element-wise merge: shapes broadcast right-aligned (batch axis apart); no weights."""
    xs = _inputs(a.kind, xs)
    if a.kind == "Subtract" and len(xs) != 2:
        raise LayerError(
            INCOMPATIBLE_MERGE_SHAPES, INCOMPATIBLE_MERGE_SHAPES.subtract_input_count(
                n_xs=len(xs), shapes_txt=_shapes_txt(xs))
        )
    batch = _batch(a.kind, xs)
    out = xs[0][1:]
    acc = xs[0]
    for s in xs[1:]:
        out = _pair(a.kind, out, s[1:], acc, s)
        acc = (batch,) + out
    explain = []
    if len({len(s) for s in xs}) > 1 or len(set(map(_key, xs))) > 1:
        explain.append(f"broadcast {_shapes_txt(xs)} -> {fmt_shape((batch,) + out)}")
    return Out((batch,) + tuple(out), 0, explain=explain)


def _key(s: Shape) -> tuple:
    return tuple("?" if is_unknown(d) else d for d in s)


for _name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
    layer(_name, family="merging", multi_input=True)(_elementwise)


# ---------------------------------------------------------------------------
# Concatenate (keras/src/layers/merging/concatenate.py)
# ---------------------------------------------------------------------------


@layer("Concatenate", args=("axis",), family="merging", multi_input=True)
def concatenate(a: Args, xs: list, call: dict) -> Out:
    """Sizes along `axis` add up; every other axis must match (None matches anything)."""
    axis = a.int("axis", -1)
    xs = _inputs("Concatenate", xs)
    # build(): drop the concat axis from each shape (Python indexing: a negative axis
    # beyond the rank is an IndexError, a positive one beyond it is silently kept).
    reduced = []
    for i, s in enumerate(xs):
        r = list(s)
        if len(r) > axis:
            if axis < -len(r):
                raise LayerError(
                    WRONG_INPUT_RANK,
                    WRONG_INPUT_RANK.concatenate_axis_out(
                        axis=axis, input_number=i + 1, s=fmt_shape(s), n_s=len(s), last_axis=len(s) - 1),
                )
            del r[axis]
        reduced.append(r)
    if len({len(r) for r in reduced}) > 1:
        ranks = ", ".join(str(len(s)) for s in xs)
        raise LayerError(
            INCOMPATIBLE_MERGE_SHAPES,
            INCOMPATIBLE_MERGE_SHAPES.concatenate_ranks_differ(ranks=ranks, shapes_txt=_shapes_txt(xs)),
        )
    for pos in range(len(reduced[0])):
        sizes = {r[pos] for r in reduced if known(r[pos])}
        if len(sizes) > 1:
            n = len(xs[0])
            dropped = axis % n if len(xs[0]) > axis else n
            ax = pos if pos < dropped else pos + 1
            raise LayerError(
                INCOMPATIBLE_MERGE_SHAPES,
                INCOMPATIBLE_MERGE_SHAPES.concatenate_axis_mismatch(
                    axis=axis, ax=ax, sizes=' vs '.join(str(v) for v in sorted(sizes)), shapes_txt=_shapes_txt(xs)),
            )
    # compute_output_shape(): first input's shape, sizes along the axis summed.
    out = list(xs[0])
    if len(xs) > 1:
        if not -len(out) <= axis < len(out):
            raise LayerError(
                WRONG_INPUT_RANK,
                WRONG_INPUT_RANK.concatenate_axis_out_range(axis=axis, n_out=len(out), shapes_txt=_shapes_txt(xs)),
            )
        parts = [out[axis]]
        for s in xs[1:]:
            if out[axis] is None:
                break
            if not -len(s) <= axis < len(s):
                raise LayerError(
                    WRONG_INPUT_RANK,
                    WRONG_INPUT_RANK.concatenate_axis_out_range_rank(axis=axis, n_s=len(s), s=fmt_shape(s)),
                )
            d = s[axis]
            parts.append(d)
            if d is None:
                out[axis] = None
                break
            out[axis] = UNK if is_unknown(out[axis]) or is_unknown(d) else out[axis] + d
        explain = [f"axis {axis}: {' + '.join(fmt_dim(p) for p in parts)} = {fmt_dim(out[axis])}"]
    else:
        explain = []
    return Out(tuple(out), 0, explain=explain)


# ---------------------------------------------------------------------------
# Dot (keras/src/layers/merging/dot.py)
# ---------------------------------------------------------------------------


def _dot_axes(a: Args):
    axes = a.raw("axes", None)
    if not a.has("axes"):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.dot_missing_required())
    if is_unknown(axes):
        raise Unresolved("`axes` of Dot is not known statically")
    if isinstance(axes, (list, tuple)):
        if any(is_unknown(v) for v in axes):
            raise Unresolved("`axes` of Dot is not known statically")
        if len(axes) != 2:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.dot_axes_must(n_axes=len(axes), axes=list(axes)))
        if not all(isinstance(v, int) for v in axes):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.dot_axes_must_integers(axes=list(axes)))
        return list(axes)
    if not isinstance(axes, int):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.dot_axes_must_int(axes=axes))
    return axes


@layer("Dot", args=("axes", "normalize"), family="merging", multi_input=True)
def dot(a: Args, xs: list, call: dict) -> Out:
    """Batch-wise dot product: x without its `axes[0]`, then y without batch and `axes[1]`."""
    axes = _dot_axes(a)
    a.bool("normalize", False)
    xs = _inputs("Dot", xs)
    if len(xs) != 2:
        raise LayerError(INCOMPATIBLE_MERGE_SHAPES, INCOMPATIBLE_MERGE_SHAPES.dot_input_count(
            n_xs=len(xs), shapes_txt=_shapes_txt(xs)))
    s1, s2 = xs
    if isinstance(axes, int):
        ax = [axes % len(s1), axes % len(s2)] if axes < 0 else [axes, axes]
    else:
        ax = axes
    for s, v, which in ((s1, ax[0], "first"), (s2, ax[1], "second")):
        if not -len(s) <= v < len(s):
            raise LayerError(
                WRONG_INPUT_RANK,
                WRONG_INPUT_RANK.dot_axis_out_of_range(v=v, which=which, s=fmt_shape(s), n_s=len(s)),
            )
    d1, d2 = s1[ax[0]], s2[ax[1]]
    if not (is_unknown(d1) or is_unknown(d2)) and d1 != d2:
        hint = " (Keras needs both sizes defined, or both None)" if d1 is None or d2 is None else ""
        raise LayerError(
            INCOMPATIBLE_MERGE_SHAPES,
            INCOMPATIBLE_MERGE_SHAPES.dot_axes_sizes_differ(
                axis_x=ax[0], axis_y=ax[1], d1=fmt_dim(d1), d2=fmt_dim(d2), hint=hint, s1=fmt_shape(s1),
                s2=fmt_shape(s2)),
        )
    o1, o2 = list(s1), list(s2)
    o1.pop(ax[0])
    o2.pop(ax[1])
    if not o2:
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.dot_needs_inputs(s1=fmt_shape(s1), s2=fmt_shape(s2)),
        )
    o2.pop(0)
    out = o1 + o2
    if len(out) == 1:
        out.append(1)
    return Out(tuple(out), 0, explain=[f"contract axis {ax[0]} of {fmt_shape(s1)} with axis {ax[1]} of {fmt_shape(s2)}"])

"""The shape math (the role keras/src/ops/operation_utils.py plays for Keras): every dimension
computation of the layer rules (core/rules/) and of the data ops (core/data/) lives here --
conv / pool / transpose output lengths, broadcasting, reshape with -1, and the numpy
shape functions shared by numpy, TensorFlow and keras.ops.

Pure functions on shapes (tuples of dims: an ``int``, ``None`` -- undefined, like the Keras
batch axis -- or an :class:`~shapelens.core.shapes.Unknown`). They never see values. Where
numpy would raise they raise :class:`OpError` with a ``kind`` the caller maps onto a
diagnostic code and a message in terms of shapes; where a dim is not known they assume
the call succeeds and return what is known.

Checked against numpy itself by property-based tests (tests/core/test_shape_math_numpy.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from shapelens.core.shapes import UNK, Dim, ShapeError, Unknown, fmt_dim, fmt_shape, known
from shapelens.core.codes import RESHAPE_SIZE_MISMATCH
from shapelens.core.op_errors import OP_ERRORS

Shape = tuple


# ---------------------------------------------------------------------------- dimension arithmetic


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


# ---------------------------------------------------------------------------- conv / pool / transpose lengths
# (keras/src/ops/operation_utils.py, keras/src/backend/common/backend_utils.py)


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
        # Keras: floor((length - effective) / stride) + 1; in integers (the same for every size
        # a float holds exactly, and no float error on a huge one typed by mistake)
        return (length - effective) // stride + 1
    # 'same' and 'causal'
    return (length - 1) // stride + 1


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


# ---------------------------------------------------------------------------- reshape for the Reshape layer


def reshape_target(source: Shape, target: Sequence[Dim]) -> Shape:
    """Resolve a reshape target (one -1 allowed) against a source shape.

    Both shapes exclude any batch axis. Raises ShapeError('SL105') when the element
    counts cannot match.
    """
    target = list(target)
    if sum(1 for t in target if t == -1) > 1:
        raise ShapeError(RESHAPE_SIZE_MISMATCH, RESHAPE_SIZE_MISMATCH.several_inferred(target=tuple(target)))
    total = prod(source)
    if -1 in target:
        idx = target.index(-1)
        rest = prod(t for j, t in enumerate(target) if j != idx)
        if known(total) and known(rest):
            if rest == 0 or total % rest != 0:
                raise ShapeError(
                    RESHAPE_SIZE_MISMATCH,
                    RESHAPE_SIZE_MISMATCH.not_divisible(
                        source=fmt_shape(tuple(source)), total=total, target=fmt_shape(tuple(target)), rest=rest),
                )
            target[idx] = total // rest
        else:
            target[idx] = None if (total is None or rest is None) else UNK
        return tuple(target)
    want = prod(target)
    if known(total) and known(want) and total != want:
        raise ShapeError(
            RESHAPE_SIZE_MISMATCH,
            RESHAPE_SIZE_MISMATCH.sizes_differ(
                source=fmt_shape(tuple(source)), total=total, target=fmt_shape(tuple(target)), want=want),
        )
    return tuple(target)


class OpError(Exception):
    """numpy / TensorFlow raise here. ``kind``: broadcast | reshape | axis | squeeze |
    concat | stack | matmul | index | split | argument."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ArrayIndex:
    """An integer array (or a list of ints) or a boolean mask used as an index."""

    shape: tuple
    boolean: bool = False


# ---------------------------------------------------------------------------- helpers


def unknown_dim(*dims: Any) -> Any:
    """None when any dim is None (undefined stays undefined), else an Unknown."""
    return None if any(d is None for d in dims) else UNK


def size(shape: Shape) -> Any:
    """Number of elements; None/Unknown when a dim is not known."""
    out = 1
    for d in shape:
        if not known(d):
            return unknown_dim(d)
        out *= d
    return out


def _axis(axis: Any, ndim: int, what: str = "axis") -> int:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise OpError("argument", OP_ERRORS.not_an_integer(what=what, axis=axis))
    if not -ndim <= axis < ndim:
        raise OpError("axis", OP_ERRORS.axis_out_of_bounds(what=what, axis=axis, ndim=ndim))
    return axis % ndim


def _axes(axis: Any, ndim: int) -> list[int]:
    items = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    out = [_axis(a, ndim) for a in items]
    if len(set(out)) != len(out):
        raise OpError("axis", OP_ERRORS.repeated_axis(items=tuple(items)))
    return out


def fmt_target(target: Sequence[Any]) -> str:
    return fmt_shape(tuple(target))


# ---------------------------------------------------------------------------- broadcasting


def broadcast(*shapes: Shape) -> Shape:
    """numpy broadcasting of any number of shapes."""
    shapes = tuple(tuple(s) for s in shapes)
    if not shapes:
        return ()
    n = max(len(s) for s in shapes)
    padded = [(1,) * (n - len(s)) + s for s in shapes]
    out: list[Any] = []
    for i in range(n):
        col = [p[i] for p in padded]
        sizes = {d for d in col if known(d) and d != 1}
        if len(sizes) > 1:
            a, b = sorted(sizes)[:2]
            raise OpError(
                "broadcast",
                OP_ERRORS.cannot_broadcast(
                    shapes=" and ".join(fmt_shape(s) for s in shapes), axis=i - n, a=a, b=b),
            )
        if sizes:
            out.append(sizes.pop())
        elif all(known(d) for d in col):
            out.append(1)
        else:
            unknown = [d for d in col if not known(d)]
            out.append(None if all(d is None for d in unknown) else UNK)
    return tuple(out)


def broadcast_to(shape: Shape, target: Shape) -> Shape:
    target = tuple(target)
    if len(shape) > len(target):
        raise OpError("broadcast", OP_ERRORS.cannot_broadcast_smaller(
            shape=fmt_shape(shape), target=fmt_shape(target)))
    padded = (1,) * (len(target) - len(shape)) + tuple(shape)
    for i, (d, t) in enumerate(zip(padded, target)):
        if known(d) and known(t) and d != 1 and d != t:
            raise OpError("broadcast", OP_ERRORS.cannot_broadcast_axis(
                shape=fmt_shape(shape), target=fmt_shape(target), axis=i - len(target), d=d, t=t))
    return target


# ---------------------------------------------------------------------------- reshaping


def reshape(shape: Shape, target: Sequence[Any]) -> Shape:
    """numpy.reshape / tf.reshape: one -1 allowed."""
    target = list(target)
    for t in target:
        if isinstance(t, bool) or not (known(t) or t is None or isinstance(t, Unknown)):
            raise OpError("argument", OP_ERRORS.reshape_target_not_integers(target=fmt_target(target)))
    minus = [i for i, t in enumerate(target) if known(t) and t == -1]
    if len(minus) > 1:
        raise OpError("reshape", OP_ERRORS.reshape_several_inferred(target=fmt_target(target)))
    # a None (a batch size read with ops.shape(x)[0]) is a size known only when the code
    # runs: inferred like -1 when it is the only one, unknown otherwise -- never an error
    nones = [i for i, t in enumerate(target) if t is None]
    unknowns = minus or nones[:1]
    for i in nones:
        if i not in unknowns:
            target[i] = UNK
    if any(known(t) and t < -1 for t in target):
        raise OpError("reshape", OP_ERRORS.reshape_negative_sizes(target=fmt_target(target)))
    total = size(shape)
    rest = 1
    rest_known = True
    for i, t in enumerate(target):
        if i in unknowns:
            continue
        if known(t):
            rest *= t
        else:
            rest_known = False
    if unknowns:
        idx = unknowns[0]
        if known(total) and rest_known:
            if rest == 0 or total % rest != 0:
                raise OpError(
                    "reshape",
                    OP_ERRORS.reshape_not_a_multiple(
                        shape=fmt_shape(tuple(shape)), total=total, target=fmt_target(target), rest=rest),
                )
            target[idx] = total // rest
        else:
            target[idx] = unknown_dim(total) if not known(total) else UNK
        return tuple(target)
    if known(total) and rest_known and total != rest:
        raise OpError(
            "reshape",
            OP_ERRORS.reshape_size_differs(
                shape=fmt_shape(tuple(shape)), total=total, target=fmt_target(target), rest=rest),
        )
    return tuple(target)


def flatten(shape: Shape) -> Shape:
    return (size(shape),)


def expand_dims(shape: Shape, axis: Any) -> Shape:
    shape = tuple(shape)
    items = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    ndim = len(shape) + len(items)
    where = _axes(items, ndim)
    out: list[Any] = []
    rest = iter(shape)
    for i in range(ndim):
        out.append(1 if i in where else next(rest))
    return tuple(out)


def squeeze(shape: Shape, axis: Any = None) -> Shape | None:
    """None when the result's rank depends on dims that are not known."""
    shape = tuple(shape)
    if axis is None:
        if any(not known(d) for d in shape):
            return None
        return tuple(d for d in shape if d != 1)
    where = _axes(axis, len(shape)) if shape or axis not in (0, -1) else []
    for a in where:
        if known(shape[a]) and shape[a] != 1:
            raise OpError("squeeze", OP_ERRORS.cannot_squeeze_axis(a=a, shape=fmt_shape(shape), shape_a=shape[a]))
    return tuple(d for i, d in enumerate(shape) if i not in where)


def transpose(shape: Shape, axes: Any = None) -> Shape:
    shape = tuple(shape)
    if axes is None:
        return tuple(reversed(shape))
    axes = list(axes)
    if len(axes) != len(shape):
        raise OpError("axis", OP_ERRORS.transpose_axes_mismatch(axes=tuple(axes), n_shape=len(shape)))
    perm = _axes(axes, len(shape))
    return tuple(shape[a] for a in perm)


def swapaxes(shape: Shape, a: int, b: int) -> Shape:
    shape = list(shape)
    i, j = _axis(a, len(shape)), _axis(b, len(shape))
    shape[i], shape[j] = shape[j], shape[i]
    return tuple(shape)


def moveaxis(shape: Shape, source: Any, destination: Any) -> Shape:
    shape = tuple(shape)
    src = _axes(source, len(shape))
    dst = _axes(destination, len(shape))
    if len(src) != len(dst):
        raise OpError("argument", OP_ERRORS.moveaxis_lengths_differ())
    order = [n for n in range(len(shape)) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return tuple(shape[i] for i in order)


def atleast(shape: Shape, n: int) -> Shape:
    shape = tuple(shape)
    if len(shape) >= n:
        return shape
    if n == 1:
        return (1,)
    if n == 2:
        return (1, *shape) if len(shape) == 1 else (1, 1)
    if len(shape) == 0:
        return (1, 1, 1)
    if len(shape) == 1:
        return (1, shape[0], 1)
    return (*shape, 1)


# ---------------------------------------------------------------------------- joining


def concatenate(shapes: Sequence[Shape], axis: Any = 0) -> Shape:
    shapes = [tuple(s) for s in shapes]
    if not shapes:
        raise OpError("concat", OP_ERRORS.concatenate_nothing())
    if axis is None:
        total = 0
        for s in shapes:
            n = size(s)
            if not known(n):
                return (unknown_dim(n),)
            total += n
        return (total,)
    ndim = len(shapes[0])
    if ndim == 0:
        raise OpError("concat", OP_ERRORS.concatenate_scalars())
    for i, s in enumerate(shapes[1:], 1):
        if len(s) != ndim:
            raise OpError("concat", OP_ERRORS.concatenate_ranks_differ(
                first_shape=fmt_shape(shapes[0]), i=i, s=fmt_shape(s)))
    ax = _axis(axis, ndim)
    out = list(shapes[0])
    for d in range(ndim):
        if d == ax:
            total = 0
            for s in shapes:
                if not known(s[d]):
                    total = unknown_dim(*(t[d] for t in shapes))
                    break
                total += s[d]
            out[d] = total
            continue
        values = {s[d] for s in shapes if known(s[d])}
        if len(values) > 1:
            first = next(i for i, s in enumerate(shapes) if known(s[d]))
            other = next(i for i, s in enumerate(shapes) if known(s[d]) and s[d] != shapes[first][d])
            raise OpError(
                "concat",
                OP_ERRORS.concatenate_axis_differs(
                    ax=ax, d=d, first=first, first_shape=fmt_shape(shapes[first]), first_size=shapes[first][d],
                    other=other, shapes_other=fmt_shape(shapes[other]), shapes_other_d=shapes[other][d]),
            )
        out[d] = values.pop() if values else unknown_dim(*(s[d] for s in shapes))
    return tuple(out)


def stack(shapes: Sequence[Shape], axis: Any = 0) -> Shape:
    shapes = [tuple(s) for s in shapes]
    if not shapes:
        raise OpError("stack", OP_ERRORS.stack_nothing())
    first = shapes[0]
    merged = list(first)
    for i, s in enumerate(shapes[1:], 1):
        if len(s) != len(first) or any(known(a) and known(b) and a != b for a, b in zip(first, s)):
            raise OpError("stack", OP_ERRORS.stack_shapes_differ(first=fmt_shape(first), i=i, s=fmt_shape(s)))
        merged = [a if known(a) else b for a, b in zip(merged, s)]
    ax = _axis(axis, len(first) + 1)
    merged.insert(ax, len(shapes))
    return tuple(merged)


def vstack(shapes: Sequence[Shape]) -> Shape:
    return concatenate([atleast(s, 2) for s in shapes], 0)


def hstack(shapes: Sequence[Shape]) -> Shape:
    arrs = [atleast(s, 1) for s in shapes]
    return concatenate(arrs, 0 if arrs and len(arrs[0]) == 1 else 1)


def dstack(shapes: Sequence[Shape]) -> Shape:
    return concatenate([atleast(s, 3) for s in shapes], 2)


def column_stack(shapes: Sequence[Shape]) -> Shape:
    return concatenate([(s[0], 1) if len(s) == 1 else (tuple(s) if len(s) >= 2 else (1, 1)) for s in shapes], 1)


def split(shape: Shape, sections: Any, axis: int = 0, equal: bool = True) -> list[Shape]:
    shape = tuple(shape)
    if not shape:
        raise OpError("axis", OP_ERRORS.split_scalar())
    ax = _axis(axis, len(shape))
    n = shape[ax]
    if isinstance(sections, (list, tuple)):
        bounds = list(sections)
        if not all(known(b) for b in bounds):
            raise OpError("argument", OP_ERRORS.split_indices_not_integers())
        if not known(n):
            return [shape[:ax] + (unknown_dim(n),) + shape[ax + 1:] for _ in range(len(bounds) + 1)]
        edges = [0] + [min(max(b if b >= 0 else b + n, 0), n) for b in bounds] + [n]
        return [shape[:ax] + (max(edges[i + 1] - edges[i], 0),) + shape[ax + 1:] for i in range(len(edges) - 1)]
    if not known(sections) or sections <= 0:
        raise OpError("argument", OP_ERRORS.sections_not_positive(sections=sections))
    if not known(n):
        return [shape[:ax] + (unknown_dim(n),) + shape[ax + 1:] for _ in range(sections)]
    if equal and n % sections:
        raise OpError("split", OP_ERRORS.split_not_equal(ax=ax, shape=fmt_shape(shape), n=n, sections=sections))
    base, extra = divmod(n, sections)
    return [shape[:ax] + (base + (1 if i < extra else 0),) + shape[ax + 1:] for i in range(sections)]


def tile(shape: Shape, reps: Any) -> Shape:
    reps = tuple(reps) if isinstance(reps, (list, tuple)) else (reps,)
    if not all(isinstance(r, Unknown) or known(r) and r >= 0 for r in reps):
        raise OpError("argument", OP_ERRORS.tile_repetitions_negative(reps=reps))
    n = max(len(shape), len(reps))
    s = (1,) * (n - len(shape)) + tuple(shape)
    r = (1,) * (n - len(reps)) + reps
    # a repetition count read at run time (tf.shape(x)[0]): that axis's size is not known
    return tuple(d * k if known(d) and known(k) else unknown_dim(d) for d, k in zip(s, r))


def repeat(shape: Shape, repeats: Any, axis: Any = None) -> Shape:
    """numpy.repeat / tf.repeat / keras.ops.repeat. ``repeats``: an int, an Unknown (a count
    read at run time: the axis becomes unknown), or one count per element."""
    if isinstance(repeats, (list, tuple)) and len(repeats) == 1:
        repeats = repeats[0]
    each = isinstance(repeats, (list, tuple))
    for r in (repeats if each else [repeats]):
        if not isinstance(r, Unknown) and (not known(r) or r < 0):
            raise OpError("argument", OP_ERRORS.repeats_negative(repeats=repeats))

    def grown(n: Any) -> Any:
        if each:
            if known(n) and n != len(repeats):
                raise OpError("argument", OP_ERRORS.repeat_counts_mismatch(count=len(repeats), n=n))
            return sum(repeats) if all(known(r) for r in repeats) else UNK
        if isinstance(repeats, Unknown):
            return unknown_dim(n)
        return n * repeats if known(n) else unknown_dim(n)

    if axis is None:
        return (grown(size(shape)),)
    shape = list(shape) or [1]
    ax = _axis(axis, len(shape))
    shape[ax] = grown(shape[ax])
    return tuple(shape)


def pad(shape: Shape, pad_width: Any) -> Shape:
    shape = tuple(shape)
    n = len(shape)
    if known(pad_width):
        pairs = [(pad_width, pad_width)] * n
    elif isinstance(pad_width, (list, tuple)) and len(pad_width) == 2 and all(known(p) for p in pad_width):
        pairs = [tuple(pad_width)] * n
    elif isinstance(pad_width, (list, tuple)) and len(pad_width) == 1 and isinstance(pad_width[0], (list, tuple)):
        pairs = [tuple(pad_width[0])] * n
    elif isinstance(pad_width, (list, tuple)) and all(isinstance(p, (list, tuple)) for p in pad_width):
        pairs = [tuple(p) for p in pad_width]
        if len(pairs) != n:
            raise OpError("argument", OP_ERRORS.pad_width_pairs(n_pairs=len(pairs), n=n))
    else:
        raise OpError("argument", OP_ERRORS.pad_width_not_understood())
    out = []
    for d, p in zip(shape, pairs):
        if len(p) == 1:
            p = (p[0], p[0])
        if not all(known(v) or isinstance(v, Unknown) for v in p):
            raise OpError("argument", OP_ERRORS.pad_widths_not_integers())
        # a width read at run time (max_len - n): that axis's size is not known
        out.append(d + p[0] + p[1] if known(d) and known(p[0]) and known(p[1]) else unknown_dim(d))
    return tuple(out)


# ---------------------------------------------------------------------------- reductions


def reduce(shape: Shape, axis: Any = None, keepdims: bool = False) -> Shape:
    shape = tuple(shape)
    if axis is None:
        return tuple(1 for _ in shape) if keepdims else ()
    if isinstance(axis, (list, tuple)) and len(axis) == 0:
        return shape
    if not shape and not isinstance(axis, (list, tuple)):  # numpy accepts axis=0 / -1 on a 0-d array
        _axis(axis, 1)
        return ()
    where = _axes(axis, len(shape))
    if keepdims:
        return tuple(1 if i in where else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in where)


def argreduce(shape: Shape, axis: Any = None, keepdims: bool = False) -> Shape:
    shape = tuple(shape)
    if axis is None:
        return tuple(1 for _ in shape) if keepdims else ()
    if isinstance(axis, (list, tuple)):
        raise OpError("argument", OP_ERRORS.argmax_several_axes())
    ax = _axis(axis, max(len(shape), 1))
    if not shape:
        return ()
    return tuple(1 if i == ax else d for i, d in enumerate(shape)) if keepdims else shape[:ax] + shape[ax + 1:]


# ---------------------------------------------------------------------------- products


def _inner(a: Any, b: Any, what: str, sa: Shape, sb: Shape) -> None:
    if known(a) and known(b) and a != b:
        raise OpError("matmul", OP_ERRORS.inner_dimensions_differ(
            what=what, a=a, sa=fmt_shape(sa), b=b, sb=fmt_shape(sb)))


def matmul(a: Shape, b: Shape) -> Shape:
    """numpy.matmul / the @ operator."""
    a, b = tuple(a), tuple(b)
    if not a or not b:
        raise OpError("matmul", OP_ERRORS.matmul_scalar())
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    _inner(a2[-1], b2[-2], "matmul", a, b)
    try:
        batch = broadcast(a2[:-2], b2[:-2])
    except OpError as err:
        raise OpError("matmul", OP_ERRORS.matmul_batch_axes(a=fmt_shape(a), b=fmt_shape(b), message=err.message)) from None
    out = list(batch)
    if len(a) > 1:
        out.append(a2[-2])
    if len(b) > 1:
        out.append(b2[-1])
    return tuple(out)


def tf_matmul(a: Shape, b: Shape, transpose_a: bool = False, transpose_b: bool = False) -> Shape:
    a, b = tuple(a), tuple(b)
    if len(a) < 2 or len(b) < 2:
        small = a if len(a) < 2 else b
        raise OpError("matmul", OP_ERRORS.tf_matmul_rank(small=fmt_shape(small)))
    if transpose_a:
        a = a[:-2] + (a[-1], a[-2])
    if transpose_b:
        b = b[:-2] + (b[-1], b[-2])
    return matmul(a, b)


def dot(a: Shape, b: Shape) -> Shape:
    a, b = tuple(a), tuple(b)
    if not a or not b:
        return broadcast(a, b)
    if len(b) == 1:
        _inner(a[-1], b[0], "dot", a, b)
        return a[:-1]
    _inner(a[-1], b[-2], "dot", a, b)
    return a[:-1] + b[:-2] + b[-1:]


# ---------------------------------------------------------------------------- indexing


def _slice_len(s: slice, n: Any) -> Any:
    if s.step == 0:
        raise OpError("index", OP_ERRORS.slice_step_zero())
    if known(n):
        return len(range(*s.indices(n)))
    if s.start is None and s.stop is None and s.step in (None, 1):
        return n
    return unknown_dim(n)


def index(shape: Shape, key: Any) -> Shape:
    """numpy indexing: ints, slices, None (newaxis), Ellipsis, ArrayIndex (advanced)."""
    shape = tuple(shape)
    items = list(key) if isinstance(key, tuple) else [key]
    for it in items:
        if not (it is None or it is Ellipsis or isinstance(it, (slice, ArrayIndex))
                or (isinstance(it, int) and not isinstance(it, bool))):
            raise OpError("argument", OP_ERRORS.index_type_not_understood(name=type(it).__name__))
    if sum(1 for it in items if it is Ellipsis) > 1:
        raise OpError("index", OP_ERRORS.two_ellipses())
    consumed = sum(len(it.shape) if isinstance(it, ArrayIndex) and it.boolean else
                   0 if it is None or it is Ellipsis else 1 for it in items)
    if consumed > len(shape):
        raise OpError("index", OP_ERRORS.too_many_indices(
            n_shape=len(shape), shape=fmt_shape(shape), consumed=consumed))
    if Ellipsis in [it for it in items if it is Ellipsis]:
        pos = next(i for i, it in enumerate(items) if it is Ellipsis)
        items[pos:pos + 1] = [slice(None)] * (len(shape) - consumed)
    else:
        items += [slice(None)] * (len(shape) - consumed)
    has_array = any(isinstance(it, ArrayIndex) for it in items)
    basic: list[Any] = []  # (position in key, dims contributed) for non-advanced entries
    adv_shapes: list[tuple] = []
    adv_positions: list[int] = []
    axis = 0
    for pos, it in enumerate(items):
        if it is None:
            basic.append((pos, (1,)))
            continue
        if isinstance(it, ArrayIndex):
            if it.boolean:
                dims = shape[axis:axis + len(it.shape)]
                for k, (m, d) in enumerate(zip(it.shape, dims)):
                    if known(m) and known(d) and m != d:
                        raise OpError("index", OP_ERRORS.boolean_index_mismatch(
                            shape=fmt_shape(it.shape), axis=axis + k, array_shape=fmt_shape(shape), d=d))
                adv_shapes.append((UNK,))
                adv_positions.append(pos)
                axis += len(it.shape)
            else:
                adv_shapes.append(tuple(it.shape))
                adv_positions.append(pos)
                axis += 1
            continue
        n = shape[axis]
        if isinstance(it, slice):
            basic.append((pos, (_slice_len(it, n),)))
        else:
            if known(n) and not -n <= it < n:
                raise OpError("index", OP_ERRORS.index_out_of_bounds(it=it, axis=axis, n=n))
            if has_array:
                adv_shapes.append(())
                adv_positions.append(pos)
        axis += 1
    if not adv_shapes:
        return tuple(d for _, dims in basic for d in dims)
    try:
        bshape = broadcast(*adv_shapes)
    except OpError:
        raise OpError("index", OP_ERRORS.index_arrays_do_not_broadcast(adv_shapes=" ".join(fmt_shape(s) for s in adv_shapes))) from None
    # numpy: the advanced indices are adjacent in the index as written (an Ellipsis between them,
    # even one that stands for no axis, separates them)
    written = list(key) if isinstance(key, tuple) else [key]
    written_adv = [i for i, it in enumerate(written) if isinstance(it, ArrayIndex)
                   or (isinstance(it, int) and not isinstance(it, bool))]
    adjacent = adv_positions == list(range(adv_positions[0], adv_positions[0] + len(adv_positions))) \
        and written_adv == list(range(written_adv[0], written_adv[0] + len(written_adv)))
    if not adjacent:
        return bshape + tuple(d for _, dims in basic for d in dims)
    before = [d for p, dims in basic if p < adv_positions[0] for d in dims]
    after = [d for p, dims in basic if p > adv_positions[-1] for d in dims]
    return tuple(before) + bshape + tuple(after)


# ---------------------------------------------------------------------------- take / gather / einsum


def take(shape: Shape, indices: Shape, axis: Any = None, batch_dims: int = 0) -> Shape:
    """numpy.take / keras.ops.take (axis None: of the flattened array) and tf.gather (batch_dims:
    that many leading axes of the indices index alongside, not into, the array)."""
    if axis is None:
        if batch_dims:
            raise OpError("argument", OP_ERRORS.batch_dims_without_axis())
        return tuple(indices)
    ax = _axis(axis, len(shape))
    if not 0 <= batch_dims <= min(ax, len(indices)):
        raise OpError("argument", OP_ERRORS.batch_dims_do_not_fit(batch_dims=batch_dims, axis=axis))
    return tuple(shape[:ax]) + tuple(indices[batch_dims:]) + tuple(shape[ax + 1:])


def tensordot(a: Shape, b: Shape, axes: Any = 2) -> Shape:
    """numpy / TensorFlow / keras.ops tensordot: a's axes not summed, then b's (``axes``: the
    last n of a with the first n of b, or two lists of axes)."""
    if isinstance(axes, int) and not isinstance(axes, bool):
        if not 0 <= axes <= min(len(a), len(b)):
            raise OpError("argument", OP_ERRORS.cannot_sum_axes(axes=axes, a=fmt_shape(tuple(a)), b=fmt_shape(tuple(b))))
        pa, pb = list(range(len(a) - axes, len(a))), list(range(axes))
    elif isinstance(axes, (list, tuple)) and len(axes) == 2:
        pa, pb = ([x] if isinstance(x, int) and not isinstance(x, bool) else list(x) if isinstance(x, (list, tuple))
                  else None for x in axes)
        if pa is None or pb is None or len(pa) != len(pb):
            raise OpError("argument", OP_ERRORS.tensordot_axes_not_understood())
        pa, pb = [_axis(x, len(a)) for x in pa], [_axis(x, len(b)) for x in pb]
        if len(set(pa)) != len(pa) or len(set(pb)) != len(pb):
            raise OpError("argument", OP_ERRORS.repeated_axis(items=axes))
    else:
        raise OpError("argument", OP_ERRORS.tensordot_axes_not_understood())
    for i, j in zip(pa, pb):
        if known(a[i]) and known(b[j]) and a[i] != b[j]:
            raise OpError("argument", OP_ERRORS.summed_axes_differ(a=a[i], b=b[j]))
    return tuple(d for i, d in enumerate(a) if i not in pa) + tuple(d for j, d in enumerate(b) if j not in pb)


def einsum(equation: str, shapes: Sequence[Shape]) -> Shape:
    """numpy / TensorFlow / keras.ops einsum: each output label's size from the operands (one
    ``...`` per operand, broadcast). Only ``argument`` errors: a mismatch is left to the library."""
    if not isinstance(equation, str):
        raise OpError("argument", OP_ERRORS.equation_not_known())
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise OpError("argument", OP_ERRORS.einsum_operand_count(n_terms=len(terms), n_shapes=len(shapes)))
    sizes: dict[str, Any] = {}
    counts: dict[str, int] = {}
    ellipses: list = []
    for term, shape in zip(terms, shapes):
        pre, dots, post = term.partition("...")
        if "." in pre + post or not (pre + post).isalpha() and pre + post:
            raise OpError("argument", OP_ERRORS.einsum_term_unreadable(term=term))
        n_ell = len(shape) - len(pre) - len(post)
        if n_ell < 0 or (not dots and n_ell):
            raise OpError("argument", OP_ERRORS.einsum_term_does_not_fit(term=term, shape=fmt_shape(tuple(shape))))
        if dots:
            ellipses.append(tuple(shape[len(pre):len(pre) + n_ell]))
        mine: dict[str, Any] = {}
        for label, d in zip(pre + post, tuple(shape[:len(pre)]) + tuple(shape[len(shape) - len(post):])):
            counts[label] = counts.get(label, 0) + 1
            if known(mine.setdefault(label, d)) and known(d) and mine[label] != d:
                raise OpError("argument", OP_ERRORS.einsum_label_repeats(label=label, term=term, a=mine[label], b=d))
            prev = sizes.get(label, d)
            if known(prev) and known(d) and prev != d and 1 not in (prev, d):
                raise OpError("argument", OP_ERRORS.einsum_label_differs(label=label, a=prev, b=d))
            if known(prev) and known(d):
                sizes[label] = max(prev, d) if 1 in (prev, d) else d  # numpy broadcasts a size-1 label
            elif known(prev) and prev != 1 or known(d) and d != 1:
                sizes[label] = prev if known(prev) else d
            else:
                sizes[label] = unknown_dim(prev, d) if not (known(prev) and known(d)) else d
    try:
        ell = broadcast(*ellipses) if ellipses else ()
    except OpError:
        raise OpError("argument", OP_ERRORS.ellipsis_axes_do_not_broadcast()) from None
    if not arrow:
        rhs = ("..." if ellipses else "") + "".join(sorted(label for label, n in counts.items() if n == 1))
    pre, dots, post = rhs.partition("...")
    if any(label not in sizes for label in pre + post) or len(set(pre + post)) != len(pre + post):
        raise OpError("argument", OP_ERRORS.einsum_output_unreadable(rhs=rhs))
    return tuple(sizes[label] for label in pre) + (ell if dots else ()) + tuple(sizes[label] for label in post)


__all__ = [
    "ArrayIndex", "OpError", "argreduce", "atleast", "broadcast", "broadcast_to", "column_stack",
    "concatenate", "dot", "dstack", "einsum", "expand_dims", "flatten", "hstack", "index", "matmul", "moveaxis",
    "pad", "reduce", "repeat", "reshape", "size", "split", "squeeze", "stack", "swapaxes", "tf_matmul",
    "take", "tensordot", "tile", "transpose", "unknown_dim", "vstack",
]

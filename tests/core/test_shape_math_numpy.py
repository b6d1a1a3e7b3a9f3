"""shapelens.core.shape_math against numpy itself: same shape, or both raise.

Property-based (hypothesis): random shapes (small dims, zeros included) and random
arguments for every shape function numpy has an equivalent of.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.core import shape_math
from shapelens.core.shape_math import ArrayIndex, OpError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

dims = st.integers(min_value=0, max_value=5)
pos_dims = st.integers(min_value=1, max_value=5)
shapes = st.lists(dims, min_size=0, max_size=4).map(tuple)
nonempty_shapes = st.lists(dims, min_size=1, max_size=4).map(tuple)

NUMPY_ERRORS = (ValueError, IndexError, TypeError)


def numpy_shape(fn):
    try:
        out = fn()
    except NUMPY_ERRORS:
        return "raise"
    if isinstance(out, (list, tuple)):
        return [tuple(o.shape) for o in out]
    return tuple(np.shape(out))


def ours(fn):
    try:
        out = fn()
    except OpError:
        return "raise"
    if isinstance(out, list):
        return [tuple(o) for o in out]
    return tuple(out)


def agree(expected, got):
    assert got == expected, f"numpy {expected}, shapelens {got}"


def _broadcastable_partner(draw, shape):
    """A shape that often (not always) broadcasts with ``shape``."""
    out = []
    for d in shape[::-1][: draw(st.integers(0, len(shape)))]:
        out.append(draw(st.sampled_from([d, 1, d, draw(dims)])))
    extra = draw(st.lists(pos_dims, max_size=1))
    return tuple(extra + out[::-1])


@st.composite
def broadcast_pairs(draw):
    a = draw(shapes)
    return a, _broadcastable_partner(draw, a)


@SETTINGS
@given(broadcast_pairs())
def test_broadcast(pair):
    a, b = pair
    agree(numpy_shape(lambda: np.zeros(a) + np.zeros(b)), ours(lambda: shape_math.broadcast(a, b)))


@SETTINGS
@given(st.lists(shapes, min_size=1, max_size=3))
def test_broadcast_many(many):
    agree(numpy_shape(lambda: np.zeros(np.broadcast_shapes(*many))),
          ours(lambda: shape_math.broadcast(*many)))


@st.composite
def reshape_cases(draw):
    shape = draw(shapes)
    n = int(np.prod(shape)) if shape else 1
    divisors = [d for d in range(1, 13) if n and n % d == 0] or [1]
    target = []
    for _ in range(draw(st.integers(0, 4))):
        target.append(draw(st.sampled_from(divisors + [draw(st.integers(0, 7))])))
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    if draw(st.integers(0, 9)) == 0 and len(target) > 1:
        target[0] = -1
        target[-1] = -1
    return shape, tuple(target)


@SETTINGS
@given(reshape_cases())
def test_reshape(case):
    shape, target = case
    agree(numpy_shape(lambda: np.zeros(shape).reshape(target)), ours(lambda: shape_math.reshape(shape, target)))


@SETTINGS
@given(shapes, st.one_of(st.integers(-6, 6), st.lists(st.integers(-6, 6), min_size=1, max_size=3).map(tuple)))
def test_expand_dims(shape, axis):
    agree(numpy_shape(lambda: np.expand_dims(np.zeros(shape), axis)), ours(lambda: shape_math.expand_dims(shape, axis)))


@SETTINGS
@given(st.lists(st.sampled_from([1, 1, 2, 3, 0]), max_size=4).map(tuple),
       st.one_of(st.none(), st.integers(-5, 5), st.lists(st.integers(-5, 5), min_size=1, max_size=3).map(tuple)))
def test_squeeze(shape, axis):
    agree(numpy_shape(lambda: np.squeeze(np.zeros(shape), axis)), ours(lambda: shape_math.squeeze(shape, axis)))


@st.composite
def transpose_cases(draw):
    shape = draw(shapes)
    if draw(st.booleans()):
        return shape, None
    perm = list(draw(st.permutations(range(len(shape)))))
    if draw(st.integers(0, 4)) == 0:
        perm = draw(st.lists(st.integers(-5, 5), max_size=5))
    elif perm and draw(st.booleans()):
        k = draw(st.integers(0, len(perm) - 1))
        perm[k] -= len(perm)
    return shape, tuple(perm)


@SETTINGS
@given(transpose_cases())
def test_transpose(case):
    shape, axes = case
    agree(numpy_shape(lambda: np.transpose(np.zeros(shape), axes)), ours(lambda: shape_math.transpose(shape, axes)))


@SETTINGS
@given(nonempty_shapes, st.integers(-5, 5), st.integers(-5, 5))
def test_swapaxes(shape, a, b):
    agree(numpy_shape(lambda: np.swapaxes(np.zeros(shape), a, b)), ours(lambda: shape_math.swapaxes(shape, a, b)))


@SETTINGS
@given(nonempty_shapes, st.integers(-4, 4), st.integers(-4, 4))
def test_moveaxis(shape, a, b):
    agree(numpy_shape(lambda: np.moveaxis(np.zeros(shape), a, b)), ours(lambda: shape_math.moveaxis(shape, a, b)))


@st.composite
def join_cases(draw):
    base = list(draw(shapes))
    n = draw(st.integers(1, 3))
    out = []
    for _ in range(n):
        s = list(base)
        if s and draw(st.booleans()):
            k = draw(st.integers(0, len(s) - 1))
            s[k] = draw(dims)
        if draw(st.integers(0, 6)) == 0:
            s = s[:-1] if s else [draw(dims)]
        out.append(tuple(s))
    axis = draw(st.one_of(st.integers(-4, 4), st.none()))
    return out, axis


@SETTINGS
@given(join_cases())
def test_concatenate(case):
    arrays, axis = case
    agree(numpy_shape(lambda: np.concatenate([np.zeros(s) for s in arrays], axis=axis)),
          ours(lambda: shape_math.concatenate(arrays, axis)))


@SETTINGS
@given(join_cases())
def test_stack(case):
    arrays, axis = case
    axis = 0 if axis is None else axis
    agree(numpy_shape(lambda: np.stack([np.zeros(s) for s in arrays], axis=axis)), ours(lambda: shape_math.stack(arrays, axis)))


@SETTINGS
@given(join_cases(), st.sampled_from(["vstack", "hstack", "dstack", "column_stack"]))
def test_stack_variants(case, name):
    arrays, _ = case
    agree(numpy_shape(lambda: getattr(np, name)([np.zeros(s) for s in arrays])),
          ours(lambda: getattr(shape_math, name)(arrays)))


@SETTINGS
@given(shapes, st.one_of(st.none(), st.integers(-5, 5), st.lists(st.integers(-4, 4), max_size=3).map(tuple)),
       st.booleans())
def test_reductions(shape, axis, keepdims):
    agree(numpy_shape(lambda: np.sum(np.zeros(shape), axis=axis, keepdims=keepdims)),
          ours(lambda: shape_math.reduce(shape, axis, keepdims)))


@SETTINGS
@given(nonempty_shapes.filter(lambda s: all(s)), st.one_of(st.none(), st.integers(-5, 5)), st.booleans())
def test_argmax(shape, axis, keepdims):
    agree(numpy_shape(lambda: np.argmax(np.zeros(shape), axis=axis, keepdims=keepdims)),
          ours(lambda: shape_math.argreduce(shape, axis, keepdims)))


@st.composite
def matmul_cases(draw):
    a = draw(shapes)
    b = list(draw(shapes))
    if len(a) >= 1 and len(b) >= 2 and draw(st.booleans()):
        b[-2] = a[-1]
    elif len(a) >= 1 and len(b) == 1 and draw(st.booleans()):
        b[0] = a[-1]
    return a, tuple(b)


@SETTINGS
@given(matmul_cases())
def test_matmul(case):
    a, b = case
    agree(numpy_shape(lambda: np.matmul(np.zeros(a), np.zeros(b))), ours(lambda: shape_math.matmul(a, b)))


@SETTINGS
@given(matmul_cases())
def test_dot(case):
    a, b = case
    agree(numpy_shape(lambda: np.dot(np.zeros(a), np.zeros(b))), ours(lambda: shape_math.dot(a, b)))


@st.composite
def index_cases(draw):
    shape = draw(shapes)
    key = []
    arrays_ok = all(shape)  # an integer array (of zeros) into an empty axis is out of bounds
    for _ in range(draw(st.integers(0, len(shape) + 2))):
        kind = draw(st.integers(0, 9))
        if kind <= 3:
            key.append(slice(draw(st.one_of(st.none(), st.integers(-6, 6))),
                             draw(st.one_of(st.none(), st.integers(-6, 6))),
                             draw(st.one_of(st.none(), st.sampled_from([1, 2, -1, 3])))))
        elif kind <= 5:
            key.append(draw(st.integers(-6, 6)))
        elif kind == 6:
            key.append(None)
        elif kind == 7:
            key.append(Ellipsis)
        elif arrays_ok:
            key.append(("array", draw(st.lists(pos_dims, min_size=0, max_size=2).map(tuple))))
    # at most one ellipsis most of the time, keep an occasional double to check the error
    if key.count(Ellipsis) > 1 and draw(st.integers(0, 3)):
        key = [k for i, k in enumerate(key) if k is not Ellipsis or i == key.index(Ellipsis)]
    return shape, key


@SETTINGS
@given(index_cases(), st.booleans())
def test_index(case, as_tuple):
    shape, key = case
    np_key = [np.zeros(k[1], dtype=int) if isinstance(k, tuple) else k for k in key]
    our_key = [ArrayIndex(k[1]) if isinstance(k, tuple) else k for k in key]
    if len(key) == 1 and not as_tuple:
        np_key, our_key = np_key[0], our_key[0]
    else:
        np_key, our_key = tuple(np_key), tuple(our_key)
    agree(numpy_shape(lambda: np.zeros(shape)[np_key]), ours(lambda: shape_math.index(shape, our_key)))


@SETTINGS
@given(nonempty_shapes, st.one_of(st.integers(1, 4), st.lists(st.integers(-3, 6), max_size=3)),
       st.integers(-3, 3), st.booleans())
def test_split(shape, sections, axis, equal):
    fn = np.split if equal else np.array_split
    agree(numpy_shape(lambda: fn(np.zeros(shape), sections, axis=axis)),
          ours(lambda: shape_math.split(shape, sections, axis, equal)))


@SETTINGS
@given(shapes, st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=1, max_size=4).map(tuple)))
def test_tile(shape, reps):
    agree(numpy_shape(lambda: np.tile(np.zeros(shape), reps)), ours(lambda: shape_math.tile(shape, reps)))


@SETTINGS
@given(shapes, st.integers(0, 3), st.one_of(st.none(), st.integers(-4, 4)))
def test_repeat(shape, repeats, axis):
    agree(numpy_shape(lambda: np.repeat(np.zeros(shape), repeats, axis=axis)), ours(lambda: shape_math.repeat(shape, repeats, axis)))


@SETTINGS
@given(nonempty_shapes, st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2))))
def test_pad(shape, width):
    agree(numpy_shape(lambda: np.pad(np.zeros(shape), width)), ours(lambda: shape_math.pad(shape, width)))


@SETTINGS
@given(shapes, shapes)
def test_broadcast_to(shape, target):
    agree(numpy_shape(lambda: np.broadcast_to(np.zeros(shape), target)), ours(lambda: shape_math.broadcast_to(shape, target)))


def test_unknown_dims_never_raise_on_what_is_not_known():
    from shapelens.core.shapes import UNK

    assert shape_math.broadcast((None, 3), (UNK, 3))[1] == 3
    assert shape_math.broadcast((None, 3), (None, 1)) == (None, 3)
    assert shape_math.reshape((None, 28, 28), (-1, 784)) == (None, 784)
    assert shape_math.concatenate([(None, 3), (None, 4)], -1) == (None, 7)
    assert shape_math.index((UNK, 3), slice(0, 100))[1] == 3
    assert shape_math.squeeze((UNK, 1)) is None
    with pytest.raises(OpError):
        shape_math.reshape((6, 4), (5, -1))


@pytest.mark.parametrize("shape,key", [
    ((1, 1, 1), (slice(None, 0), "array", Ellipsis, 0)),
    ((2, 3, 5), (slice(None), 0, Ellipsis, "array")),
    ((2, 3, 5, 6), (slice(None), 0, Ellipsis, "array")),
    ((2, 3, 5), (slice(None), 0, "array")),
])
def test_index_advanced_separated_by_ellipsis(shape, key):
    """An Ellipsis between advanced indices separates them even when it stands for no axis:
    numpy puts the broadcast index dimensions first."""
    np_key = tuple(np.zeros(4, dtype=int) if k == "array" else k for k in key)
    our_key = tuple(ArrayIndex((4,)) if k == "array" else k for k in key)
    agree(numpy_shape(lambda: np.zeros(shape)[np_key]), ours(lambda: shape_math.index(shape, our_key)))


pos_shapes = st.lists(pos_dims, min_size=1, max_size=4).map(tuple)


@SETTINGS
@given(pos_shapes, shapes, st.one_of(st.none(), st.integers(-4, 4)))
def test_take(shape, indices, axis):
    # index 0 is in range of every (non-empty) axis: only the shapes decide
    agree(numpy_shape(lambda: np.take(np.zeros(shape), np.zeros(indices, dtype=int), axis=axis)),
          ours(lambda: shape_math.take(shape, indices, axis)))


EINSUMS = ["ij,jk->ik", "bij,bjk->bik", "bqhd,bkhd->bhqk", "ij->ji", "ii->i", "ij,ij->", "i,j->ij",
           "...ij,...jk->...ik", "ij,jk", "bi,bi->b", "...i->...", "ab,cd->abcd"]


@SETTINGS
@given(st.sampled_from(EINSUMS), st.data())
def test_einsum(equation, data):
    terms = equation.split("->")[0].split(",")
    shapes = []
    for term in terms:
        fixed = term.replace("...", "")
        extra = data.draw(st.lists(pos_dims, max_size=2)) if "..." in term else []
        shapes.append(tuple(extra) + tuple(data.draw(st.integers(1, 3)) for _ in fixed))
    agree(numpy_shape(lambda: np.einsum(equation, *[np.zeros(s) for s in shapes])),
          ours(lambda: shape_math.einsum(equation, shapes)))


@SETTINGS
@given(shapes, shapes, st.one_of(st.integers(0, 3), st.tuples(st.lists(st.integers(-3, 3), max_size=2),
                                                               st.lists(st.integers(-3, 3), max_size=2))))
def test_tensordot(a, b, axes):
    agree(numpy_shape(lambda: np.tensordot(np.zeros(a), np.zeros(b), axes)),
          ours(lambda: shape_math.tensordot(a, b, axes)))

"""Flatten, Reshape, Permute, RepeatVector, ZeroPadding, Cropping and UpSampling against real Keras."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.rules.harness import check, engine

N_FLAT, N_RESHAPE, N_PERMUTE, N_REPEAT, N_PAD, N_CROP, N_UP = 100, 250, 120, 60, 200, 250, 150


def _settings(n):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


SIZE = st.one_of(st.integers(1, 4), st.integers(1, 9), st.none())


@st.composite
def batch_shape(draw, ndim=None, wrong=True):
    """A batch shape of the given rank (sometimes one off when `wrong`), None and small sizes."""
    if ndim is None:
        ndim = draw(st.integers(1, 5))
    elif wrong:
        ndim += draw(st.sampled_from([0] * 12 + [-1, 1]))
    return [None] + [draw(SIZE) for _ in range(max(ndim - 1, 0))]


def _fmt(draw):
    return draw(st.sampled_from(["channels_last", "channels_first"]))


@st.composite
def flatten_case(draw):
    return "Flatten", {"data_format": _fmt(draw)}, [draw(batch_shape())]


@st.composite
def reshape_case(draw):
    shape = draw(batch_shape(ndim=draw(st.integers(1, 4))))
    known = [d for d in shape[1:] if d is not None]
    total = 1
    for d in known:
        total *= d
    # aim for matching targets half the time, otherwise anything small
    if draw(st.booleans()) and total > 0:
        divisors = [d for d in range(1, total + 1) if total % d == 0]
        a = draw(st.sampled_from(divisors))
        target = draw(st.sampled_from([[a, total // a], [-1, a], [a, -1, 1], [total], [-1]]))
    else:
        target = draw(st.lists(st.sampled_from([1, 2, 3, 4, 6, 1, 2, 3, -1, 0, None]), min_size=0, max_size=3))
    if draw(st.sampled_from([False] * 25 + [True])):
        target = draw(st.sampled_from([[-1, -1], [-2, 3]]))
    return "Reshape", {"target_shape": target}, [shape]


@st.composite
def permute_case(draw):
    n = draw(st.integers(1, 4))
    dims = draw(st.permutations(list(range(1, n + 1))))
    if draw(st.sampled_from([False] * 8 + [True])):
        dims = draw(st.sampled_from([[0, 1], [1, 1], [2, 3], [1, 3]]))
    return "Permute", {"dims": list(dims)}, [draw(batch_shape(ndim=n + 1))]


@st.composite
def repeat_case(draw):
    n = draw(st.sampled_from([1, 2, 5, 0, -1]))
    return "RepeatVector", {"n": n}, [draw(batch_shape(ndim=2))]


def _pair(draw, lo=0, hi=3):
    return draw(st.integers(lo, hi) | st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


@st.composite
def padding_case(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    fmt = _fmt(draw)
    cfg = {"data_format": fmt}
    if draw(st.booleans()):
        if rank == 1:
            cfg["padding"] = _pair(draw, -1)
        else:
            cfg["padding"] = draw(st.integers(-2, 3) | st.tuples(*[st.integers(0, 3) | st.tuples(st.integers(-1, 3), st.integers(0, 3))] * rank))
    return f"ZeroPadding{rank}D", cfg, [draw(batch_shape(ndim=rank + 2))]


@st.composite
def cropping_case(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    cfg = {}
    if rank > 1:
        cfg["data_format"] = _fmt(draw)
    if draw(st.integers(0, 5)):
        if rank == 1:
            cfg["cropping"] = _pair(draw, -1)
        else:
            entry = st.integers(0, 3) | st.tuples(st.integers(-1, 3), st.integers(0, 3))
            cfg["cropping"] = draw(st.integers(-1, 2) | st.tuples(*[entry] * rank) | st.tuples(*[entry] * (rank + 1)))
    return f"Cropping{rank}D", cfg, [draw(batch_shape(ndim=rank + 2))]


@st.composite
def upsampling_case(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    cfg = {}
    if rank == 1:
        if draw(st.booleans()):
            cfg["size"] = draw(st.sampled_from([1, 2, 3, 0, [2]]))
    else:
        cfg["data_format"] = _fmt(draw)
        if draw(st.booleans()):
            cfg["size"] = draw(st.integers(0, 3) | st.tuples(*[st.integers(1, 3)] * rank))
        if rank == 2 and draw(st.booleans()):
            cfg["interpolation"] = draw(st.sampled_from(["nearest", "bilinear", "BICUBIC"]))
    return f"UpSampling{rank}D", cfg, [draw(batch_shape(ndim=rank + 2))]


@_settings(N_FLAT)
@given(flatten_case())
def test_flatten_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_RESHAPE)
@given(reshape_case())
def test_reshape_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_PERMUTE)
@given(permute_case())
def test_permute_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_REPEAT)
@given(repeat_case())
def test_repeat_vector_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_PAD)
@given(padding_case())
def test_zero_padding_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_CROP)
@given(cropping_case())
def test_cropping_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_UP)
@given(upsampling_case())
def test_upsampling_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


def test_seed_cases(layer_oracle):
    # Flatten over a None axis is None, not an error
    assert check(layer_oracle, "Flatten", {}, [[None, 4, None]])["output"] == [None, None]
    # Reshape without a size check when an input axis is None
    assert check(layer_oracle, "Reshape", {"target_shape": [7, 5]}, [[None, 3, None]])["output"] == [None, 7, 5]
    assert not check(layer_oracle, "Reshape", {"target_shape": [7, 5]}, [[None, 3, 4]])["ok"]
    # cropping that leaves nothing raises; ZeroPadding2D builds with a negative int
    assert not check(layer_oracle, "Cropping2D", {"cropping": [2, 3]}, [[None, 5, 6, 4]])["ok"]
    assert check(layer_oracle, "ZeroPadding2D", {"padding": -1}, [[None, 5, 5, 3]])["output"] == [None, 3, 3, 3]


def test_table_no_tensorflow():
    e = engine
    assert e("Flatten", {"data_format": "channels_first"}, [[None, 3, 4, 5]])["output"] == [None, 60]
    assert e("Reshape", {"target_shape": (-1, 4)}, [[None, None, 8]])["output"] == [None, None, 4]
    assert e("Reshape", {"target_shape": (-1, 4)}, [[None, 3, 8]])["output"] == [None, 6, 4]
    assert e("Reshape", {"target_shape": (5, 5)}, [[None, 3, 8]])["code"] == "SL105"
    assert e("Permute", {"dims": (2, 1)}, [[None, None, 8]])["output"] == [None, 8, None]
    assert e("Permute", {"dims": (0, 1)}, [[None, 3, 8]])["code"] == "SL205"
    assert e("RepeatVector", {"n": 3}, [[None, None]])["output"] == [None, 3, None]
    assert e("RepeatVector", {"n": 3}, [[None, 2, 2]])["code"] == "SL102"
    assert e("ZeroPadding1D", {"padding": (1, 2), "data_format": "channels_first"}, [[None, 5, 4]])["output"] == [None, 5, 7]
    assert e("ZeroPadding2D", {"padding": ((1, 2), 3), "data_format": "channels_first"}, [[None, 3, None, 4]])["output"] == [None, 3, None, 10]
    assert e("Cropping2D", {"cropping": ((1, 2), 3), "data_format": "channels_first"}, [[None, 3, 4, 7]])["output"] == [None, 3, 1, 1]
    assert e("Cropping1D", {"cropping": 3}, [[None, 6, 2]])["code"] == "SL101"
    assert e("Cropping3D", {}, [[None, None, 3, 3, 1]])["output"] == [None, None, 1, 1, 1]
    assert e("UpSampling2D", {"size": (2, 3), "data_format": "channels_first"}, [[None, 3, None, 5]])["output"] == [None, 3, None, 15]
    assert e("UpSampling1D", {"size": (2,)}, [[None, 5, 1]])["code"] == "SL201"

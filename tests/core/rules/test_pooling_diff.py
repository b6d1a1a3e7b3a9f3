"""Pooling layers (windowed, global, adaptive) against real Keras."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.rules.harness import check, engine

N_POOL, N_GLOBAL, N_ADAPTIVE = 800, 250, 200


def _settings(n):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def batch_shape(draw, rank, fmt, max_size=10):
    """None/small spatial sizes; rank sometimes off by one."""
    ndim = rank + draw(st.sampled_from([0] * 14 + [-1, 1]))
    size = st.one_of(st.integers(1, 4), st.integers(1, max_size), st.none())
    spatial = [draw(size) for _ in range(max(ndim, 0))]
    channels = draw(st.sampled_from([1, 3, None]))
    return [None] + (spatial + [channels] if fmt == "channels_last" else [channels] + spatial)


def _fmt(draw):
    return draw(st.sampled_from(["channels_last", "channels_first"]))


@st.composite
def pool_case(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    mode = draw(st.sampled_from(["max", "avg"]))
    fmt = _fmt(draw)
    kind = draw(st.sampled_from(
        [f"MaxPooling{rank}D", f"MaxPool{rank}D"] if mode == "max" else [f"AveragePooling{rank}D", f"AvgPool{rank}D"]))
    cfg = {"data_format": fmt}
    if mode == "avg" or draw(st.booleans()):
        cfg["pool_size"] = draw(st.one_of(st.integers(1, 5), st.tuples(*[st.integers(1, 4)] * rank)))
    if draw(st.booleans()):
        cfg["strides"] = draw(st.one_of(st.integers(1, 4), st.tuples(*[st.integers(1, 3)] * rank), st.none()))
    padding = draw(st.sampled_from(["valid"] * 4 + ["same"] * 4 + [None, "SAME", "causal"]))
    if padding:
        cfg["padding"] = padding
    if draw(st.sampled_from([False] * 20 + [True])):  # invalid values Keras rejects at init or call
        cfg[draw(st.sampled_from(["pool_size", "strides"]))] = draw(st.sampled_from([0, -1]))
    if mode == "avg" and draw(st.sampled_from([False] * 30 + [True])):
        del cfg["pool_size"]  # required for AveragePooling in Keras 3
    return kind, cfg, [draw(batch_shape(rank, fmt, 6 if rank == 3 else 10))]


@st.composite
def global_case(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    fmt = _fmt(draw)
    kind = draw(st.sampled_from([f"GlobalMaxPooling{rank}D", f"GlobalMaxPool{rank}D",
                                 f"GlobalAveragePooling{rank}D", f"GlobalAvgPool{rank}D"]))
    cfg = {"data_format": fmt, "keepdims": draw(st.booleans())}
    return kind, cfg, [draw(batch_shape(rank, fmt))]


@st.composite
def adaptive_case(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    fmt = _fmt(draw)
    kind = draw(st.sampled_from([f"AdaptiveMaxPooling{rank}D", f"AdaptiveAveragePooling{rank}D"]))
    size = draw(st.one_of(st.integers(1, 6), st.tuples(*[st.integers(1, 6)] * rank), st.sampled_from([0, -1])))
    return kind, {"output_size": size, "data_format": fmt}, [draw(batch_shape(rank, fmt))]


@_settings(N_POOL)
@given(pool_case())
def test_pooling_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_GLOBAL)
@given(global_case())
def test_global_pooling_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_ADAPTIVE)
@given(adaptive_case())
def test_adaptive_pooling_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


def test_seed_cases(layer_oracle):
    # 'same' with a window larger than the input gives 1
    assert check(layer_oracle, "MaxPooling2D", {"pool_size": 5, "padding": "same"}, [[None, 2, 2, 3]])["output"] == [None, 1, 1, 3]
    # default pool 2 on a length-1 axis: nothing left
    assert not check(layer_oracle, "MaxPooling1D", {}, [[None, 1, 3]])["ok"]
    # Keras 3 pooling refuses upper-case padding, and strides=0 fails on call
    assert not check(layer_oracle, "MaxPooling2D", {"padding": "SAME"}, [[None, 8, 8, 3]])["ok"]
    assert not check(layer_oracle, "AveragePooling2D", {"pool_size": 2, "strides": 0}, [[None, 8, 8, 3]])["ok"]


def test_table_no_tensorflow():
    e = engine
    assert e("MaxPooling2D", {}, [[None, None, 9, 3]])["output"] == [None, None, 4, 3]
    assert e("MaxPooling2D", {"data_format": "channels_first"}, [[None, 3, 9, None]])["output"] == [None, 3, 4, None]
    assert e("AvgPool1D", {"pool_size": 3, "strides": 1, "padding": "same"}, [[None, 7, 2]])["output"] == [None, 7, 2]
    assert e("GlobalAvgPool3D", {"keepdims": True, "data_format": "channels_first"}, [[None, 4, None, 2, 2]])["output"] == [None, 4, 1, 1, 1]
    assert e("GlobalMaxPooling1D", {}, [[None, None, 5]])["output"] == [None, 5]
    assert e("AdaptiveAveragePooling2D", {"output_size": (2, 3)}, [[None, None, None, 8]])["output"] == [None, 2, 3, 8]
    assert e("MaxPooling3D", {}, [[None, 1, 4, 4, 1]])["code"] == "SL101"
    assert e("MaxPooling2D", {"padding": "Same"}, [[None, 4, 4, 1]])["code"] == "SL206"
    assert e("MaxPooling2D", {}, [[None, 4, 4]])["code"] == "SL102"
    assert e("AveragePooling2D", {}, [[None, 4, 4, 1]])["code"] == "SL201"

"""Conv*Transpose, SeparableConv*D and DepthwiseConv*D against real Keras."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.rules.harness import check, engine

N_TRANSPOSE, N_SEPARABLE, N_DEPTHWISE = 500, 350, 350


def _settings(n):
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _tuple_or_int(draw, rank, lo, hi):
    return draw(st.one_of(st.integers(lo, hi), st.tuples(*[st.integers(lo, hi)] * rank)))


@st.composite
def window(draw, rank):
    """Mostly valid windows, sometimes a zero/negative value or strides with dilation."""
    kernel = _tuple_or_int(draw, rank, 1, 5)
    strides = draw(st.one_of(st.just(1), st.integers(1, 4), st.tuples(*[st.integers(1, 3)] * rank)))
    dilation = draw(st.one_of(st.just(1), st.just(1), st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid"] * 5 + ["same"] * 4 + ["SAME", "causal"]))
    cfg = {"kernel_size": kernel, "strides": strides, "dilation_rate": dilation, "padding": padding}
    if draw(st.sampled_from([False] * 25 + [True])):
        cfg[draw(st.sampled_from(["kernel_size", "strides", "dilation_rate"]))] = draw(st.sampled_from([0, -1]))
    return cfg


@st.composite
def inputs(draw, rank, fmt, max_size=12):
    """Batch shape with None/small spatial sizes; channels occasionally None; rank sometimes wrong."""
    ndim = rank + draw(st.sampled_from([0] * 16 + [-1, 1]))
    size = st.one_of(st.integers(1, 4), st.integers(1, max_size), st.none())
    spatial = [draw(size) for _ in range(max(ndim, 0))]
    channels = draw(st.sampled_from([1, 2, 3, 4, 6] * 6 + [None]))
    return [None] + (spatial + [channels] if fmt == "channels_last" else [channels] + spatial)


def _fmt(draw):
    return draw(st.sampled_from(["channels_last", "channels_first"]))


@st.composite
def transpose_case(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    fmt = _fmt(draw)
    cfg = draw(window(rank))
    cfg.update(filters=draw(st.sampled_from([1, 2, 5])), data_format=fmt, use_bias=draw(st.booleans()))
    if draw(st.booleans()):
        # mostly below strides (valid), sometimes equal (SL203) or negative
        s = cfg["strides"] if isinstance(cfg["strides"], tuple) else (cfg["strides"],) * rank
        op = tuple(draw(st.integers(0, max(v, 1) - 1) | st.sampled_from([v, v, -1])) for v in s)
        cfg["output_padding"] = op[0] if len(set(op)) == 1 and draw(st.booleans()) else op
    kind = draw(st.sampled_from([f"Conv{rank}DTranspose", f"Convolution{rank}DTranspose"]))
    return kind, cfg, [draw(inputs(rank, fmt, 8 if rank == 3 else 12))]


@st.composite
def separable_case(draw):
    rank = draw(st.sampled_from([1, 2]))
    fmt = _fmt(draw)
    cfg = draw(window(rank))
    cfg.update(filters=draw(st.sampled_from([1, 3, 4])), data_format=fmt, use_bias=draw(st.booleans()),
               depth_multiplier=draw(st.sampled_from([1, 1, 1, 2, 2, 3, 3, 0])))
    kind = draw(st.sampled_from([f"SeparableConv{rank}D", f"SeparableConvolution{rank}D"]))
    return kind, cfg, [draw(inputs(rank, fmt))]


@st.composite
def depthwise_case(draw):
    rank = draw(st.sampled_from([1, 2]))
    fmt = _fmt(draw)
    cfg = draw(window(rank))
    cfg.update(data_format=fmt, use_bias=draw(st.booleans()), depth_multiplier=draw(st.sampled_from([1, 1, 1, 2, 2, 3, 3, 0])))
    return f"DepthwiseConv{rank}D", cfg, [draw(inputs(rank, fmt))]


@_settings(N_TRANSPOSE)
@given(transpose_case())
def test_transpose_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_SEPARABLE)
@given(separable_case())
def test_separable_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


@_settings(N_DEPTHWISE)
@given(depthwise_case())
def test_depthwise_matches_keras(layer_oracle, case):
    check(layer_oracle, *case)


def test_seed_cases(layer_oracle):
    # the classic decoder step: stride 2 'same' doubles
    assert check(layer_oracle, "Conv2DTranspose", {"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"},
                 [[None, 7, 7, 32]])["output"] == [None, 14, 14, 16]
    # output_padding == strides is refused
    assert not check(layer_oracle, "Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 2},
                     [[None, 5, 5, 3]])["ok"]
    # Keras 3 lets separable/depthwise combine strides and dilation
    assert check(layer_oracle, "SeparableConv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
                 [[None, 20, 20, 3]])["ok"]
    assert check(layer_oracle, "DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, [[None, 10, 3]])["params"] == 24


def test_table_no_tensorflow():
    e = engine
    # None spatial dims pass through, channels_first puts filters on axis 1
    assert e("Conv2DTranspose", {"filters": 8, "kernel_size": 3, "strides": 2}, [[None, None, 10, 3]])["output"] == [None, None, 21, 8]
    assert e("Conv1DTranspose", {"filters": 8, "kernel_size": 3, "data_format": "channels_first"}, [[None, 3, 10]])["output"] == [None, 8, 12]
    assert e("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}, [[None, 4, None, 4, 1]])["output"] == [None, 8, None, 8, 2]
    assert e("SeparableConv1D", {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}, [[None, 2, None]])["output"] == [None, 4, None]
    assert e("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "data_format": "channels_first"}, [[None, 3, 8, 8]]) == \
        {"ok": True, "output": [None, 6, 6, 6], "params": 3 * 3 * 6 + 6}
    # errors and their codes
    assert e("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 2}, [[None, 5, 5, 1]])["code"] == "SL203"
    assert e("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, [[None, 5, 5, 1]])["code"] == "SL204"
    assert e("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "padding": "causal"}, [[None, 5, 1]])["code"] == "SL206"
    assert e("SeparableConv2D", {"filters": 4, "kernel_size": 3}, [[None, 5, 5, None]])["code"] == "SL106"
    assert e("DepthwiseConv2D", {"kernel_size": 6}, [[None, 5, 5, 1]])["code"] == "SL101"
    assert e("DepthwiseConv2D", {"kernel_size": 3}, [[None, 5, 1]])["code"] == "SL102"

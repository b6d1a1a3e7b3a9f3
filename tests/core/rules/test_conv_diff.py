"""Conv1D/2D/3D against real Keras: random valid and invalid configurations."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.rules.harness import check, engine

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def conv_case(draw, rank=None):
    rank = rank or draw(st.sampled_from([1, 2, 3]))
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    spatial = [draw(st.one_of(st.integers(1, 12), st.none())) for _ in range(rank)] if rank < 3 else \
        [draw(st.one_of(st.integers(1, 7), st.none())) for _ in range(rank)]
    groups = draw(st.sampled_from([1, 1, 1, 2, 3]))
    channels = draw(st.sampled_from([1, 2, 3, 4, 6]))
    filters = draw(st.sampled_from([1, 2, 4, 6]))
    kernel = draw(st.one_of(st.integers(1, 6), st.tuples(*[st.integers(1, 6)] * rank)))
    strides = draw(st.one_of(st.just(1), st.integers(1, 4), st.tuples(*[st.integers(1, 3)] * rank)))
    dilation = draw(st.one_of(st.just(1), st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"] + (["causal"] if rank == 1 else [])))
    cfg = {"filters": filters, "kernel_size": kernel, "strides": strides, "padding": padding,
           "dilation_rate": dilation, "groups": groups, "data_format": fmt,
           "use_bias": draw(st.booleans())}
    shape = [None] + (spatial + [channels] if fmt == "channels_last" else [channels] + spatial)
    return f"Conv{rank}D", cfg, [shape]


@SETTINGS
@given(conv_case())
def test_conv_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


def test_conv_wrong_rank(layer_oracle):
    check(layer_oracle, "Conv2D", {"filters": 32, "kernel_size": 3}, [[28, 28, 3]])
    check(layer_oracle, "Conv1D", {"filters": 4, "kernel_size": 3}, [[None, 10, 10, 1]])


def test_conv_seed_cases(layer_oracle):
    # seed 001 example 2: kernel 15, stride 3 on 32 gives 6 (no error)
    assert check(layer_oracle, "Conv2D", {"filters": 32, "kernel_size": 15, "strides": 3}, [[None, 32, 32, 3]])["output"] == [None, 6, 6, 32]
    # seed 003 example 3: kernel 15 > length 10 raises
    assert not check(layer_oracle, "Conv1D", {"filters": 32, "kernel_size": 15}, [[None, 10, 1]])["ok"]
    # seed 000 example 2: stride 2 'same' on 30 gives 15
    check(layer_oracle, "Conv2D", {"filters": 32, "kernel_size": 3, "strides": 2, "padding": "same"}, [[None, 30, 30, 1]])


def test_conv_table_none_dims():
    """Hand table (no TensorFlow needed): None spatial dims pass through, None channels fail."""
    assert engine("Conv2D", {"filters": 8, "kernel_size": 3}, [[None, None, 10, 3]])["output"] == [None, None, 8, 8]
    assert engine("Conv2D", {"filters": 8, "kernel_size": 3, "data_format": "channels_first"}, [[None, 3, 10, None]])["output"] == [None, 8, 8, None]
    assert engine("Conv2D", {"filters": 8, "kernel_size": 3}, [[None, 10, 10, None]])["code"] == "SL106"
    assert engine("Conv2D", {"filters": 8, "kernel_size": 3, "padding": "causal"}, [[None, 10, 10, 1]])["code"] == "SL206"
    assert engine("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, [[None, 10, 10, 1]])["code"] == "SL204"

"""Recurrent layers and wrappers against real Keras: random valid and invalid configurations.

SimpleRNN / LSTM / GRU, ConvLSTM1D-3D, Bidirectional and TimeDistributed.

Known disagreement, not drawn here: TimeDistributed(LSTM) on a 3-D input with a *fixed* batch
size. Keras builds the LSTM on the per-step shape (batch, features) and uses the batch size as
the feature axis (a kernel of shape (batch, 4·units)), which only fails when the model runs;
shapelens reports the wrong rank straight away.
"""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.core.rules import lookup
from tests.core.rules.harness import check, engine

# SHAPELENS_EXAMPLES=2000 for a longer soak
N = int(os.environ.get("SHAPELENS_EXAMPLES", 120))
SETTINGS = settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

RNNS = ["SimpleRNN", "LSTM", "GRU"]


def L(kind, **config):
    return {"__layer__": kind, "config": config}




def sometimes(rare, usual, one_in):
    """`rare` about once in `one_in` draws, `usual` otherwise."""
    return st.integers(1, one_in).flatmap(lambda r: rare if r == 1 else usual)


time_dim = st.one_of(st.none(), st.integers(1, 6))
feature_dim = sometimes(st.none(), st.integers(1, 5), 10)


@st.composite
def rnn_config(draw, kind=None, allow_invalid=True):
    kind = kind or draw(st.sampled_from(RNNS))
    units = draw(sometimes(st.integers(-1, 0), st.integers(1, 6), 10) if allow_invalid else st.integers(1, 6))
    cfg = {"units": units,
           "return_sequences": draw(st.booleans()),
           "return_state": draw(st.booleans())}
    if draw(st.booleans()):
        cfg["use_bias"] = draw(st.booleans())
    if draw(st.booleans()):
        cfg["unroll"] = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        cfg["go_backwards"] = True
    if kind == "GRU" and draw(st.booleans()):
        cfg["reset_after"] = draw(st.booleans())
    if allow_invalid and draw(st.integers(0, 8)) == 0:
        cfg["stateful"] = True
    if allow_invalid and draw(st.integers(0, 12)) == 0:
        cfg["units"] = float(draw(st.integers(1, 4)))
    return kind, cfg


@st.composite
def sequence_shape(draw, allow_invalid=True):
    batch = draw(st.one_of(st.none(), st.none(), st.integers(1, 4)))
    shape = [batch, draw(time_dim), draw(feature_dim if allow_invalid else st.integers(1, 5))]
    if allow_invalid:
        r = draw(st.integers(0, 9))
        if r == 0:
            shape = [batch, draw(st.integers(1, 5))]  # no time axis
        elif r == 1:
            shape = shape + [draw(st.integers(1, 3))]  # an extra axis
    return shape


@st.composite
def rnn_case(draw):
    kind, cfg = draw(rnn_config())
    return kind, cfg, [draw(sequence_shape())]


@SETTINGS
@given(rnn_case())
def test_rnn_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


# -- ConvLSTM ------------------------------------------------------------------


@st.composite
def conv_lstm_case(draw):
    rank = draw(st.sampled_from([1, 2, 3]))
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    hi = 9 if rank < 3 else 6
    spatial = [draw(st.integers(1, hi)) for _ in range(rank)]
    if draw(st.integers(0, 9)) == 0:
        spatial[draw(st.integers(0, rank - 1))] = None
    channels = draw(sometimes(st.none(), st.integers(1, 3), 10))
    cfg = {
        "filters": draw(sometimes(st.integers(-1, 0), st.integers(1, 4), 10)),
        "kernel_size": draw(st.one_of(st.integers(1, 4), st.tuples(*[st.integers(1, 4)] * rank))),
        "strides": draw(st.one_of(st.just(1), st.integers(1, 3), st.tuples(*[st.integers(1, 3)] * rank))),
        "dilation_rate": draw(st.one_of(st.just(1), st.just(1), st.integers(1, 2))),
        "padding": draw(sometimes(st.just("causal"), st.sampled_from(["valid", "valid", "same"]), 15)),
        "data_format": fmt,
        "return_sequences": draw(st.booleans()),
        "return_state": draw(st.booleans()),
        "use_bias": draw(st.booleans()),
    }
    if draw(st.integers(0, 15)) == 0:
        cfg["strides"] = 0
    batch = draw(st.one_of(st.none(), st.integers(1, 3)))
    shape = [batch, draw(time_dim)] + (spatial + [channels] if fmt == "channels_last" else [channels] + spatial)
    if draw(st.integers(0, 9)) == 0:
        shape.pop(1)  # forgot the time axis
    return f"ConvLSTM{rank}D", cfg, [shape]


@settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conv_lstm_case())
def test_conv_lstm_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


# -- Bidirectional ----------------------------------------------------------------


@st.composite
def bidirectional_case(draw):
    kind, inner = draw(rnn_config(allow_invalid=False))
    inner.pop("go_backwards", None)
    if draw(st.integers(0, 6)) == 0:
        inner["go_backwards"] = True
    if draw(st.integers(0, 8)) == 0:
        inner["stateful"] = True
    cfg = {"layer": L(kind, **inner)}
    mode = draw(st.sampled_from(["concat", "sum", "mul", "ave", None, "default", "max"]))
    if mode != "default":
        cfg["merge_mode"] = mode
    shape = draw(sequence_shape())
    if draw(st.integers(0, 2)) == 0:
        bkind = draw(st.sampled_from(RNNS))
        back = {"units": draw(st.sampled_from([inner["units"], inner["units"], draw(st.integers(1, 6))])),
                "go_backwards": draw(st.sampled_from([True, True, True, False])),
                "return_sequences": inner["return_sequences"],
                "return_state": inner["return_state"],
                "stateful": inner.get("stateful", False)}
        if draw(st.integers(0, 5)) == 0:
            flag = draw(st.sampled_from(["return_sequences", "return_state", "stateful"]))
            back[flag] = not back[flag]
        cfg["backward_layer"] = L(bkind, **back)
    r = draw(st.integers(0, 12))
    if r == 0:
        cfg["layer"] = L("Dense", units=3)
    elif r == 1:
        cfg["layer"] = L("ConvLSTM1D", filters=2, kernel_size=2,
                         return_sequences=inner["return_sequences"], return_state=inner["return_state"])
        cfg.pop("backward_layer", None)
        shape = [None, draw(time_dim), draw(st.integers(2, 6)), draw(st.integers(1, 3))]
    return "Bidirectional", cfg, [shape]


@SETTINGS
@given(bidirectional_case())
def test_bidirectional_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


# -- TimeDistributed --------------------------------------------------------------


@st.composite
def time_distributed_case(draw):
    choices = ["Dense", "Conv1D", "Conv2D", "LSTM", "GRU", "Dropout", "Bidirectional", "TimeDistributed",
               "Embedding", "EinsumDense"]
    if lookup("Flatten") is not None:
        choices.append("Flatten")
    inner_kind = draw(st.sampled_from(choices))
    t = draw(time_dim)
    step_rank = draw(st.integers(1, 4))  # non-batch axes of each step
    step = [draw(st.one_of(st.integers(1, 7), st.integers(1, 7), st.none())) for _ in range(step_rank)]
    if inner_kind == "Dense":
        inner = L("Dense", units=draw(st.integers(1, 5)))
    elif inner_kind in ("Conv1D", "Conv2D"):
        inner = L(inner_kind, filters=draw(st.integers(1, 4)), kernel_size=draw(st.integers(1, 4)),
                  padding=draw(st.sampled_from(["valid", "same"])))
    elif inner_kind in ("LSTM", "GRU"):
        inner = L(inner_kind, units=draw(st.integers(1, 4)), return_sequences=draw(st.booleans()),
                  return_state=draw(st.sampled_from([False, False, False, True])))
    elif inner_kind == "Dropout":
        inner = L("Dropout", rate=0.5)
    elif inner_kind == "Bidirectional":
        inner = L("Bidirectional", layer=L("GRU", units=draw(st.integers(1, 4)),
                                           return_sequences=draw(st.booleans())))
    elif inner_kind == "TimeDistributed":
        inner = L("TimeDistributed", layer=L("Dense", units=draw(st.integers(1, 4))))
    elif inner_kind == "Embedding":
        inner = L("Embedding", input_dim=10, output_dim=draw(st.integers(1, 4)))
    elif inner_kind == "EinsumDense":
        inner = L("EinsumDense", equation="...b,bc->...c", output_shape=draw(st.integers(1, 4)), bias_axes="c")
    else:
        inner = L(inner_kind)
    return "TimeDistributed", {"layer": inner}, [[None, t] + step]


@SETTINGS
@given(time_distributed_case())
def test_time_distributed_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


# -- seed cases -----------------------------------------------------------------


def test_recurrent_seed_cases(layer_oracle):
    # an RNN straight after a Dense: 2-D input
    assert not check(layer_oracle, "LSTM", {"units": 32}, [[None, 64]])["ok"]
    # GRU parameter count with and without reset_after
    assert check(layer_oracle, "GRU", {"units": 8}, [[None, 10, 4]])["params"] == 3 * 8 * (4 + 8) + 2 * 3 * 8
    assert check(layer_oracle, "GRU", {"units": 8, "reset_after": False}, [[None, 10, 4]])["params"] == 3 * 8 * (4 + 8 + 1)
    # Bidirectional with return_state and merge_mode=None: 2 outputs + 2·2 states
    out = check(layer_oracle, "Bidirectional",
                {"layer": L("LSTM", units=4, return_state=True, return_sequences=True), "merge_mode": None},
                [[None, None, 3]])["output"]
    assert out == [[None, None, 4], [None, None, 4], [None, 4], [None, 4], [None, 4], [None, 4]]
    # Keras takes the Bidirectional shape from the forward layer only
    assert check(layer_oracle, "Bidirectional",
                 {"layer": L("LSTM", units=4), "backward_layer": L("GRU", units=6, go_backwards=True)},
                 [[None, 5, 3]])["output"] == [None, 8]
    check(layer_oracle, "TimeDistributed", {"layer": L("Conv2D", filters=8, kernel_size=3)}, [[None, 10, 32, 32, 3]])
    check(layer_oracle, "ConvLSTM2D", {"filters": 4, "kernel_size": 3, "return_sequences": True}, [[None, None, 16, 16, 1]])


def test_recurrent_table():
    """Hand table (no TensorFlow needed)."""
    assert engine("LSTM", {"units": 4}, [[None, None, 3]])["output"] == [None, 4]
    assert engine("LSTM", {"units": 4}, [[None, 5, 3]])["params"] == 4 * 4 * (3 + 4 + 1)
    assert engine("SimpleRNN", {"units": 4, "return_sequences": True}, [[None, 5, 3]])["output"] == [None, 5, 4]
    assert engine("LSTM", {"units": 4, "return_state": True}, [[None, 5, 3]])["output"] == [[None, 4]] * 3
    assert engine("GRU", {"units": 4, "return_state": True}, [[None, 5, 3]])["output"] == [[None, 4]] * 2
    assert engine("LSTM", {"units": 4}, [[None, 3]])["code"] == "SL102"
    assert engine("LSTM", {"units": 4}, [[None, 5, None]])["code"] == "SL106"
    assert engine("LSTM", {"units": 0}, [[None, 5, 3]])["code"] == "SL201"
    assert engine("LSTM", {"units": 4, "stateful": True}, [[None, 5, 3]])["code"] == "SL106"
    assert engine("ConvLSTM2D", {"filters": 4, "kernel_size": 3}, [[None, 5, 8, 8, 3]])["output"] == [None, 6, 6, 4]
    assert engine("ConvLSTM2D", {"filters": 4, "kernel_size": 3}, [[None, 5, None, 8, 3]])["code"] == "SL106"
    assert engine("ConvLSTM2D", {"filters": 4, "kernel_size": 9}, [[None, 5, 8, 8, 3]])["code"] == "SL101"
    assert engine("ConvLSTM1D", {"filters": 4, "kernel_size": 3, "padding": "causal"}, [[None, 5, 8, 3]])["code"] == "SL206"
    bi = {"layer": L("LSTM", units=4, return_sequences=True)}
    assert engine("Bidirectional", bi, [[None, 7, 3]])["output"] == [None, 7, 8]
    assert engine("Bidirectional", {**bi, "merge_mode": "ave"}, [[None, 7, 3]])["output"] == [None, 7, 4]
    assert engine("Bidirectional", {**bi, "merge_mode": "max"}, [[None, 7, 3]])["code"] == "SL201"
    assert engine("Bidirectional", {"layer": L("Dense", units=3)}, [[None, 7, 3]])["code"] == "SL201"
    assert engine("TimeDistributed", {"layer": L("Dense", units=3)}, [[None, 7, 5]])["output"] == [None, 7, 3]
    assert engine("TimeDistributed", {"layer": L("Dense", units=3)}, [[None, 5]])["code"] == "SL102"
    assert engine("TimeDistributed", {"layer": L("LSTM", units=3, return_state=True)}, [[None, 7, 5, 2]])["code"] == "SL201"

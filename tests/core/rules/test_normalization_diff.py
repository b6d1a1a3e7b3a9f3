"""Normalization layers against real Keras: random axes, flags and input shapes."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.core.shapes import UNK
from tests.core.rules.harness import check, engine

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

dim = st.sampled_from([1, 2, 3, 4, 6, 8, 12, 16, None])
batch = st.sampled_from([None, None, None, 2, 4])


@st.composite
def shape(draw):
    rank = draw(st.integers(1, 5))
    return [draw(batch)] + [draw(dim) for _ in range(rank - 1)]


@st.composite
def int_axis(draw):
    return draw(st.sampled_from([-1, -1, -1, 1, 2, 3, -2, -3, 0, 4, -5, 5]))


@st.composite
def norm_case(draw):
    kind = draw(st.sampled_from(["BatchNormalization", "LayerNormalization", "GroupNormalization",
                                 "UnitNormalization", "RMSNormalization"]))
    x = draw(shape())
    cfg = {}
    list_axis = st.lists(st.sampled_from([-1, -2, 1, 2, 3, 0, 5]), max_size=3)
    if kind == "BatchNormalization":
        if draw(st.booleans()):
            cfg["axis"] = draw(st.one_of(int_axis(), int_axis(), int_axis(), st.just(1.0), st.just([1])))
        cfg.update(center=draw(st.booleans()), scale=draw(st.booleans()))
        if draw(st.integers(0, 4)) == 0:
            cfg["renorm"] = True
            if draw(st.booleans()):
                cfg["renorm_clipping"] = draw(st.sampled_from([{"rmax": 3, "rmin": 0.5}, {"dmax": 5}, {"rmax": 1, "rmin": 2},
                                                               {"dmax": -1}, {"foo": 1}]))
    elif kind in ("LayerNormalization", "UnitNormalization", "RMSNormalization"):
        if draw(st.booleans()):
            cfg["axis"] = draw(st.one_of(int_axis(), list_axis, st.just(1.0)))
        if kind == "LayerNormalization":
            cfg.update(center=draw(st.booleans()), scale=draw(st.booleans()))
            if draw(st.integers(0, 5)) == 0:
                cfg["rms_scaling"] = True
    else:
        if draw(st.integers(0, 4)):
            cfg["groups"] = draw(st.sampled_from([1, 2, 3, 4, 8, -1, 0, -2]))
        if draw(st.booleans()):
            cfg["axis"] = draw(st.one_of(int_axis(), st.just([1])))
        cfg.update(center=draw(st.booleans()), scale=draw(st.booleans()))
    return kind, cfg, [x]


@SETTINGS
@given(norm_case())
def test_normalization_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


def test_normalization_seed_cases(layer_oracle):
    assert check(layer_oracle, "BatchNormalization", {}, [[None, 32, 32, 16]])["params"] == 64
    assert check(layer_oracle, "BatchNormalization", {"axis": 1}, [[None, 16, 32, 32]])["params"] == 64
    check(layer_oracle, "BatchNormalization", {"renorm": True}, [[None, 8]])
    assert check(layer_oracle, "LayerNormalization", {"axis": [1, 2]}, [[None, 5, 8]])["params"] == 80
    check(layer_oracle, "LayerNormalization", {"axis": []}, [[None, 5, 8]])
    assert not check(layer_oracle, "GroupNormalization", {}, [[None, 5, 8]])["ok"]  # default 32 groups > 8
    check(layer_oracle, "GroupNormalization", {"groups": 3}, [[None, 5, 8]])
    check(layer_oracle, "GroupNormalization", {"groups": -1}, [[None, 5, 8]])
    check(layer_oracle, "UnitNormalization", {"axis": [1, 5]}, [[4, 5, 8]])


def test_normalization_table_none_dims():
    """Hand table (no TensorFlow needed)."""
    r = engine("BatchNormalization", {}, [[None, None, None, 16]])
    assert r["output"] == [None, None, None, 16] and r["params"] == 64
    assert engine("BatchNormalization", {}, [[None, 16, None]])["code"] == "SL106"
    assert engine("BatchNormalization", {"axis": 3}, [[None, 16, 4]])["code"] == "SL102"
    assert engine("LayerNormalization", {}, [[None, None, 8]])["params"] == 16
    assert engine("LayerNormalization", {"axis": 1}, [[None, None, 8]])["code"] == "SL106"
    assert engine("LayerNormalization", {"axis": 1, "center": False, "scale": False}, [[None, None, 8]])["params"] == 0
    assert engine("GroupNormalization", {"groups": 3}, [[None, None, 8]])["code"] == "SL202"
    assert engine("GroupNormalization", {"groups": 4}, [[None, None, None, 8]])["params"] == 16
    assert engine("UnitNormalization", {}, [[None, None]])["output"] == [None, None]
    r = engine("BatchNormalization", {}, [[None, 4, UNK]])
    assert r["output"] == [None, 4, "?"] and r["params"] is None
    assert engine("GroupNormalization", {"groups": 4}, [[None, 4, UNK]])["ok"] is True

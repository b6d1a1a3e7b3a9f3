"""Dense, activations, dropout/noise and PReLU against real Keras."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.rules.harness import check, engine

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

shapes = st.lists(st.one_of(st.integers(1, 9), st.none()), min_size=0, max_size=4).map(lambda s: [None] + s)


@SETTINGS
@given(shape=shapes, units=st.integers(-1, 12), use_bias=st.booleans())
def test_dense(layer_oracle, shape, units, use_bias):
    check(layer_oracle, "Dense", {"units": units, "use_bias": use_bias}, [shape])


SAME_SHAPE = [
    ("Activation", {"activation": "relu"}),
    ("ReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.2}),
    ("ELU", {}),
    ("Softmax", {"axis": -1}),
    ("Identity", {}),
    ("Masking", {"mask_value": 0.0}),
    ("Dropout", {"rate": 0.3}),
    ("GaussianNoise", {"stddev": 0.1}),
    ("GaussianDropout", {"rate": 0.2}),
    ("AlphaDropout", {"rate": 0.2}),
    ("ActivityRegularization", {"l1": 0.01}),
]


@SETTINGS
@given(case=st.sampled_from(SAME_SHAPE), shape=shapes)
def test_shape_preserving(layer_oracle, case, shape):
    kind, cfg = case
    check(layer_oracle, kind, cfg, [shape])


@SETTINGS
@given(n=st.sampled_from([1, 2, 3]), shape=shapes, rate=st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.1]))
def test_spatial_dropout(layer_oracle, n, shape, rate):
    check(layer_oracle, f"SpatialDropout{n}D", {"rate": rate}, [shape])


@SETTINGS
@given(shape=st.lists(st.one_of(st.integers(1, 6), st.none()), min_size=1, max_size=3).map(lambda s: [None] + s),
       shared=st.one_of(st.none(), st.just([1]), st.just([1, 2]), st.just(2)))
def test_prelu(layer_oracle, shape, shared):
    cfg = {} if shared is None else {"shared_axes": shared}
    check(layer_oracle, "PReLU", cfg, [shape])


@SETTINGS
@given(rate=st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.1]))
def test_dropout_rate(layer_oracle, rate):
    check(layer_oracle, "Dropout", {"rate": rate}, [[None, 4]])


def test_dense_table():
    assert engine("Dense", {"units": 10}, [[None, 64]]) == {"ok": True, "output": [None, 10], "params": 650}
    assert engine("Dense", {"units": 3}, [[None, 5, None, 7]])["output"] == [None, 5, None, 3]
    assert engine("Dense", {"units": 3}, [[None, None]])["code"] == "SL106"
    assert engine("Dense", {"units": 3}, [[None]])["code"] == "SL102"

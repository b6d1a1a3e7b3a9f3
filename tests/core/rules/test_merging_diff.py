"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot)
against real Keras: random valid and invalid lists of input shapes."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.core.rules.merging import FUNCTIONAL_FORMS
from shapelens.core.shapes import UNK
from tests.core.rules.harness import check, engine

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]

dim = st.sampled_from([1, 2, 3, 4, None])
batch = st.sampled_from([None, None, None, 1, 2, 3])


@st.composite
def variant(draw, base):
    """A shape close to `base`: same, a dim set to 1 / None / something else, or fewer axes."""
    s = list(base)
    for i in range(len(s)):
        r = draw(st.integers(0, 9))
        if r == 0:
            s[i] = 1
        elif r == 1:
            s[i] = None
        elif r == 2:
            s[i] = draw(dim)
    if s and draw(st.integers(0, 5)) == 0:
        s = s[draw(st.integers(1, len(s))):]
    return s


@st.composite
def elementwise_case(draw):
    kind = draw(st.sampled_from(ELEMENTWISE))
    base = [draw(dim) for _ in range(draw(st.integers(0, 3)))]
    n = 2 if kind == "Subtract" and draw(st.booleans()) else draw(st.integers(1, 4))
    inputs = [[draw(batch)] + draw(variant(base)) for _ in range(n)]
    return kind, {}, inputs


@st.composite
def concat_case(draw):
    rank = draw(st.integers(1, 4))
    base = [draw(dim) for _ in range(rank)]
    axis = draw(st.integers(-rank - 1, rank + 1))
    n = draw(st.integers(1, 3))
    inputs = []
    for _ in range(n):
        s = [draw(batch)] + list(base)
        if -len(s) <= axis < len(s):
            s[axis] = draw(dim)
        if draw(st.integers(0, 6)) == 0:
            s[draw(st.integers(0, len(s) - 1))] = draw(dim)
        if draw(st.integers(0, 8)) == 0:
            s = s[:-1] if len(s) > 1 and draw(st.booleans()) else s + [draw(dim)]
        inputs.append(s)
    cfg = {} if axis == -1 and draw(st.booleans()) else {"axis": axis}
    return "Concatenate", cfg, inputs


@st.composite
def dot_case(draw):
    r1, r2 = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s1 = [draw(batch)] + [draw(dim) for _ in range(r1)]
    s2 = [draw(batch)] + [draw(dim) for _ in range(r2)]
    if draw(st.booleans()):
        axes = draw(st.integers(-3, 3))
    else:
        axes = [draw(st.integers(-3, 3)), draw(st.integers(-3, 3))]
    # make the contracted axes agree most of the time
    a1, a2 = (axes, axes) if isinstance(axes, int) else axes
    if draw(st.integers(0, 3)) and -len(s1) <= a1 < len(s1) and -len(s2) <= a2 < len(s2):
        s2[a2] = s1[a1]
    n = draw(st.sampled_from([2, 2, 2, 2, 1, 3]))
    inputs = [s1, s2, s1][:n]
    return "Dot", {"axes": axes, "normalize": draw(st.booleans())}, inputs


@SETTINGS
@given(elementwise_case())
def test_elementwise_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs, as_list=True)


@SETTINGS
@given(concat_case())
def test_concatenate_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs, as_list=True)


@SETTINGS
@given(dot_case())
def test_dot_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs, as_list=True)


def test_merge_seed_cases(layer_oracle):
    # the brief's example: a (1, 1, C) bias-like tensor broadcasts in Add
    assert check(layer_oracle, "Add", {}, [[None, 8, 8, 16], [None, 1, 1, 16]], as_list=True)["output"] == [None, 8, 8, 16]
    assert check(layer_oracle, "Add", {}, [[None, 8, 8, 16], [None, 16]], as_list=True)["ok"]
    # Keras 3 accepts a single tensor in a list; a bare tensor is an error
    check(layer_oracle, "Add", {}, [[None, 8]], as_list=True)
    check(layer_oracle, "Add", {}, [[None, 8]])
    check(layer_oracle, "Concatenate", {}, [[None, 8, 3], [None, 1, 5]], as_list=True)
    check(layer_oracle, "Dot", {"axes": 1}, [[None, 5], [None, None]], as_list=True)
    check(layer_oracle, "Dot", {"axes": [1, 2, 3]}, [[None, 5], [None, 5]], as_list=True)
    check(layer_oracle, "Dot", {"axes": 1.5}, [[None, 5], [None, 5]], as_list=True)


def test_functional_forms_exist():
    import importlib.util

    if importlib.util.find_spec("keras") is None:
        return
    import keras

    for fn, cls in FUNCTIONAL_FORMS.items():
        assert hasattr(keras.layers, fn) and hasattr(keras.layers, cls)


def test_merge_table_none_dims():
    """Hand table (no TensorFlow needed)."""
    assert engine("Add", {}, [[None, None, 16], [None, 1, 16]], as_list=True)["output"] == [None, None, 16]
    assert engine("Add", {}, [[None, 8], [None, None]], as_list=True)["output"] == [None, None]
    assert engine("Multiply", {}, [[None, 8, 1], [4, 3]], as_list=True)["output"] == [4, 8, 3]
    assert engine("Add", {}, [[2, 8], [3, 8]], as_list=True)["code"] == "SL104"
    assert engine("Add", {}, [[None, 8], [None, 3]], as_list=True)["code"] == "SL104"
    assert engine("Subtract", {}, [[None, 8]] * 3, as_list=True)["code"] == "SL104"
    assert engine("Concatenate", {}, [[None, None, 3], [None, 4, 5]], as_list=True)["output"] == [None, None, 8]
    assert engine("Concatenate", {"axis": 1}, [[None, None, 3], [None, 4, 3]], as_list=True)["output"] == [None, None, 3]
    assert engine("Concatenate", {"axis": 1}, [[None, 2, 3], [None, 4, 5]], as_list=True)["code"] == "SL104"
    assert engine("Dot", {"axes": -1}, [[None, 3, 5], [None, 7, 5]], as_list=True)["output"] == [None, 3, 7]
    assert engine("Dot", {"axes": 1}, [[None, 5], [None, 5]], as_list=True)["output"] == [None, 1]
    # dimensions shapelens could not work out (Unknown) never produce an error
    assert engine("Add", {}, [[None, UNK], [None, 8]], as_list=True)["output"] == [None, 8]
    assert engine("Concatenate", {}, [[None, UNK], [None, 3]], as_list=True)["output"] == [None, "?"]
    assert engine("Dot", {"axes": -1}, [[None, UNK], [None, 3]], as_list=True)["output"] == [None, 1]

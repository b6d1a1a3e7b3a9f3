"""Attention, AdditiveAttention, MultiHeadAttention and GroupQueryAttention against real
Keras: random valid and invalid configurations, shapes and call forms."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.core.shapes import UNK
from tests.core.rules.harness import check, engine

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

feat = st.sampled_from([1, 2, 3, 4, 6, 8])
steps = st.sampled_from([1, 3, 5, None])
batch = st.sampled_from([None, None, None, 2])
maybe_none_feat = st.sampled_from([1, 2, 3, 4, 6, 8, None])
rare_none_feat = st.sampled_from([1, 2, 3, 4, 6, 8] * 3 + [None])


@st.composite
def dot_attention_case(draw):
    kind = draw(st.sampled_from(["Attention", "AdditiveAttention"]))
    rank = draw(st.sampled_from([2, 3, 3, 3, 4]))
    def tensor():
        return [draw(batch)] + [draw(steps) for _ in range(rank - 2)] + [draw(maybe_none_feat)]
    n = draw(st.sampled_from([2, 2, 3, 3, 1, 4]))
    inputs = [tensor() for _ in range(n)]
    cfg = {"use_scale": draw(st.booleans())}
    if draw(st.integers(0, 3)) == 0:
        cfg["score_mode"] = draw(st.sampled_from(["dot", "concat", "general"]))
    if draw(st.booleans()):
        cfg["dropout"] = draw(st.sampled_from([0.0, 0.1]))
    call = {"return_attention_scores": True} if draw(st.booleans()) else {}
    if draw(st.integers(0, 3)) == 0:
        call["use_causal_mask"] = True
    as_list = draw(st.integers(0, 9)) > 0
    if not as_list:
        inputs = inputs[:1]  # called on a bare tensor
    return kind, cfg, inputs, call, as_list


@st.composite
def mha_case(draw):
    qrank = draw(st.sampled_from([2, 3, 3, 3, 4]))
    vrank = qrank if draw(st.integers(0, 4)) else draw(st.sampled_from([2, 3, 4]))
    q = [draw(batch)] + [draw(steps) for _ in range(qrank - 2)] + [draw(rare_none_feat)]
    v = [draw(batch)] + [draw(steps) for _ in range(vrank - 2)] + [draw(rare_none_feat)]
    inputs = [q, v]
    call = {}
    key_mode = draw(st.sampled_from(["none", "none", "kw", "pos"]))
    if key_mode != "none":
        k = v[:-1] + [draw(rare_none_feat)]
        if draw(st.integers(0, 4)) == 0 and len(k) > 2:
            k[1] = draw(steps)
        if key_mode == "kw":
            call["key"] = {"__shape__": k}
        else:
            inputs.append(k)
    cfg = {"num_heads": draw(st.sampled_from([1, 2, 3] * 4 + [0])), "key_dim": draw(st.sampled_from([1, 2, 4] * 4 + [-1]))}
    if draw(st.booleans()):
        cfg["value_dim"] = draw(st.sampled_from([None, 1, 3, 5, 1, 3, 5, 0]))
    if draw(st.booleans()):
        cfg["use_bias"] = draw(st.booleans())
    if draw(st.integers(0, 2)) == 0:
        cfg["output_shape"] = draw(st.sampled_from([None, 0, 5, [3], [2, 3], [3, 2], [3, None]]))
    if draw(st.integers(0, 2)) == 0:
        cfg["attention_axes"] = draw(st.sampled_from([None, 1, -2, [1], [1, 2], [2], [-3], [3], [5], [-6], []]))
    if draw(st.integers(0, 3)) == 0:
        cfg["use_gate"] = True
    if draw(st.integers(0, 5)) == 0:
        cfg["sliding_window"] = draw(st.sampled_from([2, 2, 0]))
    if draw(st.integers(0, 2)) == 0:
        call["return_attention_scores"] = True
    positional = draw(st.integers(0, 9)) > 0
    if not positional:
        inputs = inputs[:1] if draw(st.booleans()) else inputs  # forgot the value / passed a list
    return "MultiHeadAttention", cfg, inputs, call, positional


@st.composite
def gqa_case(draw):
    qrank = draw(st.sampled_from([3, 3, 3, 4, 2]))
    q = [draw(batch)] + [draw(steps) for _ in range(qrank - 2)] + [draw(maybe_none_feat)]
    v = [draw(batch)] + [draw(steps) for _ in range(qrank - 2)] + [q[-1] if draw(st.integers(0, 3)) else draw(maybe_none_feat)]
    inputs = [q, v]
    call = {}
    if draw(st.booleans()):
        k = v[:-1] + [draw(maybe_none_feat)]
        if draw(st.integers(0, 4)) == 0 and len(k) > 2:
            k[1] = draw(steps)
        call["key"] = {"__shape__": k}
    hkv = draw(st.sampled_from([1, 2, 3]))
    cfg = {"head_dim": draw(st.sampled_from([1, 2, 4])),
           "num_query_heads": hkv * draw(st.sampled_from([1, 2])) + (1 if draw(st.integers(0, 5)) == 0 else 0),
           "num_key_value_heads": hkv, "use_bias": draw(st.booleans())}
    if draw(st.integers(0, 3)) == 0:
        cfg["use_gate"] = True
    if draw(st.integers(0, 2)) == 0:
        call["return_attention_scores"] = True
    return "GroupQueryAttention", cfg, inputs, call, True


@SETTINGS
@given(dot_attention_case())
def test_attention_matches_keras(layer_oracle, case):
    kind, cfg, inputs, call, as_list = case
    check(layer_oracle, kind, cfg, inputs, call=call, as_list=as_list)


@SETTINGS
@given(mha_case())
def test_multi_head_attention_matches_keras(layer_oracle, case):
    kind, cfg, inputs, call, positional = case
    check(layer_oracle, kind, cfg, inputs, call=call, positional=positional)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gqa_case())
def test_group_query_attention_matches_keras(layer_oracle, case):
    kind, cfg, inputs, call, positional = case
    check(layer_oracle, kind, cfg, inputs, call=call, positional=positional)


def test_attention_seed_cases(layer_oracle):
    mha = {"num_heads": 2, "key_dim": 4}
    assert check(layer_oracle, "MultiHeadAttention", mha, [[None, 5, 8], [None, 7, 6]], positional=True)["params"] == 256
    check(layer_oracle, "MultiHeadAttention", mha, [[None, 5, 8], [None, 7, 6]], call={"key": {"__shape__": [None, 7, 3]}}, positional=True)
    check(layer_oracle, "MultiHeadAttention", mha, [[None, 5, 8], [None, 7, 6], [None, 6, 3]], positional=True)
    # Keras reports (B, heads, Tq, Tq) scores even when Tv != Tq
    out = check(layer_oracle, "MultiHeadAttention", mha, [[None, 5, 8], [None, 7, 6]],
                call={"return_attention_scores": True}, positional=True)["output"]
    assert out == [[None, 5, 8], [None, 2, 5, 5]]
    check(layer_oracle, "MultiHeadAttention", {**mha, "output_shape": [3, 2]}, [[None, 5, 8], [None, 7, 6]], positional=True)
    check(layer_oracle, "Attention", {"use_scale": True, "score_mode": "concat"}, [[None, 5, 8], [None, 7, 8]], as_list=True)
    check(layer_oracle, "AdditiveAttention", {}, [[None, 5, None], [None, 7, 6]], as_list=True)


def test_attention_table_none_dims():
    """Hand table (no TensorFlow needed)."""
    r = engine("Attention", {}, [[None, None, 8], [None, None, 6]], as_list=True)
    assert r["output"] == [None, None, 6] and r["params"] == 0
    assert engine("AdditiveAttention", {}, [[None, None, 8], [None, None, 8]], as_list=True)["params"] == 8
    assert engine("AdditiveAttention", {}, [[None, 4, None], [None, 4, 8]], as_list=True)["code"] == "SL106"
    assert engine("Attention", {}, [[None, 4, 8]], as_list=True)["code"] == "SL104"
    r = engine("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [[None, None, 8], [None, None, 6]], positional=True)
    assert r["output"] == [None, None, 8] and r["params"] == 256
    assert engine("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [[None, 5, None], [None, 7, 6]], positional=True)["code"] == "SL106"
    assert engine("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [[None, 5, 8]], positional=True)["ok"] is False
    # value given by keyword works too
    r = engine("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [[None, 5, 8]], call={"value": {"__shape__": [None, 7, 6]}})
    assert r["ok"] and r["params"] == 256
    # an Unknown feature size keeps the shape but leaves the parameter count open
    r = engine("MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [[None, 5, UNK], [None, 7, 4]], positional=True)
    assert r["output"] == [None, 5, "?"] and r["params"] is None
    r = engine("AdditiveAttention", {}, [[None, 5, UNK], [None, 7, 4]], as_list=True)
    assert r["output"] == [None, 5, 4] and r["params"] is None

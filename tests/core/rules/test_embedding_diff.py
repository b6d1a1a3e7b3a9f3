"""Embedding and EinsumDense against real Keras: random valid and invalid configurations.

The EinsumDense generator builds equations the way people write them (batch letter, kept
input axes, contracted axes, new kernel axes; '...' on the left or right) and then breaks
them now and then: a wrong output_shape entry, a rank that does not fit the equation, a bias
axis that is not in the output, a malformed equation.
"""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.rules.harness import check, engine

# SHAPELENS_EXAMPLES=2000 for a longer soak
N = int(os.environ.get("SHAPELENS_EXAMPLES", 150))
SETTINGS = settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])



def sometimes(rare, usual, one_in):
    """`rare` about once in `one_in` draws, `usual` otherwise."""
    return st.integers(1, one_in).flatmap(lambda r: rare if r == 1 else usual)


dim = sometimes(st.none(), st.integers(1, 6), 8)


# -- Embedding ------------------------------------------------------------------


@st.composite
def embedding_case(draw):
    cfg = {
        "input_dim": draw(sometimes(st.sampled_from([-1, 0, 10.0]), st.integers(1, 50), 8)),
        "output_dim": draw(sometimes(st.integers(-1, 0), st.integers(1, 16), 8)),
    }
    if draw(st.booleans()):
        cfg["mask_zero"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        cfg["input_length"] = draw(st.integers(1, 20))
    if draw(st.integers(0, 3)) == 0:
        cfg["lora_rank"] = draw(st.integers(0, 4))
        if draw(st.integers(0, 3)) == 0:
            cfg["embeddings_constraint"] = "non_neg"
    rank = draw(st.integers(1, 4))
    shape = [draw(st.one_of(st.none(), st.integers(1, 4)))] + [draw(dim) for _ in range(rank - 1)]
    return "Embedding", cfg, [shape]


@SETTINGS
@given(embedding_case())
def test_embedding_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


# -- EinsumDense ----------------------------------------------------------------

LETTERS = "bcdefghijk"


@st.composite
def einsum_case(draw):
    mode = draw(st.sampled_from(["plain", "plain", "left", "right"]))
    n_in = draw(st.integers(1, 3)) if mode != "right" else draw(st.integers(1, 2))
    pool = list(LETTERS)
    in_letters = pool[:n_in]
    new_letters = pool[n_in:n_in + draw(st.integers(0, 2))]
    contracted = draw(st.lists(st.sampled_from(in_letters), min_size=1, max_size=n_in, unique=True))
    kept = [c for c in in_letters if c not in contracted]
    kernel = draw(st.permutations(contracted + new_letters))
    if draw(st.integers(0, 4)) == 0 and kept:
        kernel = kernel + [kept[0]]  # a kernel axis shared with input and output
    out_letters = kept + new_letters
    if not out_letters:
        out_letters = [pool[9]]
        kernel = kernel + [pool[9]]
    if draw(st.booleans()):
        out_letters = draw(st.permutations(out_letters))

    in_dims = {c: draw(dim) for c in in_letters}
    new_dims = {c: draw(sometimes(st.none(), st.integers(1, 6), 10)) for c in new_letters + [pool[9]]}

    def out_dim(c):
        if c in in_dims:
            return draw(sometimes(st.integers(1, 6), st.sampled_from([None, in_dims[c], in_dims[c]]), 6))
        return new_dims[c]

    if mode == "plain":
        equation = f"a{''.join(in_letters)},{''.join(kernel)}->a{''.join(out_letters)}"
        rank = 1 + n_in
    elif mode == "left":
        equation = f"...{''.join(in_letters)},{''.join(kernel)}->...{''.join(out_letters)}"
        rank = n_in + draw(st.integers(1, 3))
    else:
        equation = f"a{''.join(in_letters)}...,{''.join(kernel)}->a{''.join(out_letters)}..."
        rank = 1 + n_in + draw(st.integers(0, 2))
    partial = [out_dim(c) for c in out_letters]

    r = draw(st.integers(0, 14))
    if r == 0:
        rank += draw(st.sampled_from([-1, 1]))
    elif r == 1:
        partial = partial + [draw(st.integers(1, 4))]
    elif r == 2 and len(partial) > 1:
        partial = partial[:-1]
    elif r == 3:
        equation = draw(st.sampled_from([equation.replace("->", "-"), equation.replace(",", ""),
                                         equation.replace("a", "", 1), "ab,bc->ac", "...b,bc->...c",
                                         "ab...,bc->ac..."]))
    rank = max(rank, 1)

    # input shape: batch + the spec letters in place, elided axes random
    body = [in_dims[c] for c in in_letters]
    if mode == "plain":
        shape = [None] + body
        shape = (shape + [draw(dim) for _ in range(rank - len(shape))])[:rank]
    elif mode == "left":
        n_el = rank - n_in
        shape = ([None] + [draw(dim) for _ in range(max(n_el - 1, 0))] + body)[-rank:] if n_el >= 1 else body[-rank:]
    else:
        shape = ([None] + body + [draw(dim) for _ in range(rank - 1 - n_in)])[:rank]

    single = len(partial) == 1 and partial[0] is not None and draw(st.booleans())
    cfg = {"equation": equation, "output_shape": partial[0] if single else partial}
    bias = draw(st.sampled_from(["none", "none", "last", "some", "bad"]))
    if bias == "last":
        cfg["bias_axes"] = out_letters[-1]
    elif bias == "some":
        cfg["bias_axes"] = "".join(draw(st.lists(st.sampled_from(out_letters), min_size=1, unique=True)))
    elif bias == "bad":
        cfg["bias_axes"] = draw(st.sampled_from(["z", "", contracted[0]]))
    if draw(st.integers(0, 6)) == 0:
        cfg["lora_rank"] = draw(st.integers(1, 3))
    return "EinsumDense", cfg, [shape]


@settings(max_examples=N * 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(einsum_case())
def test_einsum_dense_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


# -- seed cases -----------------------------------------------------------------


def test_embedding_seed_cases(layer_oracle):
    # Keras 3 ignores input_length: the output follows the input, not the argument
    assert check(layer_oracle, "Embedding", {"input_dim": 1000, "output_dim": 64, "input_length": 10},
                 [[None, 25]])["output"] == [None, 25, 64]
    # an attention-style projection: (batch, seq, d_model) -> (batch, seq, heads, head_dim)
    r = check(layer_oracle, "EinsumDense", {"equation": "abc,cde->abde", "output_shape": [None, 8, 16],
                                            "bias_axes": "de"}, [[None, 12, 128]])
    assert r["output"] == [None, None, 8, 16] and r["params"] == 128 * 8 * 16 + 8 * 16
    # Keras 3 reverses the '...' axes in the symbolic shape
    assert check(layer_oracle, "EinsumDense", {"equation": "...b,bc->...c", "output_shape": 7},
                 [[None, 4, 5, 3]])["output"] == [None, 5, 4, 7]


def test_embedding_table():
    """Hand table (no TensorFlow needed)."""
    assert engine("Embedding", {"input_dim": 100, "output_dim": 8}, [[None, 20]]) == \
        {"ok": True, "output": [None, 20, 8], "params": 800}
    assert engine("Embedding", {"input_dim": 100, "output_dim": 8}, [[None, None]])["output"] == [None, None, 8]
    assert engine("Embedding", {"input_dim": 100, "output_dim": 8, "lora_rank": 2}, [[None, 3]])["params"] == 800 + 2 * 108
    assert engine("Embedding", {"input_dim": 0, "output_dim": 8}, [[None, 3]])["code"] == "SL201"
    assert engine("Embedding", {"input_dim": 10.0, "output_dim": 8}, [[None, 3]])["code"] == "SL201"
    ed = {"equation": "ab,bc->ac", "output_shape": 64, "bias_axes": "c"}
    assert engine("EinsumDense", ed, [[None, 32]]) == {"ok": True, "output": [None, 64], "params": 32 * 64 + 64}
    assert engine("EinsumDense", ed, [[None, None]])["code"] == "SL106"
    assert engine("EinsumDense", {**ed, "bias_axes": "b"}, [[None, 32]])["code"] == "SL201"
    assert engine("EinsumDense", {**ed, "equation": "ab,bc"}, [[None, 32]])["code"] == "SL201"
    assert engine("EinsumDense", {"equation": "abc,cd->abd", "output_shape": [5, 64]}, [[None, 6, 32]])["code"] == "SL103"
    assert engine("EinsumDense", {"equation": "abc,cd->abd", "output_shape": [None, 64]}, [[None, 6, 32]])["output"] == [None, None, 64]

"""Attention, AdditiveAttention, MultiHeadAttention and GroupQueryAttention (Keras 3).

Keras 3 computes the symbolic output of all four with ``compute_output_spec`` /
``compute_output_shape`` (keras/src/layers/attention/*.py) and never traces ``call``, so
the rules follow that code. Two consequences a user may not expect:

* Attention / AdditiveAttention do not compare query, key and value at build time; a
  mismatch only fails when the model runs. The rules report it as a warning.
* ``MultiHeadAttention(..., return_attention_scores=True)`` reports scores of shape
  ``(B, heads, Tq, Tq)`` -- the query length twice -- even when the value length differs.

Parameter counts come from the EinsumDense sub-layers, through the same port of Keras's
einsum analysis that the EinsumDense rule uses.
"""

from __future__ import annotations

import string
from typing import Any

from shapelens.core.rules.base import REQUIRED, SYMBOLIC_CALL, Args, LayerError, Out, Unresolved, layer
from shapelens.core.rules.embedding import analyze_einsum
from shapelens.core.shapes import Dim, Shape, fmt_dim, fmt_shape, is_unknown, known
from shapelens.core.codes import (
    FAILS_AT_RUN_TIME,
    GROUPS_NOT_DIVISIBLE,
    INCOMPATIBLE_MERGE_SHAPES,
    INVALID_ARGUMENT,
    SHARED,
    UNDEFINED_DIMENSION,
    WRONG_INPUT_RANK,
)

ATTENTION_ARGS = ("use_scale", "score_mode", "dropout", "seed")


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _shape_arg(kind: str, value: Any, what: str) -> Shape:
    if is_unknown(value) or value is None:
        raise Unresolved(f"the shape of `{what}` given to {kind} is not known statically")
    if isinstance(value, list) and value and isinstance(value[0], (tuple, list)):
        raise LayerError(WRONG_INPUT_RANK, WRONG_INPUT_RANK.argument_is_a_list(kind=kind, what=what, n_value=len(value)))
    return tuple(value)


def _flag(kind: str, call: dict, name: str) -> bool:
    value = call.get(name, False)
    if is_unknown(value):
        raise Unresolved(f"`{name}` of the {kind} call is not known statically")
    return bool(value)


def _sure_differ(a: Dim, b: Dim) -> bool:
    return known(a) and known(b) and a != b


def _dims_differ(a: Shape, b: Shape) -> bool:
    """Keras's strict tuple comparison (None == None only), unless an Unknown blurs it."""
    if len(a) != len(b):
        return True
    for x, y in zip(a, b):
        if is_unknown(x) or is_unknown(y):
            continue
        if x != y:
            return True
    return False


# ---------------------------------------------------------------------------
# Attention / AdditiveAttention (keras/src/layers/attention/attention.py)
# ---------------------------------------------------------------------------


def _qvk(kind: str, xs: list) -> tuple[Shape, Shape, Shape, int]:
    if len(xs) < 2 or len(xs) > 3:
        raise LayerError(
            INCOMPATIBLE_MERGE_SHAPES,
            INCOMPATIBLE_MERGE_SHAPES.attention_input_count(kind=kind, n_xs=len(xs), plural='s' if len(xs) != 1 else ''),
        )
    shapes = [_shape_arg(kind, s, n) for s, n in zip(xs, ("query", "value", "key"))]
    q, v = shapes[0], shapes[1]
    k = shapes[2] if len(shapes) > 2 else v
    return q, v, k, len(shapes)


def _attention_warnings(kind: str, q: Shape, v: Shape, k: Shape, additive: bool) -> list[tuple[str, str]]:
    """Mismatches Keras accepts at build time but that fail when the model runs."""
    out = []
    if q and k:
        dq, dk = q[-1], k[-1]
        if additive:
            bad = _sure_differ(dq, dk) and dq != 1 and dk != 1
        else:
            bad = _sure_differ(dq, dk)
        if bad:
            out.append((
                FAILS_AT_RUN_TIME,
                FAILS_AT_RUN_TIME.query_key_features_differ(kind=kind, dq=fmt_dim(dq), dk=fmt_dim(dk)),
            ))
    if len(v) >= 2 and len(k) >= 2 and _sure_differ(v[-2], k[-2]):
        out.append((
            FAILS_AT_RUN_TIME,
            FAILS_AT_RUN_TIME.value_key_steps_differ(kind=kind, value_steps=v[-2], key_steps=k[-2]),
        ))
    return out


def _score_mode(a: Args) -> str:
    mode = a.str("score_mode", "dot")
    if mode not in ("dot", "concat"):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.score_mode(kind=a.kind, mode=mode))
    return mode


@layer("Attention", args=ATTENTION_ARGS, family="attention", multi_input=True)
def attention(a: Args, xs: list, call: dict) -> Out:
    """Dot-product attention: output is query[:-1] + value[-1:]; scores query[:-1] + (Tv,)."""
    mode = _score_mode(a)
    q, v, k, _ = _qvk("Attention", xs)
    params = (1 if a.bool("use_scale", False) else 0) + (1 if mode == "concat" else 0)
    return _attention_out("Attention", q, v, k, call, params, additive=mode == "concat")


@layer("AdditiveAttention", args=("use_scale", "dropout"), family="attention", multi_input=True)
def additive_attention(a: Args, xs: list, call: dict) -> Out:
    """Bahdanau attention: output is query[:-1] + value[-1:]; `use_scale` adds one weight per query feature."""
    _score_mode(a)  # AdditiveAttention passes score_mode on to Attention, which checks it
    q, v, k, _ = _qvk("AdditiveAttention", xs)
    params = 0
    if a.bool("use_scale", True):
        dim = q[-1] if q else None
        if dim is None:
            raise LayerError(
                UNDEFINED_DIMENSION,
                UNDEFINED_DIMENSION.additiveattention_needs_query(q=fmt_shape(q)),
            )
        params = dim if known(dim) else None
    return _attention_out("AdditiveAttention", q, v, k, call, params, additive=True)


def _attention_out(kind: str, q: Shape, v: Shape, k: Shape, call: dict, params, additive: bool) -> Out:
    if not v:
        raise LayerError(WRONG_INPUT_RANK, WRONG_INPUT_RANK.value_without_batch(kind=kind, v=fmt_shape(v)))
    out = (*q[:-1], v[-1])
    shape: Any = out
    if _flag(kind, call, "return_attention_scores"):
        if len(k) < 2:
            raise LayerError(WRONG_INPUT_RANK, WRONG_INPUT_RANK.key_needs_time(kind=kind, k=fmt_shape(k)))
        shape = [out, (*q[:-1], k[-2])]
    return Out(shape, params, warnings=_attention_warnings(kind, q, v, k, additive))


# ---------------------------------------------------------------------------
# MultiHeadAttention (keras/src/layers/attention/multi_head_attention.py)
# ---------------------------------------------------------------------------


def _letter(i: int) -> str:
    return string.ascii_lowercase[i]


def build_proj_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str, int]:
    """multi_head_attention._build_proj_equation."""
    input_str = kernel_str = output_str = bias_axes = ""
    offset = 0
    for i in range(free_dims):
        ch = _letter(i + offset)
        input_str += ch
        output_str += ch
    offset += free_dims
    for i in range(bound_dims):
        ch = _letter(i + offset)
        input_str += ch
        kernel_str += ch
    offset += bound_dims
    for i in range(output_dims):
        ch = _letter(i + offset)
        kernel_str += ch
        output_str += ch
        bias_axes += ch
    return f"{input_str},{kernel_str}->{output_str}", bias_axes, len(output_str)


def _partial_output(output_rank: int, last: list) -> list:
    return [None] * (output_rank - len(last)) + list(last)


def _project(kind: str, name: str, tensor: str, equation: str, bias_axes, input_shape: Shape, output_shape) -> tuple:
    """Build one EinsumDense sub-layer: (params or None, full output shape)."""
    try:
        kernel, bias, full, _, _ = analyze_einsum(equation, bias_axes, input_shape, output_shape)
    except LayerError as e:
        raise LayerError(e.code, SHARED.in_einsum_projection(
            kind=kind, name=name, tensor=tensor, input_shape=fmt_shape(input_shape), message=e.message)) from None
    weights = [kernel] + ([bias] if bias is not None else [])
    total: int | None = 0
    for w in weights:
        for d in w:
            if d is None:
                raise LayerError(
                    UNDEFINED_DIMENSION,
                    UNDEFINED_DIMENSION.needs_last_axis(
                        kind=kind, tensor=tensor, name=name, w=fmt_shape(tuple(w)),
                        input_shape=fmt_shape(input_shape)),
                )
        if total is not None and all(known(d) for d in w):
            n = 1
            for d in w:
                n *= d
            total += n
        else:
            total = None
    return total, tuple(full)


def _add(total, n):
    return None if total is None or n is None else total + n


def _positive(a: Args, name: str, optional: bool = False) -> int | None:
    """Keras's `isinstance(v, int) and v > 0` check (value_dim may also be None)."""
    value = a._get(name, None) if optional else a._get(name, REQUIRED)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        extra = " or None" if optional else ""
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_a_positive_integer_extra(
            name=name, kind=a.kind, extra=extra, value=value))
    return value


def _tensors(kind: str, x: Shape, call: dict) -> tuple[Shape, Shape, Shape | None]:
    """query from the input; value / key by keyword or as extra positional tensors."""
    extra = list(call.get("args") or [])
    query = _shape_arg(kind, x, "query")
    value = call.get("value")
    if value is None and extra:
        value = extra.pop(0)
    if value is None:
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.needs_value_tensor(kind=kind)
        )
    key = call.get("key")
    if key is None and extra:
        key = extra.pop(0)
    value = _shape_arg(kind, value, "value")
    key = None if key is None else _shape_arg(kind, key, "key")
    return query, value, key


def _check_value_key(kind: str, value: Shape, key: Shape | None) -> None:
    if key is None or not _dims_differ(value[1:-1], key[1:-1]):
        return
    if len(value) != len(key):
        detail = f"ranks {len(value)} vs {len(key)}"
    else:
        i = next(i for i in range(1, len(value) - 1)
                 if not (is_unknown(value[i]) or is_unknown(key[i])) and value[i] != key[i])
        detail = f"axis {i} is {fmt_dim(value[i])} vs {fmt_dim(key[i])}"
    raise LayerError(
        INCOMPATIBLE_MERGE_SHAPES,
        INCOMPATIBLE_MERGE_SHAPES.value_key_mismatch(kind=kind, value=fmt_shape(value), key=fmt_shape(key), detail=detail),
    )


def _sliding_window(a: Args) -> None:
    sw = a._get("sliding_window", None)
    if sw is not None and (isinstance(sw, bool) or not isinstance(sw, int) or sw <= 0):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.sliding_window_must_none(kind=a.kind, sw=sw))


def _flash_dropout(a: Args) -> None:
    flash = a._get("flash_attention", None)
    dropout = a._get("dropout", 0.0)
    if flash and isinstance(dropout, (int, float)) and dropout > 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.cannot_use_dropout(kind=a.kind, dropout=dropout))


MHA_ARGS = (
    "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes",
    "sliding_window", "flash_attention",
)


@layer("MultiHeadAttention", args=MHA_ARGS, family="attention")
def multi_head_attention(a: Args, x: Shape, call: dict) -> Out:
    """mha(query, value, key=None): output is query[:-1] + output_shape (default query[-1]).

    Weights: query/key projections (features, heads, key_dim), value projection
    (features, heads, value_dim), output projection (heads, value_dim, *output_shape),
    each with a bias when use_bias.
    """
    kind = "MultiHeadAttention"
    heads = _positive(a, "num_heads")
    key_dim = _positive(a, "key_dim")
    value_dim = _positive(a, "value_dim", optional=True) or key_dim
    out_shape = a._get("output_shape", None)
    if out_shape:
        if known(out_shape):
            out_shape = (out_shape,)
        elif isinstance(out_shape, (list, tuple)):
            if any(is_unknown(v) for v in out_shape):
                raise Unresolved(f"`output_shape` of {kind} is not known statically")
            out_shape = tuple(out_shape)
        else:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.output_shape_must_int(kind=kind, out_shape=out_shape))
    else:
        out_shape = None
    axes = a._get("attention_axes", None)
    if known(axes):
        axes = (axes,)
    elif axes and not isinstance(axes, (list, tuple)):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.attention_axes_must_int(kind=kind, axes=axes))
    if isinstance(axes, (list, tuple)) and any(is_unknown(v) for v in axes):
        raise Unresolved(f"`attention_axes` of {kind} is not known statically")
    _sliding_window(a)
    _flash_dropout(a)
    use_bias = a.bool("use_bias", True)
    use_gate = a.bool("use_gate", False)

    query, value, key_in = _tensors(kind, x, call)
    key = value if key_in is None else key_in
    _check_value_key(kind, value, key)

    def proj(name: str, tensor: str, shape: Shape, bound: int, last: list):
        eq, bias_axes, rank = build_proj_equation(len(shape) - 1, bound, len(last))
        return _project(kind, name, tensor, eq, bias_axes if use_bias else None, shape, _partial_output(rank - 1, last))

    params = 0
    n, q_full = proj("query", "the query", query, 1, [heads, key_dim])
    params = _add(params, n)
    n, _ = proj("key", "the key", key, 1, [heads, key_dim])
    params = _add(params, n)
    if use_gate:
        n, _ = proj("gate", "the query", query, 1, [heads, value_dim])
        params = _add(params, n)
    n, v_full = proj("value", "the value", value, 1, [heads, value_dim])
    params = _add(params, n)

    # _build_attention(rank of the projected value): attention_axes must index it
    rank = len(value) + 1
    if axes is not None:
        for ax in axes:
            if not isinstance(ax, int) or isinstance(ax, bool):
                raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.attention_axes_must_integers(
                    kind=kind, axes=list(axes)))
            norm = ax if ax >= 0 else (rank - 1) + ax
            if not -rank <= norm < rank:
                hint = ("leave attention_axes as None" if len(value) <= 2 else "use attention_axes=1"
                        if len(value) == 3 else f"use axes between 1 and {len(value) - 2}")
                raise LayerError(
                    WRONG_INPUT_RANK,
                    WRONG_INPUT_RANK.attention_axes_out_range(
                        kind=kind, axes=list(axes), n_value=len(value), value=fmt_shape(value), hint=hint),
                )

    # output projection: (heads, value_dim) -> output_shape or the query's features
    final = list(out_shape) if out_shape else [query[-1] if query else None]
    eq, bias_axes, orank = build_proj_equation(len(query) - 1, 2, len(final))
    dense_in = list(q_full)
    dense_in[-1] = value_dim
    try:
        n, _ = _project(kind, "output", "the query", eq, bias_axes if use_bias else None, tuple(dense_in),
                        _partial_output(orank - 1, final))
    except LayerError as e:
        if e.code == UNDEFINED_DIMENSION:
            src = "output_shape" if out_shape else "the query's last axis"
            raise LayerError(
                UNDEFINED_DIMENSION,
                UNDEFINED_DIMENSION.projection_needs_defined(
                    kind=kind, src=src, query=fmt_shape(query),
                    detail=f", output_shape={list(out_shape)}" if out_shape else ""),
            ) from None
        raise
    params = _add(params, n)

    output = tuple(query[:-1]) + tuple(out_shape) if out_shape else tuple(query)
    shape: Any = output
    if _flag(kind, call, "return_attention_scores"):
        if len(query) < 2:
            raise LayerError(WRONG_INPUT_RANK, WRONG_INPUT_RANK.query_needs_time(kind=kind, query=fmt_shape(query)))
        shape = [output, (query[0], heads, *_scores_axes(query, key, axes, call))]
    explain = [f"{heads} heads × key_dim {key_dim}" + (f", value_dim {value_dim}" if value_dim != key_dim else "")]
    return Out(shape, params, explain=explain)


def _scores_axes(query: Shape, key: Shape, axes: Any, call: dict) -> tuple:
    """The attention scores' (Tq, Tk) of MultiHeadAttention. On Keras tensors Keras reports
    (Tq, Tq) -- compute_output_spec uses the query length twice; where call() runs (on data,
    inside a layer's call()) the scores are (Tq, Tk)."""
    tq, tk = query[1], key[1] if len(key) > 1 else None
    symbolic = call.get(SYMBOLIC_CALL, True)  # not given: the rule on Keras tensors
    if symbolic is True or (known(tq) and known(tk) and tq == tk) or (tq is None and tk is None):
        return (tq, tq)
    if symbolic is False and len(query) == 3 and len(key) == 3 and axes is None:
        return (tq, tk)
    raise Unresolved("the attention scores' shape depends on whether MultiHeadAttention runs on Keras "
                     "tensors or on data, which is not known here")


# ---------------------------------------------------------------------------
# GroupQueryAttention (keras/src/layers/attention/grouped_query_attention.py)
# ---------------------------------------------------------------------------

GQA_ARGS = ("head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias", "sliding_window", "flash_attention")


@layer("GroupQueryAttention", "GroupedQueryAttention", args=GQA_ARGS, family="attention")
def group_query_attention(a: Args, x: Shape, call: dict) -> Out:
    """gqa(query, value, key=None): output has the query's shape; query and value features must match."""
    kind = a.kind
    head_dim = a.int("head_dim")
    hq = a.int("num_query_heads")
    hkv = a.int("num_key_value_heads")
    if hkv == 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.num_key_value_heads_zero(kind=kind))
    if hq % hkv:
        raise LayerError(
            GROUPS_NOT_DIVISIBLE, GROUPS_NOT_DIVISIBLE.num_query_heads_not_divisible(kind=kind, hq=hq, hkv=hkv)
        )
    _sliding_window(a)
    _flash_dropout(a)
    use_bias = a.bool("use_bias", True)
    use_gate = a.bool("use_gate", False)
    query, value, key_in = _tensors(kind, x, call)
    key = value if key_in is None else key_in
    for name, t in (("query", query), ("value", value), ("key", key)):
        if len(t) < 3:
            raise LayerError(
                WRONG_INPUT_RANK,
                WRONG_INPUT_RANK.expects_3d_sequence(kind=kind, name=name, n_t=len(t), t=fmt_shape(t)),
            )

    params = 0
    subs = [
        ("query", "the query", "bqm,muh->bquh", "uh", query, hq),
        ("key", "the key", "bkm,mvh->bkvh", "vh", key, hkv),
    ]
    if use_gate:
        subs.append(("gate", "the query", "bqm,muh->bquh", "uh", query, hq))
    subs.append(("value", "the value", "bkm,mvh->bkvh", "vh", value, hkv))
    for name, tensor, eq, bias_axes, shape, h in subs:
        n, _ = _project(kind, name, tensor, eq, bias_axes if use_bias else None, shape, (None, h, head_dim))
        params = _add(params, n)
    n, _ = _project(kind, "output", "the query", "bquh,uhm->bqm", "m" if use_bias else None,
                    (None, None, hq, head_dim), (None, query[-1]))
    params = _add(params, n)

    if not (is_unknown(query[-1]) or is_unknown(value[-1])) and query[-1] != value[-1]:
        raise LayerError(
            INCOMPATIBLE_MERGE_SHAPES,
            INCOMPATIBLE_MERGE_SHAPES.query_value_last_axis(
                kind=kind, query_size=fmt_dim(query[-1]), value_size=fmt_dim(value[-1])),
        )
    _check_value_key(kind, value, key_in)
    shape: Any = tuple(query)
    if _flag(kind, call, "return_attention_scores"):
        kv = key_in if key_in is not None else value
        if len(query) < 2 or len(kv) < 2:
            raise LayerError(WRONG_INPUT_RANK, WRONG_INPUT_RANK.needs_time_axis(kind=kind))
        shape = [tuple(query), (query[0], hq, query[1], kv[1])]
    return Out(shape, params)


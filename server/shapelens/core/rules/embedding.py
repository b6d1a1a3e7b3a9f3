"""Embedding and EinsumDense (Keras 3)."""

from __future__ import annotations

import re

from shapelens.core.rules.base import REQUIRED, Args, LayerError, Out, Unresolved, count, layer, shown
from shapelens.core.shapes import Shape, Unknown, fmt_dim, fmt_shape, is_unknown, known
from shapelens.core.codes import (
    INCOMPATIBLE_INPUT_DIMENSION,
    INVALID_ARGUMENT,
    UNDEFINED_DIMENSION,
    WRONG_INPUT_RANK,
)

EMBEDDING_ARGS = (
    "input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
    "embeddings_constraint", "mask_zero", "weights", "lora_rank", "lora_alpha", "quantization_config",
)
EINSUM_ARGS = (
    "equation", "output_shape", "activation", "bias_axes", "kernel_initializer", "bias_initializer",
    "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint", "lora_rank",
    "lora_alpha", "gptq_unpacked_column_size", "quantization_config",
)


def _positive_dim(a: Args, name: str) -> int:
    """Embedding's own check: a Python int (not a float, not a bool) greater than 0."""
    value = a._get(name, REQUIRED)
    if isinstance(value, bool) or not isinstance(value, int):
        hint = f"; write {int(value)}" if isinstance(value, float) and value.is_integer() else ""
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_a_positive_integer_hint(
            name=name, kind=a.kind, value=value, hint=hint))
    if value <= 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_a_positive_integer(
            name=name, kind=a.kind, value=value))
    return value


def _lora_rank(a: Args, constraint_arg: str) -> int:
    """lora_rank (0/None: no LoRA); Keras enables it in build and refuses it with a constraint."""
    rank = a._get("lora_rank", None)
    if not rank:
        return 0
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.lora_rank_must_integer(kind=a.kind, rank=shown(rank)))
    if rank < 0:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.lora_rank_must_positive(kind=a.kind, rank=rank))
    constraint = a.raw(constraint_arg)
    if is_unknown(constraint):
        raise Unresolved(f"`{constraint_arg}` of {a.kind} is not known statically")
    if constraint is not None:
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.cannot_use_lora(kind=a.kind, rank=rank, constraint_arg=constraint_arg)
        )
    return rank


# ---------------------------------------------------------------------------
# Embedding
# ---------------------------------------------------------------------------


@layer("Embedding", args=EMBEDDING_ARGS, family="embedding")
def embedding(a: Args, x: Shape, call: dict) -> Out:
    """Looks up each integer index: (batch, ...) -> (batch, ..., output_dim); table input_dim × output_dim."""
    input_dim = _positive_dim(a, "input_dim")
    output_dim = _positive_dim(a, "output_dim")
    lora = _lora_rank(a, "embeddings_constraint")
    params = input_dim * output_dim
    explain = [f"table: input_dim·output_dim = {input_dim}·{output_dim} = {params}"]
    if lora:
        extra = lora * (input_dim + output_dim)
        explain.append(f"LoRA: rank·(input_dim + output_dim) = {lora}·({input_dim} + {output_dim}) = {extra}")
        params += extra
    length = a.raw("input_length")
    if length is not None:
        explain.append(
            f"input_length={fmt_dim(length) if not isinstance(length, (list, tuple)) else length} is ignored by "
            "Keras 3 (deprecated); the input shape alone decides the output"
        )
    return Out((*x, output_dim), params, explain=explain)


# ---------------------------------------------------------------------------
# EinsumDense: a port of keras/src/layers/core/einsum_dense.py _analyze_einsum_string
# ---------------------------------------------------------------------------


def _at(seq, i, what: str, equation: str):
    """seq[i] with Python's indexing (negative indices included), IndexError as Keras hits it."""
    try:
        return seq[i]
    except IndexError:
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.einsumdense_equation_input(equation=equation, what=what),
        ) from None


def analyze_einsum(equation: str, bias_axes, input_shape: Shape, output_shape):
    """(kernel_shape, bias_shape, full_output_shape, left_elided, elided)."""
    dot_replaced = re.sub(r"\.\.\.", "0", equation)
    m = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", dot_replaced)
    if m:
        return _analyze_split(m, bias_axes, input_shape, output_shape, equation)
    m = re.match("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", dot_replaced)
    if m:
        return _analyze_split(m, bias_axes, input_shape, output_shape, equation, left_elided=True)
    m = re.match("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", dot_replaced)
    if m:
        return _analyze_split(m, bias_axes, input_shape, output_shape, equation)
    raise LayerError(
        INVALID_ARGUMENT,
        INVALID_ARGUMENT.einsumdense_equation_form(equation=equation),
    )


def _analyze_split(m, bias_axes, input_shape, output_shape, equation, left_elided=False):
    input_spec, weight_spec, output_spec = m.group(1), m.group(2), m.group(3)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)

    output_shape = [output_shape] if known(output_shape) else list(output_shape)
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0 and not left_elided:
        for i in range(len(input_shape) - elided, len(input_shape)):
            output_shape.append(input_shape[i])

    if left_elided:
        input_dim_map = {dim: (i + elided) - len(input_shape) for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: (i + elided) for i, dim in enumerate(output_spec)}
    else:
        input_dim_map = {dim: i for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i for i, dim in enumerate(output_spec)}

    for dim in input_spec:
        in_d = _at(input_shape, input_dim_map[dim], f"input axis '{dim}'", equation)
        if dim in output_dim_map:
            out_d = _at(output_shape, output_dim_map[dim], f"output axis '{dim}'", equation)
            if out_d is not None and not is_unknown(out_d) and not is_unknown(in_d) and out_d != in_d:
                raise LayerError(
                    INCOMPATIBLE_INPUT_DIMENSION,
                    INCOMPATIBLE_INPUT_DIMENSION.einsumdense_axis_mismatch(
                        dim=dim, in_d=fmt_dim(in_d), input_shape=fmt_shape(input_shape), out_d=fmt_dim(out_d),
                        detail=f"None or {in_d}" if in_d is not None else "None"),
                )

    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise LayerError(
                INVALID_ARGUMENT,
                INVALID_ARGUMENT.einsumdense_output_axis(
                    dim=dim, equation=equation, input_spec=input_spec, weight_spec=weight_spec),
            )

    weight_shape = []
    for dim in weight_spec:
        if dim in output_dim_map:
            weight_shape.append(_at(output_shape, output_dim_map[dim], f"output axis '{dim}'", equation))
        elif dim in input_dim_map:
            weight_shape.append(_at(input_shape, input_dim_map[dim], f"input axis '{dim}'", equation))
        else:
            raise LayerError(
                INVALID_ARGUMENT,
                INVALID_ARGUMENT.einsumdense_kernel_axis(
                    dim=dim, equation=equation, input_spec=input_spec, output_spec=output_spec),
            )

    if bias_axes is not None:
        num_left_elided = elided if left_elided else 0
        idx_map = {
            char: _at(output_shape, i + num_left_elided, f"output axis '{char}'", equation)
            for i, char in enumerate(output_spec)
        }
        for char in bias_axes:
            if char not in output_spec:
                raise LayerError(
                    INVALID_ARGUMENT,
                    INVALID_ARGUMENT.einsumdense_bias_axis(char=char, output_spec=output_spec, equation=equation),
                )
        if not bias_axes:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.einsumdense_bias_axes_names())
        first = min(output_spec.find(char) for char in bias_axes)
        bias_shape = [idx_map[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    else:
        bias_shape = None

    return weight_shape, bias_shape, output_shape, left_elided, elided


def _weight_dims_ok(name: str, shape: list, input_shape: Shape) -> None:
    for d in shape:
        if d is None:
            raise LayerError(
                UNDEFINED_DIMENSION,
                UNDEFINED_DIMENSION.einsumdense_would_shape(
                    name=name, shape=fmt_shape(tuple(shape)), input_shape=fmt_shape(input_shape)),
            )
        if isinstance(d, Unknown):
            continue
        if isinstance(d, bool) or not isinstance(d, int):
            raise LayerError(
                INVALID_ARGUMENT, INVALID_ARGUMENT.einsumdense_shape_not_integer(name=name, shape=tuple(shape), d=d)
            )
        if d < 0:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.einsumdense_shape_negative(
                name=name, shape=fmt_shape(tuple(shape))))


@layer("EinsumDense", args=EINSUM_ARGS, family="core")
def einsum_dense(a: Args, x: Shape, call: dict) -> Out:
    """A dense layer written as an einsum: kernel and output shapes come from the equation."""
    equation = a.str("equation")
    raw_out = a._get("output_shape", REQUIRED)
    if known(raw_out):
        partial = (raw_out,)
    elif isinstance(raw_out, (list, tuple)):
        partial = tuple(raw_out)
    else:
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.output_shape_einsumdense_must(raw_out=raw_out)
        )
    bias_axes = a.raw("bias_axes")
    if is_unknown(bias_axes):
        raise Unresolved("`bias_axes` of EinsumDense is not known statically")
    if bias_axes is not None and not isinstance(bias_axes, str):
        raise Unresolved("`bias_axes` of EinsumDense is not a string literal")

    kernel, bias, out, left_elided, elided = analyze_einsum(equation, bias_axes, x, partial)
    _weight_dims_ok("kernel", kernel, x)
    if bias is not None:
        _weight_dims_ok("bias", bias, x)
    lora = _lora_rank(a, "kernel_constraint")

    params = count(*kernel)
    explain = [f"kernel {fmt_shape(tuple(kernel))}" + (f" + bias {fmt_shape(tuple(bias))}" if bias else "")]
    if params is not None and bias is not None:
        b = count(*bias)
        params = None if b is None else params + b
    if params is not None and lora:
        extra = count(*kernel[:-1], lora)
        params += extra + lora * kernel[-1]
        explain.append(f"LoRA rank {lora}: {extra + lora * kernel[-1]} more")
    if params is not None:
        explain[0] += f" = {params} params"
    if left_elided and elided > 2:
        mid = x[1:elided]
        if len(set(map(repr, mid))) > 1:
            explain.append(
                f"Keras 3 reports the '...' axes {fmt_shape(tuple(mid))} in reverse order here; when the "
                "model runs they keep the input order"
            )
    return Out(tuple(out), params, explain=explain)

"""Recurrent layers and their wrappers, as Keras 3 builds them symbolically.

SimpleRNN / LSTM / GRU, ConvLSTM1D/2D/3D, Bidirectional and TimeDistributed.

Keras 3 never runs ``call()`` on symbolic inputs for these layers: the output comes from
``compute_output_shape`` after ``build``. So what Keras checks is the ``InputSpec`` rank,
the weight shapes created in ``build`` (a ``None`` feature axis fails there) and the
constructor's argument validation -- and nothing in ``call()`` (``unroll=True`` with an
undefined time axis only fails when the model runs).
"""

from __future__ import annotations

from shapelens.core.rules.base import (
    REQUIRED,
    Args,
    LayerError,
    Out,
    Rule,
    Unresolved,
    count,
    layer,
    require_defined,
    shown,
)
from shapelens.core.rules.conv import assemble, read_window, spatial_output
from shapelens.core.shapes import Shape, Unknown, fmt_dim, fmt_shape, is_unknown, known
from shapelens.core.shape_math import prod
from shapelens.core.codes import INVALID_ARGUMENT, SHARED, UNDEFINED_DIMENSION, WRONG_INPUT_RANK

_INIT = ("kernel_initializer", "recurrent_initializer", "bias_initializer")
_REG = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer")
_CONS = ("kernel_constraint", "recurrent_constraint", "bias_constraint")
_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")

SIMPLE_RNN_ARGS = (
    "units", "activation", "use_bias", *_INIT, *_REG, *_CONS, "dropout", "recurrent_dropout",
    *_FLAGS, "seed",
)
LSTM_ARGS = (
    "units", "activation", "recurrent_activation", "use_bias", *_INIT, "unit_forget_bias", *_REG,
    *_CONS, "dropout", "recurrent_dropout", "seed", *_FLAGS, "use_cudnn",
)
GRU_ARGS = (
    "units", "activation", "recurrent_activation", "use_bias", *_INIT, *_REG, *_CONS, "dropout",
    "recurrent_dropout", "seed", *_FLAGS, "reset_after", "use_cudnn",
)
CONV_LSTM_ARGS = (
    "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
    "recurrent_activation", "use_bias", *_INIT, "unit_forget_bias", *_REG, *_CONS, "dropout",
    "recurrent_dropout", "seed", "return_sequences", "return_state", "go_backwards", "stateful",
)

# Key in the `call` dict when a wrapper runs the rule: Keras then calls the inner layer's
# build/compute_output_shape directly, so its InputSpec is not checked.
WRAPPED = "__wrapped__"

# Layers Bidirectional can wrap: the ones with go_backwards / return_sequences / return_state.
RECURRENT_KINDS = ("SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def strict_int(a: Args, name: str, minimum: int) -> int:
    """An integer argument Keras uses as a weight dimension: floats are rejected there."""
    value = a._get(name, REQUIRED)
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int):
        hint = f"; write {int(value)}" if isinstance(value, float) and value.is_integer() else ""
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_an_integer_hint(
            name=name, kind=a.kind, value=shown(value), hint=hint))
    if value < minimum:
        need = "a positive integer" if minimum == 1 else f"at least {minimum}"
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_what_is_needed(
            name=name, kind=a.kind, need=need, value=value))
    return value


def _flags(a: Args) -> tuple[bool, bool]:
    return a.bool("return_sequences", False), a.bool("return_state", False)


def _check_stateful(a: Args, x: Shape) -> None:
    if a.bool("stateful", False) and x[0] is None:
        raise LayerError(
            UNDEFINED_DIMENSION,
            UNDEFINED_DIMENSION.stateful_true_needs(kind=a.kind, x=fmt_shape(x)),
        )


def _check_cudnn(a: Args) -> None:
    value = a.raw("use_cudnn", "auto")
    if is_unknown(value):
        raise Unresolved(f"`use_cudnn` of {a.kind} is not known statically")
    if value not in ("auto", True, False):
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.use_cudnn_must_auto(kind=a.kind, value=value)
        )


def _expect_sequence(kind: str, x: Shape) -> None:
    """(batch, timesteps, features), with a fix suggestion for the usual mistakes."""
    if len(x) == 3:
        return
    if len(x) == 2:
        f = x[1] if known(x[1]) else -1
        fix = f"add a time axis first, e.g. layers.Reshape(({f}, 1)) for one feature per step"
    elif len(x) > 3:
        rest = prod(x[2:])
        if known(rest):
            steps = x[1] if known(x[1]) else -1
            fix = (f"merge the extra axes first, e.g. layers.Reshape(({steps}, {rest})), "
                   f"or wrap {kind} in TimeDistributed")
        else:
            fix = f"wrap {kind} in TimeDistributed, or pool the extra axes away first"
    else:
        fix = "give it a (batch, timesteps, features) tensor"
    raise LayerError(
        WRONG_INPUT_RANK,
        WRONG_INPUT_RANK.expects_3d_input(kind=kind, n_x=len(x), x=fmt_shape(x), fix=fix),
    )


def _features(kind: str, x: Shape) -> int:
    """The size the cell's kernel is built on: the last axis of the per-step shape.

    Keras builds the cell on (batch, *x[2:]). Called directly, the InputSpec has already
    insisted on 3-D; inside a wrapper it has not, and a 2-D per-step input makes Keras use
    the batch axis as the feature axis.
    """
    step = (x[0], *x[2:])
    f = step[-1]
    if len(x) == 2 and not known(f):
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.per_step_input_is_2d(kind=kind, x=fmt_shape(x)),
        )
    require_defined(kind, "feature axis", f, x, hint="give Input a fixed last dimension")
    return f


def _outputs(x: Shape, size_shape: tuple, seqs: bool, state: bool, n_states: int) -> tuple:
    """RNN.compute_output_shape: last output or the sequence, then one shape per state."""
    batch = x[0]
    out = (batch, x[1], *size_shape) if seqs else (batch, *size_shape)
    if state:
        return [out] + [(batch, *size_shape)] * n_states
    return out


# ---------------------------------------------------------------------------
# SimpleRNN / LSTM / GRU
# ---------------------------------------------------------------------------

_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
_STATES = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1}


def _rnn(a: Args, x: Shape, call: dict) -> Out:
    kind = a.kind
    units = strict_int(a, "units", 1)
    if kind != "SimpleRNN":
        _check_cudnn(a)
    seqs, state = _flags(a)
    use_bias = a.bool("use_bias", True)
    if not call.get(WRAPPED):  # the InputSpec(ndim=3) check of a direct call
        _expect_sequence(kind, x)
    elif len(x) < 2:
        raise LayerError(WRONG_INPUT_RANK, WRONG_INPUT_RANK.needs_batch_timesteps(kind=kind, x=fmt_shape(x)))
    f = _features(kind, x)
    _check_stateful(a, x)

    g = _GATES[kind]
    weights = g * units * (f + units)
    if not use_bias:
        bias, bias_txt = 0, ""
    elif kind == "GRU" and a.bool("reset_after", True):
        bias, bias_txt = 2 * g * units, " + 2·3·units (reset_after=True: input and recurrent biases)"
    else:
        bias, bias_txt = g * units, f" + {g}·units" if g > 1 else " + units"
    gates = f"{g}·" if g > 1 else ""
    explain = [
        f"params: {gates}units·(features + units){bias_txt} = {gates}{units}·({f} + {units})"
        f"{' + ' + str(bias) if bias else ''} = {weights + bias}",
        f"{'all ' + fmt_dim(x[1]) + ' steps' if seqs else 'last step only'} "
        f"(return_sequences={seqs})",
    ]
    if len(x) == 2:
        explain.append(
            f"Keras builds {kind} on the 2-D per-step input {fmt_shape(x)} with the batch axis as "
            "features; it fails when the model runs -- the wrapped input needs one more axis"
        )
    if a.bool("unroll", False) and not known(x[1]):
        explain.append(
            "unroll=True with an undefined time axis: Keras builds it, but it fails when the model "
            "runs; give Input a fixed number of timesteps or drop unroll"
        )
    return Out(_outputs(x, (units,), seqs, state, _STATES[kind]), weights + bias, explain=explain)


_rnn.__doc__ = "Recurrent layer: (batch, time, features) -> (batch, units) or (batch, time, units)."
layer("SimpleRNN", args=SIMPLE_RNN_ARGS, family="recurrent")(_rnn)
layer("LSTM", args=LSTM_ARGS, family="recurrent")(_rnn)
layer("GRU", args=GRU_ARGS, family="recurrent")(_rnn)


# ---------------------------------------------------------------------------
# ConvLSTM1D / 2D / 3D
# ---------------------------------------------------------------------------


def _conv_lstm(rank: int):
    def rule(a: Args, x: Shape, call: dict) -> Out:
        kind = a.kind
        filters = strict_int(a, "filters", 0)  # Keras lets filters=0 through
        kernel, strides, dilation, padding = read_window(a, rank)
        if any(s < 0 for s in strides):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.strides_not_positive(kind=kind, strides=strides))
        if any(d <= 0 for d in dilation):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.dilation_rate_not_positive(
                kind=kind, dilation=dilation))
        fmt = a.data_format()
        seqs, state = _flags(a)
        use_bias = a.bool("use_bias", True)
        if len(x) != rank + 3:
            layout = "channels, " + ", ".join(f"d{i + 1}" for i in range(rank)) \
                if fmt == "channels_first" else ", ".join(f"d{i + 1}" for i in range(rank)) + ", channels"
            raise LayerError(
                WRONG_INPUT_RANK,
                WRONG_INPUT_RANK.expects_d_input_batch(
                    kind=kind, ndim=rank + 3, layout=layout, n_x=len(x), x=fmt_shape(x),
                    detail="; add a time axis, e.g. layers.Reshape((1, ...)), or use "
                   f"Conv{rank}D" if len(x) == rank + 2 else ""),
            )
        step = (x[0], *x[2:])
        spatial = step[1:-1] if fmt == "channels_last" else step[2:]
        cin = step[-1] if fmt == "channels_last" else step[1]
        if None in spatial:
            raise LayerError(
                UNDEFINED_DIMENSION,
                UNDEFINED_DIMENSION.needs_every_spatial(kind=kind, x=fmt_shape(x)),
            )
        if cin is None:
            raise LayerError(
                UNDEFINED_DIMENSION,
                UNDEFINED_DIMENSION.needs_defined_channel(kind=kind, x=fmt_shape(x)),
            )
        sizes, explain = spatial_output(kind, step, fmt, kernel, strides, dilation, padding)
        out_step = assemble(step, fmt, sizes, filters)
        _check_stateful(a, x)
        window = count(*kernel)
        params = count(window, cin, 4 * filters)
        if params is not None:
            params += window * filters * 4 * filters + (4 * filters if use_bias else 0)
            explain.append(
                f"params: {'·'.join(map(str, kernel))}·4·filters·(channels + filters)"
                f"{' + 4·filters' if use_bias else ''} = {params}"
            )
        return Out(_outputs(x, out_step[1:], seqs, state, 2), params, explain=explain)

    rule.__doc__ = f"Convolutional LSTM over a sequence of {rank}-D feature maps."
    return rule


for _rank in (1, 2, 3):
    layer(f"ConvLSTM{_rank}D", args=CONV_LSTM_ARGS, family="recurrent")(_conv_lstm(_rank))


# ---------------------------------------------------------------------------
# Wrappers
# ---------------------------------------------------------------------------


def inner_layer(a: Args, name: str, required: bool = True):
    """The (rule, args) of a layer passed as an argument; None when absent."""
    value = a.raw(name)
    if value is None:
        if required:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.missing_layer_wrap(kind=a.kind, name=name))
        return None
    if is_unknown(value):
        raise Unresolved(f"`{name}` of {a.kind} is not known statically")
    rule = getattr(value, "rule", None)
    args = getattr(value, "args", None)
    if rule is None or args is None:
        if hasattr(value, "rule") or hasattr(value, "kind"):
            reason = getattr(value, "unknown_reason", None) or (
                f"{getattr(value, 'kind', 'the wrapped layer')} has no shape rule"
            )
            raise Unresolved(reason)
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.not_a_keras_layer(name=name, kind=a.kind, value=value)
        )
    return rule, args


def run_rule(rule: Rule, args: Args, x: Shape) -> Out:
    """Run a wrapped layer the way wrappers do in Keras 3: ``build`` + ``compute_output_shape``.

    The inner layer is never ``__call__``-ed, so its InputSpec rank is not enforced (only
    whatever its build and shape computation check, which the rules do themselves).
    """
    if rule.multi_input:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.takes_several_inputs(kind=rule.kind))
    return rule.fn(args, x, {WRAPPED: True})


_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


@layer("Bidirectional", args=("layer", "merge_mode", "weights", "backward_layer"), family="recurrent")
def bidirectional(a: Args, x: Shape, call: dict) -> Out:
    """A forward and a backward copy of a recurrent layer, outputs merged by `merge_mode`."""
    fwd_rule, fwd_args = inner_layer(a, "layer")
    merge = a.raw("merge_mode", "concat")
    if is_unknown(merge):
        raise Unresolved("`merge_mode` of Bidirectional is not known statically")
    if merge not in _MERGE_MODES:
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.bidirectional_merge_mode_not(merge=merge),
        )
    if fwd_rule.kind not in RECURRENT_KINDS:
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.bidirectional_wraps_recurrent(kind=fwd_rule.kind),
        )
    back = inner_layer(a, "backward_layer", required=False)
    if back is not None and back[0].kind not in RECURRENT_KINDS:
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.bidirectional_backward_layer_must(kind=back[0].kind),
        )
    fwd_back = fwd_args.bool("go_backwards", False)
    bwd_back = back[1].bool("go_backwards", False) if back is not None else True
    if fwd_back == bwd_back:
        if back is None:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.bidirectional_wrapped_goes_backwards(kind=fwd_rule.kind))
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.bidirectional_same_direction(
            forward=fwd_back, backward=bwd_back))
    if back is not None:
        for flag in ("stateful", "return_sequences", "return_state"):
            fv, bv = fwd_args.bool(flag, False), back[1].bool(flag, False)
            if fv != bv:
                raise LayerError(
                    INVALID_ARGUMENT,
                    INVALID_ARGUMENT.bidirectional_layer_backward_layer(flag=flag, fv=fv, bv=bv),
                )

    if fwd_rule.kind in _GATES and not call.get(WRAPPED):
        _expect_sequence(f"Bidirectional({fwd_rule.kind})", x)  # Bidirectional uses layer.input_spec
    fwd = run_rule(fwd_rule, fwd_args, x)
    bwd = run_rule(back[0], back[1], x) if back is not None else fwd
    if fwd_args.bool("stateful", False) and fwd_args.bool("return_state", False):
        # Bidirectional.compute_mask multiplies a generator once stateful layers hold states
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.bidirectional_stateful_return_state(),
        )
    params = None if fwd.params is None or bwd.params is None else fwd.params + bwd.params

    # Bidirectional.compute_output_shape: only the forward layer's shape is used.
    state = fwd_args.bool("return_state", False)
    shapes = fwd.shape
    out, states = (shapes[0], list(shapes[1:])) if state else (shapes, [])
    explain = [f"params: forward {fwd.params} + backward {bwd.params}"]
    bout = bwd.shape[0] if state else bwd.shape
    if out[-1] != bout[-1] and known(out[-1]) and known(bout[-1]):
        explain.append(
            f"forward gives {out[-1]} features and backward {bout[-1]}: Keras reports the shape "
            f"from the forward layer only, but the model "
            + ("will have " + str(out[-1] + bout[-1]) + " when it runs" if merge == "concat"
               else f"cannot {merge} them when it runs")
            + "; give both the same units/filters"
        )
    if merge == "concat":
        last = out[-1] * 2 if known(out[-1]) else out[-1]
        merged = [(*out[:-1], last)]
        explain.append(f"merge_mode='concat': 2·{fmt_dim(out[-1])} = {fmt_dim(last)} features")
    elif merge is None:
        merged = [out, out]
        explain.append("merge_mode=None: forward and backward outputs returned separately")
    else:
        merged = [out]
    if state:
        return Out(merged + states + states, params, explain=explain, warnings=list(fwd.warnings))
    return Out(merged[0] if len(merged) == 1 else merged, params, explain=explain, warnings=list(fwd.warnings))


@layer("TimeDistributed", args=("layer",), family="recurrent")
def time_distributed(a: Args, x: Shape, call: dict) -> Out:
    """Applies the wrapped layer to every step of axis 1: (batch, time, ...) -> (batch, time, ...)."""
    rule, args = inner_layer(a, "layer")
    if len(x) < 3:
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.timedistributed_needs_input(n_x=len(x), x=fmt_shape(x), kind=rule.kind),
        )
    step = (x[0], *x[2:])
    try:
        inner = run_rule(rule, args, step)
    except LayerError as e:
        raise LayerError(
            e.code, SHARED.in_timedistributed_step(step=fmt_shape(step), message=e.message), e.fix
        ) from None
    if isinstance(inner.shape, list):
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.timedistributed_cannot_wrap(kind=rule.kind, n_shape=len(inner.shape)),
        )
    if inner.shape is None or isinstance(inner.shape, Unknown):
        raise Unresolved(f"the output of the wrapped {rule.kind} is not known statically")
    out = (inner.shape[0], x[1], *inner.shape[1:])
    explain = [f"{rule.kind} on each of the {fmt_dim(x[1])} steps of shape {fmt_shape(step)}"] + inner.explain
    return Out(out, inner.params, explain=explain, warnings=list(inner.warnings))

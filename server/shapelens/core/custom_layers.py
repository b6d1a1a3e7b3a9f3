"""Layers whose output comes from the user's own code: ``Lambda``.

A ``Lambda``'s function (a ``lambda`` or a ``def``) is traced the way Keras 3 traces it
(``backend.compute_output_spec``): called once with symbolic backend tensors of the input
shape, so ``tf.*`` works inside it. ``output_shape=`` wins when given, as in Keras's
``Lambda.compute_output_shape`` (a tuple without the batch axis, or a function of the
input shape).
"""

from __future__ import annotations

from typing import Any

from shapelens.core.rules.base import Args
from shapelens.core.shapes import Unknown
from shapelens.core.values import FunctionValue, LayerCall, LayerObj, Tensor, symbolic_of
from shapelens.core.codes import UNKNOWN_LAYER

LAMBDA_POSITIONAL = ("function", "output_shape", "mask", "arguments")


def make_lambda(layer: LayerObj, args: list, kwargs: dict) -> LayerObj:
    values = dict(zip(LAMBDA_POSITIONAL, args))
    values.update({k: v for k, v in kwargs.items() if k in LAMBDA_POSITIONAL})
    layer.args = Args("Lambda", values)
    layer.params = 0
    if values.get("function") is None:
        layer.unknown_reason = "a Lambda layer without a function"
    return layer


def run_lambda(api, layer: LayerObj, call: LayerCall, x: Any, inputs: list, unknown) -> Any:
    from shapelens.core.keras_graph import _retag

    values = layer.args.values if layer.args is not None else {}
    if not all(isinstance(t, Tensor) for t in inputs):
        return unknown("the input of Lambda is not a tensor shapelens can follow")
    if any(t.shape is None for t in inputs):
        return unknown("the input shape of Lambda is not known")
    symbolic = symbolic_of(inputs)
    origin = f"Lambda (line {layer.span.line + 1})"
    out_shape = _declared_output(api, values.get("output_shape"), x, inputs, call)
    if out_shape is None:
        fn = values.get("function")
        if fn is None:
            return unknown(layer.unknown_reason or "a Lambda layer without a function")
        extra = values.get("arguments")
        kwargs = dict(extra) if isinstance(extra, dict) else {}
        arg = _retag(list(x) if isinstance(x, (list, tuple)) else x, False)
        errors_before = sum(1 for d in api.ev.diags if d.severity == "error")
        # a library function (Lambda(keras.applications.inception_v3.preprocess_input)) has no node
        # of its own: it is placed at the call of the Lambda layer
        node = fn.node if isinstance(fn, FunctionValue) else api.ev._trigger[0] if api.ev._trigger else None
        if node is None:
            return unknown("the Lambda function could not be followed")
        api.in_layer_call += 1
        try:
            result = api.ev.call(fn, [arg], kwargs, node)
        except RecursionError:
            return unknown("the Lambda function could not be followed")
        finally:
            api.in_layer_call -= 1
        if sum(1 for d in api.ev.diags if d.severity == "error") > errors_before:
            call.failed = True
            return unknown("Lambda raises here")
        outs = result if isinstance(result, (list, tuple)) else [result]
        if not outs or not all(isinstance(o, Tensor) and o.shape is not None for o in outs):
            reason = result.reason if isinstance(result, Unknown) else "the Lambda function's result is not known"
            if layer.first_call is None or layer.first_call is call:
                # once per layer: why everything computed from it is unchecked
                api.ev.report(UNKNOWN_LAYER, UNKNOWN_LAYER.lambda_not_followed(reason=reason), layer.span)
            return unknown(f"Lambda: {reason}")
        shapes = [tuple(o.shape) for o in outs]
        multi = isinstance(result, (list, tuple))
    else:
        shapes, multi = out_shape
        if not shapes:
            return unknown("the output_shape function of Lambda is not followed")
    if layer.first_call is None:
        layer.first_call = call
    layer.params = 0
    call.outputs = [Tensor(s, origin, call.span, call, symbolic=symbolic, index=i) for i, s in enumerate(shapes)]
    return list(call.outputs) if multi else call.outputs[0]


def _declared_output(api, spec: Any, x: Any, inputs: list, call: LayerCall):
    """Keras's Lambda.compute_output_shape with output_shape=: ([shapes], several outputs?) or None."""
    if spec is None:
        return None
    batch = inputs[0].shape[0] if inputs and inputs[0].shape else None
    if isinstance(spec, FunctionValue):
        in_shape = [tuple(t.shape) for t in inputs] if isinstance(x, (list, tuple)) else tuple(inputs[0].shape)
        spec = api.ev.call(spec, [in_shape], {}, spec.node)
        if _is_shape(spec):
            return [tuple(spec)], False
        if isinstance(spec, (list, tuple)) and spec and all(_is_shape(s) for s in spec):
            return [tuple(s) for s in spec], True
        return [], False  # Keras uses the function's answer, which shapelens cannot compute
    if _is_shape(spec):
        return [(batch, *spec)], False
    return None


def _is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(
        (isinstance(d, int) and not isinstance(d, bool)) or d is None for d in value)


# --------------------------------------------------------------------------- RNN(cell)
# RNN(LSTMCell(u, ...)) is LSTM(u, ...): the same weights and the same output shapes. A list
# of cells (or StackedRNNCells) runs the cells one after the other on every step.
CELLS = {"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "SimpleRNN"}
RNN_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")
RNN_POSITIONAL = ("cell", *RNN_FLAGS)


def make_cell(layer: LayerObj, args: list, kwargs: dict) -> LayerObj:
    from shapelens.core.rules import LAYERS

    rule = LAYERS[CELLS[layer.kind]]
    try:
        layer.args = Args.bind(rule, args, kwargs)
    except Exception:  # noqa: BLE001 -- a keyword the layer rejects: the cell stays unknown
        layer.unknown_reason = f"the arguments of {layer.kind} are not followed"
    return layer


def make_stacked(layer: LayerObj, args: list, kwargs: dict) -> LayerObj:
    cells = args[0] if args else kwargs.get("cells")
    layer.args = Args("StackedRNNCells", {"cells": list(cells) if isinstance(cells, (list, tuple)) else None})
    return layer


def make_rnn(layer: LayerObj, args: list, kwargs: dict) -> LayerObj:
    values = dict(zip(RNN_POSITIONAL, args))
    values.update(kwargs)
    layer.args = Args("RNN", values)
    return layer


def _cells(cell: Any) -> list[LayerObj] | None:
    if isinstance(cell, (list, tuple)):
        out = [c for item in cell for c in (_cells(item) or [None])]
        return out if all(out) else None
    if isinstance(cell, LayerObj) and cell.kind == "StackedRNNCells" and cell.args is not None:
        return _cells(cell.args.values.get("cells"))
    if isinstance(cell, LayerObj) and cell.kind in CELLS and cell.args is not None:
        return [cell]
    return None


def run_rnn(api, layer: LayerObj, call: LayerCall, x: Any, inputs: list, unknown) -> Any:
    from shapelens.core.rules import LAYERS, LayerError, Unresolved, apply

    values = layer.args.values if layer.args is not None else {}
    cells = _cells(values.get("cell"))
    if cells is None:
        return unknown("RNN: the cell is not a Keras LSTMCell, GRUCell or SimpleRNNCell shapelens can follow")
    if len(inputs) != 1 or not isinstance(inputs[0], Tensor) or inputs[0].shape is None:
        return unknown("the input shape of RNN is not known")
    shape = tuple(inputs[0].shape)
    flags = {k: values.get(k, False) for k in RNN_FLAGS}
    total = 0
    outs: list = []
    states: list = []
    cur = shape
    try:
        for i, cell in enumerate(cells):
            last = i == len(cells) - 1
            cell_flags = {**flags, "return_sequences": flags["return_sequences"] if last else True,
                          "return_state": True}
            rule = LAYERS[CELLS[cell.kind]]
            out = apply(rule, Args(rule.kind, {**cell.args.values, **cell_flags}), cur)
            total += out.params or 0
            shapes = out.shape
            cell.params = out.params
            _record_cell(cell, call, cur, shapes)
            states.extend(tuple(s) for s in shapes[1:])
            cur = tuple(shapes[0])
            outs = [cur]
    except (LayerError, Unresolved) as err:
        reason = getattr(err, "reason", None) or getattr(err, "message", "")
        return unknown(f"RNN: {reason}")
    if layer.first_call is None:
        layer.first_call = call
        layer.params = total
    origin = f"RNN (line {layer.span.line + 1})"
    shapes = outs + (states if flags["return_state"] else [])
    symbolic = inputs[0].symbolic
    call.outputs = [Tensor(s, origin, call.span, call, symbolic=symbolic, index=i) for i, s in enumerate(shapes)]
    return list(call.outputs) if flags["return_state"] else call.outputs[0]


def _record_cell(cell: LayerObj, call: LayerCall, seq: tuple, shapes: list) -> None:
    """Keras calls the cell on every step: one record, (batch, features) -> (batch, units)."""
    if cell.calls:
        return
    step = Tensor((seq[0], *seq[2:]), f"{cell.kind} step", cell.span)
    out = Tensor((seq[0], shapes[0][-1]), f"{cell.kind} (line {cell.span.line + 1})", cell.span)
    c = LayerCall(cell, cell.span, [step], [out], order=call.order)
    cell.calls.append(c)
    cell.first_call = c


# --------------------------------------------------------------------------- TimeDistributed(model)

def is_model_like(value: Any) -> bool:
    from shapelens.core.values import FunctionalModel, Instance, SequentialModel

    return isinstance(value, (SequentialModel, FunctionalModel)) or (
        isinstance(value, Instance) and value.cls.keras_base is not None) or (
        isinstance(value, LayerObj) and (value.model is not None or value.kind == "Lambda"))


def make_time_distributed(layer: LayerObj, args: list, kwargs: dict) -> LayerObj:
    layer.args = Args("TimeDistributed", {"layer": args[0] if args else kwargs.get("layer")})
    return layer


def run_time_distributed(api, layer: LayerObj, call: LayerCall, x: Any, inputs: list, unknown) -> Any:
    """Keras 3 TimeDistributed: the inner model/layer runs on (batch * time, ...), the time axis is put back."""
    inner = layer.args.values.get("layer") if layer.args is not None else None
    if len(inputs) != 1 or not isinstance(inputs[0], Tensor) or inputs[0].shape is None:
        return unknown("the input shape of TimeDistributed is not known")
    shape = tuple(inputs[0].shape)
    if len(shape) < 3:
        return unknown("TimeDistributed needs at least a 3-D input")
    batch, steps = shape[0], shape[1]
    flat = batch * steps if isinstance(batch, int) and isinstance(steps, int) else None
    step_in = Tensor((flat, *shape[2:]), f"TimeDistributed step (line {layer.span.line + 1})", call.span,
                     symbolic=inputs[0].symbolic)
    api._call_log.append([])
    try:
        res = api.call(inner, [step_in], {}, None) if not isinstance(inner, LayerObj) else api.call_layer(
            inner, [step_in], {}, None, site=call.span)
    finally:
        api._call_log.pop()
    if not isinstance(res, Tensor) or res.shape is None:
        return unknown("TimeDistributed: the output of the wrapped model is not known")
    from shapelens.core.keras_graph import model_params

    target = inner.model if isinstance(inner, LayerObj) and inner.model is not None else inner
    params = inner.params if isinstance(inner, LayerObj) and inner.model is None else model_params(target)
    if layer.first_call is None:
        layer.first_call = call
    layer.params = params
    out = Tensor((batch, steps, *res.shape[1:]), f"TimeDistributed (line {layer.span.line + 1})", call.span, call,
                 symbolic=inputs[0].symbolic)
    call.outputs = [out]
    return out

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
from shapelens.core.values import FunctionValue, LayerCall, LayerObj, Tensor

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
    from shapelens.core.keras_api import _retag

    values = layer.args.values if layer.args is not None else {}
    if not all(isinstance(t, Tensor) for t in inputs):
        return unknown("the input of Lambda is not a tensor shapelens can follow")
    if any(t.shape is None for t in inputs):
        return unknown("the input shape of Lambda is not known")
    symbolic = any(t.symbolic for t in inputs)
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
        try:
            result = api.ev.call(fn, [arg], kwargs, fn.node if isinstance(fn, FunctionValue) else None)
        except RecursionError:
            return unknown("the Lambda function could not be followed")
        if sum(1 for d in api.ev.diags if d.severity == "error") > errors_before:
            call.failed = True
            return unknown("Lambda raises here")
        outs = result if isinstance(result, (list, tuple)) else [result]
        if not outs or not all(isinstance(o, Tensor) and o.shape is not None for o in outs):
            reason = result.reason if isinstance(result, Unknown) else "the Lambda function's result is not known"
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

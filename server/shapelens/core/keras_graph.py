"""Helpers of the Keras semantics that need no evaluator: model classes, the layer calls of a
functional graph, parameter counts, small value conversions."""

from __future__ import annotations

from typing import Any
from shapelens.core.shapes import Unknown, known
from shapelens.core.source import Span
from shapelens.core.values import FunctionalModel, Instance, LayerCall, SequentialModel, Tensor

MODEL_CLASSES = {"Sequential": "Sequential", "Model": "Model", "Functional": "Model"}
NO_SHAPE_EFFECT_METHODS = {
    "compile", "summary", "save", "save_weights", "load_weights", "get_weights", "set_weights",
    "plot_model", "reset_states", "reset_metrics",
}


def _as_list(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def graph_calls(inputs: list[Tensor], outputs: list[Tensor], gaps: list | None = None) -> list[LayerCall]:
    """The layer calls between a functional model's inputs and outputs, in call order.
    ``gaps`` gets the Keras tensors met that no followed call produced (an operation on a
    tensor of unknown shape): the calls before them are missing."""
    stop = {id(t) for t in inputs}
    seen: dict[int, LayerCall] = {}
    stack = [t for t in outputs]
    while stack:
        t = stack.pop()
        if id(t) in stop:
            continue
        if t.producer is None:
            if gaps is not None and type(t) is Tensor and t.symbolic is not False:
                gaps.append(t)
            continue
        if t.symbolic is False:
            continue  # a concrete (eager) tensor is a constant of the graph, not a node of it
        c = t.producer
        if id(c) in seen:
            continue
        seen[id(c)] = c
        stack.extend(c.inputs)
        stack.extend(c.extra_inputs)
    return sorted(seen.values(), key=lambda c: c.order)


def model_params(model: Any) -> int | None:
    """Keras counts each weight once: a layer or nested model shared between branches (or
    between two nested models) adds its parameters once."""
    leaves: dict[int, Any] = {}
    if not _leaf_layers(model, leaves, set()):
        return None
    total = 0
    for layer in leaves.values():
        if layer.kind == "InputLayer":
            continue
        if layer.params is None:
            return None
        total += layer.params
    if isinstance(model, Instance):
        own = own_params(model)
        return total + own if own is not None else None
    return total


BASE = "__base_layer__"  # a built-in layer's subclass: the base layer (its rule and arguments)
WEIGHTS = "__weights__"  # parameters of the weights a subclass made with add_weight
VARIABLES = "__variables__"  # attribute -> parameters of a variable set on it (keras.Variable ...)


def track_variable(settings: Any, inst: Instance, attr: str, value: Any) -> None:
    """``self.<attr> = keras.Variable(...)`` (or tf.Variable under Keras 2) in a Layer/Model
    subclass: a weight of that instance (None: its size is not known)."""
    kind = getattr(value, "variable", None)
    if kind is None or inst.cls.keras_base is None or (kind == "tf" and not settings.tf_variables_are_weights):
        return
    count: int | None = 1
    for d in value.shape if value.shape is not None else (None,):
        count = count * d if count is not None and isinstance(d, int) and not isinstance(d, bool) else None
    inst.attrs.setdefault(VARIABLES, {})[attr] = count


def own_params(inst: Instance) -> int | None:
    """Weights a Layer/Model subclass instance holds itself: add_weight, variables set as
    attributes, plus a built-in base layer's."""
    total = inst.attrs.get(WEIGHTS, 0)
    for count in inst.attrs.get(VARIABLES, {}).values():
        total = total + count if total is not None and count is not None else None
    base = inst.attrs.get(BASE)
    if base is not None:
        total = total + base.params if total is not None and base.params is not None else None
    return total


def _leaf_layers(model: Any, out: dict[int, Any], seen: set) -> bool:
    # by identity: `in` on a list compares layers field by field, quadratic in a long chain
    if id(model) in seen:
        return True
    seen.add(id(model))
    if isinstance(model, SequentialModel):
        layers = list(model.layers)
    elif isinstance(model, (FunctionalModel, Instance)):
        if getattr(model, "graph_gaps", False):
            return False  # layers between the inputs and outputs are missing: no total
        layers = list({id(c.layer): c.layer for c in model.calls}.values())
    else:
        return False
    for layer in layers:
        if layer.model is not None and isinstance(layer.model, (SequentialModel, FunctionalModel)):
            if not _leaf_layers(layer.model, out, seen):
                return False
        else:
            out.setdefault(id(layer), layer)
    return True


def _retag(value: Any, symbolic: bool) -> Any:
    """Copies of the tensors in a value (a tensor or a list/tuple of them), marked symbolic or not."""
    if isinstance(value, Tensor):
        return Tensor(value.shape, value.origin, value.span, value.producer, symbolic, value.index, value.ends)
    if isinstance(value, (list, tuple)):
        return type(value)(_retag(v, symbolic) for v in value)
    return value


def _remap(value: Any, mapping: dict) -> Any:
    """A call argument with the tensors of a model's graph replaced by the replayed ones."""
    if isinstance(value, Tensor):
        return mapping.get(id(value), value)
    if isinstance(value, (list, tuple)):
        return type(value)(_remap(v, mapping) for v in value)
    if isinstance(value, dict):
        return {k: _remap(v, mapping) for k, v in value.items()}
    return value


def _shape_tuple(value: Any) -> tuple | None:
    if isinstance(value, (list, tuple)):
        dims = []
        for d in value:
            if d is None or known(d):
                dims.append(d)
            elif isinstance(d, Unknown):
                dims.append(d)
            else:
                return None
        return tuple(dims)
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _fmt_value(value: Any) -> str:
    return repr(value) if not isinstance(value, Unknown) else "..."


def _span_dict(span: Span) -> dict:
    return {"line": span.line, "col": span.col, "end_line": span.end_line, "end_col": span.end_col}

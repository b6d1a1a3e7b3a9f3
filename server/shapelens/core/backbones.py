"""Pretrained and hub models for the evaluator.

``keras.applications.ResNet50(...)`` becomes a functional model of one layer (the
backbone, shown as one row in summaries) whose shape and parameters come from
:mod:`shapelens.core.rules.applications`. ``preprocess_input`` keeps the shape.
Hub-style models (KerasHub / KerasNLP / KerasCV presets, ``hub.KerasLayer``, Hugging Face
``TF*`` models) are unknown with an SL002 note naming why.
"""

from __future__ import annotations

import ast
from typing import Any

from shapelens.core.rules import LayerError
from shapelens.core.rules import applications as table
from shapelens.core.shapes import Unknown
from shapelens.core.values import FunctionalModel, LayerObj, Tensor
from shapelens.core.codes import UNKNOWN_LAYER

# the arguments a backbone's shape and parameters depend on; any other argument must keep
# its default (alpha=0.5, include_preprocessing=False... are not in the table)
_SHAPE_ARGS = {"include_top", "weights", "input_tensor", "input_shape", "pooling", "classes",
               "classifier_activation", "name"}

HUB_ROOTS = {
    "keras_hub": "a KerasHub preset",
    "keras_nlp": "a KerasNLP preset",
    "keras_cv": "a KerasCV preset",
    "tensorflow_hub": "a TensorFlow Hub model",
    "transformers": "a Hugging Face Transformers model",
}


# libraries whose ``<root>.layers.<Class>`` are Keras layers shapelens has no rules for
THIRD_PARTY_LAYERS = {
    "keras_hub": "KerasHub",
    "keras_nlp": "KerasNLP",
    "keras_cv": "KerasCV",
    "tensorflow_addons": "TensorFlow Addons",
    "tensorflow_probability": "TensorFlow Probability",
}


def third_party_layer(path: str) -> str | None:
    """'keras_nlp.layers.TransformerEncoder' -> 'KerasNLP'; None for anything else."""
    root, _, rest = path.partition(".")
    library = THIRD_PARTY_LAYERS.get(root)
    if library is None or ".layers." not in f".{rest}" or not path.rsplit(".", 1)[-1][:1].isupper():
        return None
    return library


def hub_reason(path: str) -> str | None:
    """Why a call into a hub library gives no shape, or None for other paths."""
    root = path.split(".", 1)[0]
    what = HUB_ROOTS.get(root)
    if what is None:
        return None
    return UNKNOWN_LAYER.hub_model(what=what, leaf=path.rsplit('.', 1)[-1])


def handles(name: str | None) -> bool:
    return bool(name) and name.startswith("applications.") and (
        name.rsplit(".", 1)[-1][:1].isupper() or table.is_preprocess(name))


def call(api, name: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    if table.is_preprocess(name):
        x = args[0] if args else kwargs.get("x")
        if isinstance(x, Tensor):
            origin = f"{name.rsplit('.', 2)[-2] if name.count('.') > 1 else 'applications'}.preprocess_input"
            return Tensor(x.shape, origin, api.ev.span(node), x.producer, x.symbolic, x.index)
        return x if x is not None else Unknown("preprocess_input without an input")
    ctor = table.constructor(name)
    if ctor is None:
        leaf = name.rsplit(".", 1)[-1]
        return _unknown(api, leaf, f"keras.applications.{leaf} is not in shapelens' backbone table",
                        api.ev.span(node))
    return make_backbone(api, ctor, args, kwargs, node)


def _bind(entry: dict, args: list, kwargs: dict) -> dict:
    values = dict(entry.get("defaults", {}))
    values.update(zip(entry.get("positional", []), args))
    values.update(kwargs)
    return values


def make_backbone(api, name: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    ev = api.ev
    entry = table.table()[name]
    span = ev.span(node)
    values = _bind(entry, args, kwargs)
    for key, value in values.items():
        if key not in _SHAPE_ARGS and value != entry.get("defaults", {}).get(key, value):
            return _unknown(api, name, f"{name}({key}={value!s}) is not in shapelens' backbone table", span)
    cfg = {"include_top": values.get("include_top", True), "weights": values.get("weights", "imagenet"),
           "pooling": values.get("pooling"), "classes": values.get("classes", 1000)}
    if not isinstance(cfg["include_top"], bool) or isinstance(cfg["pooling"], Unknown):
        return _unknown(api, name, f"the arguments of {name} are not known statically", span)
    input_shape = values.get("input_shape")
    shape_tuple = None
    if input_shape is not None:
        if not isinstance(input_shape, (tuple, list)):
            return _unknown(api, name, f"the input_shape of {name} is not known statically", span)
        shape_tuple = tuple(d if isinstance(d, int) else None for d in input_shape)
    try:
        table.check_arguments(name, entry, cfg, shape_tuple)
    except LayerError as err:
        ev.report(err.code, err.message, span, raise_span=ev.trigger)
        return Unknown(f"{name} raises in its constructor")
    tensor_in = values.get("input_tensor")
    if isinstance(tensor_in, Tensor):
        x = tensor_in
    else:
        batch = (None, *shape_tuple) if shape_tuple is not None else table.default_input(entry, cfg["include_top"])
        x = api.make_input([], {"batch_shape": batch}, node)
        # Keras builds this InputLayer inside the constructor: not a layer the user wrote
        if api.layer_objs and x.producer is not None and api.layer_objs[-1] is x.producer.layer:
            api.dropped.append(api.layer_objs.pop())
    layer = LayerObj(api.next_layer_id(), name, table.make_rule(name), table.make_args(name, cfg),
                     span, ev.next_order())
    api.layer_objs.append(layer)
    out = api.call_layer(layer, [x], {}, node)
    if not isinstance(out, Tensor):
        return Unknown(f"{name} could not be followed")
    model_name = values.get("name")
    model = FunctionalModel(api.next_model_id(), span, ev.next_order(), [x], [out],
                            name=model_name if isinstance(model_name, str) else name.lower())
    from shapelens.core.keras_graph import graph_calls

    model.calls = graph_calls([x], [out])
    api.models.append(model)
    return model


def _unknown(api, name: str, reason: str, span) -> Unknown:
    api.ev.report(UNKNOWN_LAYER, UNKNOWN_LAYER.no_rule(name=name, reason=reason), span)
    return Unknown(reason)

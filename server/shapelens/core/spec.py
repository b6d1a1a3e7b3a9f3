"""The model specification: what the TensorFlow worker needs to rebuild the models.

Layer classes with their evaluated constructor arguments and the graph of layer calls
between tensors -- never the user's source. Plain JSON-able data.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from shapelens.core.resolve import ModuleRef
from shapelens.core.shapes import Unknown, NumpyInt
from shapelens.core.values import FunctionalModel, Instance, LayerObj, SequentialModel, Tensor

UNKNOWN_MARK = {"__unknown__": True}

# Keys of Keras's serialized-object dicts: a dict with one of them would be deserialised by
# Keras in the worker (classes, functions, even lambdas), so it is never sent.
_SERIALIZED_KEYS = {"class_name", "module", "registered_name", "config", "build_config", "compile_config"}
_BY_NAME = ("activations", "initializers", "regularizers", "constraints")
_NOT_OBJECTS = {"get", "serialize", "deserialize"}


@lru_cache(maxsize=1)
def _registered() -> dict[str, frozenset[str]]:
    """Per family, the public names Keras resolves from a string (keras.activations.get('relu'))."""
    modules = json.loads((Path(__file__).parent / "keras_public_api.json").read_text())["modules"]
    out = {f: frozenset(n for n in modules.get(f"keras.{f}", []) if n not in _NOT_OBJECTS) for f in _BY_NAME}
    out["layers"] = frozenset(n for n in modules.get("keras.layers", []) if n[:1].isupper())
    return out


def encode_ref(path: str) -> Any:
    """An attribute reference sent to the worker: only allow-listed Keras names, never a
    path the worker would import and call (tf.io.gfile.makedirs).

    Activations, initializers, regularizers and constraints travel by their registered
    string names (Keras accepts activation="relu"); layer classes by their Keras name."""
    parts = path.split(".")
    if len(parts) < 2 or parts[0] not in ("keras", "tensorflow", "tf_keras"):
        return UNKNOWN_MARK
    family, name = parts[-2], parts[-1]
    registered = _registered()
    if family in _BY_NAME and name in registered[family] and "keras" in path:
        return name
    if parts[0] == "tensorflow" and family == "nn" and name in registered["activations"]:
        return name  # tf.nn.relu: the activation of the same name
    if family == "layers" and name in registered["layers"] and "keras" in path:
        return {"__ref__": f"keras.layers.{name}"}
    return UNKNOWN_MARK


def encode_value(value: Any, depth: int = 0) -> Any:
    """Evaluated argument -> JSON; anything that cannot be rebuilt becomes UNKNOWN_MARK."""
    if depth > 8:
        return UNKNOWN_MARK
    if isinstance(value, NumpyInt):
        return UNKNOWN_MARK  # JSON would make it a Python int, which Keras 3 accepts where NumPy's it does not
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"__tuple__": [encode_value(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode_value(v, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        if _SERIALIZED_KEYS & value.keys():
            return UNKNOWN_MARK
        return {"__dict__": {k: encode_value(v, depth + 1) for k, v in value.items()}}
    if isinstance(value, LayerObj) and value.args is not None:
        return {"__layer__": value.kind, "config": encode_args(value)}
    if isinstance(value, ModuleRef):
        return encode_ref(value.path)
    return UNKNOWN_MARK


def encode_args(layer: LayerObj) -> dict:
    if layer.args is None:
        return {}
    return {k: encode_value(v) for k, v in layer.args.values.items()}


def has_unknown(value: Any) -> bool:
    if value == UNKNOWN_MARK:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def _shape(t: Tensor) -> Any:
    if t.shape is None:
        return None
    return [d if isinstance(d, int) and not isinstance(d, bool) else (None if d is None else "?") for d in t.shape]


# layers shapelens follows without a table rule (core/custom_layers.py) that TensorFlow can still
# rebuild from their arguments; Lambda is not one of them: its function is user code
CELL_KINDS = frozenset({"LSTMCell", "GRUCell", "SimpleRNNCell", "StackedRNNCells"})
REBUILDABLE_WITHOUT_RULE = CELL_KINDS | {"RNN"}


def build_spec(layer_objs: list[LayerObj], models: list[Any]) -> dict:
    tensor_ids: dict[int, int] = {}
    tensors: list[dict] = []

    def tid(t: Tensor) -> int:
        key = id(t)
        if key not in tensor_ids:
            tensor_ids[key] = len(tensors)
            tensors.append({"id": len(tensors), "shape": _shape(t), "symbolic": t.symbolic,
                            "line": t.span.line + 1 if t.span else None})
        return tensor_ids[key]

    layers, calls = [], []
    for layer in layer_objs:
        config = encode_args(layer)
        layers.append({
            "id": layer.layer_id, "kind": layer.kind, "line": layer.span.line + 1, "col": layer.span.col + 1,
            "config": config, "complete": (layer.rule is not None or layer.kind in REBUILDABLE_WITHOUT_RULE)
            and layer.args is not None and not has_unknown(config) and layer.model is None,
            "model": layer.model is not None, "init_error": layer.init_error,
            # a Layer/Model subclass of the user's: its code is never sent to the worker
            "custom": isinstance(layer.model, Instance),
        })
        for call in ([] if layer.kind in CELL_KINDS else layer.calls):
            # a cell's records show what the RNN gives it; TensorFlow rebuilds the cell inside its RNN
            calls.append({
                "layer": layer.layer_id, "order": call.order, "line": call.span.line + 1,
                "inputs": [tid(t) for t in call.inputs], "outputs": [tid(t) for t in call.outputs],
                "list_input": len(call.inputs) > 1 or bool(layer.rule and layer.rule.multi_input),
                "failed": call.failed,
            })
    calls.sort(key=lambda c: c["order"])
    out_models = []
    for m in models:
        if isinstance(m, FunctionalModel):
            out_models.append({"kind": "Functional", "line": m.span.line + 1,
                               "inputs": [tid(t) for t in m.inputs], "outputs": [tid(t) for t in m.outputs]})
        elif isinstance(m, SequentialModel):
            out_models.append({"kind": "Sequential", "line": m.span.line + 1,
                               "input_shape": list(m.input_shape) if m.input_shape is not None else None,
                               "layers": [layer.layer_id for layer in m.layers], "uncertain": m.uncertain})
        elif isinstance(m, Instance):
            out_models.append({"kind": "Subclass", "line": (m.span.line + 1) if m.span else None})
    return {"version": 1, "layers": layers, "calls": calls, "tensors": tensors, "models": out_models}


__all__ = ["build_spec", "encode_value", "UNKNOWN_MARK", "Unknown"]

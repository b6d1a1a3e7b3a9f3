"""Rebuild an engine specification with real Keras, on symbolic inputs (worker process only).

Every layer is constructed from its evaluated arguments; every call of the specification
is replayed in evaluation order on symbolic tensors; what Keras says is recorded: each
call's output shapes or the exception it raised, each layer's parameter count, each
model's total. Nothing is trained and no weight is allocated (a StatelessScope defers the
variables). Nothing of the user's program runs: the specification holds values, not code,
and a reference to a function is followed only into Keras and TensorFlow.

What the specification does not say is not guessed:

* a layer whose arguments are not all known, or that Keras does not have (custom layers,
  ``keras.ops`` calls, whose arguments the specification leaves out), is skipped, and so
  is a call with an input of unknown shape;
* calls taking several tensors as separate arguments (``MultiHeadAttention(query,
  value)``) are skipped: the specification records the first argument of a call only;
  a functional model with an input that does not reach its outputs (it went in by
  keyword, as ``initial_state=``) is not built;
* where TensorFlow could not produce a tensor (a skipped or failing call), the engine's
  shape for it stands in so that later layers are still checked; those calls are marked
  ``assumed``.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from typing import Any

from shapelens.worker import protocol

REF_ROOTS = ("keras", "tensorflow", "tf_keras")
# Layers whose call takes a second tensor argument the specification does not record.
SEVERAL_ARGUMENTS = {"MultiHeadAttention": "value", "GroupedQueryAttention": "value",
                     "GroupQueryAttention": "value"}
# Layers whose answer depends on the input dtype, which the specification does not carry.
DTYPE_SENSITIVE = frozenset({"StringLookup", "IntegerLookup", "TextVectorization", "Hashing"})
CUSTOM_CODE = "a Layer/Model subclass of the program's own: its code is never sent to TensorFlow"
MISSING_EDGES = ("an input of the model does not reach its outputs in the specification (a tensor passed "
                 "by keyword, e.g. initial_state=, is not recorded)")


class Skip(Exception):
    """This part of the specification cannot be rebuilt faithfully; the message says why."""


def build(spec: dict) -> dict:
    """The report (protocol.py) for one payload."""
    import keras

    start = time.perf_counter()
    with _no_weights(keras):
        report = Rebuilder(keras, spec).run()
    report["seconds"] = round(time.perf_counter() - start, 4)
    return report


def _no_weights(keras: Any) -> Any:
    scope = getattr(keras, "StatelessScope", None)
    if scope is None:
        return contextlib.nullcontext()
    try:
        return scope(initialize_variables=False)
    except TypeError:  # an older Keras 3: variables are created for real
        return contextlib.nullcontext()


def _shape(x: Any) -> list | None:
    shape = getattr(x, "shape", None)
    if shape is None or getattr(shape, "rank", 0) is None:
        return None
    try:
        return [None if d is None else int(d) for d in shape]
    except (TypeError, ValueError):
        return None


def _flatten(out: Any) -> list:
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flatten(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _flatten(o)]
    return [out]


def _known(shape: Any) -> bool:
    return isinstance(shape, list) and all(d is None or (isinstance(d, int) and not isinstance(d, bool))
                                           for d in shape)


class Rebuilder:
    def __init__(self, keras: Any, spec: dict) -> None:
        self.keras = keras
        self.spec = spec
        self.layer_specs = {layer["id"]: layer for layer in spec.get("layers", [])}
        self.tensor_specs = {t["id"]: t for t in spec.get("tensors", [])}
        self.producer = {tid: call for call in spec.get("calls", []) for tid in call.get("outputs", [])}
        self.objects: dict[int, Any] = {}  # layer id -> Keras layer (or model)
        self.layer_entries: dict[int, dict] = {}
        self.call_entries: dict[int, dict] = {}  # call order -> entry
        self.tensors: dict[int, Any] = {}  # tensor id -> KerasTensor
        self.sources: set[int] = set()  # tensors no call produces (model inputs, arrays)
        self.assumed: set[int] = set()  # the engine's shape stands in for TensorFlow's

    # ------------------------------------------------------------------ the run
    def run(self) -> dict:
        for layer in sorted(self.spec.get("layers", []), key=lambda item: item["id"]):
            self.layer_entries[layer["id"]] = self._construct(layer)
        calls = []
        for call in sorted(self.spec.get("calls", []), key=lambda item: item["order"]):
            entry = self._call(call)
            self.call_entries[call["order"]] = entry
            calls.append(entry)
        for lid, obj in self.objects.items():
            entry = self.layer_entries[lid]
            if getattr(obj, "built", False):
                try:
                    entry["params"] = int(obj.count_params())
                    entry["status"] = "built"
                except Exception:  # noqa: BLE001 -- an unbuilt sub-layer: the count is unknown
                    pass
        models = [self._model(i, m) for i, m in enumerate(self.spec.get("models", []))]
        return {"layers": [self.layer_entries[k] for k in sorted(self.layer_entries)], "calls": calls,
                "models": models}

    # ------------------------------------------------------------------ layers
    def _construct(self, layer: dict) -> dict:
        entry: dict[str, Any] = {"id": layer["id"], "status": "skipped", "params": None, "error": None,
                                 "reason": None}
        kind = layer.get("kind", "")
        if kind == "InputLayer" or layer.get("model"):
            entry["status"] = "constructed"  # at its call: an Input from the shape, a model from its graph
            return entry
        try:
            if not layer.get("complete") or kind.startswith("ops."):
                raise Skip(self._why_incomplete(layer))
            cls = self._layer_class(kind)
            kwargs = {name: self._decode(value) for name, value in layer.get("config", {}).items()}
        except Skip as skip:
            entry["reason"] = str(skip)
            return entry
        try:
            self.objects[layer["id"]] = cls(**kwargs)
        except Exception as exc:  # noqa: BLE001 -- what Keras raises is the answer
            entry["status"] = "raised"
            entry["error"] = protocol.error(exc)
            return entry
        entry["status"] = "constructed"
        return entry

    def _why_incomplete(self, layer: dict) -> str:
        kind = layer.get("kind", "")
        if kind.startswith("ops."):
            return f"keras.{kind} is not rebuilt: its arguments are not in the specification"
        if self._is_layer_class(kind):
            return f"an argument of {kind} is not known statically"
        return f"{kind} is not a Keras layer (a custom or unknown layer)"

    def _is_layer_class(self, kind: str) -> bool:
        cls = getattr(self.keras.layers, kind, None)
        return isinstance(cls, type) and issubclass(cls, self.keras.layers.Layer)

    def _layer_class(self, kind: str) -> Any:
        if not self._is_layer_class(kind):
            raise Skip(f"{kind} is not a layer of Keras {self.keras.__version__}")
        return getattr(self.keras.layers, kind)

    def _decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__tuple__" in value:
            return tuple(self._decode(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {k: self._decode(v) for k, v in value["__dict__"].items()}
        if "__layer__" in value:
            kind = value["__layer__"]
            cls = self._layer_class(kind)
            kwargs = {k: self._decode(v) for k, v in value.get("config", {}).items()}
            try:
                return cls(**kwargs)
            except Exception as exc:  # noqa: BLE001 -- reported on the inner layer itself
                raise Skip(f"the {kind} given to it raises when constructed ({type(exc).__name__})") from None
        if "__ref__" in value:
            return self._resolve(value["__ref__"])
        if value.get("__unknown__"):
            raise Skip("an argument is not known statically")
        raise Skip("an argument of an unexpected form")

    @staticmethod
    def _resolve(path: str) -> Any:
        parts = path.split(".")
        if parts[0] not in REF_ROOTS:
            raise Skip(f"{path} is not part of Keras or TensorFlow")
        obj = importlib.import_module(parts[0])
        for i, name in enumerate(parts[1:], start=1):
            if hasattr(obj, name):
                obj = getattr(obj, name)
                continue
            try:
                obj = importlib.import_module(".".join(parts[: i + 1]))
            except ImportError:
                raise Skip(f"{path} does not exist in this TensorFlow") from None
        return obj

    # ------------------------------------------------------------------ calls
    def _call(self, call: dict) -> dict:
        entry: dict[str, Any] = {"order": call["order"], "layer": call["layer"], "status": "skipped",
                                 "inputs": None, "outputs": None, "assumed": False, "error": None,
                                 "reason": None}
        layer = self.layer_specs.get(call["layer"], {})
        kind = layer.get("kind", "")
        try:
            if kind == "InputLayer" and not call.get("inputs"):
                return self._input(call, entry)
            if kind in SEVERAL_ARGUMENTS:
                raise Skip(f"{kind} takes its {SEVERAL_ARGUMENTS[kind]} as a second argument, which the "
                           "specification does not record")
            if kind in DTYPE_SENSITIVE:
                raise Skip(f"{kind} depends on the input dtype, which the specification does not record")
            target = self._callable(layer)
            xs = [self._tensor(tid, entry) for tid in call.get("inputs", [])]
            if not xs:
                raise Skip(f"{kind} is called without a tensor shapelens can follow")
        except Skip as skip:
            entry["reason"] = str(skip)
            return entry
        entry["inputs"] = [_shape(x) for x in xs]
        try:
            out = target(xs if call.get("list_input") else xs[0])
        except Exception as exc:  # noqa: BLE001 -- what Keras raises is the answer
            entry["status"] = "raised"
            entry["error"] = protocol.error(exc)
            return entry
        outs = _flatten(out)
        entry["status"] = "ok"
        entry["outputs"] = [_shape(o) for o in outs]
        for tid, tensor in zip(call.get("outputs", []), outs):
            self.tensors[tid] = tensor
        return entry

    def _input(self, call: dict, entry: dict) -> dict:
        outputs = call.get("outputs", [])
        shape = self.tensor_specs.get(outputs[0], {}).get("shape") if outputs else None
        if not _known(shape):
            raise Skip("the input shape is not known statically")
        if call.get("failed"):
            # the engine's error is about how the shape is written (shape=784, not (784,)), which a
            # rebuild from the shape cannot see; what follows is rebuilt on the shape of the fix
            raise Skip("shapelens reports an error on the arguments of this Input")
        tensor = self.keras.Input(batch_shape=tuple(shape))
        self.tensors[outputs[0]] = tensor
        self.sources.add(outputs[0])
        entry.update(status="ok", inputs=[], outputs=[_shape(tensor)])
        return entry

    def _tensor(self, tid: int, entry: dict) -> Any:
        """TensorFlow's tensor, or a symbolic input of the engine's shape standing in for it."""
        if tid in self.assumed:
            entry["assumed"] = True
        if tid in self.tensors:
            return self.tensors[tid]
        shape = self.tensor_specs.get(tid, {}).get("shape")
        if not _known(shape):
            raise Skip("an input shape is not known statically")
        tensor = self.keras.Input(batch_shape=tuple(shape))
        self.tensors[tid] = tensor
        if tid in self.producer:
            self.assumed.add(tid)
            entry["assumed"] = True
        else:
            self.sources.add(tid)
        return tensor

    def _callable(self, layer: dict) -> Any:
        lid = layer.get("id")
        if lid in self.objects:
            return self.objects[lid]
        if layer.get("model"):
            try:
                model = self._nested_model(layer)
            except Skip:
                raise
            except Exception as exc:  # noqa: BLE001
                raise Skip(f"the model could not be rebuilt ({type(exc).__name__})") from None
            self.objects[lid] = model
            return model
        entry = self.layer_entries.get(lid, {})
        if entry.get("status") == "raised":
            raise Skip("its constructor raised")
        raise Skip(entry.get("reason") or "the layer was not rebuilt")

    def _nested_model(self, layer: dict) -> Any:
        if layer.get("custom"):
            raise Skip(CUSTOM_CODE)
        index = self.spec.get("nested", {}).get(str(layer["id"]))
        if index is None:
            raise Skip("the model used as a layer is not in the specification")
        model = self.spec["models"][index]
        if model["kind"] == "Functional":
            if not self._connected(model):
                raise Skip(MISSING_EDGES)
            if not self._clean(model["outputs"]) or not all(t in self.sources for t in model["inputs"]):
                raise Skip("its graph was not rebuilt completely")
            return self._functional(model)
        if model["kind"] == "Sequential":
            objs = [self.objects.get(lid) for lid in model.get("layers", [])]
            if model.get("uncertain") or any(o is None for o in objs):
                raise Skip("not all of its layers were rebuilt")
            return self.keras.Sequential(objs)
        raise Skip("subclassed models are checked layer by layer")

    def _functional(self, model: dict) -> Any:
        ins = [self.tensors[t] for t in model["inputs"]]
        outs = [self.tensors[t] for t in model["outputs"]]
        return self.keras.Model(ins[0] if len(ins) == 1 else ins, outs[0] if len(outs) == 1 else outs)

    def _connected(self, model: dict) -> bool:
        """Whether every input of a functional model leads to its outputs in the specification.
        One that does not went in through a call argument the specification leaves out."""
        seen: set[int] = set()
        stack = list(model.get("outputs", []))
        while stack:
            tid = stack.pop()
            if tid in seen:
                continue
            seen.add(tid)
            call = self.producer.get(tid)
            if call is not None:
                stack.extend(call.get("inputs", []))
        return all(t in seen for t in model.get("inputs", []))

    def _clean(self, tids: list) -> bool:
        """Whether TensorFlow produced these tensors from inputs alone, with nothing assumed."""
        seen: set[int] = set()
        stack = list(tids)
        while stack:
            tid = stack.pop()
            if tid in seen:
                continue
            seen.add(tid)
            if tid in self.assumed or tid not in self.tensors:
                return False
            call = self.producer.get(tid)
            if call is None:
                continue
            entry = self.call_entries.get(call["order"])
            if entry is None or entry["status"] != "ok":
                return False
            stack.extend(call.get("inputs", []))
        return True

    # ------------------------------------------------------------------ models
    def _model(self, index: int, model: dict) -> dict:
        entry: dict[str, Any] = {"index": index, "status": "skipped", "params": None, "error": None,
                                 "reason": None}
        kind = model.get("kind")
        if kind == "Functional":
            if not self._connected(model):
                entry["reason"] = MISSING_EDGES
                return entry
            if not all(t in self.sources for t in model.get("inputs", [])) or not self._clean(model.get("outputs", [])):
                entry["reason"] = "part of its graph was not rebuilt"
                return entry
            try:
                built = self._functional(model)
                entry["params"] = int(built.count_params())
            except Exception as exc:  # noqa: BLE001 -- what Keras raises is the answer
                entry["status"] = "raised"
                entry["error"] = protocol.error(exc)
                return entry
            entry["status"] = "ok"
        elif kind == "Sequential":
            ids = list(dict.fromkeys(model.get("layers", [])))
            objs = [self.objects.get(lid) for lid in ids]
            if model.get("uncertain") or not ids or any(o is None or not getattr(o, "built", False) for o in objs):
                entry["reason"] = "not all of its layers were built"
                return entry
            entry["params"] = sum(self.layer_entries[lid]["params"] or 0 for lid in ids)
            entry["status"] = "ok"
        else:
            entry["reason"] = "subclassed models are checked layer by layer"
        return entry

"""Loops that build no layer: repeated calls reuse their first result, long loops are summarised.

A training, inference or RL loop calls already-built layers and models on data again and
again. Unrolling it makes one layer record per iteration and exhausts the analysis budget;
nothing about shapes is learnt after the first iterations. Two mechanisms keep such loops
cheap without changing what model-building loops give:

- :class:`CallMemo`: inside a loop, a call of an already-built layer, model or model method
  (``predict``, ``fit`` ...) on data (not on symbolic Keras tensors) at the same call site,
  with the same input shapes and the same other arguments, returns the first call's result
  and makes no new record. Calls that build a graph (symbolic inputs), calls traced inside a
  model's ``call()``, chained calls (``x = f(x)``) and calls that raised are never reused.
- :func:`summarise`: a loop that created no layer or model in its first ``SUMMARY_AFTER``
  iterations, and either reused a call or would cost many steps to finish, is summarised:
  one more iteration runs speculatively with the loop variable unknown, and each variable
  whose value differed between iterations becomes Unknown (with a reason); a variable at a
  fixed point keeps its value.

Pure: imports no TensorFlow, never runs user code.
"""

from __future__ import annotations

import ast
from typing import Any

from shapelens.core.interp import assigned_names, walk
from shapelens.core.plain import plain
from shapelens.core.shapes import Unknown
from shapelens.core.values import FunctionalModel, Instance, LayerObj, SequentialModel, Tensor

SUMMARY_AFTER = 3  # iterations run for real before a layer-free loop may be summarised
SUMMARY_STEPS = 5_000  # a layer-free loop whose remaining iterations would cost more is summarised
COMPREHENSION_STEPS = 50_000  # a layer-free comprehension whose other items would cost more ends unknown
WHILE_STEPS_PER_ITERATION = 200  # a `while` loop (length unknown) costing more per iteration is summarised
WHILE_LONG = 64  # a layer-free `while` loop still running after this many iterations is summarised
MEMO_METHODS = frozenset({
    "predict", "predict_on_batch", "predict_step", "call", "__call__", "evaluate", "test_on_batch",
    "train_on_batch", "fit", "train_step", "test_step",
})
_NO = object()  # an argument that cannot be part of a memo key
_MAX_ITEMS = 16  # container arguments compared item by item up to this length
_FP_ITEMS = 32  # container values fingerprinted item by item up to this length


# ---------------------------------------------------------------------- call memo
def shape_key(shape: Any) -> Any:
    """A shape as a comparable value: every unknown axis is alike (Unknown compares by identity)."""
    if shape is None:
        return None
    try:
        return tuple(d if isinstance(d, int) or d is None else "?" if isinstance(d, Unknown) else str(d)
                     for d in shape)
    except TypeError:
        return ("?",)


def _arg_key(value: Any, depth: int = 0) -> Any:
    """A hashable description of a call argument, or _NO when the call must not be reused."""
    if isinstance(value, Tensor):
        if value.symbolic is not False:  # a Keras tensor (or maybe one) builds a graph
            return _NO
        return ("T", shape_key(value.shape), getattr(value, "dtype", None))
    if isinstance(value, Unknown):
        return ("U",)  # an unknown input gives the same unknown result every time
    if isinstance(value, str) and depth >= 2:
        return ("S",)  # text inside a list argument is data (a batch of strings): its text does not change shapes
    if isinstance(value, (list, tuple)):
        if depth > 2 or len(value) > _MAX_ITEMS:
            return _NO
        parts = []
        for v in value:
            part = _arg_key(v, depth + 1)
            if part is _NO:
                return _NO
            parts.append(part)
        return (type(value).__name__, tuple(parts))
    if isinstance(value, dict):
        if depth > 2 or len(value) > _MAX_ITEMS or not all(isinstance(k, str) for k in value):
            return _NO
        parts = tuple(sorted((k, _arg_key(v, depth + 1)) for k, v in value.items()))
        return _NO if any(p is _NO for _, p in parts) else ("D", parts)
    if isinstance(value, (int, float, str, bool, type(None))) and plain(value, budget=64):
        return ("P", type(value).__name__, value)
    return _NO


def _tensors(value: Any, depth: int = 0):
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)) and depth < 3:
        for v in value:
            yield from _tensors(v, depth + 1)
    elif isinstance(value, dict) and depth < 3:
        for v in value.values():
            yield from _tensors(v, depth + 1)


def structure_mark(keras: Any) -> tuple:
    """Changes when a layer or model is created or a Sequential model gains a layer. The record
    an existing model gets when it is first called on data like a layer (in a training step,
    say) builds nothing: it does not count; called on Keras tensors, it builds a graph."""
    seq = 0
    for m in keras.models:
        if isinstance(m, SequentialModel):
            seq += len(m.layers)
    # layer objects are only ever appended: each is classified once, when first seen
    objs = keras.layer_objs
    done, layers = getattr(keras, "_structure_scan", (0, 0))
    if done > len(objs):
        done, layers = 0, 0
    for layer in objs[done:]:
        if layer.model is None or any(t.symbolic for c in layer.calls for t in c.inputs):
            layers += 1
    keras._structure_scan = (len(objs), layers)
    return (layers, len(keras.models), seq)


def _version(func: Any) -> tuple:
    """What can change in an already-built callable: the layers of a Sequential model."""
    model = func.model if isinstance(func, LayerObj) else func
    if isinstance(model, SequentialModel):
        return (len(model.layers), model.uncertain, model.broken, model.input_shape, model.partial)
    return ()


def reusable_target(func: Any) -> bool:
    if isinstance(func, (LayerObj, SequentialModel, FunctionalModel)):
        return True
    return isinstance(func, Instance) and func.cls.keras_base is not None


class CallMemo:
    """First results of repeated layer/model calls inside loops (see the module docstring)."""

    def __init__(self) -> None:
        self.results: dict[tuple, Any] = {}
        self.site_outputs: dict[tuple, list[Tensor]] = {}
        self.site_ids: dict[tuple, set[Tensor]] = {}  # tensors hash by identity
        self.hits = 0

    def call(self, ev: Any, func: Any, method: str, args: list, kwargs: dict, node: ast.AST, compute) -> Any:
        if not ev.loop_depth or ev.keras._call_log or not reusable_target(func):
            return compute()
        if args and type(args[0]) is Tensor and args[0].symbolic is not False:
            return compute()  # a Keras tensor builds a graph (_arg_key's answer, found at once)
        arg_key = _arg_key([list(args), dict(kwargs)])
        if arg_key is _NO:
            return compute()
        site = (func, node, ev.anchor, method)  # by identity: survives a snapshot (core/incremental.py)
        ids = self.site_ids.get(site)
        chained = ids is not None and any(t in ids for t in _tensors([args, kwargs]))
        spec = ev.speculative > 0
        key = (site, arg_key, _version(func))
        if not chained:
            # a result found outside speculative code serves both; one found in speculative
            # code (its diagnostics were not reported) serves only speculative code
            for k in ((key, False), (key, True)) if spec else ((key, False),):
                if k in self.results:
                    self.hits += 1
                    hit = self.results[k]
                    return list(hit) if isinstance(hit, list) else hit
        mark = len(ev.diags)
        result = compute()
        outs = list(_tensors(result))
        if outs:
            self.site_outputs.setdefault(site, []).extend(outs)
            self.site_ids.setdefault(site, set()).update(outs)
        failed = any(d.severity == "error" for d in ev.diags[mark:]) or any(
            t.producer is not None and t.producer.failed for t in outs)
        if not chained and not failed and len(self.results) < 10_000:
            stored = list(result) if isinstance(result, list) else result
            self.results[(key, spec)] = stored
        return result

    def clear(self) -> None:
        self.results.clear()
        self.site_outputs.clear()
        self.site_ids.clear()


# ---------------------------------------------------------------------- fingerprints
def fingerprint(value: Any, depth: int = 0) -> Any:
    """What a value looks like to the analysis (tensors by shape), bounded in size and depth;
    two values with equal fingerprints are interchangeable for shapes."""
    if isinstance(value, Tensor):
        return ("T", shape_key(value.shape), value.symbolic)
    if isinstance(value, Unknown):
        return ("U",)
    if isinstance(value, (int, float, str, bool, bytes, complex, type(None))):
        if isinstance(value, (str, bytes)) and len(value) > 256:
            return (type(value).__name__, len(value), hash(value))
        return (type(value).__name__, value)
    if depth > 3:
        return ("id", id(value))
    if isinstance(value, (list, tuple)):
        items = value if len(value) <= _FP_ITEMS else list(value[:_FP_ITEMS // 2]) + list(value[-_FP_ITEMS // 2:])
        return (type(value).__name__, len(value), tuple(fingerprint(v, depth + 1) for v in items))
    if isinstance(value, dict):
        keys = list(value)[:_FP_ITEMS]
        return ("dict", len(value),
                tuple((repr(k)[:64], fingerprint(value[k], depth + 1)) for k in keys))
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, len(value))
    if isinstance(value, Instance):
        return ("I", id(value), tuple((k, fingerprint(v, depth + 1)) for k, v in list(value.attrs.items())[:64]))
    return ("id", id(value))


def loop_names(evaluator: Any, node: ast.AST) -> tuple[str, ...]:
    """Names a loop body assigns or reads (read ones may be mutated: ``xs.append(...)``)."""
    cache = evaluator._loop_names
    names = cache.get(id(node))
    if names is None:
        body = list(node.body)
        found = assigned_names(body)
        for stmt in body:
            for n in walk(stmt):
                if isinstance(n, ast.Name):
                    found.add(n.id)
        names = tuple(sorted(found))
        cache[id(node)] = names
    return names


def snapshot(scope: Any, names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        if name in scope.vars:
            out[name] = fingerprint(scope.vars[name])
    return out


def widen(scope: Any, names: tuple[str, ...], snaps: list[dict[str, Any]], reason: str) -> list[str]:
    """Make every name whose fingerprint differs between the snapshots Unknown(reason); an
    object that is the same instance throughout keeps its identity and only its changed
    attributes become unknown. Returns the widened names."""
    widened = []
    for name in names:
        fps = [s.get(name, _NO) for s in snaps]
        if all(fp == fps[0] for fp in fps[1:]):
            continue
        value = scope.vars.get(name, _NO)
        if value is _NO:
            continue
        if isinstance(value, Instance) and all(isinstance(fp, tuple) and fp[:2] == ("I", id(value)) for fp in fps):
            attrs = [dict(fp[2]) for fp in fps]
            for k in list(value.attrs):
                if any(a.get(k, _NO) != attrs[0].get(k, _NO) for a in attrs[1:]) or any(k not in a for a in attrs):
                    value.attrs[k] = Unknown(reason)
            widened.append(name)
            continue
        if isinstance(value, (FunctionalModel, SequentialModel, LayerObj)):
            continue
        scope.vars[name] = Unknown(reason)
        widened.append(name)
    return widened

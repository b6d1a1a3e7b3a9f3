"""fit / evaluate / predict on a model that overrides ``train_step`` / ``test_step`` /
``predict_step``: Keras hands each batch to that method, so the data checks made for the
built-in step do not apply. The method is followed once, quietly (no diagnostics), on a batch
of the data's shapes, so the model and layers it calls get the shapes Keras gives them; the
result of the call stays unknown.
"""

from __future__ import annotations

from typing import Any

from shapelens.core.data.base import Dataset
from shapelens.core.data.state import DataEvaluator
from shapelens.core.shapes import Unknown
from shapelens.core.values import FunctionValue, Instance, Tensor

STEP = {"fit": "train_step", "train_on_batch": "train_step", "evaluate": "test_step",
        "test_on_batch": "test_step", "predict": "predict_step", "predict_on_batch": "predict_step"}


def user_step(model: Any, name: str) -> FunctionValue | None:
    """The model's own step method for this call, or None."""
    step = STEP.get(name)
    cls = model.cls if isinstance(model, Instance) else getattr(model, "user_class", None)
    if step is None or cls is None:
        return None
    fn = cls.lookup(step)
    return fn if isinstance(fn, FunctionValue) else None


def _batch(value: Any, depth: int = 0) -> Any:
    """A batch of the data's shapes (batch axis unknown), or None when not followed."""
    if isinstance(value, Dataset):
        return _element(value.element, value.batched) if value.element is not None else None
    if isinstance(value, Tensor) and not value.symbolic and value.shape:
        return Tensor((None, *value.shape[1:]), value.origin, value.span, symbolic=False)
    if isinstance(value, (tuple, list)) and value and depth < 2:
        parts = [_batch(v, depth + 1) for v in value]
        return tuple(parts) if all(p is not None for p in parts) else None
    if isinstance(value, dict) and value and depth < 2:
        parts = {k: _batch(v, depth + 1) for k, v in value.items()}
        return parts if all(p is not None for p in parts.values()) else None
    return None


def _element(el: Any, batched: bool) -> Any:
    if isinstance(el, tuple) and all(not isinstance(d, (tuple, dict, list)) for d in el):
        shape = el if batched else (None, *el)
        return Tensor(tuple(shape), "a batch of the dataset", None, symbolic=False)
    if isinstance(el, tuple):
        parts = [_element(e, batched) for e in el]
        return tuple(parts) if all(p is not None for p in parts) else None
    if isinstance(el, dict):
        parts = {k: _element(v, batched) for k, v in el.items()}
        return parts if all(p is not None for p in parts.values()) else None
    return None


def run_user_step(ev: DataEvaluator, model: Any, fn: FunctionValue, name: str, x: Any, y: Any, node) -> Any:
    data = _batch(x)
    if data is not None and y is not None:
        target = _batch(y)
        data = (data, target) if target is not None else None
    elif isinstance(data, Tensor) and (not isinstance(x, Dataset) or getattr(x, "from_sequence", False)):
        data = (data,)  # Keras packs a lone x as (x,) (arrays, Sequence / PyDataset batches)
    reason = f"{name}() runs the model's own {STEP[name]}(); its result is not followed"
    if data is None:
        return Unknown(reason)
    api = ev.keras
    prev = api.training
    api.training = STEP[name] == "train_step"
    ev.speculative += 1
    try:
        ev.call(fn, [model, data], {}, node)
    finally:
        ev.speculative -= 1
        api.training = prev
    return Unknown(reason)

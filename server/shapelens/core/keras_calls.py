"""Small helpers of core/keras_api.py: how a layer call's tensors are seen and described."""

from __future__ import annotations

from typing import Any

from shapelens.core.data.base import Array
from shapelens.core.rules.symbolic import RankUnknown
from shapelens.core.shapes import UNK, Unknown, known
from shapelens.core.values import LayerCall, Tensor


def _eager(shape: tuple, eager: bool) -> tuple:
    """An eager call (on data) gives a tensor of concrete sizes: where the rule can only say
    None (Keras's "any size" of a symbolic tensor: a text's token count, a ragged row), the
    size is one the data decides, not Keras's None."""
    if not eager or None not in shape:
        return shape
    return tuple(Unknown("a size the data decides (the layer is called on data)") if d is None else d
                 for d in shape)


def _lost_inside(out: Any, kind: str) -> str:
    """Why a nested model's output is unknown: the note of the layer inside it that lost the
    shape, or the reason the replay gave."""
    producer = out.producer if isinstance(out, Tensor) else None
    cur, steps = producer, 0
    while isinstance(cur, LayerCall) and steps < 200:  # back to the call that lost the shape
        steps += 1
        if cur.note:
            return f"inside the model, {cur.layer.kind} (line {cur.layer.span.line + 1}): {cur.note}"
        lost = next((t for t in cur.inputs if t.shape is None), None)
        cur = lost.producer if lost is not None else None
    if isinstance(out, Tensor) and producer is None and out.origin not in ("unknown", ""):
        return out.origin
    return f"the output of this {kind} model is not known"


def _input_ends(shape: Any, args: list, kwargs: dict) -> tuple | None:
    """An Input whose shape is not known (read from data): its batch axis still is, from
    batch_size (None when not given)."""
    if shape is not None or "batch_shape" in kwargs or "batch_input_shape" in kwargs:
        return None
    batch = args[1] if len(args) > 1 else kwargs.get("batch_size")
    if batch is not None and not known(batch):
        return None
    return (batch, UNK)


def _unfollowed(value: Any) -> str:
    """How a note names a value shapelens does not follow: the reason it was lost, when known."""
    reason = value.reason if isinstance(value, Unknown) else ""
    if not reason or reason == UNK.reason or len(reason) > 120:
        return "a value shapelens does not follow"
    return reason


def _rule_shape(t: Tensor) -> Any:
    """A tensor's shape as a rule sees it. Data (numpy / eager tensors) always has concrete
    sizes, so a None there is a size shapelens does not know (UNK), not Keras's None."""
    if t.shape is None:
        return RankUnknown(*(t.ends or (UNK, UNK)))
    if isinstance(t, Array):
        # arrays (not the stand-ins a custom layer's call() is traced with, which keep Keras's None)
        return tuple(UNK if d is None else d for d in t.shape)
    return tuple(t.shape)


def _identity_hashed(obj: Any) -> bool:
    """Keys by object (not ``id``) survive a snapshot (core/incremental.py): the values
    shapelens makes hash and compare by identity (dataclass(eq=False))."""
    return type(obj).__hash__ is object.__hash__

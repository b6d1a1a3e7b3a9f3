"""Losses and targets: the loss table and the checks of y against the model's outputs.
"""

from __future__ import annotations

from typing import Any
import ast

from shapelens.core.interp import walk
from shapelens.core.results import Related
from shapelens.core.resolve import ModuleRef, keras_name
from shapelens.core.shapes import fmt_shape, known
from shapelens.core.values import LayerObj, SequentialModel, Tensor
from shapelens.core.data.base import (
    Array,
    LossSpec,
    _Ctx,
    _Feed,
    _flat_values,
    _is_int,
    _related,
    _span_dict,
    fmt_dim,
)
from shapelens.core.data.state import DataEvaluator
from shapelens.core.codes import (
    INTEGER_LABELS_FOR_CATEGORICAL_LOSS,
    LABEL_OUT_OF_RANGE,
    ONE_HOT_LABELS_FOR_SPARSE_LOSS,
    TARGETS_BROADCAST_AGAINST_OUTPUT,
    TARGETS_DO_NOT_MATCH_OUTPUT,
)


_LOSS_NAMES = {
    "mse": "mse", "mean_squared_error": "mse", "MeanSquaredError": "mse", "MSE": "mse",
    "mae": "mae", "mean_absolute_error": "mae", "MeanAbsoluteError": "mae", "MAE": "mae",
    "mape": "mse", "mean_absolute_percentage_error": "mse", "MeanAbsolutePercentageError": "mse",
    "msle": "mse", "mean_squared_logarithmic_error": "mse", "MeanSquaredLogarithmicError": "mse",
    "huber": "mse", "Huber": "mse", "log_cosh": "mse", "logcosh": "mse", "LogCosh": "mse",
    "categorical_crossentropy": "cce", "CategoricalCrossentropy": "cce",
    "sparse_categorical_crossentropy": "scce", "SparseCategoricalCrossentropy": "scce",
    "binary_crossentropy": "bce", "BinaryCrossentropy": "bce",
}


_LOSS_DISPLAY = {"mse": "mean squared error", "mae": "mean absolute error", "cce": "categorical_crossentropy",
                 "scce": "sparse_categorical_crossentropy", "bce": "binary_crossentropy"}


def _resolve_loss(value: Any) -> tuple[str, str] | None:
    """(canonical, display) for a loss given to compile, or None when not checked."""
    if isinstance(value, str):
        canon = _LOSS_NAMES.get(value)
        return (canon, value) if canon else None
    if isinstance(value, LossSpec):
        return value.name, value.display
    if isinstance(value, ModuleRef):
        kname = keras_name(value.path)
        if kname is None:
            return None
        leaf = kname.rsplit(".", 1)[-1]
        canon = _LOSS_NAMES.get(leaf)
        if canon is None or leaf[:1].isupper():
            return None
        return canon, leaf
    return None


def _losses_for(model: Any, n_outputs: int) -> list | None:
    kwargs = getattr(model, "compile_kwargs", None) or {}
    loss = kwargs.get("loss")
    if loss is None:
        return None
    if isinstance(loss, (list, tuple)):
        return [_resolve_loss(v) for v in loss] if len(loss) == n_outputs else None
    if isinstance(loss, dict):
        return None
    one = _resolve_loss(loss)
    return [one] * n_outputs


def _squeeze_or_expand(y: tuple, out: tuple) -> tuple[tuple, tuple]:
    """keras.src.losses.loss.squeeze_or_expand_to_same_rank (expand_rank_1=True)."""
    if len(y) == len(out) + 1 and y[-1] == 1:
        if len(out) == 1:
            out = (*out, 1)
        else:
            y = y[:-1]
    if len(out) == len(y) + 1 and out[-1] == 1:
        if len(y) == 1:
            y = (*y, 1)
        else:
            out = out[:-1]
    return y, out


def _batch_sizes(n: Any, bs: Any) -> set | None:
    if not known(n) or not known(bs) or bs <= 0:
        return None
    out = {min(bs, n)}
    if n > bs and n % bs:
        out.add(n % bs)
    return out


def _check_targets(ctx: _Ctx, model: Any, ys: list[_Feed], outputs: list[Tensor], bs: Any,
                   xs: list[_Feed], y_node: Any, validation: bool = False) -> bool:
    if len(ys) != len(outputs):
        return False
    losses = _losses_for(model, len(outputs))
    if not losses:
        return False
    label = "validation data: " if validation else ""
    for yf, out, loss in zip(ys, outputs, losses):
        if loss is None or out.shape is None:
            continue
        canon, display = loss
        y_shape = tuple(yf.shape)
        o_shape = (None, *tuple(out.shape)[1:])
        yt = yf.tensor
        ydesc = f"{yf.name} is {fmt_shape(yt.shape)} from {yt.origin}"
        odesc = f"the model's output is {fmt_shape(o_shape)}" + (
            f" ({out.origin})" if out.origin and out.producer is not None else "")
        last = _last_layer(model, out)
        related = _related(yt) + ([Related(last.span, f"the output {fmt_shape(o_shape)} comes from this "
                                                       f"{last.kind}")] if last is not None else [])
        yb, ob = _squeeze_or_expand(y_shape, o_shape)
        ya, _ = _squeeze_or_expand(tuple(yf.actual), o_shape)  # for messages: before any retrace relaxed it
        if canon == "mse" or canon == "mae":
            msg = _broadcast_targets(yb, ob, yf, bs)
            if msg is None:
                continue
            kind, detail = msg
            if kind == "error":
                ctx.report(TARGETS_DO_NOT_MATCH_OUTPUT, TARGETS_DO_NOT_MATCH_OUTPUT.loss_subtracts_them(
                    short=ctx.short, label=label, ydesc=ydesc, odesc=odesc, display=display, detail=detail), related=related,
                           fix=_units_fix(ctx, last, yt.shape[-1] if yt.shape and len(yt.shape) > 1 else None))
                return True
            ctx.report(TARGETS_BROADCAST_AGAINST_OUTPUT, TARGETS_BROADCAST_AGAINST_OUTPUT.loss_broadcasts_them(
                short=ctx.short, label=label, ydesc=ydesc, odesc=odesc, display=display, detail=detail),
                       related=related, severity="warning")
            continue
        if canon == "cce":
            if len(yb) != len(ob) or any(known(a) and known(b) and a != b for a, b in zip(yb[1:], ob[1:])):
                width = ob[-1] if ob else None
                integer_labels = len(ya) == len(ob) - 1 or (len(ya) == len(ob) and ya[-1] == 1 and width != 1)
                if integer_labels:
                    fix = _loss_fix(ctx, model, display, "sparse_categorical_crossentropy")
                    ctx.report(INTEGER_LABELS_FOR_CATEGORICAL_LOSS, INTEGER_LABELS_FOR_CATEGORICAL_LOSS.integer_class_labels(
                        short=ctx.short, label=label, ydesc=ydesc, display=display, width=fmt_dim(width),
                        odesc=odesc, name=yf.name),
                               related=related, fix=fix)
                else:
                    fix = _units_fix(ctx, last, ya[-1] if ya and known(ya[-1]) and len(ya) == len(ob) else None)
                    ctx.report(TARGETS_DO_NOT_MATCH_OUTPUT, TARGETS_DO_NOT_MATCH_OUTPUT.needs_targets_exactly(
                        short=ctx.short, label=label, ydesc=ydesc, odesc=odesc, display=display,
                        detail=f". If the labels are right, the last layer should have {ya[-1]} units"
                                           if fix else ""), related=related, fix=fix)
                return True
            continue
        if canon == "scce":
            t = yb
            if len(t) == len(ob) and t and t[-1] == 1:
                t = t[:-1]
            if len(t) != len(ob) - 1:
                if len(ya) == len(ob) and known(ya[-1]) and ya[-1] > 1:
                    fix = _loss_fix(ctx, model, display, "categorical_crossentropy")
                    ctx.report(ONE_HOT_LABELS_FOR_SPARSE_LOSS, ONE_HOT_LABELS_FOR_SPARSE_LOSS.one_hot_targets(
                        short=ctx.short, label=label, ydesc=ydesc, display=display, label_shape=fmt_shape(ob[:-1]),
                        odesc=odesc, name=yf.name), related=related, fix=fix)
                else:
                    ctx.report(TARGETS_DO_NOT_MATCH_OUTPUT, TARGETS_DO_NOT_MATCH_OUTPUT.needs_integer_labels(
                        short=ctx.short, label=label, ydesc=ydesc, odesc=odesc, display=display,
                        label_shape=fmt_shape(ob[:-1]), flatten_hint=_flatten_hint(o_shape)), related=related)
                return True
            if any(known(a) and known(b) and a != b for a, b in zip(t[1:], ob[1:-1])):
                ctx.report(TARGETS_DO_NOT_MATCH_OUTPUT, TARGETS_DO_NOT_MATCH_OUTPUT.needs_labels_match(
                    short=ctx.short, label=label, ydesc=ydesc, odesc=odesc, display=display), related=related)
                return True
            width = ob[-1]
            top = yt.classes if isinstance(yt, Array) and yt.classes is not None else None
            if top is None and isinstance(yt, Array) and yt.value is not None:
                flat = _flat_values(yt.value)
                top = int(max(flat)) + 1 if flat and all(_is_int(v) for v in flat) else None
            if top is not None and known(width) and top > width:
                ctx.report(LABEL_OUT_OF_RANGE, LABEL_OUT_OF_RANGE.labels_beyond_units(
                    short=ctx.short, label=label, ydesc=ydesc, top_label=top - 1, width=width, odesc=odesc,
                    top=top),
                           related=related, fix=_units_fix(ctx, last, top))
                return True
            continue
        if canon == "bce":
            if len(yb) != len(ob) or any(known(a) and known(b) and a != b for a, b in zip(yb[1:], ob[1:])):
                ctx.report(TARGETS_DO_NOT_MATCH_OUTPUT, TARGETS_DO_NOT_MATCH_OUTPUT.needs_targets_exactly(
                    short=ctx.short, label=label, ydesc=ydesc, odesc=odesc, display=display,
                    detail=_flatten_hint(o_shape)),
                           related=related,
                           fix=_units_fix(ctx, last, yb[-1] if len(yb) == len(ob) and known(yb[-1]) else None))
                return True
    return False


def _flatten_hint(o_shape: tuple) -> str:
    if len(o_shape) >= 3:
        return (". The output still has spatial axes: add Flatten() or GlobalAveragePooling before the last Dense "
                "layer")
    return ""


def _broadcast_targets(y: tuple, out: tuple, yf: _Feed, bs: Any) -> tuple[str, str] | None:
    """Elementwise losses compute y_true - y_pred, both with the same batch size."""
    n = max(len(y), len(out))
    yp = (1,) * (n - len(y)) + tuple(y)
    op = (1,) * (n - len(out)) + tuple(out)
    ybatch, obatch = n - len(y), n - len(out)  # where each batch axis lands
    for i in range(n):
        if i in (ybatch, obatch):
            continue
        a, b = yp[i], op[i]
        if known(a) and known(b) and a != b and a != 1 and b != 1:
            return ("error", f"they cannot be broadcast together (axis {i - n}: {a} against {b})")
    widened = len(y) != len(out) or any(
        known(a) and known(b) and a != b for i, (a, b) in enumerate(zip(yp, op)) if i not in (ybatch, obatch))
    if ybatch != obatch:
        sizes = _batch_sizes(yf.samples, bs)
        first = min(bs, yf.samples) if known(bs) and known(yf.samples) else None
        for i, other in ((ybatch, op[ybatch]), (obatch, yp[obatch])):
            if not known(other) or other == 1:
                continue
            if sizes is None:
                return ("warning", f"the batch axis of one lines up with an axis of size {other} of the other, "
                                   f"which only works when a batch has exactly {other} samples")
            bad = [b for b in ([first] if first is not None else []) + sorted(sizes) if b != other and b != 1]
            if bad:
                return ("error", f"the batch axis of one lines up with an axis of size {other} of the other: a "
                                 f"batch of {bad[0]} samples cannot be broadcast against {other}")
    if widened:
        if len(y) <= len(out):
            return ("warning", f"the targets {fmt_shape(y)} are stretched to the output {fmt_shape(out)}")
        return ("warning", f"the output {fmt_shape(out)} is stretched to the targets {fmt_shape(y)}")
    return None


def _last_layer(model: Any, out: Tensor) -> LayerObj | None:
    if out.producer is not None and out.producer.layer.kind not in ("InputLayer",):
        layer = out.producer.layer
        return layer if not layer.implicit else None
    if isinstance(model, SequentialModel) and model.layers:
        return model.layers[-1]
    return None


def _find_call(ev: DataEvaluator, span) -> ast.Call | None:
    st = ev.data_state
    if st.module is None:
        try:
            st.module, _ = ev.source.parse()
        except Exception:  # noqa: BLE001
            return None
    if ev.anchor is not None:  # every node is shown at the anchor: the first call, if any
        for n in ast.walk(st.module):
            if isinstance(n, ast.Call) and hasattr(n, "lineno") and ev.span(n) == span:
                return n
        return None
    if st.calls_by_span is None:  # the first call (in ast.walk order) at each span, indexed once
        st.calls_by_span = {}
        for n in walk(st.module):
            if isinstance(n, ast.Call) and hasattr(n, "lineno"):
                st.calls_by_span.setdefault(ev.span(n), n)
    return st.calls_by_span.get(span)


def _units_fix(ctx: _Ctx, layer: LayerObj | None, units: Any) -> dict | None:
    """Set the units of the last Dense layer (its first argument) to ``units``."""
    if layer is None or layer.kind != "Dense" or not known(units):
        return None
    call = _find_call(ctx.ev, layer.span)
    if call is None:
        return None
    target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "units"), None)
    if target is None or isinstance(target, ast.Starred):
        return None
    return {"kind": "replace", "title": f"Give the last Dense layer {units} units",
            "edits": [{"span": _span_dict(ctx.ev.span(target)), "new_text": str(units)}]}


def _loss_fix(ctx: _Ctx, model: Any, current: str, new: str) -> dict | None:
    """Replace the loss string in the model's compile() call."""
    st = ctx.ev.data_state
    if st.module is None:
        try:
            st.module, _ = ctx.ev.source.parse()
        except Exception:  # noqa: BLE001
            return None
    best = None
    for n in ast.walk(st.module):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "compile"):
            continue
        if n.lineno > ctx.line:
            continue
        lit = next((k.value for k in n.keywords if k.arg == "loss"), n.args[1] if len(n.args) > 1 else None)
        if isinstance(lit, ast.Constant) and lit.value == current:
            if best is None or n.lineno > best[0]:
                best = (n.lineno, lit)
    if best is None:
        return None
    lit = best[1]
    span = ctx.ev.span(lit)
    try:
        quote = ctx.ev.source.lines[span.line][span.col]
    except (AttributeError, IndexError):
        quote = "'"
    quote = quote if quote in ("'", '"') else "'"
    return {"kind": "replace", "title": f"Use loss={quote}{new}{quote}",
            "edits": [{"span": _span_dict(span), "new_text": f"{quote}{new}{quote}"}]}

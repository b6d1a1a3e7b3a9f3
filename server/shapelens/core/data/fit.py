"""What ``fit`` / ``evaluate`` / ``predict`` / ``model(x)`` get: data against the model's inputs.
"""

from __future__ import annotations

from typing import Any, Iterator
import ast
import contextlib
import types

from shapelens.core import shape_math
from shapelens.core.results import Related
from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import FunctionalModel, Instance, SequentialModel, Tensor
from shapelens.core.data.base import Array, Dataset, _Ctx, _Feed, _is_int, _related, _span_dict, _src
from shapelens.core.data.losses import _check_targets, _find_call
from shapelens.core.data.state import DataEvaluator
from shapelens.core.data.tf_data import sequence_dataset
from shapelens.core.data.steps import run_user_step, user_step
from shapelens.core.codes import (
    DATA_DOES_NOT_FIT_MODEL_INPUT,
    DATA_SIZE_DIFFERS_FROM_DECLARED_INPUT,
    FAILS_AT_RUN_TIME,
    MISSING_BATCH_AXIS,
    RETRACE_WITH_ANOTHER_RANK,
    SAMPLE_COUNT_MISMATCH,
    SHARED,
    TARGETS_DO_NOT_MATCH_OUTPUT,
    WRONG_NUMBER_OF_INPUTS,
)


_ARG_POS = {
    "fit": {"x": 0, "y": 1, "batch_size": 2},
    "evaluate": {"x": 0, "y": 1, "batch_size": 2},
    "predict": {"x": 0, "batch_size": 1},
    "train_on_batch": {"x": 0, "y": 1},
    "test_on_batch": {"x": 0, "y": 1},
    "predict_on_batch": {"x": 0},
}


_FUNCTION = {"fit": "train", "evaluate": "test", "predict": "predict"}


def _call_arg(args: list, kwargs: dict, call_node: ast.AST | None, name: str, pos: int | None) -> tuple[Any, Any]:
    node = None
    if isinstance(call_node, ast.Call):
        for kw in call_node.keywords:
            if kw.arg == name:
                node = kw.value
        if node is None and pos is not None and pos < len(call_node.args) and not any(
                isinstance(a, ast.Starred) for a in call_node.args[:pos + 1]):
            node = call_node.args[pos]
    if name in kwargs:
        return kwargs[name], node
    if pos is not None and pos < len(args):
        return args[pos], node
    return None, node


def _var_name(ev: DataEvaluator, node: ast.AST | None, fallback: str) -> str:
    """How to call an argument in a message: its source when it is a name (x_train, data.x,
    x[:100]), else ``fallback``."""
    base = node
    while isinstance(base, (ast.Subscript, ast.Attribute)):
        base = base.value
    if not isinstance(base, ast.Name):
        return fallback
    text = _src(ev, node, 40)
    return text if text else fallback


def model_data_call(ev: DataEvaluator, model: Any, name: str, args: list, kwargs: dict, node) -> Any:
    """fit / predict / evaluate / train_on_batch / test_on_batch / predict_on_batch."""
    try:
        return _model_data_call(ev, model, name, args, kwargs, node)
    except (RecursionError, MemoryError):
        return Unknown(f"the result of {name}() is not followed")
    except Exception:  # noqa: BLE001
        return Unknown(f"shapelens could not follow {name}()")


def _model_data_call(ev: DataEvaluator, model: Any, name: str, args: list, kwargs: dict, node) -> Any:
    pos = _ARG_POS.get(name, {"x": 0})
    x, x_node = _call_arg(args, kwargs, node, "x", pos.get("x"))
    y, y_node = _call_arg(args, kwargs, node, "y", pos.get("y")) if "y" in pos else (None, None)
    batch_size, _ = _call_arg(args, kwargs, node, "batch_size", pos.get("batch_size"))
    on_batch = name.endswith("_on_batch")
    ctx = _Ctx(ev, node, f"{_model_name(model)}.{name}", "keras")

    # -- the data, as batches the model sees
    if y is None and (seq := sequence_dataset(ev, x, node)) is not None:
        x = seq
    if (step := user_step(model, name)) is not None:
        return run_user_step(ev, model, step, name, x, y, node)
    if isinstance(x, Dataset):
        if y is not None:
            return Unknown(f"the result of {name}() is not followed")
        feeds_x, feeds_y = _dataset_feeds(ev, x, x_node, name)
        bs = getattr(x, "batch_size", None)
    else:
        if isinstance(x, dict) and isinstance(model, FunctionalModel):
            x, x_node = _by_input_names(ev, model, x, x_node)
        feeds_x = _feeds(ev, x, x_node, "the input array", batch_axis=not on_batch)
        feeds_y = _feeds(ev, y, y_node, "the target array", batch_axis=not on_batch) if y is not None else None
        bs = batch_size if _is_int(batch_size) else (None if on_batch else 32)
    if isinstance(model, SequentialModel) and model.input_shape is None and feeds_x and len(feeds_x) == 1 \
            and feeds_x[0] is not None:
        ev.keras.seq_build(model, (None, *feeds_x[0].shape[1:]) if not isinstance(x, Dataset) else
                           feeds_x[0].shape, node)
    elif isinstance(model, SequentialModel) and model.input_shape is None and feeds_x is None \
            and x is not None and not isinstance(x, (list, tuple, dict)):
        # data shapelens does not follow: Keras still builds the model on it (the batch axis is
        # None where fit/evaluate/predict trace their function for any batch size)
        ev.keras.seq_build_unknown(model, None, batch=UNK if on_batch else None)
    if feeds_x is None:
        if _FUNCTION.get(name) and not ev.speculative:
            # the function is traced for data shapelens does not know: forget what it knew
            ev.data_state.traces.pop((model, _FUNCTION[name]), None)
            ev.data_state.traces[(model, _FUNCTION[name])] = None
        return Unknown(f"the result of {name}() is not followed")

    # -- Keras' data adapter: NumPy dtypes it knows, the same number of samples everywhere
    if not isinstance(x, Dataset):
        if _check_string_arrays(ctx, name, feeds_x, feeds_y or []):
            return Unknown(f"{name}() raises here")
        if _check_counts(ctx, name, feeds_x, feeds_y or [], "x", "y"):
            return Unknown(f"{name}() raises here")

    # -- the traced function: a new input rank makes TensorFlow relax it to an unknown rank
    fn_kind = _FUNCTION.get(name)
    if fn_kind and isinstance(model, (SequentialModel, FunctionalModel)):
        if _check_retrace(ctx, model, fn_kind, feeds_x, feeds_y):
            return Unknown(f"{name}() raises here")
        _relax(ctx.ev, model, fn_kind, feeds_x, feeds_y)

    outputs = _feed_model(ctx, model, feeds_x, name, on_batch)
    if outputs is _RAISED:
        return Unknown(f"{name}() raises here")

    # -- targets against the outputs, under the compiled loss
    if name in ("fit", "evaluate", "train_on_batch", "test_on_batch") and feeds_y and outputs:
        if _check_targets(ctx, model, feeds_y, outputs, bs, feeds_x, y_node):
            return Unknown(f"{name}() raises here")

    if name == "fit":
        vd, vd_node = _call_arg(args, kwargs, node, "validation_data", None)
        if isinstance(vd, (tuple, list)) and len(vd) in (2, 3) and not any(isinstance(v, Dataset) for v in vd):
            vnodes = vd_node.elts if isinstance(vd_node, (ast.Tuple, ast.List)) else [None, None, None]
            vx = _feeds(ev, vd[0], vnodes[0], "the validation input array", batch_axis=True)
            vy = _feeds(ev, vd[1], vnodes[1], "the validation target array", batch_axis=True)
            if vx is not None:
                if _check_counts(ctx, name, vx, vy or [], "validation x", "validation y"):
                    return Unknown("fit() raises here")
                if isinstance(model, (SequentialModel, FunctionalModel)):
                    if _check_retrace(ctx, model, "test", vx, vy):
                        return Unknown("fit() raises here")
                    _relax(ev, model, "test", vx, vy)
                vouts = _feed_model(ctx, model, vx, name, False, validation=True)
                if vouts is _RAISED:
                    return Unknown("fit() raises here")
                if vy and vouts and _check_targets(ctx, model, vy, vouts, batch_size if _is_int(batch_size) else 32,
                                                   vx, vnodes[1], validation=True):
                    return Unknown("fit() raises here")
                if not ev.speculative and isinstance(model, (SequentialModel, FunctionalModel)):
                    _remember_trace(ev, model, "test", vx, vy, ctx.line)

    if fn_kind and not ev.speculative and isinstance(model, (SequentialModel, FunctionalModel)):
        _remember_trace(ev, model, fn_kind, feeds_x, feeds_y, ctx.line)

    if name in ("predict", "predict_on_batch") and outputs:
        n = feeds_x[0].samples if feeds_x else UNK
        outs = [Array((n, *o.shape[1:]), f"{ctx.short}(...) (line {ctx.line})", ctx.span, symbolic=False,
                      dtype="float", lib="numpy") if isinstance(o, Tensor) and o.shape is not None else
                Unknown("an output of unknown shape") for o in outputs]
        if isinstance(model, FunctionalModel) and model.output_is_list:
            return outs
        return outs[0] if len(outs) == 1 else outs
    return Unknown(f"the result of {name}() is not followed")


_RAISED = object()


def _input_name(ev: DataEvaluator, t: Tensor) -> str | None:
    """The name= given to keras.Input(...) (read from the call itself)."""
    if t.producer is None:
        return None
    call = _find_call(ev, t.producer.layer.span)
    if call is None:
        return None
    for kw in call.keywords:
        if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            return kw.value.value
    return None


def _by_input_names(ev: DataEvaluator, model: FunctionalModel, x: dict, node: ast.AST | None) -> tuple[Any, Any]:
    """A dict of arrays keyed by the inputs' names, in the order of the model's inputs."""
    names = [_input_name(ev, t) for t in model.inputs]
    if any(n is None for n in names) or not all(n in x for n in names):
        return None, None
    nodes = {}
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            if isinstance(k, ast.Constant):
                nodes[k.value] = v
    value = [x[n] for n in names]
    return value, (ast.List(elts=[nodes.get(n) for n in names]) if all(n in nodes for n in names) else None)


def _model_name(model: Any) -> str:
    if isinstance(model, (SequentialModel, FunctionalModel)) and model.name:
        return model.name
    if isinstance(model, Instance):
        return model.attrs.get("__varname__") or "model"
    return "model"


def _feeds(ev: DataEvaluator, value: Any, node: ast.AST | None, role: str, batch_axis: bool) -> list[_Feed] | None:
    """The arrays of x (or y): one per model input (output), or None when not followed."""
    if value is None:
        return None
    if isinstance(value, Tensor) and value.symbolic is False and not isinstance(value, Dataset):
        if value.shape is None or not value.shape or getattr(value, "sequences", False):
            return None
        shape = (None, *value.shape[1:]) if batch_axis else tuple(value.shape)
        return [_Feed(value, shape, _var_name(ev, node, role), node, value.shape[0])]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) and v.symbolic is False
                                                          and not isinstance(v, Dataset) for v in value):
        nodes = node.elts if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) == len(value) else \
            [None] * len(value)
        out = []
        for i, (v, n) in enumerate(zip(value, nodes)):
            if v.shape is None or not v.shape or getattr(v, "sequences", False):
                return None
            shape = (None, *v.shape[1:]) if batch_axis else tuple(v.shape)
            out.append(_Feed(v, shape, _var_name(ev, n, f"{role}[{i}]"), n, v.shape[0]))
        return out
    return None


def _dataset_feeds(ev: DataEvaluator, ds: Dataset, node: ast.AST | None, name: str) -> tuple[list | None, list | None]:
    el = ds.element
    label = _var_name(ev, node, "the dataset")
    if isinstance(el, tuple) and el and isinstance(el[0], tuple) and (len(el) in (2, 3)):
        xe, ye = el[0], el[1]
    elif isinstance(el, tuple) and all(not isinstance(d, (tuple, dict)) for d in el):
        xe, ye = el, None
    else:
        return None, None

    def feed(shape: tuple, what: str) -> _Feed:
        t = Array(shape, ds.origin, ds.span, symbolic=False)
        return _Feed(t, shape, f"{label}'s {what}", node, UNK, dataset=True)

    def feeds(part: Any, what: str) -> list[_Feed] | None:
        """One feed per array: an element ``((x1, x2), y)`` feeds a model of two inputs."""
        if _is_shape(part):
            return [feed(part, what)]
        if isinstance(part, (tuple, list)) and part and all(_is_shape(p) for p in part):
            return [feed(p, f"{what} (item {i})") for i, p in enumerate(part)]
        return None  # nested deeper, or a dict: not followed

    fx = feeds(xe, "batches" if ds.batched else "elements")
    fy = feeds(ye, "label batches" if ds.batched else "labels") if ye is not None else None
    return (fx, fy) if fx is not None else (None, None)


def _is_shape(part: Any) -> bool:
    """An element shape (a tuple of sizes), not a structure of shapes."""
    return isinstance(part, tuple) and all(not isinstance(d, (tuple, list, dict)) for d in part)


def _check_string_arrays(ctx: _Ctx, name: str, xs: list[_Feed], ys: list[_Feed]) -> bool:
    """Keras 3: a NumPy array of strings (or objects) is not data it can convert."""
    if not ctx.ev.keras.settings.string_arrays_raise:
        return False
    for f, code in [(f, DATA_DOES_NOT_FIT_MODEL_INPUT) for f in xs] + [(f, TARGETS_DO_NOT_MATCH_OUTPUT) for f in ys]:
        t = f.tensor
        if isinstance(t, Array) and t.lib == "numpy" and t.dtype in ("str", "object") and not f.dataset:
            kind = "strings" if t.dtype == "str" else "Python objects"
            ctx.report(code, SHARED.string_array(short=ctx.short, name=f.name, kind=kind),
                       related=_related(t))
            return True
    return False


def _check_counts(ctx: _Ctx, name: str, xs: list[_Feed], ys: list[_Feed], xrole: str, yrole: str) -> bool:
    xc = [(f, f.samples) for f in xs if known(f.samples)]
    yc = [(f, f.samples) for f in ys if known(f.samples)]
    counts = {c for _, c in xc + yc}
    if len(counts) <= 1:
        return False
    desc = "; ".join(f"{f.name} is {fmt_shape(f.tensor.shape)} from {f.tensor.origin}" for f, _ in (xc + yc)[:4])
    xs_sizes = ", ".join(str(c) for _, c in xc)
    ys_sizes = ", ".join(str(c) for _, c in yc)
    what = f"{xrole} and {yrole}" if yc else "the input arrays"
    ctx.report(SAMPLE_COUNT_MISMATCH, SAMPLE_COUNT_MISMATCH.fit_arrays(
        short=ctx.short, what=what, desc=desc, xrole=xrole, xs_sizes=xs_sizes,
        y_sizes=f", '{yrole}' sizes: {ys_sizes}" if ys_sizes else ""),
               related=[r for f, _ in (xc + yc)[:4] for r in _related(f.tensor, f"{f.name}: {fmt_shape(f.tensor.shape)}"
                                                                                 f" from {f.tensor.origin}")])
    return True


def _ranks(feeds: list[_Feed] | None) -> tuple:
    return tuple(len(f.shape) for f in feeds) if feeds else ()


def _kinds(feeds: list[_Feed] | None) -> tuple:
    """The dtypes the traced function sees: Keras casts every float array to float32; integer
    widths are not tracked, so only float inputs count as known."""
    return tuple(getattr(f.tensor, "dtype", None) if getattr(f.tensor, "dtype", None) == "float" else None
                 for f in feeds or [])


def _same_signature(prev_kinds: tuple, xs: list[_Feed], ys: list[_Feed] | None) -> bool:
    """TensorFlow relaxes a traced signature only towards one with the same structure and
    dtypes; otherwise it traces afresh with the exact shapes (no relaxation, no unknown rank)."""
    now = _kinds(xs) + _kinds(ys)
    return len(now) == len(prev_kinds) and all(k is not None for k in now) and now == prev_kinds


def _check_retrace(ctx: _Ctx, model: Any, kind: str, xs: list[_Feed], ys: list[_Feed] | None) -> bool:
    st = ctx.ev.data_state
    prev = st.traces.get((model, kind))
    if prev is None or not ctx.ev.keras.settings.retrace_rank_raises:  # never traced, traced for
        return False  # data shapelens does not know, or Keras 2 (it runs the call again)
    ranks, line, shapes = prev[0], prev[1], prev[2]
    if not _same_signature(prev[4], xs, ys):
        return False
    now = (_ranks(xs), _ranks(ys))
    if now[0] == ranks[0] and (now[1] == ranks[1] or not now[1] or not ranks[1]):
        return False
    method = {"train": "fit", "test": "evaluate", "predict": "predict"}[kind]
    which = "inputs" if now[0] != ranks[0] else "targets"
    old = shapes[0] if which == "inputs" else shapes[1]
    new = [f.tensor.shape for f in (xs if which == "inputs" else ys or [])]
    ctx.report(RETRACE_WITH_ANOTHER_RANK, RETRACE_WITH_ANOTHER_RANK.other_rank(
        short=ctx.short, method=method, line=line, which=which, old_ranks='/'.join(str(len(s)) for s in old),
        old_shapes=', '.join(fmt_shape(s) for s in old), kind=kind, new_ranks='/'.join(str(len(s)) for s in new),
        new_shapes=', '.join(fmt_shape(s) for s in new)))
    return True


def _remember_trace(ev: DataEvaluator, model: Any, kind: str, xs: list[_Feed], ys: list[_Feed] | None, line: int) -> None:
    st = ev.data_state
    key = (model, kind)
    prev = st.traces.get(key)
    if prev is None and key in st.traces:
        return  # traced for unknown data: shapes are not known from here on
    first_line = prev[1] if prev is not None else line
    first_shapes = prev[2] if prev is not None else ([f.tensor.shape for f in xs], [f.tensor.shape for f in ys or []])
    if prev is not None and not _same_signature(prev[4], xs, ys):
        return  # a separate trace: the relaxable one stays the first
    st.traces[key] = ((_ranks(xs), _ranks(ys)), first_line, first_shapes,
                      ([f.shape for f in xs], [f.shape for f in ys or []]), _kinds(xs) + _kinds(ys))


def _relax(ev: DataEvaluator, model: Any, kind: str, xs: list[_Feed], ys: list[_Feed] | None) -> None:
    """tf.function(reduce_retracing=True): a call whose shapes differ from the traced ones (same
    rank) runs a retraced function with the differing dims relaxed to None."""
    prev = ev.data_state.traces.get((model, kind))
    if prev is None or not _same_signature(prev[4], xs, ys):
        return
    traced_x, traced_y = prev[3]
    for feeds, traced in ((xs, traced_x), (ys or [], traced_y)):
        if len(feeds) != len(traced):
            continue
        for f, t in zip(feeds, traced):
            if len(f.shape) == len(t):
                f.shape = tuple(a if a == b else None for a, b in zip(f.shape, t))


def _model_inputs(model: Any) -> list[tuple] | None:
    if isinstance(model, SequentialModel):
        if model.uncertain or model.input_shape is None:
            return None
        return [tuple(model.input_shape)]
    if isinstance(model, FunctionalModel):
        if any(t.shape is None for t in model.inputs):
            return None
        return [tuple(t.shape) for t in model.inputs]
    return None


def _missing_batch(shape: tuple, spec: tuple) -> bool:
    """The data is one sample: its shape is the model's input without the batch axis."""
    full = tuple(shape)
    if len(full) != len(spec) - 1 or not full:
        return False
    return all(not (known(a) and known(b)) or a == b for a, b in zip(full, spec[1:])) and any(
        known(a) and known(b) for a, b in zip(full, spec[1:]))


def _spec_mismatch(shape: tuple, spec: tuple) -> int | None:
    """Keras' InputSpec check with allow_last_axis_squeeze (Functional models): the axis that differs."""
    s, p = list(shape), list(spec)
    if s and s[-1] == 1:
        s = s[:-1]
    if p and p[-1] == 1:
        p = p[:-1]
    for i, (a, b) in enumerate(zip(p, s)):
        if known(a) and known(b) and a != b:
            return i
    return None


def _adjusted(shape: tuple, spec: tuple) -> tuple | None:
    """Functional._adjust_input_rank: None when Keras raises."""
    if len(shape) == len(spec):
        return tuple(shape)
    if len(shape) == len(spec) + 1 and shape[-1] == 1:
        return tuple(shape[:-1])
    if len(shape) == len(spec) - 1 and spec[-1] == 1:
        return (*shape, 1)
    return None


def _reshape_fix(ev: DataEvaluator, feed: _Feed, spec: tuple) -> dict | None:
    """x.reshape(-1, *spec[1:]) when the values per sample agree (numpy arrays only)."""
    t = feed.tensor
    if not isinstance(t, Array) or t.lib != "numpy" or feed.node is None:
        return None
    per_sample = shape_math.size(tuple(t.shape[1:]))
    want = shape_math.size(tuple(spec[1:]))
    if not (known(per_sample) and known(want) and per_sample == want and all(known(d) for d in spec[1:])):
        return None
    text = _src(ev, feed.node, 60)
    if text is None:
        return None
    atom = all(c.isalnum() or c in "_.[]:" for c in text)
    base = text if atom else f"({text})"
    new = f"{base}.reshape(-1, {', '.join(str(d) for d in spec[1:])})"
    return {"kind": "replace", "title": f"Reshape {text} to {fmt_shape((None, *spec[1:])).replace('None', '-1')}",
            "edits": [{"span": _span_dict(ev.span(feed.node)), "new_text": new}]}


def _input_message(ctx: _Ctx, feed: _Feed, spec: tuple, model: Any, why: str) -> tuple[str, str, dict | None]:
    t = feed.tensor
    where = f" from {t.origin}" if t.origin else ""
    data = f"{feed.name} is {fmt_shape(t.shape)}{where}"
    expects = f"the model expects {fmt_shape(spec)}"
    if _missing_batch(tuple(t.shape), spec):
        if feed.dataset:
            return MISSING_BATCH_AXIS, (MISSING_BATCH_AXIS.missing_batch_axis(
                short=ctx.short, shape=fmt_shape(t.shape), expects=expects, why=why, name=feed.name)), None
        fix = {"kind": "add_data_axis", "data": _span_dict(ctx.ev.span(feed.node)), "axis": 0} if feed.node else None
        return MISSING_BATCH_AXIS, (MISSING_BATCH_AXIS.missing_batch_axis_single(
            short=ctx.short, name=feed.name, shape=fmt_shape(t.shape), where=where, expects=expects, why=why)), fix
    fix = _reshape_fix(ctx.ev, feed, spec)
    hint = ""
    if len(t.shape) == len(spec) - 1 and all(not (known(a) and known(b)) or a == b
                                             for a, b in zip(t.shape[1:], spec[1:-1])) and spec[-1] != 1:
        hint = f". The data has no channel axis; the model wants {spec[-1]} channels"
    elif fix is not None:
        hint = f". Reshape it: {fix['edits'][0]['new_text']}"
    return DATA_DOES_NOT_FIT_MODEL_INPUT, DATA_DOES_NOT_FIT_MODEL_INPUT.data_does_not_fit(
        short=ctx.short, data=data, expects=expects, why=why, hint=hint), fix


def _feed_model(ctx: _Ctx, model: Any, feeds: list[_Feed], name: str, on_batch: bool,
                validation: bool = False) -> Any:
    """Check the inputs like Keras does and run the model on them. Returns the output tensors
    (possibly unknown), _RAISED after reporting, or [] when the model is not followed."""
    ev = ctx.ev
    specs = _model_inputs(model)
    label = "validation data: " if validation else ""
    if isinstance(model, Instance):
        if len(feeds) != 1:
            return []
        return _run_instance(ctx, model, feeds[0])
    if isinstance(model, SequentialModel) and model.broken:
        return []  # a layer raised while the model was built: the program stopped there
    if isinstance(model, FunctionalModel) and any(t.shape is None for t in model.outputs):
        return []
    if specs is None:
        out = getattr(model, "output", None) if isinstance(model, SequentialModel) else None
        return [out] if isinstance(out, Tensor) else []
    if len(feeds) != len(specs):
        if isinstance(model, FunctionalModel) and (len(specs) > 1 or len(feeds) > 1):
            ctx.report(WRONG_NUMBER_OF_INPUTS, WRONG_NUMBER_OF_INPUTS.fit_inputs(
                short=ctx.short, label=label, n_specs=len(specs), specs=', '.join(fmt_shape(s) for s in specs),
                n_feeds=len(feeds), plural='s' if len(feeds) != 1 else '',
                feeds=', '.join(fmt_shape(f.tensor.shape) for f in feeds)),
                       related=[r for f in feeds[:3] for r in _related(f.tensor)])
            return _RAISED
        return []
    adjusted = []
    for feed, spec in zip(feeds, specs):
        if isinstance(model, FunctionalModel):
            axis = _spec_mismatch(feed.shape, spec)
            if axis is not None:
                code, msg, fix = _input_message(ctx, feed, spec, model,
                                                f"; Keras raises ValueError (\"Input 0 ... is incompatible with the "
                                                f"layer: expected shape={fmt_shape(spec)}\")")
                ctx.report(code, label + msg if not label else msg.replace("(): ", "(): " + label, 1),
                           related=_related(feed.tensor) + _model_related(model), fix=fix)
                return _RAISED
        adj = _adjusted(feed.shape, spec)
        if adj is None:
            code, msg, fix = _input_message(
                ctx, feed, spec, model,
                f"; Keras can add or drop only a trailing axis of size 1, so it raises ValueError (\"Invalid "
                f"input shape ... Expected shape {fmt_shape(spec)}, but input has incompatible shape "
                f"{fmt_shape(feed.shape)}\")")
            ctx.report(code, msg.replace("(): ", "(): " + label, 1), related=_related(feed.tensor) +
                       _model_related(model), fix=fix)
            return _RAISED
        adjusted.append(adj)
    relaxed = any(tuple(f.shape) != tuple(f.actual) for f in feeds)
    errors: list = []
    if relaxed:
        # a retraced function (dims relaxed to None) runs on the actual data: what fails, fails
        # at run time; the layers record the relaxed shapes
        actual = [_adjusted(tuple(f.actual), s) for f, s in zip(feeds, specs)]
        if all(a is not None for a in actual) and not _same_as_model(actual, specs):
            with _capture(ev) as caught_a, _rollback_calls(ev):
                _replay(ctx, model, [Tensor(tuple(f.actual), f.tensor.origin, f.tensor.span, symbolic=False)
                                     for f in feeds])
            errors = [d for d in caught_a if d.severity == "error"]
    if _same_as_model(adjusted, specs):
        # the shapes the model was built for: its layers give what they gave (no replay)
        outs = [model.output] if isinstance(model, SequentialModel) else list(model.outputs)
        caught = []
        if _fails_when_run(ctx, model):
            return _RAISED
    else:
        before = {id(obj): len(obj.calls) for obj in ev.keras.layer_objs}
        with _capture(ev) as caught:
            outs = _replay(ctx, model, [Tensor(f.shape, f.tensor.origin, f.tensor.span, symbolic=False)
                                        for f in feeds])
        if relaxed:
            # artefacts of the None dims: the retraced graph builds; what fails, fails at run time
            caught = [d for d in caught if d.severity != "error"]
            for obj in ev.keras.layer_objs:
                for c in obj.calls[before.get(id(obj), 0):]:
                    c.failed = False
        else:
            errors = [d for d in caught if d.severity == "error"]
    if errors:
        first = errors[0]
        feed, spec = feeds[0], specs[0]
        for f, sp in zip(feeds, specs):
            if _missing_batch(tuple(f.tensor.shape), sp):
                feed, spec = f, sp
        code, msg, fix = _input_message(ctx, feed, spec, model, f", and the model fails inside: {first.message}")
        if code == DATA_DOES_NOT_FIT_MODEL_INPUT and tuple(feed.actual[1:]) == tuple(spec[1:]) and len(feed.actual) == len(spec):
            code, msg = DATA_DOES_NOT_FIT_MODEL_INPUT, DATA_DOES_NOT_FIT_MODEL_INPUT.with_label(
                short=ctx.short, label=label, message=first.message)
        elif label:
            msg = msg.replace("(): ", "(): " + label, 1)
        if relaxed:
            msg += " (TensorFlow raises when the retraced function runs)"
        ev.report(code, msg, ctx.span, related=_related(feed.tensor) + list(first.related)[:3],
                  raise_span=ev.trigger or ctx.span, fix=fix if code == MISSING_BATCH_AXIS else (fix or first.fix))
        ev.diags.extend(d for d in caught if d.severity != "error")
        return _RAISED
    ev.diags.extend(caught)
    _warn_declared_size(ctx, model, feeds, specs)
    return [o for o in outs if isinstance(o, Tensor)]


def _model_calls(model: Any) -> list:
    if isinstance(model, SequentialModel):
        return list(model.built_calls)
    if isinstance(model, FunctionalModel):
        return list(model.calls)
    return []


def _fails_when_run(ctx: _Ctx, model: Any) -> bool:
    """A layer of the model builds but fails when run (the rules warned SL123): running the
    model on data raises there."""
    ev = ctx.ev
    calls = _model_calls(model)
    by_span = {}
    for c in calls:
        by_span.setdefault(c.span, c)
    for d in ev.diags:
        if d.code != FAILS_AT_RUN_TIME or d.span not in by_span:
            continue
        call = by_span[d.span]
        ctx.report(DATA_DOES_NOT_FIT_MODEL_INPUT, DATA_DOES_NOT_FIT_MODEL_INPUT.layer_fails_when_run(
            short=ctx.short, kind=call.layer.kind, line=call.layer.span.line + 1, message=d.message),
                   related=[Related(d.span, d.message)])
        return True
    return False


def _same_as_model(adjusted: list, specs: list) -> bool:
    return all(len(a) == len(sp) and tuple(a[1:]) == tuple(sp[1:]) for a, sp in zip(adjusted, specs))


def _replay(ctx: _Ctx, model: Any, xs: list[Tensor]) -> list:
    site = types.SimpleNamespace(span=ctx.span)
    with _training(ctx):
        if isinstance(model, SequentialModel):
            return ctx.ev.keras.replay_sequential(model, xs[0], site)
        return ctx.ev.keras.replay_functional(model, xs, site)


@contextlib.contextmanager
def _training(ctx: _Ctx) -> Iterator[None]:
    """fit runs the layers with training=True, predict/evaluate with training=False."""
    api = ctx.ev.keras
    prev = api.training
    api.training = ctx.short.rsplit(".", 1)[-1] in ("fit", "train_on_batch")
    try:
        yield
    finally:
        api.training = prev


@contextlib.contextmanager
def _rollback_calls(ev: DataEvaluator) -> Iterator[None]:
    """Layer calls made inside are forgotten (a dry run of the model on other shapes)."""
    objs = ev.keras.layer_objs
    n = len(objs)
    marks = [(obj, len(obj.calls), obj.first_call, obj.params, obj.built_spec, obj.built_ndim) for obj in objs]
    try:
        yield
    finally:
        for obj, k, first, params, spec, ndim in marks:
            ev.keras.dropped_calls.extend(obj.calls[k:])
            del obj.calls[k:]
            obj.first_call, obj.params, obj.built_spec, obj.built_ndim = first, params, spec, ndim
        ev.keras.dropped.extend(objs[n:])
        del objs[n:]


def _model_related(model: Any) -> list:
    if isinstance(model, SequentialModel):
        if model.input_layer_obj is not None:
            return [Related(model.input_layer_obj.span, f"the input shape {fmt_shape(model.input_shape)}")]
        if model.layers and model.layers[0].declared_input is not None:
            return [Related(model.layers[0].span, f"the input shape {fmt_shape(model.input_shape)} is declared here")]
        return [Related(model.span, "the model")]
    if isinstance(model, FunctionalModel):
        return [Related(t.span, f"the input {fmt_shape(t.shape)}") for t in model.inputs[:3] if t.span is not None]
    return []


def _warn_declared_size(ctx: _Ctx, model: Any, feeds: list[_Feed], specs: list[tuple]) -> None:
    """Sequential: Keras 3 runs the layers on data of another size than declared, silently."""
    if not isinstance(model, SequentialModel):
        return
    feed, spec = feeds[0], specs[0]
    adj = _adjusted(feed.shape, spec)
    if adj is None or len(adj) != len(spec):
        return
    diffs = [i for i, (a, b) in enumerate(zip(adj, spec)) if i > 0 and known(a) and known(b) and a != b]
    if diffs:
        ctx.report(DATA_SIZE_DIFFERS_FROM_DECLARED_INPUT, DATA_SIZE_DIFFERS_FROM_DECLARED_INPUT.declared_size_differs(
            short=ctx.short, name=feed.name, shape=fmt_shape(feed.tensor.shape), origin=feed.tensor.origin,
            spec=fmt_shape(spec)),
                   related=_related(feed.tensor) + _model_related(model), severity="warning")


def _run_instance(ctx: _Ctx, model: Instance, feed: _Feed) -> Any:
    ev = ctx.ev
    x = Tensor(feed.shape, feed.tensor.origin, feed.tensor.span, symbolic=False)
    with _capture(ev) as caught, _training(ctx):
        out = ev.keras.call_instance(model, [x], {}, ctx.node)
    errors = [d for d in caught if d.severity == "error"]
    if errors:
        first = errors[0]
        spec = (None, *model.input_shape[1:]) if isinstance(model.input_shape, tuple) else None
        if spec is not None and _missing_batch(tuple(feed.tensor.shape), spec):
            code, msg, fix = _input_message(ctx, feed, spec, model, f", and the model fails inside: {first.message}")
            ev.report(code, msg, ctx.span, related=_related(feed.tensor), raise_span=ev.trigger or ctx.span, fix=fix)
            ev.diags.extend(d for d in caught if d.severity != "error")
        else:
            ev.diags.extend(caught)
        return _RAISED
    ev.diags.extend(caught)
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (list, tuple)) and all(isinstance(o, Tensor) for o in out):
        return list(out)
    return []


@contextlib.contextmanager
def _capture(ev: DataEvaluator) -> Iterator[list]:
    """Diagnostics reported inside are taken out of ev.diags and handed to the caller."""
    mark = len(ev.diags)
    caught: list = []
    try:
        yield caught
    finally:
        caught.extend(ev.diags[mark:])
        del ev.diags[mark:]


def model_call_check(ev: DataEvaluator, model: Any, xs: list[Tensor], node) -> Any:
    """model(x) on concrete data (numpy / eager tensors): the checks Keras makes before the
    layers run (Functional input specs, the trailing-axis rank adjustment). Returns None to
    let the model run, or an unknown Tensor after reporting where Keras raises."""
    try:
        return _model_call_check(ev, model, xs, node)
    except Exception:  # noqa: BLE001
        return None


def _model_call_check(ev: DataEvaluator, model: Any, xs: list[Tensor], node) -> Any:
    if not all(isinstance(t, Tensor) and t.symbolic is False and t.shape is not None for t in xs):
        return None
    specs = _model_inputs(model)
    if specs is None:
        return None
    arg_nodes = list(getattr(node, "args", [])[:1])
    x_node = arg_nodes[0] if arg_nodes else None
    nodes = x_node.elts if isinstance(x_node, (ast.List, ast.Tuple)) and len(x_node.elts) == len(xs) else \
        [x_node] * len(xs)
    ctx = _Ctx(ev, node, _model_name(model), "keras")
    if len(specs) != len(xs):
        if isinstance(model, FunctionalModel) and (len(specs) > 1 or len(xs) > 1):
            ctx.report(WRONG_NUMBER_OF_INPUTS, WRONG_NUMBER_OF_INPUTS.call_inputs(
                short=ctx.short, n_specs=len(specs), specs=', '.join(fmt_shape(s) for s in specs), n_xs=len(xs),
                plural='s' if len(xs) != 1 else '', xs=', '.join(fmt_shape(t.shape) for t in xs)),
                       related=[r for t in xs[:3] for r in _related(t)])
            return Tensor(None, f"{ctx.short}(...) raises", ctx.span, symbolic=False)
        return None
    for t, n, spec in zip(xs, nodes, specs):
        feed = _Feed(t, tuple(t.shape), _var_name(ev, n, "the input"), n, t.shape[0] if t.shape else UNK)
        if isinstance(model, FunctionalModel) and _spec_mismatch(feed.shape, spec) is not None:
            code, msg, fix = _input_message(ctx, feed, spec, model, "; Keras raises ValueError (\"Input 0 ... is "
                                            f"incompatible with the layer: expected shape={fmt_shape(spec)}\")")
            ctx.report(code, msg.replace(f"{ctx.short}(): ", f"{ctx.short}(...): ", 1),
                       related=_related(t) + _model_related(model), fix=fix)
            return Tensor(None, f"{ctx.short}(...) raises", ctx.span, symbolic=False)
        if _adjusted(feed.shape, spec) is None:
            code, msg, fix = _input_message(ctx, feed, spec, model, "; Keras can add or drop only a trailing axis "
                                                                    "of size 1, so it raises ValueError")
            ctx.report(code, msg.replace(f"{ctx.short}(): ", f"{ctx.short}(...): ", 1),
                       related=_related(t) + _model_related(model), fix=fix)
            return Tensor(None, f"{ctx.short}(...) raises", ctx.span, symbolic=False)
    return None


@contextlib.contextmanager
def explain_model_call(ev: DataEvaluator, model: Any, xs: list, node) -> Iterator[None]:
    """Around model(x)'s replay on data: a failure deep inside a layer that comes from a
    missing batch axis is reported as such (SL302) instead of the layer's own message."""
    specs = _model_inputs(model) if isinstance(model, (SequentialModel, FunctionalModel)) else None
    data = [t for t in xs if isinstance(t, Tensor) and t.symbolic is False and t.shape is not None]
    if not specs or len(data) != len(xs) or len(specs) != len(xs) or not any(
            _missing_batch(tuple(t.shape), s) for t, s in zip(data, specs)):
        yield
        return
    with _capture(ev) as caught:
        yield
    errors = [d for d in caught if d.severity == "error"]
    if not errors:
        ev.diags.extend(caught)
        return
    ctx = _Ctx(ev, node, _model_name(model), "keras")
    arg_nodes = list(getattr(node, "args", [])[:1])
    for t, spec in zip(data, specs):
        if _missing_batch(tuple(t.shape), spec):
            feed = _Feed(t, tuple(t.shape), _var_name(ev, arg_nodes[0] if arg_nodes else None, "the input"),
                         arg_nodes[0] if arg_nodes else None, UNK)
            code, msg, fix = _input_message(ctx, feed, spec, model, f", and the model fails inside: "
                                                                    f"{errors[0].message}")
            ev.report(code, msg.replace(f"{ctx.short}(): ", f"{ctx.short}(...): ", 1), ctx.span,
                      related=_related(t) + list(errors[0].related)[:3], raise_span=ev.trigger or ctx.span, fix=fix)
            break
    ev.diags.extend(d for d in caught if d.severity != "error")

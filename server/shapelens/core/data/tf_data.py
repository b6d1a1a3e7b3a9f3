"""``tf.data.Dataset``: from_tensor_slices and the dataset methods (batch, shuffle, unbatch, ...).
"""

from __future__ import annotations

from typing import Any, Callable

from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import Tensor
from shapelens.core.data.base import Dataset, _Ctx, _NotFollowed, _arg, _bool, _is_int, _related
from shapelens.core.data.registry import register
from shapelens.core.data.state import DataEvaluator
from shapelens.core.codes import SAMPLE_COUNT_MISMATCH


def _from_tensor_slices(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    data = _arg(args, kwargs, 0, "tensors")
    leaves: list = []
    try:
        el = _slice_element(data, leaves)
    except _NotFollowed:
        return Unknown("a tf.data.Dataset over values shapelens does not follow")
    counts = {t.shape[0] for t in leaves if known(t.shape[0])}
    if len(counts) > 1:
        a, b = sorted(counts)[:2]
        ctx.report(SAMPLE_COUNT_MISMATCH, SAMPLE_COUNT_MISMATCH.from_tensor_slices(
            sizes=", ".join(f"{fmt_shape(t.shape)} from {t.origin}" for t in leaves[:3]), b=b, a=a),
                   related=[r for t in leaves[:3] for r in _related(t)])
        return Unknown("from_tensor_slices raises here")
    n = counts.pop() if counts else UNK
    return _dataset(ctx, el, False, n, f"tf.data.Dataset.from_tensor_slices(...) (line {ctx.line})")


# (the recursive helpers here are functions of the module, not closures: a closure that calls
# itself is a reference cycle, which keeps what it holds until the garbage collector runs)
def _slice_element(v: Any, leaves: list, depth: int = 0) -> Any:
    """from_tensor_slices: the element's shapes (each tensor without its first axis) into ``leaves``."""
    if isinstance(v, Tensor) and not v.symbolic:
        if v.shape is None or not v.shape:
            raise _NotFollowed()
        leaves.append(v)
        return tuple(v.shape[1:])
    if isinstance(v, tuple) and depth < 3:
        return tuple(_slice_element(x, leaves, depth + 1) for x in v)
    if isinstance(v, dict) and depth < 3:
        return {k: _slice_element(x, leaves, depth + 1) for k, x in v.items()}
    raise _NotFollowed()


def _element_tensors(shape: Any, origin: str, span: Any) -> Any:
    """Tensors of an element's shapes (Dataset.map traces its function on them)."""
    if _is_shape(shape):
        return Tensor(tuple(shape), origin, span, symbolic=False)
    if isinstance(shape, tuple):
        return tuple(_element_tensors(v, origin, span) for v in shape)
    if isinstance(shape, dict):
        return {k: _element_tensors(v, origin, span) for k, v in shape.items()}
    raise _NotFollowed()


def _element_shapes(v: Any, depth: int = 0) -> Any:
    """The element's shapes a mapped function returns."""
    if isinstance(v, Tensor) and not isinstance(v, Dataset) and v.shape is not None:
        return tuple(v.shape)
    if isinstance(v, (tuple, list)) and depth < 3 and v:
        return tuple(_element_shapes(x, depth + 1) for x in v)
    if isinstance(v, dict) and depth < 3 and v:
        return {k: _element_shapes(x, depth + 1) for k, x in v.items()}
    raise _NotFollowed()


_CHANNELS = {"rgb": 3, "grayscale": 1, "rgba": 4}


def from_directory(ctx: _Ctx, kind: str, args: list, kwargs: dict) -> Any:
    """keras.utils.image_dataset_from_directory / text_dataset_from_directory: batches of images
    (batch, *image_size, channels) or of strings (batch,), with labels by label_mode: "int"
    (batch,), "binary" (batch, 1), "categorical" (batch, classes), none when labels=None or
    label_mode=None. subset="both" gives two such datasets."""
    get = lambda i, name, default: _arg(args, kwargs, i, name, default)  # noqa: E731
    labels, label_mode, class_names = get(1, "labels", "inferred"), get(2, "label_mode", "int"), get(3, "class_names", None)
    if kind == "image":
        color_mode, batch, size = get(4, "color_mode", "rgb"), get(5, "batch_size", 32), get(6, "image_size", (256, 256))
        fmt = get(15, "data_format", None)
        if color_mode not in _CHANNELS or fmt not in (None, "channels_last") or not (
                isinstance(size, (list, tuple)) and len(size) == 2 and all(_is_int(d) for d in size)):
            return Unknown(f"{ctx.short}() arguments not known statically")
        data: tuple = (*size, _CHANNELS[color_mode])
    else:
        batch, data = get(4, "batch_size", 32), ()
    if not (batch is None or _is_int(batch)) or not isinstance(labels, (str, list, tuple, type(None))):
        return Unknown(f"{ctx.short}() arguments not known statically")
    if labels is None or label_mode is None:
        target = None
    elif label_mode == "int":
        target = ()
    elif label_mode == "binary":
        target = (1,)
    elif label_mode == "categorical":
        target = (len(class_names) if isinstance(class_names, (list, tuple)) else UNK,)
    else:
        return Unknown(f"{ctx.short}(): label_mode={label_mode!r} is not followed")
    lead = (None,) if batch is not None else ()
    element: Any = (*lead, *data) if target is None else ((*lead, *data), (*lead, *target))
    origin = f"{ctx.short}(...) (line {ctx.line})"
    subset = get(9, "subset", None)
    if subset == "both":
        return (_dataset(ctx, element, batch is not None, UNK, origin), _dataset(ctx, element, batch is not None, UNK, origin))
    return _dataset(ctx, element, batch is not None, UNK, origin)


def _dataset(ctx: _Ctx, element: Any, batched: bool, n: Any, origin: str) -> Dataset:
    return Dataset(None, origin, ctx.span, symbolic=False, element=element, batched=batched, cardinality=n)


def _map_element(el: Any, fn: Callable[[tuple], tuple]) -> Any:
    if isinstance(el, tuple) and (not el or not isinstance(el[0], (tuple, dict))) and all(
            not isinstance(d, (tuple, dict)) for d in el):
        return fn(el)
    if isinstance(el, tuple):
        return tuple(_map_element(e, fn) for e in el)
    if isinstance(el, dict):
        return {k: _map_element(v, fn) for k, v in el.items()}
    return el


def _dataset_method(ev: DataEvaluator, ds: Dataset, name: str, args: list, kwargs: dict, node) -> Any:
    ctx = _Ctx(ev, node, f"Dataset.{name}", "tf")
    if name == "batch":
        size = _arg(args, kwargs, 0, "batch_size")
        drop = _bool(_arg(args, kwargs, 1, "drop_remainder"), False)
        if not _is_int(size) or drop is None:
            return Unknown("batch() of a size not known statically")
        if ds.batched:
            el = _map_element(ds.element, lambda s: (size if drop else None, *s))
        else:
            el = _map_element(ds.element, lambda s: (size if drop else None, *s))
        out = _dataset(ctx, el, True, ds.cardinality, f"{ds.origin.rsplit(' (line', 1)[0]}.batch({size}) "
                                                      f"(line {ctx.line})")
        out.batch_size = size  # type: ignore[attr-defined]
        return out
    if name in ("shuffle", "prefetch", "cache", "repeat", "take", "skip", "with_options", "apply_options"):
        out = Dataset(None, ds.origin, ds.span, symbolic=False, element=ds.element, batched=ds.batched,
                      cardinality=ds.cardinality if name in ("shuffle", "prefetch", "cache", "with_options") else UNK)
        if hasattr(ds, "batch_size"):
            out.batch_size = ds.batch_size  # type: ignore[attr-defined]
        return out
    if name == "map":
        return _map(ev, ctx, ds, args, kwargs, node)
    if name == "unbatch" and ds.batched:
        return _dataset(ctx, _map_element(ds.element, lambda s: s[1:]), False, UNK, ds.origin)
    return Unknown(f"Dataset.{name}() is not followed")


def _is_shape(el: Any) -> bool:
    return isinstance(el, tuple) and all(not isinstance(d, (tuple, dict, list)) for d in el)


def _low_rank_call(marks: list, new_objs: list) -> bool:
    calls = [c for obj, k, *_ in marks for c in obj.calls[k:]] + [c for obj in new_objs for c in obj.calls]
    return any(not isinstance(t, Tensor) or t.shape is None or len(t.shape) < 2
               for c in calls for t in [*c.inputs, *c.extra_inputs])


def _map(ev: DataEvaluator, ctx: _Ctx, ds: Dataset, args: list, kwargs: dict, node) -> Any:
    """``ds.map(fn)``: tf.data traces ``fn`` once on tensors of the element's shapes (a tuple
    element is passed as positional arguments, a dict as one argument); the new element is
    the structure of what it returns. Layers called inside get records of those shapes."""
    fn = _arg(args, kwargs, 0, "map_func")
    el = ds.element
    if fn is None or el is None:
        return Unknown("Dataset.map() is not followed")
    origin = f"an element of {ds.origin}"
    try:
        value = _element_tensors(el, origin, ctx.span)
    except _NotFollowed:
        return Unknown("Dataset.map() over elements shapelens does not follow")
    call_args = list(value) if isinstance(value, tuple) else [value]
    objs = ev.keras.layer_objs
    marks = [(obj, len(obj.calls), obj.first_call, obj.params, obj.built_spec, obj.built_ndim) for obj in objs]
    n_objs, n_diags = len(objs), len(ev.diags)
    result = ev.call(fn, call_args, {}, node)
    if _low_rank_call(marks, objs[n_objs:]):
        # a layer called on a scalar or a vector (one unbatched element): the rules are written for
        # batches, so forget these calls rather than claim their shapes
        for obj, k, first, params, spec, ndim in marks:
            ev.keras.dropped_calls.extend(obj.calls[k:])
            del obj.calls[k:]
            obj.first_call, obj.params, obj.built_spec, obj.built_ndim = first, params, spec, ndim
        ev.keras.dropped.extend(objs[n_objs:])
        del objs[n_objs:]
        del ev.diags[n_diags:]
        return Unknown("Dataset.map() calls a layer on single elements of fewer than 2 axes (not followed)")
    try:
        new = _element_shapes(result)
    except _NotFollowed:
        return Unknown(f"the elements {ctx.short}() makes are not followed")
    out = Dataset(None, f"{ds.origin.rsplit(' (line', 1)[0]}.map(...) (line {ctx.line})", ds.span, symbolic=False,
                  element=new, batched=ds.batched, cardinality=ds.cardinality)
    if hasattr(ds, "batch_size"):
        out.batch_size = ds.batch_size  # type: ignore[attr-defined]
    return out


_SEQUENCES = ("utils.Sequence", "utils.PyDataset", "trainers.PyDataset")


def sequence_dataset(ev: DataEvaluator, inst: Any, node) -> Dataset | None:
    """A ``keras.utils.Sequence`` / ``PyDataset`` subclass given to fit/predict: Keras reads its
    batches with ``__getitem__``; the first one (followed quietly) gives the batch shapes, with
    the batch axis unknown (the last batch may be smaller). None when it is not one."""
    from shapelens.core.resolve import ModuleRef, keras_name
    from shapelens.core.values import ClassValue, FunctionValue, Instance

    if not isinstance(inst, Instance):
        return None
    stack, seen, found = [inst.cls], set(), False
    while stack and not found:
        c = stack.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        for b in c.bases:
            if isinstance(b, ModuleRef) and keras_name(b.path) in _SEQUENCES:
                found = True
            elif isinstance(b, ClassValue):
                stack.append(b)
    getitem = inst.cls.lookup("__getitem__")
    if not found or not isinstance(getitem, FunctionValue):
        return None
    ev.speculative += 1
    try:
        batch = ev.call(getitem, [inst, 0], {}, node)
    finally:
        ev.speculative -= 1

    def shape(v: Any) -> tuple:
        if isinstance(v, Tensor) and not isinstance(v, Dataset) and not v.symbolic and v.shape:
            return (None, *v.shape[1:])
        raise _NotFollowed()

    try:
        if isinstance(batch, (tuple, list)) and 1 <= len(batch) <= 3:
            element: Any = tuple(shape(v) for v in batch) if len(batch) > 1 else shape(batch[0])
        else:
            element = shape(batch)
    except _NotFollowed:
        return None
    origin = f"batches of {inst.cls.name}.__getitem__"
    out = Dataset(None, origin, ev.span(node), symbolic=False, element=element, batched=True, cardinality=UNK)
    out.from_sequence = True  # type: ignore[attr-defined]  # a lone x reaches train_step as (x,)
    return out


register({
    "tensorflow.data.Dataset.from_tensor_slices": _from_tensor_slices,
})



"""The user's own ``Layer`` / ``Model`` subclasses, called like Keras calls them.

Keras's ``Layer.__call__`` on a subclass: ``build(input_shape)`` once (weights made with
``add_weight`` there or in ``__init__`` count in the parameters), then ``call()`` traced
with symbolic tensors. The functional graph sees ONE node for the call (``model.summary()``
shows one row ``block (Block)`` with the output shape and every weight of its sublayers).

A subclass of a built-in layer (``class StandardizedConv2D(layers.Conv2D)``) is the base
layer: ``super().__init__(filters, ...)`` gives the base its arguments, ``super().call(x)``
and ``self.convolution_op(x, kernel)`` are the base rule, and without its own ``call()`` the
subclass is the base layer with its rule and its parameters.

``compute_output_shape`` is used when ``call()`` cannot be followed, as Keras does when a
layer defines it and the backend cannot trace ``call``.
"""

from __future__ import annotations

import ast
from typing import Any

from shapelens.core.keras_graph import BASE, WEIGHTS, _as_list, _retag, _shape_tuple, model_params
from shapelens.core.resolve import ModuleRef, keras_name
from shapelens.core.rules import LAYERS, LayerError, Unresolved, apply
from shapelens.core.rules.base import SYMBOLIC_CALL
from shapelens.core.shapes import ShapeError, Unknown
from shapelens.core.values import ClassValue, FunctionValue, Instance, LayerCall, LayerObj, Tensor, symbolic_of

NOT_HANDLED = object()


def _library_bases(cls: ClassValue):
    """The Keras names of the library classes a user class extends, through its user bases."""
    stack, seen = [cls], set()
    while stack:
        c = stack.pop()
        if id(c) in seen:
            continue
        seen.add(id(c))
        for b in c.bases:
            if isinstance(b, ModuleRef):
                yield keras_name(b.path)
            elif isinstance(b, ClassValue):
                stack.append(b)


def builtin_of(cls: ClassValue) -> str | None:
    """The built-in Keras layer a user class extends (through user classes), or None."""
    return next((LAYERS[name].kind for name in _library_bases(cls) if name in LAYERS), None)


def functional_subclass(cls: ClassValue, args: list, kwargs: dict) -> bool:
    """A ``keras.Model`` subclass that defines neither ``__init__`` nor ``call`` (it overrides
    train_step, say), constructed as ``Sub(inputs, outputs)``: Keras makes it a Functional
    model (Model.__init__ -> inject_functional_model_class), the same graph as Model(...)."""
    if cls.lookup("__init__") is not None or cls.lookup("call") is not None:
        return False
    if set(kwargs) - {"inputs", "outputs", "name", "trainable"}:
        return False
    if len(args) + sum(k in kwargs for k in ("inputs", "outputs")) < 2 or len(args) > 2:
        return False
    return any(name in ("Model", "models.Model", "Functional") for name in _library_bases(cls))


def is_builtin_ref(ref: ModuleRef) -> bool:
    return keras_name(ref.path) in LAYERS


# --------------------------------------------------------------------------- construction

def after_init(api, inst: Instance, args: list, kwargs: dict, node: ast.AST) -> None:
    """A built-in subclass whose __init__ did not call super().__init__ (or has none)."""
    if inst.cls.keras_base is None:
        return
    inst.attrs.setdefault("built", False)
    kind = builtin_of(inst.cls)
    if kind is not None and BASE not in inst.attrs:
        user_init = isinstance(inst.cls.lookup("__init__"), FunctionValue)
        make_base(api, inst, kind, [] if user_init else args, {} if user_init else kwargs, node)


def make_base(api, inst: Instance, kind: str, args: list, kwargs: dict, node: ast.AST | None) -> LayerObj | None:
    """The built-in base layer of a subclass: its rule and arguments (no record of its own:
    Keras records the subclass)."""
    before = len(api.layer_objs)
    try:
        base = api.make_layer(kind, list(args), dict(kwargs), node if node is not None else inst.cls.node)
    finally:
        api.dropped.extend(api.layer_objs[before:])
        del api.layer_objs[before:]
    inst.attrs[BASE] = base if isinstance(base, LayerObj) else None
    return inst.attrs[BASE]


def method(api, inst: Instance, name: str, args: list, kwargs: dict, node: ast.AST) -> Any:
    """Methods of a subclass instance that Keras's Layer provides; NOT_HANDLED for the rest."""
    if name in ("add_weight", "super.add_weight"):
        return add_weight(api, inst, args, kwargs)
    if name == "super.__init__":
        kind = builtin_of(inst.cls)
        if kind is not None:
            make_base(api, inst, kind, args, kwargs, node)
        return None
    if name == "super.get_config" or name == "get_config":
        return {}
    base = inst.attrs.get(BASE)
    if base is not None and name in ("super.call", "convolution_op") and args:
        return base_output(api, inst, base, args[0], node, args[1:], kwargs)
    if name == "super.compute_output_shape" and base is not None and args:
        shape = _shape_tuple(args[0])
        if shape is None:
            return Unknown("compute_output_shape of an unknown shape")
        try:
            return tuple(apply(base.rule, base.args, shape).shape)
        except (LayerError, Unresolved, ShapeError):
            return Unknown("compute_output_shape fails here")
    if name == "super.build":
        return None
    return NOT_HANDLED


def add_weight(api, inst: Instance, args: list, kwargs: dict) -> Any:
    """Keras 3 ``add_weight(shape=None, initializer=None, ...)``; tf-keras's takes ``name`` first."""
    shape = kwargs.get("shape")
    if shape is None and args:
        shape = args[0] if isinstance(args[0], (tuple, list)) else (args[1] if len(args) > 1 else None)
    dims = _shape_tuple(shape) if shape is not None else ()
    if isinstance(shape, int) and not isinstance(shape, bool):
        dims = (shape,)
    count: int | None = 1
    for d in dims or ():
        count = count * d if count is not None and isinstance(d, int) and not isinstance(d, bool) else None
    if dims is None:
        count = None
    prev = inst.attrs.get(WEIGHTS, 0)
    inst.attrs[WEIGHTS] = prev + count if prev is not None and count is not None else None
    if dims is None or any(not (isinstance(d, int) and not isinstance(d, bool)) for d in dims):
        return Unknown("a weight whose shape is not known")
    return Tensor(tuple(dims), f"{inst.cls.name} weight", inst.span, None, symbolic=False)


def base_output(api, inst: Instance, base: LayerObj, x: Any, node: ast.AST | None,
                extra: Any = (), kwargs: dict | None = None) -> Any:
    """The built-in base layer's rule on x (what ``super().call(x)`` gives); ``extra`` and
    ``kwargs``: the other arguments of the call (MultiHeadAttention's value, a mask)."""
    if base.rule is None or base.args is None:
        return Unknown(base.unknown_reason or f"the arguments of {base.kind} are not known statically")
    tensors = _as_list(x) if isinstance(x, (list, tuple)) else [x]
    if not all(isinstance(t, Tensor) and t.shape is not None for t in tensors):
        return Unknown(f"the input shape of {inst.cls.name} is not known")
    others = [*extra, *(kwargs or {}).values()]
    if any(isinstance(t, Tensor) and t.shape is None for t in others):
        return Unknown(f"a tensor given to {inst.cls.name} has an unknown shape")
    call = {k: tuple(v.shape) if isinstance(v, Tensor) else v for k, v in (kwargs or {}).items()}
    if extra:
        call["args"] = [tuple(t.shape) if isinstance(t, Tensor) else t for t in extra]
    call[SYMBOLIC_CALL] = symbolic_of(tensors)
    shapes = [tuple(t.shape) for t in tensors]
    try:
        out = apply(base.rule, base.args, shapes if isinstance(x, (list, tuple)) else shapes[0], call)
    except (LayerError, ShapeError) as err:
        span = api.ev.span(node) if node is not None else inst.span
        api._report_error(base, err if isinstance(err, LayerError) else LayerError(err.code, err.message, err.fix),
                          span, tensors)
        inst.attrs["__raised__"] = True
        return Unknown(f"{inst.cls.name} raises here")
    except Unresolved as u:
        return Unknown(u.reason)
    except Exception:  # noqa: BLE001 -- a rule bug must not take the analysis down
        return Unknown(f"shapelens could not apply its {base.kind} rule here")
    if base.params is None:
        base.params = out.params
    symbolic = symbolic_of(tensors)
    origin = f"{inst.cls.name} (line {inst.span.line + 1})" if inst.span else inst.cls.name
    if isinstance(out.shape, list):
        return [Tensor(tuple(s), origin, inst.span, None, symbolic=symbolic, index=i) for i, s in enumerate(out.shape)]
    return Tensor(tuple(out.shape), origin, inst.span, None, symbolic=symbolic)


# --------------------------------------------------------------------------- calls

def _input_shapes(x: Any) -> Any:
    if isinstance(x, Tensor):
        return tuple(x.shape) if x.shape is not None else None
    if isinstance(x, (list, tuple)) and x and all(isinstance(t, Tensor) and t.shape is not None for t in x):
        return [tuple(t.shape) for t in x]
    if isinstance(x, dict) and x and all(isinstance(t, Tensor) and t.shape is not None for t in x.values()):
        return {k: tuple(t.shape) for k, t in x.items()}
    return None


def _known(result: Any) -> bool:
    if isinstance(result, Tensor):
        return result.shape is not None
    if isinstance(result, (list, tuple)) and result:
        return all(_known(r) for r in result)
    if isinstance(result, dict) and result:
        return all(_known(r) for r in result.values())
    return False


def _is_shape(value: Any) -> bool:
    """A shape compute_output_shape returned: sizes, None, or sizes not known (the input's own)."""
    return isinstance(value, (tuple, list)) and all(
        (isinstance(d, int) and not isinstance(d, bool)) or d is None or isinstance(d, Unknown) for d in value)


def _declared(api, inst: Instance, shapes: Any, node) -> Any:
    """The user's compute_output_shape(input_shape), as a result of tensors (or None)."""
    fn = inst.cls.lookup("compute_output_shape")
    if not isinstance(fn, FunctionValue) or shapes is None:
        return None
    try:
        out = api._run_method(inst, fn, [shapes], {}, node)
    except RecursionError:
        return None
    origin = f"{inst.cls.name}.compute_output_shape"
    if _is_shape(out):
        return Tensor(tuple(out), origin, inst.span)
    if isinstance(out, (list, tuple)) and out and all(_is_shape(s) for s in out):
        return [Tensor(tuple(s), origin, inst.span, index=i) for i, s in enumerate(out)]
    return None


def keep_output(inst: Instance, log: list, result: Any) -> None:
    """After a traced call(): the layer calls it made and its output shape(s) on the instance."""
    inst.calls.extend(c for c in log if c not in inst.calls)
    if isinstance(result, Tensor):
        inst.output_shape = result.shape
    elif isinstance(result, (list, tuple)) and all(isinstance(r, Tensor) for r in result):
        inst.output_shape = [r.shape for r in result]


def call(api, inst: Instance, args: list, kwargs: dict, node: ast.AST | None, record: bool = True) -> Any:
    """One call of a Layer/Model subclass instance: build once, trace call(), one record."""
    x = args[0]
    xs = [t for t in _as_list(x) if isinstance(t, Tensor)]
    shapes = _input_shapes(x)
    kind = builtin_of(inst.cls)
    base = inst.attrs.get(BASE)
    if kind is not None and BASE not in inst.attrs:
        base = make_base(api, inst, kind, [], {}, None)
    if not inst.built:
        inst.built = True
        build_fn = inst.cls.lookup("build")
        if isinstance(build_fn, FunctionValue) and shapes is not None:
            api._run_method(inst, build_fn, [shapes], {}, node)
        inst.attrs["built"] = True
        if isinstance(x, Tensor):
            inst.input_shape = x.shape
    call_fn = inst.cls.lookup("call")
    # a Keras tensor in: Keras tensors out; data in: data out; a value not followed: not known
    symbolic = symbolic_of(_as_list(x) if isinstance(x, (list, tuple, dict)) else [x])
    log: list[LayerCall] = []
    api._call_log.append(log)
    inst.attrs.pop("__raised__", None)
    # Keras traces call() with backend (TensorFlow) tensors: tf.* ops are legal inside it
    api.in_layer_call += 1
    try:
        traced = [_retag(a, False) for a in args] if symbolic else args
        if isinstance(call_fn, FunctionValue):
            result = api._run_method(inst, call_fn, traced, _with_training(api, call_fn, traced, kwargs), node)
        elif base is not None:
            result = base_output(api, inst, base, traced[0], node, traced[1:], kwargs)
        else:
            result = Unknown(f"{inst.cls.name} has no call() shapelens can follow")
        if not _known(result) and not inst.attrs.get("__raised__"):
            declared = _declared(api, inst, shapes, node)
            if declared is not None:
                result = declared
    finally:
        api.in_layer_call -= 1
        api._call_log.pop()
    keep_output(inst, log, result)
    if not record:
        inst.attrs.pop("__raised__", None)
        return result
    return _record(api, inst, x, xs, result, kwargs, node, symbolic, list(args[1:]))


def _with_training(api, fn: FunctionValue, args: list, kwargs: dict) -> dict:
    """Keras passes the training flag of fit/predict/evaluate to a call() that takes `training`
    and was not given it (positionally or by keyword)."""
    if api.training is None or "training" in kwargs or isinstance(fn.node, ast.Lambda):
        return kwargs
    a = fn.node.args
    names = [p.arg for p in [*a.posonlyargs, *a.args]][1:]  # without self
    if "training" in names:
        if names.index("training") < len(args):
            return kwargs
    elif "training" not in [p.arg for p in a.kwonlyargs]:
        return kwargs
    return {**kwargs, "training": api.training}


def _unknown_parts(result: Any, origin: str, span) -> Any:
    """A structure of outputs with each element that is not a tensor made a tensor of unknown shape."""
    if isinstance(result, Tensor):
        return result
    if isinstance(result, (list, tuple)):
        return type(result)(_unknown_parts(v, origin, span) for v in result)
    if isinstance(result, dict):
        return {k: _unknown_parts(v, origin, span) for k, v in result.items()}
    return Tensor(None, origin, span)


class _Outputs:
    """New tensors for a call's result, produced by the call ``c`` (a class, not a recursive
    closure: that would be a reference cycle left for the garbage collector)."""

    def __init__(self, c: LayerCall, origin: str, span: Any, symbolic: bool) -> None:
        self.c, self.origin, self.span, self.symbolic = c, origin, span, symbolic
        self.counter = iter(range(1 << 30))

    def __call__(self, r: Any) -> Any:
        if isinstance(r, Tensor):
            t = Tensor(r.shape, self.origin, self.span, self.c, symbolic=self.symbolic, index=next(self.counter))
            self.c.outputs.append(t)
            return t
        if isinstance(r, tuple):
            return tuple(self(v) for v in r)
        if isinstance(r, list):
            return [self(v) for v in r]
        if isinstance(r, dict):
            return {k: self(v) for k, v in r.items()}
        return r


def _record(api, inst: Instance, x: Any, xs: list, result: Any, kwargs: dict, node, symbolic: bool,
            extra: list | None = None) -> Any:
    """The call as one layer record; its outputs are new tensors produced by it. ``extra``: the
    positional arguments after the input (a decoder's encoder outputs), kept for replays."""
    layer = api.instance_as_layer(inst)
    span = api.ev.span(node) if node is not None else layer.span
    c = LayerCall(layer, span, xs, order=api.ev.next_order(), call_kwargs=dict(kwargs), call_args=list(extra or []))
    c.extra_inputs = [t for v in [*(extra or []), *kwargs.values()] for t in _as_list(v) if isinstance(t, Tensor)]
    c.failed = bool(inst.attrs.pop("__raised__", False))
    layer.calls.append(c)
    if api._call_log:
        api._call_log[-1].append(c)
    origin = f"{inst.cls.name} (line {layer.span.line + 1})"
    fresh = _Outputs(c, origin, span, symbolic)
    if _known(result):
        out = fresh(result)
    else:
        c.note = result.reason if isinstance(result, Unknown) else f"the output of {inst.cls.name}.call() is not known"
        if isinstance(result, (list, tuple, dict)) and result:
            # one output per element, as Keras has: the ones not known are tensors of unknown shape
            out = fresh(_unknown_parts(result, origin, span))
        else:
            out = Tensor(None, origin, span, c, symbolic=symbolic)
            c.outputs = [out]
    if layer.first_call is None:
        layer.first_call = c
    layer.params = model_params(inst)
    return out

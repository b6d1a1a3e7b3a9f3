"""Keras semantics for the evaluator: layers, Input, Sequential, functional and subclassed models.

Follows Keras 3 (what TensorFlow 2.16+ ships). Where Keras 2 / tf-keras differs, the
difference lives in :mod:`shapelens.core.keras_versions`.
"""

from __future__ import annotations

import ast
import contextlib
from typing import Any
from shapelens.core import backbones, custom_layers, data, keras_versions, subclass_layers
from shapelens.core.data.base import Array, literal_array
from shapelens.core.results import Related
from shapelens.core.resolve import ModuleRef, keras_name
from shapelens.core.rules import LAYERS, Args, LayerError, Unresolved, apply, thirdparty
from shapelens.core.rules.base import SYMBOLIC_CALL, NeedInput, PROBE
from shapelens.core.rules import symbolic
from shapelens.core.rules.symbolic import RankUnknown
from shapelens.core.shapes import ShapeError, Unknown, fmt_shape, known
from shapelens.core.source import Span
from shapelens.core.values import (
    FunctionalModel,
    FunctionValue,
    Instance,
    LayerCall,
    LayerObj,
    SequentialModel,
    Tensor,
    symbolic_of,
)
from shapelens.core.rules.base import BASE_KWARGS as BASE_LAYER_KWARGS
from shapelens.core.rules.merging import FUNCTIONAL_DEFAULTS, FUNCTIONAL_FORMS as MERGE_FUNCTIONS
from shapelens.core.keras_graph import (  # noqa: F401 -- model_params is imported from here
    MODEL_CLASSES,
    _as_list,
    _fmt_value,
    _remap,
    _shape_tuple,
    _span_dict,
    _str_or_none,
    graph_calls,
    model_params,
)
from shapelens.core.keras_methods import KerasMethods
from shapelens.core.keras_sequential import KerasSequential
from shapelens.core.keras_calls import _eager, _identity_hashed, _input_ends, _lost_inside, _rule_shape, _unfollowed
from shapelens.core.codes import (
    INCOMPATIBLE_INPUT_DIMENSION,
    INPUT_SHAPE_OVERRIDDEN,
    INVALID_ARGUMENT,
    UNKNOWN_LAYER,
    WRONG_INPUT_RANK,
)


class KerasApi(KerasSequential, KerasMethods):
    def __init__(self, ev) -> None:
        self.ev = ev
        self.layer_objs: list[LayerObj] = []
        # made, then taken out of layer_objs / a layer's calls by a rollback (for the teardown)
        self.dropped: list[LayerObj] = []
        self.dropped_calls: list[LayerCall] = []
        self.models: list[Any] = []
        self.uncertain_effects = 0
        # >0 while a custom Layer/Model call() (or a Lambda function) runs: Keras 3 traces it with
        # backend tensors, so tf.* ops inside it are legal (no SL107)
        self.in_layer_call = 0
        # Keras's training flag while fit (True) / predict, evaluate (False) run the model: a
        # subclass whose call() takes `training` and is not given it explicitly gets this value
        self.training: bool | None = None
        self.constructing: list = []  # the user's Layer/Model instances whose __init__ is running
        self._self_stack: list[Instance] = []
        self._call_log: list[list[LayerCall]] = []
        # model (by identity) -> (model, its layer, its index in layer_objs)
        self._model_layers: dict[Any, tuple[Any, LayerObj, int]] = {}
        self.settings = keras_versions.KERAS3
        # ids given to the layers and models made by statements whose last results were kept
        # (core/incremental.py: Replay): the ids of the others stay what a full run gives them
        self.layer_base = 0
        self.model_base = 0

    def next_layer_id(self) -> int:
        return self.layer_base + len(self.layer_objs)

    def next_model_id(self) -> int:
        return self.model_base + len(self.models)

    # ------------------------------------------------------------------ bookkeeping
    def current_self(self) -> Instance | None:
        return self._self_stack[-1] if self._self_stack else None

    def name_object(self, name: str, value: Any) -> None:
        if isinstance(value, (SequentialModel, FunctionalModel)) and value.name is None:
            value.name = name
        elif isinstance(value, Instance) and value.cls.keras_base == "Model" and getattr(value, "name", None) is None:
            value.attrs.setdefault("__varname__", name)

    def class_kind(self, ref: ModuleRef) -> str | None:
        name = keras_name(ref.path)
        if name in ("Model", "Sequential", "Functional", "models.Model"):
            return "Model"
        if name in ("Layer", "layers.Layer") or subclass_layers.is_builtin_ref(ref):
            return "Layer"
        return None

    # ------------------------------------------------------------------ dispatch
    def call(self, func: Any, args: list, kwargs: dict, node: ast.AST) -> Any:
        if isinstance(func, LayerObj):
            method = self.call_layer
        elif isinstance(func, (SequentialModel, FunctionalModel)):
            method = self.call_model
        elif isinstance(func, ModuleRef):
            method = self.call_ref
        else:
            method = None
        if method is not None:  # with_trigger, inlined: this is on every Keras / library call
            ev = self.ev
            prev = ev._trigger
            ev._trigger = (node, ev.anchor)
            try:
                return method(func, args, kwargs, node)
            finally:
                ev._trigger = prev
        if isinstance(func, Unknown):
            return self.unknown_call(func, func.reason, node)
        return Unknown("a call to something that is not followed")

    def with_trigger(self, node: ast.AST, fn) -> Any:
        prev = self.ev.push_trigger(node)
        try:
            return fn()
        finally:
            self.ev.pop_trigger(prev)

    def unknown_call(self, func: Any, reason: str, node: ast.AST) -> Any:
        if isinstance(func, ModuleRef):
            name = keras_name(func.path)
            if name in LAYERS or name in MODEL_CLASSES:
                return Unknown(f"{name}(...) with {reason}")
        return Unknown(reason)

    def call_ref(self, ref: ModuleRef, args: list, kwargs: dict, node: ast.AST) -> Any:
        name = keras_name(ref.path)
        if backbones.handles(name):
            return backbones.call(self, name, args, kwargs, node)
        if name is None and (library := backbones.third_party_layer(ref.path)) is not None:
            return self.make_layer(ref.leaf, args, kwargs, node, library=library)
        if name is None and (hub := backbones.hub_reason(ref.path)) is not None:
            self.ev.report(UNKNOWN_LAYER, hub, self.ev.span(node))
            return Unknown(hub)
        if name is None:
            if ref.path.startswith("math."):
                from shapelens.core import builtins_model

                return builtins_model.call(self.ev, ref.path, args, kwargs, node)
            return data.call(self.ev, ref.path, args, kwargs, node)
        if name in ("Input", "layers.Input"):
            return self.make_input(args, kwargs, node)
        if name in ("backend.image_data_format", "config.image_data_format"):
            return "channels_last"  # Keras's default; shapelens follows the default config
        if name == "Sequential":
            return self.make_sequential(args, kwargs, node)
        if name in ("Model", "Functional"):
            return self.make_functional(args, kwargs, node)
        if name in MERGE_FUNCTIONS:
            kwargs = {**FUNCTIONAL_DEFAULTS.get(name, {}), **kwargs}
            return self.merge_function(MERGE_FUNCTIONS[name], args, kwargs, node)
        if name == "InputLayer" or name in LAYERS or name == "Lambda" or self._looks_like_layer(ref, name):
            return self.make_layer(name, args, kwargs, node)
        return data.call(self.ev, ref.path, args, kwargs, node)

    @staticmethod
    def is_known_name(ref: ModuleRef) -> bool:
        """Does this Keras path name something shapelens models (for star imports)?"""
        name = keras_name(ref.path)
        return name is not None and (
            name in LAYERS or name in MODEL_CLASSES or name in MERGE_FUNCTIONS
            or name in ("Input", "InputLayer", "Lambda", "Layer")
        )

    @staticmethod
    def _looks_like_layer(ref: ModuleRef, name: str) -> bool:
        return "." not in name and name[:1].isupper() and ".layers." in ref.path + "."

    # ------------------------------------------------------------------ layers
    def make_layer(self, kind: str, args: list, kwargs: dict, node: ast.AST, library: str | None = None) -> Any:
        """``library``: a third-party layer (KerasNLP, TensorFlow Addons...) of that name; no
        Keras rule applies to it even when Keras has a layer of the same name."""
        span = self.ev.span(node)
        rule = thirdparty.lookup(library, kind) if library else LAYERS.get(kind)
        if not library:
            args, kwargs = keras_versions.layer_arguments(self.settings, kind, list(args), dict(kwargs))
        own = set(rule.signature) if rule else set()
        declared = self._declared_input(kind, kwargs, span, own)
        common = {k: kwargs.pop(k) for k in list(kwargs) if k in BASE_LAYER_KWARGS and k not in own}
        layer = LayerObj(
            layer_id=self.next_layer_id(),
            kind=rule.kind if rule else kind,
            rule=rule,
            args=None,
            span=span,
            order=self.ev.next_order(),
            declared_input=declared,
            name=common.get("name") if isinstance(common.get("name"), str) else None,
        )
        self.layer_objs.append(layer)
        if self.constructing:
            layer.owner = self.constructing[-1]
        for value in [*args, *kwargs.values()]:
            if isinstance(value, LayerObj) and value.wrapped_by is None:
                value.wrapped_by = layer  # Bidirectional(LSTM(...)), WeightNormalization(Conv1D(...))
        if kind == "InputLayer":
            return self._input_layer(layer, args, kwargs, common, node)
        if kind == "Lambda":
            return custom_layers.make_lambda(layer, args, kwargs)
        if kind in custom_layers.CELLS:
            return custom_layers.make_cell(layer, args, kwargs)
        if kind in ("RNN", "StackedRNNCells"):
            return (custom_layers.make_rnn if kind == "RNN" else custom_layers.make_stacked)(layer, args, kwargs)
        if kind == "TimeDistributed" and custom_layers.is_model_like(args[0] if args else kwargs.get("layer")):
            layer.rule = None
            return custom_layers.make_time_distributed(layer, args, kwargs)
        if rule is None:
            layer.unknown_reason = (
                "a Lambda layer runs arbitrary code" if kind == "Lambda"
                else f"no rule for this {library} layer" if library
                else f"shapelens has no rule for {kind}"
            )
            self.ev.report(UNKNOWN_LAYER, UNKNOWN_LAYER.no_rule(name=kind, reason=layer.unknown_reason), span)
            return layer
        try:
            layer.args = Args.bind(rule, args, kwargs)
            problem = (keras_versions.numpy_int_argument(self.settings, layer.kind, layer.args.values)
                       or keras_versions.embedding_weights_problem(self.settings, layer.kind, layer.args.values))
            if problem is not None:
                raise LayerError(INVALID_ARGUMENT, problem)
            self._probe(layer)
        except LayerError as err:
            layer.init_error = True
            self._report_error(layer, err, span, [], init=True)
            layer.fixed_args = self._keras2_pool_size(layer, rule, args, kwargs)
        except Unresolved:
            pass
        return layer

    def _keras2_pool_size(self, layer: LayerObj, rule: Any, args: list, kwargs: dict) -> Args | None:
        """AveragePooling1D/2D/3D() without pool_size raises in Keras 3; Keras 2, which such code
        was written for, pooled by 2: the calls go on with that (the error stays)."""
        if not layer.kind.startswith("AveragePooling") or args or "pool_size" in kwargs:
            return None
        try:
            fixed = Args.bind(rule, [], {**kwargs, "pool_size": 2})
            rule.fn(fixed, PROBE, {})
        except NeedInput:
            return fixed
        except Exception:  # noqa: BLE001 -- another error of the arguments: no fix to go on with
            return None
        return fixed

    def _declared_input(self, kind: str, kwargs: dict, span: Span, own: set) -> tuple | None:
        if "batch_input_shape" in kwargs and kind != "InputLayer":
            value = kwargs.pop("batch_input_shape")
            if not self.settings.batch_input_shape_on_layers:
                self.ev.report(
                    INVALID_ARGUMENT,
                    INVALID_ARGUMENT.batch_input_shape_not_accepted(kind=kind, batch_shape=_fmt_value(value)),
                    span, raise_span=self.ev.trigger,
                )
                return None
            return _shape_tuple(value)
        length = kwargs.get("input_length")
        if kind == "Embedding" and self.settings.embedding_input_length and kwargs.get("input_shape") is None:
            # Keras 2: an Embedding declares input_shape=(input_length,), (None,) without one, so
            # a Sequential model that starts with it is built (batch, input_length)
            if isinstance(length, (list, tuple)):
                return (None, *length)
            return (None, length) if length else (None, None)
        if kwargs.get("input_dim") is not None and "input_dim" not in own:
            dim = kwargs["input_dim"]
            return (None, dim) if not isinstance(dim, Unknown) else None
        if kwargs.get("input_shape") is not None and "input_shape" not in own:
            shape = _shape_tuple(kwargs["input_shape"])
            return (None, *shape) if shape is not None else None
        return None

    def _probe(self, layer: LayerObj) -> None:
        """Run the rule without an input: errors raised before it looks at the input are
        the ones Keras raises in the constructor."""
        rule = layer.rule

        def probe() -> None:
            try:
                rule.fn(layer.args, PROBE, {})
            except NeedInput:
                pass
            except (Unresolved, TypeError, AttributeError, IndexError, KeyError, ValueError):
                pass

        symbolic.probe_once(rule, layer.args, probe)  # (not again for the same arguments)

    def _input_layer(self, layer: LayerObj, args: list, kwargs: dict, common: dict, node: ast.AST) -> LayerObj:
        shape = self._input_batch_shape(args, kwargs, layer.span)
        if shape is None and layer.declared_input is not None:
            shape = layer.declared_input
        tensor = Tensor(shape, f"InputLayer (line {layer.span.line + 1})", layer.span,
                        ends=_input_ends(shape, args, kwargs))
        call = LayerCall(layer, layer.span, [], [tensor], order=self.ev.next_order())
        tensor.producer = call
        layer.calls.append(call)
        layer.first_call = call
        layer.params = 0
        return layer

    def _input_batch_shape(self, args: list, kwargs: dict, span: Span) -> tuple | None:
        if "batch_shape" in kwargs or "batch_input_shape" in kwargs:
            return _shape_tuple(kwargs.get("batch_shape", kwargs.get("batch_input_shape")))
        shape = args[0] if args else kwargs.get("shape", kwargs.get("input_shape"))
        if shape is None:
            return None
        if known(shape):
            if not self.settings.int_input_shape:
                self.ev.report(
                    INVALID_ARGUMENT,
                    INVALID_ARGUMENT.input_shape_not_tuple(shape=shape),
                    span, raise_span=self.ev.trigger,
                )
            # after the error, the shape the suggested fix gives: a user who writes shape=(n,)
            # sees the model's shapes at once (the call itself still raises)
            shape = (shape,)
        inner = _shape_tuple(shape)
        if inner is None:
            return None
        batch = args[1] if len(args) > 1 else kwargs.get("batch_size")
        return (batch if known(batch) else None, *inner)

    def make_input(self, args: list, kwargs: dict, node: ast.AST) -> Any:
        span = self.ev.span(node)
        layer = LayerObj(self.next_layer_id(), "InputLayer", None, None, span, self.ev.next_order())
        self.layer_objs.append(layer)
        errors_before = len(self.ev.diags)
        order = self.ev.next_order()  # the call comes before the error it raises
        shape = self._input_batch_shape(args, kwargs, span)
        tensor = Tensor(shape, f"keras.Input (line {span.line + 1})", span, ends=_input_ends(shape, args, kwargs))
        call = LayerCall(layer, span, [], [tensor], order=order)
        call.failed = any(d.severity == "error" for d in self.ev.diags[errors_before:])
        if shape is None and not call.failed:
            given = args[0] if args else kwargs.get("shape", kwargs.get("batch_shape"))
            why = f" ({given.reason})" if isinstance(given, Unknown) and given.reason else ""
            call.note = f"the shape given to Input is not known statically{why}"
        tensor.producer = call
        layer.calls.append(call)
        layer.first_call = call
        layer.params = 0
        if self._call_log:
            self._call_log[-1].append(call)
        return tensor

    def call_layer(self, layer: LayerObj, args: list, kwargs: dict, node: ast.AST | None,
                   site: Span | None = None) -> Any:
        if not args:
            for key in ("inputs", "query", "x", "input", "decoder_sequence"):  # the last: KerasHub's decoder
                if key in kwargs:
                    kwargs = dict(kwargs)
                    args = [kwargs.pop(key)]
                    break
        if layer.kind == "InputLayer":
            return layer.calls[0].outputs[0] if layer.calls else Unknown("an InputLayer without a shape")
        if layer.model is not None:
            return self.call_model(layer.model, args, kwargs, node, as_layer=layer)
        if not args:
            return Unknown(f"{layer.kind} called without an input")
        x = args[0]
        extra = args[1:]
        if isinstance(x, (list, tuple)) and layer.rule is not None and layer.rule.takes_lists:
            # the text and lookup layers make a TensorFlow tensor of a Python list (Keras 2 and 3)
            x = literal_array(x, f"the list given to {layer.kind} (line {self.ev.span(node).line + 1})"
                              if node is not None else f"the list given to {layer.kind}",
                              self.ev.span(node) if node is not None else None) or x
        if layer.kind == "TextVectorization" and layer.rule is not None and (
                isinstance(x, str) or isinstance(x, (list, tuple)) and x
                and all(isinstance(i, (str, Unknown)) for i in x)):
            # one text, or a list of texts some not known here (a function's parameter, a file's
            # contents): a string tensor of that many texts (a one-item list [s] is (1,) whether
            # s is a text or a list of one text; TextVectorization treats (1, 1) as (1,))
            x = Array(() if isinstance(x, str) else (len(x),), f"the text given to {layer.kind}",
                      self.ev.span(node) if node is not None else None, symbolic=False, dtype="str", lib="tf")
        if isinstance(x, (list, tuple)) and x and layer.rule is not None and not layer.rule.multi_input \
                and all(isinstance(a, Array) and a.symbolic is False and a.shape is not None
                        and a.shape == x[0].shape for a in x):
            # a list of same-shape arrays given to a one-input layer: Keras stacks it into one tensor
            x = Array((len(x), *x[0].shape), f"the {len(x)} arrays stacked by {layer.kind}", x[0].span,
                      symbolic=False, dtype=x[0].dtype)
        if isinstance(x, Unknown) and layer.rule is not None and not layer.rule.multi_input:
            # a value shapelens does not follow: Keras makes it a tensor (or raises), of a rank
            # not known here -- the layer still gives what it fixes (Conv2D is 4-D, ends in filters)
            x = Tensor(None, _unfollowed(x), symbolic=None)
        inputs = [t for t in _as_list(x)] if isinstance(x, (list, tuple, dict)) else [x]
        span = site or (self.ev.span(node) if node is not None else layer.span)
        call = LayerCall(layer, span, [t for t in inputs if isinstance(t, Tensor)], order=self.ev.next_order(),
                         call_kwargs=kwargs, call_args=list(extra))
        call.extra_inputs = [t for v in list(extra) + list(kwargs.values()) for t in _as_list(v)
                             if isinstance(t, Tensor)]
        if self._call_log:
            self._call_log[-1].append(call)
        layer.calls.append(call)
        result = self._run_rule(layer, call, x, inputs, extra, kwargs)
        return result

    def _run_rule(self, layer: LayerObj, call: LayerCall, x: Any, inputs: list, extra: list, kwargs: dict) -> Any:
        def unknown(reason: str) -> Any:
            call.note = reason
            t = Tensor(None, f"{layer.kind} (line {layer.span.line + 1})", call.span, call,
                       symbolic=symbolic_of(inputs))
            call.outputs = [t]
            return t

        if layer.init_error and layer.fixed_args is None:
            return unknown(f"{layer.kind} raises in its constructor (see the error on it)")
        if layer.kind == "Lambda" and layer.rule is None:
            return custom_layers.run_lambda(self, layer, call, x, inputs, unknown)
        if layer.kind == "RNN" and layer.rule is None and layer.args is not None:
            return custom_layers.run_rnn(self, layer, call, x, inputs, unknown)
        if layer.kind == "TimeDistributed" and layer.rule is None and layer.args is not None:
            return custom_layers.run_time_distributed(self, layer, call, x, inputs, unknown)
        if layer.rule is None or layer.args is None:
            return unknown(layer.unknown_reason or f"the arguments of {layer.kind} are not known statically")
        if not all(isinstance(t, Tensor) for t in inputs):
            return unknown(f"the input of {layer.kind} is not a tensor shapelens can follow")
        shapes = [_rule_shape(t) for t in inputs]
        in_arg = shapes if isinstance(x, (list, tuple, dict)) else shapes[0]
        call_shapes: dict[str, Any] = {}
        for k, v in kwargs.items():
            call_shapes[k] = _rule_shape(v) if isinstance(v, Tensor) else v
        if extra:
            call_shapes["args"] = [_rule_shape(t) if isinstance(t, Tensor) else t for t in extra]
        call_shapes[SYMBOLIC_CALL] = symbolic_of(inputs)
        try:
            self._check_built(layer, shapes)
            out = apply(layer.rule, layer.fixed_args if layer.init_error else layer.args, in_arg, call_shapes)
        except LayerError as err:
            call.failed = True
            self._report_error(layer, err, call.span, inputs)
            return unknown(f"{layer.kind} raises here")
        except Unresolved as u:
            return unknown(u.reason)
        except ShapeError as err:
            call.failed = True
            self._report_error(layer, LayerError(err.code, err.message, err.fix), call.span, inputs)
            return unknown(f"{layer.kind} raises here")
        except Exception:  # noqa: BLE001 -- a rule bug must not take the analysis down
            return unknown(f"shapelens could not apply its {layer.kind} rule here")
        rank_unknown = any(isinstance(s, RankUnknown) for s in shapes)
        if layer.first_call is None:
            layer.first_call = call
            layer.params = out.params
            layer.built_spec = out.spec
            layer.built_ndim = len(shapes[0]) if len(shapes) == 1 and isinstance(shapes[0], tuple) else None
            layer.built_on_unknown_rank = rank_unknown
            self._check_declared(layer, shapes, call)
        elif layer.built_on_unknown_rank and not rank_unknown:
            # built by Keras on data shapelens does not know: a call on a known rank that
            # succeeds has the weights of that build (no input checks: the build is not known)
            layer.built_on_unknown_rank = False
            if out.params is not None:
                layer.params = out.params
        for code, message in out.warnings:
            self.ev.report(code, message, call.span, severity="warning")
        call.explain = list(out.explain)
        origin = f"{layer.kind} (line {layer.span.line + 1})"
        symbolic = symbolic_of(inputs)
        eager = symbolic is False and not self.in_layer_call  # data, not a custom layer's trace
        if isinstance(out.shape, list):
            # a layer called on data (numpy / eager tensors) gives data, not Keras tensors
            call.outputs = [Tensor(_eager(tuple(s), eager), origin, call.span, call, symbolic=symbolic, index=i)
                            for i, s in enumerate(out.shape)]
            return list(call.outputs)
        if isinstance(out.shape, RankUnknown):
            t = Tensor(None, origin, call.span, call, symbolic=symbolic,
                       ends=(out.shape.first, out.shape.last))
        else:
            t = Tensor(_eager(tuple(out.shape), eager), origin, call.span, call, symbolic=symbolic)
        call.outputs = [t]
        return t

    def _check_built(self, layer: LayerObj, shapes: list[tuple]) -> None:
        """A built layer called again must get inputs matching what it was built for."""
        if layer.first_call is None or not layer.built_spec or len(shapes) != 1 \
                or not isinstance(shapes[0], tuple):
            return
        shape = shapes[0]
        first = layer.first_call
        where = f"first called on line {first.span.line + 1}"
        for axis, size in layer.built_spec.items():
            if not known(size):
                continue
            if not -len(shape) <= axis < len(shape):
                raise LayerError(
                    WRONG_INPUT_RANK,
                    WRONG_INPUT_RANK.shared_layer_rank(
                        kind=layer.kind, built_ndim=layer.built_ndim, where=where, n_shape=len(shape),
                        shape=fmt_shape(shape)),
                )
            got = shape[axis]
            if known(got) and got != size:
                name = "last axis" if axis in (-1, len(shape) - 1) else f"axis {axis}"
                raise LayerError(
                    INCOMPATIBLE_INPUT_DIMENSION,
                    INCOMPATIBLE_INPUT_DIMENSION.shared_layer_size(
                        kind=layer.kind, name=name, size=size, where=where, shape=fmt_shape(shape), got=got),
                )

    def _check_declared(self, layer: LayerObj, shapes: list[tuple], call: LayerCall) -> None:
        """Keras 3 ignores input_shape= on a standalone layer and builds for what it receives."""
        if layer.in_sequential or layer.declared_input is None or len(shapes) != 1 \
                or not isinstance(shapes[0], tuple):
            return
        declared, got = layer.declared_input, shapes[0]
        differs = len(declared) != len(got) or any(
            known(a) and known(b) and a != b for a, b in zip(declared[1:], got[1:])
        )
        if differs:
            self.ev.report(
                INPUT_SHAPE_OVERRIDDEN,
                INPUT_SHAPE_OVERRIDDEN.called_on_other_shape(
                    kind=layer.kind, declared=fmt_shape(declared[1:]), got=fmt_shape(got)),
                call.span,
                related=[Related(layer.span, "input_shape declared here")],
            )

    def _report_error(self, layer: LayerObj, err: LayerError, span: Span, inputs: list, init: bool = False) -> None:
        related = []
        message = err.message
        for t in inputs:
            if isinstance(t, Tensor) and t.producer is not None and t.producer.layer is not layer:
                prod = t.producer.layer
                related.append(Related(prod.span, f"{fmt_shape(t.shape)} comes from {t.origin}"))
        if len(related) == 1 and inputs and isinstance(inputs[0], Tensor) and inputs[0].producer is not None \
                and inputs[0].producer.layer.kind != "InputLayer":
            message += f" (the input {fmt_shape(inputs[0].shape)} comes from {inputs[0].origin})"
        fix = {"kind": err.fix, "layer": _span_dict(layer.span)} if err.fix else None
        self.ev.report(err.code, message, span, related=related, raise_span=self.ev.trigger, fix=fix)

    # ------------------------------------------------------------------ merge functions
    def merge_function(self, kind: str, args: list, kwargs: dict, node: ast.AST) -> Any:
        inputs = args[0] if args else kwargs.pop("inputs", None)
        layer_kwargs = {k: v for k, v in kwargs.items() if k != "inputs"}
        layer = self.make_layer(kind, [], layer_kwargs, node)
        if isinstance(layer, LayerObj):
            layer.implicit = True
            return self.call_layer(layer, [inputs], {}, node)
        return layer

    # ------------------------------------------------------------------ functional
    def make_functional(self, args: list, kwargs: dict, node: ast.AST) -> Any:
        span = self.ev.span(node)
        unexpected = [k for k in kwargs if k not in ("inputs", "outputs", "name", "trainable")]
        if unexpected and (args or "inputs" in kwargs or "input" in kwargs):
            import difflib

            close = difflib.get_close_matches(unexpected[0], ["inputs", "outputs", "name", "trainable"], n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            self.ev.report(INVALID_ARGUMENT, INVALID_ARGUMENT.model_unexpected_keyword(
                keyword=unexpected[0], hint=hint),
                           span, raise_span=self.ev.trigger)
            return Unknown("a Model(...) call Keras rejects")
        inputs = args[0] if args else kwargs.get("inputs")
        outputs = args[1] if len(args) > 1 else kwargs.get("outputs")
        if inputs is None or outputs is None:
            return Unknown("a Model(...) without inputs and outputs (a subclass pattern shapelens follows via the class)")
        ins = [t for t in _as_list(inputs)]
        outs = [t for t in _as_list(outputs)]
        if not all(isinstance(t, Tensor) for t in ins + outs):
            return Unknown("a Model whose inputs or outputs are not tensors shapelens can follow")
        model = FunctionalModel(self.next_model_id(), span, self.ev.next_order(), ins, outs,
                                output_is_list=isinstance(outputs, (list, tuple, dict)),
                                name=_str_or_none(kwargs.get("name")))
        gaps: list = []
        model.calls = graph_calls(ins, outs, gaps)
        model.graph_gaps = bool(gaps)
        self.models.append(model)
        return model

    def model_as_layer(self, model: Any) -> LayerObj:
        kind = "Sequential" if isinstance(model, SequentialModel) else (
            model.cls.name if isinstance(model, Instance) else "Functional")
        span = model.span
        # Only this method gives a layer a .model, so a model has at most one such layer in
        # layer_objs: the one made here, unless a rollback has removed it since (the list
        # only loses its tail). An index instead of a scan of every layer (quadratic).
        hit = self._model_layers.get(model) if _identity_hashed(model) else None
        if hit is not None and hit[0] is model:
            existing, index = hit[1], hit[2]
            objs = self.layer_objs
            if existing.model is model and index < len(objs) and objs[index] is existing:
                return existing
        layer = LayerObj(self.next_layer_id(), kind, None, None, span, self.ev.next_order())
        layer.model = model
        self.layer_objs.append(layer)
        if _identity_hashed(model):
            self._model_layers[model] = (model, layer, len(self.layer_objs) - 1)
        return layer

    def instance_as_layer(self, inst: Instance) -> LayerObj:
        if inst.layer_obj is None:
            inst.layer_obj = self.model_as_layer(inst)
        return inst.layer_obj

    def call_model(self, model: Any, args: list, kwargs: dict, node: ast.AST | None,
                   as_layer: LayerObj | None = None) -> Any:
        if not args and "inputs" in kwargs:
            args = [kwargs.pop("inputs")]
        if not args:
            return Unknown("a model called without inputs")
        x = args[0]
        if isinstance(model, Instance):
            return self.call_instance(model, args, kwargs, node)
        if isinstance(model, SequentialModel) and not isinstance(x, (Tensor, list, tuple, dict)) \
                and x is not None:
            # data shapelens does not follow (an array read from a file, a batch of a dataset):
            # a tensor of unknown rank
            x = Tensor(None, _unfollowed(x), symbolic=None)
        xs = _as_list(x)
        if not all(isinstance(t, Tensor) for t in xs):
            return Unknown("a model called on values shapelens cannot follow")
        # model(x) on data (numpy / eager tensors): Keras' input checks live in core/data.py
        symbolic = symbolic_of(xs)
        on_data = symbolic is False
        if on_data:
            stopped = data.model_call_check(self.ev, model, xs, node)
            if stopped is not None:
                return stopped
        layer = as_layer or self.model_as_layer(model)
        span = self.ev.span(node) if node is not None else layer.span
        call = LayerCall(layer, span, xs, order=self.ev.next_order())
        layer.calls.append(call)
        if self._call_log:
            self._call_log[-1].append(call)
        self._call_log.append([])  # the model's own layers are not layers of the caller
        with contextlib.ExitStack() as stack:
            stack.callback(self._call_log.pop)
            if on_data:
                stack.enter_context(data.explain_model_call(self.ev, model, xs, node))
            if isinstance(model, SequentialModel):
                if model.input_shape is None and not model.uncertain and xs[0].shape is not None:
                    model.input_shape = tuple(xs[0].shape)
                    self.seq_propagate(model)
                    outs = [model.output] if model.output is not None else [Tensor(None, "unknown")]
                elif model.input_shape is None and not model.uncertain and not model.partial:
                    self.seq_build_unknown(model, xs[0])
                    outs = [model.output] if model.output is not None else [Tensor(None, "unknown")]
                else:
                    outs = self.replay_sequential(model, xs[0], call)
            else:
                outs = self.replay_functional(model, xs, call)
        origin = f"{layer.kind} (line {layer.span.line + 1})"
        call.outputs = [Tensor(o.shape if isinstance(o, Tensor) else None, origin, span, call, index=i,
                               symbolic=symbolic, ends=o.ends if isinstance(o, Tensor) else None)
                        for i, o in enumerate(outs)]
        if call.note is None and outs and all(not isinstance(o, Tensor) or o.shape is None for o in outs) \
                and all(t.shape is not None for t in xs):  # (else the note says which input is unknown)
            call.note = _lost_inside(outs[0], layer.kind)
        if layer.first_call is None:
            layer.first_call = call
        layer.params = model_params(model)
        if isinstance(model, FunctionalModel) and model.output_is_list:
            return list(call.outputs)
        return call.outputs[0]

    def replay_functional(self, model: FunctionalModel, xs: list[Tensor], call: LayerCall) -> list[Tensor]:
        if len(xs) != len(model.inputs):
            return [Tensor(None, "a model called with a different number of inputs") for _ in model.outputs]
        mapping: dict[int, Any] = {}
        for orig, new in zip(model.inputs, xs):
            mapping[id(orig)] = self.adjust_rank(new, orig.shape)
        for c in model.calls:
            ins = [mapping.get(id(t), t) for t in c.inputs]
            if c.layer.kind == "InputLayer" or not ins:  # a call with no tensor input (half-typed code)
                continue
            arg: Any = ins if len(c.inputs) > 1 or c.layer.rule is not None and c.layer.rule.multi_input else ins[0]
            # the other tensors of the call (MultiHeadAttention's value, mask=...) are replayed too
            res = self.call_layer(c.layer, [arg, *_remap(c.call_args, mapping)],
                                  {k: _remap(v, mapping) for k, v in c.call_kwargs.items()}, None, site=call.span)
            for orig, new in zip(c.outputs, _as_list(res)):
                mapping[id(orig)] = new
        return [mapping.get(id(o), Tensor(None, "unknown")) for o in model.outputs]

    def adjust_rank(self, x: Tensor, expected: tuple | None) -> Tensor:
        """Keras 3 Functional._adjust_input_rank: add or drop a trailing axis of size 1."""
        if expected is None or x.shape is None or len(x.shape) == len(expected):
            return x
        if len(x.shape) == len(expected) + 1 and x.shape[-1] == 1:
            return Tensor(x.shape[:-1], x.origin, x.span, x.producer, x.symbolic, x.index)
        if len(x.shape) == len(expected) - 1 and expected[-1] == 1:
            return Tensor(tuple(x.shape) + (1,), x.origin, x.span, x.producer, x.symbolic, x.index)
        return x

    # ------------------------------------------------------------------ subclassed models
    def register_instance(self, inst: Instance, node: ast.AST) -> None:
        if inst.cls.keras_base == "Model":
            inst.model_id = self.next_model_id()
            self.models.append(inst)

    def call_instance(self, inst: Instance, args: list, kwargs: dict, node: ast.AST | None) -> Any:
        if inst.cls.keras_base is None:
            # a plain class of the user's (a model builder): obj(...) runs its __call__
            dunder = inst.cls.lookup("__call__")
            if isinstance(dunder, FunctionValue):
                return self._run_method(inst, dunder, args, kwargs, node)
        call_fn = inst.cls.lookup("call")
        if not args and isinstance(call_fn, FunctionValue) and not isinstance(call_fn.node, ast.Lambda):
            # the input passed by the name call() gives it: layer(source=x, source_mask=m)
            params = [a.arg for a in [*call_fn.node.args.posonlyargs, *call_fn.node.args.args]][1:2]
            if params and params[0] in kwargs:
                kwargs = dict(kwargs)
                args = [kwargs.pop(params[0])]
        if inst.cls.keras_base is not None and args:
            return subclass_layers.call(self, inst, args, kwargs, node)
        if not isinstance(call_fn, FunctionValue):
            return Unknown(f"{inst.cls.name} has no call() shapelens can follow")
        if not args:
            return Unknown(f"{inst.cls.name} called without an input")
        x = args[0]
        if not inst.built:
            build_fn = inst.cls.lookup("build")
            inst.built = True
            if isinstance(build_fn, FunctionValue) and isinstance(x, Tensor) and x.shape is not None:
                self._run_method(inst, build_fn, [x.shape], {}, node)
            if isinstance(x, Tensor):
                inst.input_shape = x.shape
        log: list[LayerCall] = []
        self._call_log.append(log)
        try:
            # not a Keras subclass (those go to subclass_layers): a plain object with call()
            result = self._run_method(inst, call_fn, args, kwargs, node)
        finally:
            self._call_log.pop()
        subclass_layers.keep_output(inst, log, result)
        if self._call_log:
            # used as a layer inside an outer model: record one call of the instance as a layer
            layer = self.instance_as_layer(inst)
            span = self.ev.span(node) if node is not None else layer.span
            c = LayerCall(layer, span, [t for t in _as_list(x) if isinstance(t, Tensor)],
                          outputs=[r for r in _as_list(result) if isinstance(r, Tensor)], order=self.ev.next_order())
            layer.calls.append(c)
            self._call_log[-1].append(c)
        return result

    def _run_method(self, inst: Instance, fn: FunctionValue, args: list, kwargs: dict, node) -> Any:
        self._self_stack.append(inst)
        try:
            return self.ev.call_function(fn, [inst, *args], kwargs, node or inst.cls.node)
        finally:
            self._self_stack.pop()

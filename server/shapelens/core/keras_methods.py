"""Methods and attributes of Keras objects for the evaluator: ``model.fit/predict/summary``,
``model.add``, ``layer.output``, ``tensor.shape``, indexing and operators on tensors."""

from __future__ import annotations

import ast
from typing import Any
from shapelens.core import data
from shapelens.core.rules import LayerError, Unresolved, apply
from shapelens.core.shapes import Unknown, fmt_shape
from shapelens.core.values import (
    BoundMethod,
    FunctionalModel,
    FunctionValue,
    Instance,
    LayerObj,
    SequentialModel,
    Tensor,
    is_model,
)
from shapelens.core.keras_graph import NO_SHAPE_EFFECT_METHODS, _shape_tuple, model_params
from shapelens.core.codes import SUBCLASS_BUILD_DOES_NOT_RUN_CALL


_VOCABULARY_LAYERS = frozenset({"StringLookup", "IntegerLookup", "TextVectorization"})
_LEARNS_VOCABULARY = frozenset({"adapt", "set_vocabulary", "load_assets"})

class KerasMethods:
    """Mixin of :class:`shapelens.core.keras_api.KerasApi`: methods and attributes of Keras objects."""

    # ------------------------------------------------------------------ methods and attributes
    def call_method(self, obj: Any, name: str, args: list, kwargs: dict, node: ast.AST) -> Any:
        if name.startswith("plain."):
            from shapelens.core import builtins_model

            return builtins_model.call_plain_method(self.ev, obj, name[6:], args, kwargs)
        if isinstance(obj, Instance) and obj.cls.keras_base is not None:
            from shapelens.core import subclass_layers

            handled = subclass_layers.method(self, obj, name, args, kwargs, node)
            if handled is not subclass_layers.NOT_HANDLED:
                return handled
        if name.startswith("super."):
            return None
        return self.with_trigger(node, lambda: self._method(obj, name, args, kwargs, node))

    def _method(self, obj: Any, name: str, args: list, kwargs: dict, node: ast.AST) -> Any:
        if isinstance(obj, SequentialModel):
            if name == "add":
                if args:
                    self.seq_add(obj, args[0], node)
                return None
            if name == "pop":
                if obj.layers and not self.uncertain_effects:
                    obj.layers.pop()
                    obj.built_calls = obj.built_calls[: len(obj.layers)]
                    obj.output = obj.built_calls[-1].outputs[0] if obj.built_calls and obj.built_calls[-1].outputs else obj.input_tensor
                else:
                    obj.uncertain = True
                return None
            if name == "build":
                shape = args[0] if args else kwargs.get("input_shape")
                self.seq_build(obj, shape, node)
                return None
        if isinstance(obj, Instance) and name == "build" and obj.cls.keras_base:
            shape = _shape_tuple(args[0] if args else kwargs.get("input_shape"))
            user_build = isinstance(obj.cls.lookup("build"), FunctionValue)
            if not user_build and not self.settings.subclass_build_runs_call:
                if not obj.built and obj.cls.keras_base == "Model":
                    self.ev.report(
                        SUBCLASS_BUILD_DOES_NOT_RUN_CALL,
                        SUBCLASS_BUILD_DOES_NOT_RUN_CALL.build_does_not_run_call(
                            name=obj.cls.name, input_shape=fmt_shape(shape[1:]) if shape else '(...)'),
                        self.ev.span(node),
                    )
                obj.built = True
                return None
            if shape is not None and not obj.built:
                from shapelens.core import subclass_layers

                # build() is not a call of the layer: no record of its own
                subclass_layers.call(self, obj, [Tensor(shape, f"{obj.cls.name}.build (line {self.ev.span(node).line + 1})",
                                                        self.ev.span(node))], {}, node, record=False)
            return None
        if is_model(obj):
            if name == "get_layer" and isinstance(obj, (SequentialModel, FunctionalModel)):
                return self._get_layer(obj, args, kwargs, node)
            if name in ("compile",):
                # positional optimizer, loss, loss_weights, metrics as in Model.compile
                obj.compile_kwargs = {**dict(zip(("optimizer", "loss", "loss_weights", "metrics"), args)), **kwargs}
                return None
            if name in ("fit", "predict", "evaluate", "train_on_batch", "test_on_batch", "predict_on_batch"):
                return data.model_data_call(self.ev, obj, name, args, kwargs, node)
            if name == "count_params":
                return model_params(obj) if model_params(obj) is not None else Unknown("parameter count not known")
            if name in NO_SHAPE_EFFECT_METHODS:
                return None
            if name == "__call__":
                return self.call(obj, args, kwargs, node)
        if isinstance(obj, LayerObj):
            if name in _LEARNS_VOCABULARY and obj.kind in _VOCABULARY_LAYERS and obj.args is not None:
                # the encoded axis is the size of a vocabulary learned from data: not known statically
                obj.args.values["vocabulary"] = Unknown(f"the vocabulary {obj.kind}.{name}() learns")
                return None
            if name == "count_params":
                return obj.params if obj.params is not None else Unknown("parameter count not known")
            if name == "__call__":
                return self.call_layer(obj, args, kwargs, node)
            if name == "compute_output_shape" and args and obj.rule is not None and obj.args is not None:
                shape = _shape_tuple(args[0])
                if shape is None:
                    return Unknown("compute_output_shape of an unknown shape")
                try:
                    return apply(obj.rule, obj.args, shape).shape
                except (LayerError, Unresolved):
                    return Unknown("compute_output_shape fails here")
        if isinstance(obj, Instance):
            return None if name in ("add_weight", "add_loss", "add_metric") else Unknown(f"{name}() is not followed")
        if isinstance(obj, Tensor):
            return data.tensor_method(self.ev, obj, name, args, kwargs, node)
        if isinstance(obj, data.ShapeKeepingTransformer):
            return data.transformer_method(self.ev, obj, name, args, kwargs, node)
        if isinstance(obj, Unknown) and name == "reshape":
            return data.reshape_unknown(self.ev, obj, args, kwargs, node)
        return Unknown(f".{name}() is not followed")

    def _get_layer(self, model: Any, args: list, kwargs: dict, node: ast.AST) -> Any:
        """model.get_layer(name) / get_layer(index=i): a layer named by the user (Keras's own names,
        dense_1 ..., depend on what else the session made: not followed)."""
        layers = self.object_attr(model, "layers", node)
        if not isinstance(layers, list):
            return Unknown("get_layer() of a model whose layers are not known")
        name = args[0] if args else kwargs.get("name")
        index = args[1] if len(args) > 1 else kwargs.get("index")
        if name is None and isinstance(index, int) and not isinstance(index, bool):
            return layers[index] if -len(layers) <= index < len(layers) else Unknown("get_layer(index=...) out of range")
        if not isinstance(name, str):
            return Unknown("get_layer() of a name not known statically")
        found = [layer.model if layer.model is not None else layer for layer in layers
                 if isinstance(layer, LayerObj) and (layer.name == name or layer.model is not None
                                                     and getattr(layer.model, "name", None) == name)]
        return found[0] if len(found) == 1 else Unknown(f"get_layer({name!r}): no layer given that name shapelens follows")

    def object_attr(self, obj: Any, attr: str, node: ast.AST | None) -> Any:
        if isinstance(obj, data.Bunch):
            return data.bunch_field(obj, attr)
        if isinstance(obj, Tensor):
            return data.tensor_attr(self.ev, obj, attr)
        if isinstance(obj, LayerObj):
            if attr in ("output", "input"):
                call = obj.first_call
                if call is None:
                    return Unknown(f"{obj.kind} has not been called yet")
                ts = call.outputs if attr == "output" else call.inputs
                return ts[0] if len(ts) == 1 else list(ts)
            if attr == "output_shape" and obj.first_call is not None and obj.first_call.outputs:
                return obj.first_call.outputs[0].shape
            return BoundMethod(obj, attr)
        if isinstance(obj, SequentialModel):
            if attr == "layers":
                return list(obj.layers)
            if attr in ("output", "outputs"):
                t = obj.output if obj.output is not None else Unknown("the model is not built")
                return [t] if attr == "outputs" else t
            if attr in ("input", "inputs"):
                t = obj.input_tensor if obj.input_tensor is not None else Unknown("the model is not built")
                return [t] if attr == "inputs" else t
            if attr == "input_shape":
                return obj.input_shape if obj.input_shape is not None else Unknown("the model is not built")
            if attr == "output_shape":
                return obj.output.shape if obj.output is not None and obj.output.shape is not None else Unknown("not built")
            return BoundMethod(obj, attr)
        if isinstance(obj, FunctionalModel):
            if attr == "layers":
                seen: list = []
                for t in obj.inputs:
                    if t.producer is not None and t.producer.layer not in seen:
                        seen.append(t.producer.layer)
                for c in obj.calls:
                    if c.layer not in seen:
                        seen.append(c.layer)
                return seen
            if attr in ("inputs", "input"):
                return list(obj.inputs) if attr == "inputs" or len(obj.inputs) > 1 else obj.inputs[0]
            if attr in ("outputs", "output"):
                return list(obj.outputs) if attr == "outputs" or len(obj.outputs) > 1 else obj.outputs[0]
            if attr == "input_shape":
                shapes = [t.shape for t in obj.inputs]
                return shapes[0] if len(shapes) == 1 else shapes
            if attr == "output_shape":
                shapes = [t.shape for t in obj.outputs]
                return shapes[0] if len(shapes) == 1 else shapes
            return BoundMethod(obj, attr)
        if isinstance(obj, (Instance, data.ShapeKeepingTransformer)):
            return BoundMethod(obj, attr)
        return None

    def index_tensor(self, tensor: Tensor, key: Any, node) -> Any:
        return data.index_tensor(self.ev, tensor, key, node)

    def subscript(self, obj: Any, key: Any, node) -> Any:
        if isinstance(obj, data.Bunch) and isinstance(key, str):
            return data.bunch_field(obj, key)
        return Unknown("indexing a value shapelens does not follow")

    def tensor_binop(self, op: type, left: Any, right: Any, node: ast.AST) -> Any:
        return data.tensor_binop(self.ev, op, left, right, node)

    def iterate(self, value: Any):
        from shapelens.core.builtins_model import array_rows

        rows = array_rows(value, every=True)
        return iter(rows) if rows is not None else None

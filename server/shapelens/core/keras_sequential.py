"""Sequential models for the evaluator: construction, add/build, the build on data of
unknown shape, and replaying a built model on a new input."""

from __future__ import annotations

import ast
from typing import Any

from shapelens.core.keras_graph import _shape_tuple, _span_dict, _str_or_none
from shapelens.core.results import Related
from shapelens.core.shapes import UNK
from shapelens.core.values import Instance, LayerCall, LayerObj, SequentialModel, Tensor, is_model
from shapelens.core.codes import INPUT_SHAPE_IGNORED


class KerasSequential:
    """Mixin of :class:`shapelens.core.keras_api.KerasApi`: Sequential models."""

    # ------------------------------------------------------------------ Sequential
    def make_sequential(self, args: list, kwargs: dict, node: ast.AST) -> SequentialModel:
        span = self.ev.span(node)
        model = SequentialModel(self.next_model_id(), span, self.ev.next_order(), name=_str_or_none(kwargs.get("name")))
        self.models.append(model)
        layers = args[0] if args else kwargs.get("layers")
        if layers is None:
            return model
        items = self.ev.iterate(layers)
        if items is None:
            model.uncertain = True
            return model
        for item in items:
            self.seq_add(model, item, node, rebuild=False)
        self.seq_propagate(model)
        return model

    def seq_add(self, model: SequentialModel, item: Any, node: ast.AST, rebuild: bool = True) -> None:
        if self.uncertain_effects:
            model.uncertain = True
            return
        if isinstance(item, Tensor) and item.producer is not None and item.producer.layer.kind == "InputLayer":
            item = item.producer.layer
        if is_model(item):
            item = self.model_as_layer(item)
        if isinstance(item, Instance):
            item = self.instance_as_layer(item)
        if not isinstance(item, LayerObj):
            model.uncertain = True
            return
        if item.kind == "InputLayer":
            if model.input_layer_obj is not None or model.layers:
                model.uncertain = True
                return
            model.input_layer_obj = item
            model.input_shape = item.calls[0].outputs[0].shape if item.calls else None
            return
        if not model.layers and model.input_shape is None and item.declared_input is not None:
            model.input_shape = item.declared_input
        elif item.declared_input is not None and (model.layers or model.input_layer_obj is not None):
            self.ev.report(
                INPUT_SHAPE_IGNORED,
                INPUT_SHAPE_IGNORED.not_first_layer(kind=item.kind),
                item.span,
                related=[Related(model.span, "the Sequential model")],
                fix={"kind": "remove_input_shape", "layer": _span_dict(item.span)},
            )
        item.in_sequential = True
        model.layers.append(item)
        if rebuild:
            self.seq_propagate(model)

    def seq_propagate(self, model: SequentialModel) -> None:
        """Call every layer not yet called on the running output (Keras rebuilds on add)."""
        if model.uncertain or model.broken:
            return
        if model.input_shape is None:
            first = model.input_layer_obj
            if first is not None and first.calls and first.calls[0].outputs and not model.partial:
                # keras.Input of a shape read from data: Keras builds on it at once
                self.seq_build_unknown(model, first.calls[0].outputs[0])
            return
        if model.partial:
            self._seq_unpartial(model)
        if model.output is None:
            model.input_tensor = self._seq_input_tensor(model)
            model.output = model.input_tensor
        self._seq_run(model)

    def seq_build_unknown(self, model: SequentialModel, x: Tensor | None, batch: Any = UNK) -> None:
        """Keras builds the model on the data it is first called or fit on, whose shape is not
        known here: each layer is called on a tensor of unknown rank, which gives what Keras
        fixes whatever the data (Dense(64) ends in 64, Conv2D is 4-D, LSTM(32) is (None, 32))."""
        if model.input_shape is not None or model.uncertain or model.broken or model.partial \
                or not model.layers:
            return
        if x is None or x.shape is not None:
            x = Tensor(None, f"the data the model is built on (line {model.span.line + 1})", model.span,
                       ends=(batch, UNK))
        model.partial = True
        model.input_tensor = x
        model.output = x
        self._seq_run(model)

    def _seq_unpartial(self, model: SequentialModel) -> None:
        """A model built on data of unknown shape, now built on a known shape: start again."""
        model.partial = False
        model.built_calls = []
        model.output = None
        model.input_tensor = None

    def _seq_run(self, model: SequentialModel) -> None:
        done = len(model.built_calls)
        for i, layer in enumerate(model.layers[done:], start=done):
            out = self.call_layer(layer, [model.output], {}, None, site=layer.span)
            if layer.calls:
                model.built_calls.append(layer.calls[-1])
            if not isinstance(out, Tensor) or out.shape is None:
                model.broken = bool(layer.calls and layer.calls[-1].failed) or layer.init_error
                model.output = out if isinstance(out, Tensor) else Tensor(None, "unknown")
                if model.broken:
                    for later in model.layers[i + 1:]:
                        later.not_reached = f"not reached: {layer.kind} on line {layer.span.line + 1} raises"
                    return
            model.output = out if isinstance(out, Tensor) else Tensor(None, f"{layer.kind}")

    def _seq_input_tensor(self, model: SequentialModel) -> Tensor:
        if model.input_layer_obj is not None and model.input_layer_obj.calls:
            return model.input_layer_obj.calls[0].outputs[0]
        return Tensor(model.input_shape, f"the model input (line {model.span.line + 1})", model.span)

    def seq_build(self, model: SequentialModel, shape: Any, node: ast.AST) -> None:
        if model.input_shape is not None or model.uncertain:
            return
        batch = _shape_tuple(shape)
        if batch is None:
            model.uncertain = True
            return
        model.input_shape = batch
        self.seq_propagate(model)

    def replay_sequential(self, model: SequentialModel, x: Tensor, call: LayerCall) -> list[Tensor]:
        if model.uncertain or model.input_shape is None and not model.partial:
            return [Tensor(None, "a Sequential model shapelens could not follow")]
        cur = self.adjust_rank(x, model.input_shape)
        for layer in model.layers:
            cur = self.call_layer(layer, [cur], {}, None, site=call.span)
            # built on data of unknown shape: a rank-unknown tensor still goes through the
            # layers (those that fix a rank give their shape)
            if not isinstance(cur, Tensor) or cur.shape is None and not (model.partial and cur.ends):
                return [cur if isinstance(cur, Tensor) else Tensor(None, "unknown")]
        return [cur]

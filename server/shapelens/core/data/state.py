"""What the data ops keep between calls, and the two interfaces they use to reach the evaluator.

``DataState`` is owned by the Evaluator (``ev.data_state``). ``KerasSemantics`` is the part of
:class:`shapelens.core.keras_api.KerasApi` the data checks call back into (building a
Sequential model on first fit, replaying a model on data, calling a layer on a stand-in
tensor); ``DataEvaluator`` is the part of the Evaluator they use. Both are Protocols so that
this package imports neither the evaluator nor the Keras semantics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
import ast

from shapelens.core.source import Source, Span
from shapelens.core.values import FunctionalModel, Instance, LayerObj, SequentialModel, Tensor


@dataclass
class DataState:
    """Per-analysis memory of the data checks."""

    traces: dict = field(default_factory=dict)  # (model, function) -> (ranks, line, shapes); models hash by identity
    module: ast.Module | None = None
    calls_by_span: dict | None = None  # Span -> the first ast.Call there (losses._find_call)


class KerasSemantics(Protocol):
    layer_objs: list[LayerObj]
    in_layer_call: int

    def call_layer(self, layer: LayerObj, args: list, kwargs: dict, node: ast.AST | None,
                   site: Span | None = None) -> Any: ...

    def seq_build(self, model: SequentialModel, shape: Any, node: ast.AST) -> None: ...

    def seq_build_unknown(self, model: SequentialModel, x: Tensor | None, batch: Any = ...) -> None: ...

    def replay_sequential(self, model: SequentialModel, x: Tensor, call: Any) -> list[Tensor]: ...

    def replay_functional(self, model: FunctionalModel, xs: list[Tensor], call: Any) -> list[Tensor]: ...

    def call_instance(self, inst: Instance, args: list, kwargs: dict, node: ast.AST | None) -> Any: ...


class DataEvaluator(Protocol):
    keras: KerasSemantics
    data_state: DataState
    source: Source
    diags: list
    speculative: int
    anchor: ast.AST | None  # set while code from another module runs: every span is the anchor's

    @property
    def trigger(self) -> Span | None: ...

    def span(self, node: ast.AST) -> Span: ...

    def call(self, func: Any, args: list, kwargs: dict, node: ast.AST) -> Any: ...

    def next_order(self) -> int: ...

    def call(self, func: Any, args: list, kwargs: dict, node: ast.AST) -> Any: ...

    def report(self, code: str, message: str, span: Span, *, related=None, raise_span=None, fix=None,
               severity=None, force: bool = False) -> None: ...

"""The result of analysing one buffer: what every consumer (CLI, LSP, worker) reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapelens.core.source import Span


@dataclass
class Related:
    span: Span
    message: str


@dataclass
class Diagnostic:
    code: str
    severity: str  # "error" | "warning" | "information" | "hint"
    message: str
    span: Span
    related: list[Related] = field(default_factory=list)
    # Where the program would stop with this error (the call that triggers Keras);
    # None for warnings and notes.
    raise_span: Span | None = None
    # Structured data for quick fixes (kind + what the fix needs); None when no fix applies.
    fix: dict[str, Any] | None = None
    # evaluation order when found (comparable with LayerInfo.order)
    order: int = 0
    # a "migration to Keras 3" finding in code that targets Keras 2: reported only with
    # checks.keras3Migration (core/selection.py)
    migration: bool = False
    # an error the program catches itself (core/caught.py): the handler's span; the finding is
    # then information, but Keras still raises there
    caught: Span | None = None
    # found while another top-level statement than the one it lies in was running (a function
    # defined here and called further down): the part of the analysis up to this statement
    # alone does not give it (the language server's early notebook-cell publication reads it)
    elsewhere: bool = False


@dataclass
class LayerInfo:
    """One creation or one call of a layer (a shared layer yields one per call)."""

    layer_id: int
    kind: str
    span: Span  # the constructor call
    call_span: Span | None
    input_shape: Any  # tuple | list[tuple] | None
    output_shape: Any  # tuple | list[tuple] | None
    params: int | None
    explain: list[str] = field(default_factory=list)
    note: str | None = None  # why the shape is unknown, if it is
    var: str | None = None  # the variable the layer (or its output) was assigned to
    order: int = 0
    raised: bool = False  # Keras raises in this call
    implicit: bool = False  # created by a functional form such as layers.add([...])
    wrapped: bool = False  # given to a wrapper (Bidirectional(LSTM(...))) and never called itself
    custom: bool = False  # an instance of a Layer/Model subclass of the user's, called like a layer


@dataclass
class ModelInfo:
    model_id: int
    kind: str  # "Sequential" | "Functional" | "Subclass"
    name: str | None
    span: Span
    layers: list[LayerInfo]
    input_shape: Any
    output_shape: Any
    params: int | None
    note: str | None = None


@dataclass
class ValueInfo:
    """A variable holding a tensor or array at an assignment, for hovers and inlay hints."""

    name: str
    span: Span
    shape: Any
    origin: str


@dataclass
class Analysis:
    path: str
    layers: list[LayerInfo] = field(default_factory=list)
    models: list[ModelInfo] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    values: list[ValueInfo] = field(default_factory=list)
    parsed: bool = True
    complete: bool = True  # False when a limit stopped the analysis early
    # the model specification for the TensorFlow dry run (core/spec.py); built on request
    spec: dict[str, Any] | None = None
    # inline suppression comments by 0-based line (core/suppressions.py); applied by core/selection.py
    suppressions: dict[int, Any] = field(default_factory=dict)
    # the Keras the answer is for ("2" or "3") and why (core/keras_target.py)
    keras: str = "3"
    keras_reason: str = ""

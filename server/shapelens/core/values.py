"""The abstract values the evaluator computes with.

Plain Python values (ints, strings, tuples, lists, dicts) stand for themselves; an
:class:`~shapelens.core.shapes.Unknown` stands for anything else. Keras objects and the
user's own functions and classes are modelled by the classes below.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from shapelens.core.rules.base import Args, Rule
from shapelens.core.shapes import Unknown
from shapelens.core.source import Span


@dataclass(eq=False)
class Tensor:
    """A symbolic Keras tensor or a concrete array whose shape is tracked."""

    shape: tuple | None  # None: rank unknown
    origin: str  # for people: "Conv2D (line 12)", "keras.Input (line 3)"
    span: Span | None = None
    producer: "LayerCall | None" = None
    # KerasTensor (True), data: numpy / eager tf (False), or not known (None): a layer called on
    # a value shapelens does not follow may be building a graph or computing on data
    symbolic: bool | None = True
    index: int = 0  # which output of the producer
    # rank unknown (shape None): its first and last axis when known, else None
    ends: tuple | None = None


def symbolic_of(values: list) -> bool | None:
    """Whether a layer's result is a Keras tensor: True when an input is one, False when every
    input is data, None (not known) when an input is a value shapelens does not follow."""
    flags = [v.symbolic if isinstance(v, Tensor) else None for v in values]
    if any(f is True for f in flags):
        return True
    if not flags or any(f is None for f in flags):
        return None
    return False


@dataclass(eq=False)
class LayerObj:
    layer_id: int
    kind: str
    rule: Rule | None
    args: Args | None
    span: Span
    order: int
    declared_input: tuple | None = None  # batch shape from input_shape=/input_dim=/batch_input_shape=
    init_error: bool = False  # Keras would raise in the constructor
    unknown_reason: str | None = None  # no rule / unresolvable
    built_spec: dict | None = None
    built_ndim: int | None = None
    first_call: "LayerCall | None" = None
    params: int | None = None
    calls: list["LayerCall"] = field(default_factory=list)
    var: str | None = None
    in_sequential: bool = False
    model: Any = None  # a nested model used as a layer
    implicit: bool = False  # created by a functional form (layers.add([...])), not by the user
    not_reached: str | None = None  # why a Sequential never called it (an earlier layer raises)
    # built by a call on a tensor of unknown rank: a later call on a known rank gives the
    # parameter count (Keras built the layer on data shapelens does not know)
    built_on_unknown_rank: bool = False
    wrapped_by: "LayerObj | None" = None  # the layer it was given to (Bidirectional, TimeDistributed...)
    owner: Any = None  # the user's Layer/Model instance whose __init__ made it
    name: str | None = None  # the name= given to the constructor (model.get_layer(name))
    # the arguments its calls go on with after a constructor error (AveragePooling2D() without
    # pool_size: Keras 2's default 2, which the code was written for); the error stays
    fixed_args: Any = None


@dataclass(eq=False)
class LayerCall:
    layer: LayerObj
    span: Span  # where the call happens (for Sequential-internal calls: the constructor)
    inputs: list[Tensor]
    outputs: list[Tensor] = field(default_factory=list)
    explain: list[str] = field(default_factory=list)
    note: str | None = None
    order: int = 0
    failed: bool = False
    call_kwargs: dict = field(default_factory=dict)
    extra_inputs: list[Tensor] = field(default_factory=list)  # tensors passed besides the input
    call_args: list = field(default_factory=list)  # positional arguments after the input (value of MHA)


@dataclass(eq=False)
class SequentialModel:
    model_id: int
    span: Span
    order: int
    layers: list[LayerObj] = field(default_factory=list)
    input_shape: tuple | None = None  # batch shape
    input_tensor: Tensor | None = None
    output: Tensor | None = None
    broken: bool = False  # a layer raised: later layers are unknown
    # built by Keras on data whose shape shapelens does not know (fit on an unknown dataset,
    # a call on a tensor of unknown rank): its layers were called on a tensor of unknown rank
    partial: bool = False
    uncertain: bool = False  # structure changed in a way we could not follow
    built_calls: list[LayerCall] = field(default_factory=list)
    input_layer_obj: LayerObj | None = None
    name: str | None = None
    compile_kwargs: dict = field(default_factory=dict)


@dataclass(eq=False)
class FunctionalModel:
    model_id: int
    span: Span
    order: int
    inputs: list[Tensor]
    outputs: list[Tensor]
    calls: list[LayerCall] = field(default_factory=list)
    output_is_list: bool = False
    name: str | None = None
    compile_kwargs: dict = field(default_factory=dict)
    graph_gaps: bool = False  # a tensor between inputs and outputs that no followed call produced


@dataclass(eq=False)
class FunctionValue:
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    closure: dict
    defaults: list
    kw_defaults: dict
    name: str
    foreign: bool = False  # defined in another of the user's modules
    generator: bool | None = None  # its body yields (computed on first call)


@dataclass(eq=False)
class ModuleValue:
    """One of the user's own modules, with the definitions shapelens read from it."""

    name: str
    path: str
    namespace: dict


@dataclass(eq=False)
class ClassValue:
    node: ast.ClassDef
    name: str
    bases: list
    namespace: dict
    keras_base: str | None  # "Model" | "Layer" | None

    def lookup(self, name: str) -> Any:
        """Depth-first through the user-defined bases, iteratively (chains can be deep)."""
        stack: list[ClassValue] = [self]
        seen: set[int] = set()
        while stack:
            cls = stack.pop()
            if id(cls) in seen:
                continue
            seen.add(id(cls))
            if name in cls.namespace:
                return cls.namespace[name]
            stack.extend(b for b in reversed(cls.bases) if isinstance(b, ClassValue))
        return None


@dataclass(eq=False)
class Instance:
    cls: ClassValue
    attrs: dict = field(default_factory=dict)
    model_id: int | None = None
    span: Span | None = None
    order: int = 0
    calls: list[LayerCall] = field(default_factory=list)  # layer calls made inside call()
    input_shape: Any = None
    output_shape: Any = None
    built: bool = False
    layer_obj: LayerObj | None = None  # when used as a layer
    compile_kwargs: dict = field(default_factory=dict)


@dataclass(eq=False)
class BoundMethod:
    obj: Any
    name: str
    func: Any = None  # FunctionValue for user methods


@dataclass(eq=False)
class Partial:
    """functools.partial(func, *args, **kwargs)."""

    func: Any
    args: list
    kwargs: dict


@dataclass(eq=False)
class Builtin:
    name: str


@dataclass(eq=False)
class SuperProxy:
    instance: Any
    owner: Any = None  # the class whose method called super(): lookup starts at its bases


def is_model(value: Any) -> bool:
    return isinstance(value, (SequentialModel, FunctionalModel)) or (
        isinstance(value, Instance) and value.cls.keras_base == "Model"
    )


def unknown(reason: str) -> Unknown:
    return Unknown(reason)

"""The layer table: how a rule is declared, how its arguments are read, how it is applied.

A rule maps a layer's evaluated arguments and input shape(s) onto the shared shape math
in :mod:`shapelens.core.shapes`. It returns an :class:`Out` or raises :class:`LayerError`
where Keras would raise. Arguments that are not known statically raise
:class:`Unresolved`, which makes the output unknown (with that reason) instead of guessing.
"""

from __future__ import annotations

import sys

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from shapelens.core.shapes import (
    Dim,
    Shape,
    ShapeError,
    Unknown,
    fmt_shape,
    is_unknown,
    known,
)
from shapelens.core.codes import (
    INVALID_ARGUMENT,
    INVALID_PADDING_MODE,
    UNDEFINED_DIMENSION,
    WRONG_INPUT_RANK,
)

REQUIRED = object()
# a key of a rule's ``call`` dict: whether the layer is called on Keras tensors (True: Keras runs
# compute_output_spec), on data or inside a layer's call() (False: call() itself runs), or not
# known (None); absent: on Keras tensors, as the rules are written. The two differ where
# compute_output_spec does not match call().
SYMBOLIC_CALL = "__symbolic_call__"

_LITERALS = (int, float, str, bool, type(None), complex, bytes)


def shown(value: Any) -> str:
    """A value as the user wrote it (a literal), or what it is -- never an internal object's repr."""
    if isinstance(value, _LITERALS) or isinstance(value, (tuple, list)) and len(value) <= 8 \
            and all(isinstance(v, _LITERALS) for v in value):
        return repr(value)
    shape = getattr(value, "shape", REQUIRED)
    if shape is not REQUIRED and (shape is None or isinstance(shape, tuple)):
        return f"a tensor of shape {fmt_shape(shape)}"
    if isinstance(value, Unknown):
        return "a value that is not known statically"
    return f"a {type(value).__name__}" if type(value).__module__ == "builtins" else "a value that is not an integer"


class LayerError(ShapeError):
    """Keras would raise here. ``code`` is an SL code from core.codes."""


class Unresolved(Exception):
    """An argument the rule needs is not known statically."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NeedInput(Exception):
    """Raised by PROBE: the rule got past argument validation to the input."""


class _Probe:
    """Stands in for the input when a rule is run at construction time (see KerasApi._probe).

    Any use of it raises NeedInput, so only the errors a rule raises before looking at
    its input -- the ones Keras raises in the constructor -- come out.
    """

    def _need(self, *args, **kwargs):
        raise NeedInput()

    __len__ = __getitem__ = __iter__ = __add__ = __radd__ = __eq__ = __contains__ = _need
    __hash__ = object.__hash__


PROBE = _Probe()


@dataclass
class Out:
    shape: Any  # Shape, or a list of Shapes for several outputs
    params: int | None = 0
    explain: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # axis -> size the built layer insists on when called again (Keras InputSpec axes)
    spec: dict[int, int] | None = None


@dataclass
class Rule:
    kind: str
    fn: Callable[..., Out]
    signature: tuple[str, ...]
    family: str
    aliases: tuple[str, ...] = ()
    multi_input: bool = False
    # the layer makes a TensorFlow tensor of a Python list itself (the text and lookup layers)
    takes_lists: bool = False
    # default ndim / min_ndim check done before the rule runs (Keras InputSpec)
    ndim: int | None = None
    min_ndim: int | None = None
    doc: str = ""
    module: str = ""  # the module that registers it (shapelens.core.rules.<family module>)
    library: str = ""  # a third-party library's layer (rules/thirdparty.py); "" for Keras's own
    # made for one call (a keras.ops pseudo-layer, a backbone): its answers are not kept
    # (rules/symbolic._memoised), no other call asks them, and its function may hold the analysis
    per_call: bool = False


LAYERS: dict[str, Rule] = {}


@dataclass
class LayerConfig:
    """A layer given as an argument to another (Bidirectional, TimeDistributed).

    The evaluator's layer objects carry the same two attributes, so wrapper rules
    accept either.
    """

    rule: Rule
    args: "Args"


def layer(
    *names: str,
    args: Sequence[str] = (),
    family: str,
    multi_input: bool = False,
    ndim: int | None = None,
    min_ndim: int | None = None,
    takes_lists: bool = False,
) -> Callable[[Callable[..., Out]], Callable[..., Out]]:
    """Register ``fn`` as the rule for the layer classes ``names`` (first is canonical).

    Spell every name out literally at the call, so that grep finds the rule from the class name.
    """
    module = sys._getframe(1).f_globals.get("__name__", "")

    def deco(fn: Callable[..., Out]) -> Callable[..., Out]:
        canonical = names[0]
        for name in names:
            LAYERS[name] = Rule(
                kind=canonical,
                fn=fn,
                signature=tuple(args),
                family=family,
                aliases=tuple(n for n in names if n != canonical),
                multi_input=multi_input,
                takes_lists=takes_lists,
                ndim=ndim,
                min_ndim=min_ndim,
                doc=(fn.__doc__ or "").strip(),
                module=module,
            )
        return fn

    return deco


class Args:
    """A layer's constructor arguments, bound to its signature."""

    def __init__(self, kind: str, values: dict[str, Any]) -> None:
        self.kind = kind
        self.values = values

    @classmethod
    def bind(cls, rule: Rule, positional: Sequence[Any], keywords: dict[str, Any]) -> "Args":
        """Bind arguments in Keras's full positional order (signatures.json) when known,
        else the rule's own; reject keywords Keras 3 rejects."""
        sig = None if rule.library else signature(rule.kind)
        if sig is not None:
            check_keywords(rule.kind, sig, keywords)
        names = tuple(sig["positional"]) if sig else rule.signature
        values: dict[str, Any] = {}
        for name, value in zip(names, positional):
            values[name] = value
        if len(positional) > len(names) and not rule.library:
            raise LayerError(
                INVALID_ARGUMENT,
                INVALID_ARGUMENT.too_many_positional(
                    kind=rule.kind, n_names=len(names), n_positional=len(positional)),
            )
        for name in list(values)[: len(positional)]:
            if name in keywords:
                raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.two_values_for_argument(kind=rule.kind, name=name))
        for name, value in keywords.items():
            values[name] = value
        return cls(rule.kind, values)

    # -- raw access -----------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def _get(self, name: str, default: Any) -> Any:
        if name in self.values:
            value = self.values[name]
        elif default is REQUIRED:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.missing_required_argument(kind=self.kind, name=name))
        else:
            value = default
        if is_unknown(value):
            raise Unresolved(f"`{name}` of {self.kind} is not known statically")
        return value

    # -- typed access -----------------------------------------------------------
    def int(self, name: str, default: Any = REQUIRED) -> int:
        value = self._get(name, default)
        if value is None:
            return None  # type: ignore[return-value]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not known(value):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_an_integer(
                name=name, kind=self.kind, value=shown(value)))
        return value

    def positive_int(self, name: str, default: Any = REQUIRED) -> int:
        value = self.int(name, default)
        if value is not None and value <= 0:
            raise LayerError(
                INVALID_ARGUMENT, INVALID_ARGUMENT.not_a_positive_integer(name=name, kind=self.kind, value=value)
            )
        return value

    def float(self, name: str, default: Any = REQUIRED) -> float:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.not_a_number(name=name, kind=self.kind, value=value))
        return float(value)

    def str(self, name: str, default: Any = REQUIRED) -> str:
        value = self._get(name, default)
        if value is not None and not isinstance(value, str):
            raise Unresolved(f"`{name}` of {self.kind} is not a string literal")
        return value

    def bool(self, name: str, default: Any = REQUIRED) -> bool:
        value = self._get(name, default)
        return bool(value)

    def ints(self, name: str, n: int, default: Any = REQUIRED, allow_none: bool = False) -> tuple:
        """An int or a tuple of ``n`` ints (Keras's standardize_tuple)."""
        value = self._get(name, default)
        if value is None and allow_none:
            return None  # type: ignore[return-value]
        if known(value):
            return (value,) * n
        if isinstance(value, (list, tuple)):
            items = tuple(value)
            if any(is_unknown(v) for v in items):
                raise Unresolved(f"`{name}` of {self.kind} is not known statically")
            if len(items) != n or not all(known(v) for v in items):
                raise LayerError(
                    INVALID_ARGUMENT,
                    INVALID_ARGUMENT.not_integer_or_tuple(name=name, kind=self.kind, n=n, value=value),
                )
            return items
        raise LayerError(
            INVALID_ARGUMENT, INVALID_ARGUMENT.not_integer_or_tuple(name=name, kind=self.kind, n=n, value=value)
        )

    def padding(self, allowed: Sequence[str] = ("valid", "same")) -> str:
        value = self.str("padding", "valid")
        low = value.lower() if isinstance(value, str) else value
        if low not in allowed:
            options = ", ".join(repr(a) for a in allowed)
            raise LayerError(
                INVALID_PADDING_MODE, INVALID_PADDING_MODE.not_one_of_options(
                    kind=self.kind, value=value, options=options)
            )
        return low

    def data_format(self) -> str:
        value = self.str("data_format", None)
        if value is None:
            return "channels_last"
        low = value.lower()
        if low not in ("channels_last", "channels_first"):
            raise LayerError(
                INVALID_ARGUMENT,
                INVALID_ARGUMENT.data_format_must_channels_last(kind=self.kind, value=value),
            )
        return low


_SIGNATURES: dict | None = None


def signature(kind: str) -> dict | None:
    """Keras's constructor signature for a layer: {"positional": [...], "keywords": [...]}
    (generated from Keras by scripts/gen_signatures.py, checked by a test)."""
    global _SIGNATURES
    if _SIGNATURES is None:
        import json
        from pathlib import Path

        try:
            _SIGNATURES = json.loads((Path(__file__).parent / "signatures.json").read_text())["layers"]
        except (OSError, ValueError, KeyError):
            _SIGNATURES = {}
    return _SIGNATURES.get(kind)


# Keyword arguments every Keras layer accepts (keras.layers.Layer.__init__); the
# evaluator takes input_shape/input_dim off before binding.
BASE_KWARGS = {"name", "dtype", "trainable", "autocast", "activity_regularizer", "input_shape", "input_dim"}


_ALLOWED: dict[int, tuple[dict, frozenset]] = {}  # id(signature) -> (signature, its keywords)


# Keras 1 keyword names still found in pasted code, and what Keras 2/3 call them.
KERAS1_KEYWORDS = {
    "init": "kernel_initializer", "W_regularizer": "kernel_regularizer", "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint", "b_constraint": "bias_constraint", "bias": "use_bias",
    "output_dim": "units", "nb_filter": "filters", "border_mode": "padding", "subsample": "strides",
    "dim_ordering": "data_format", "inner_init": "recurrent_initializer", "U_regularizer": "recurrent_regularizer",
    "dropout_W": "dropout", "dropout_U": "recurrent_dropout", "consume_less": "implementation",
}


def check_keywords(kind: str, sig: dict, kwargs: dict) -> None:
    """Keras 3 raises on keywords a layer does not take (Keras 2 often ignored them)."""
    hit = _ALLOWED.get(id(sig))
    if hit is None or hit[0] is not sig:
        hit = _ALLOWED[id(sig)] = (sig, frozenset(sig["keywords"]))
    allowed = hit[1]
    for key in kwargs:
        if key in allowed:
            continue
        import difflib

        renamed = KERAS1_KEYWORDS.get(key)
        if renamed is not None and renamed in allowed:
            hint = f"; it is `{renamed}` since Keras 2"
        else:
            close = difflib.get_close_matches(key, sorted(allowed - BASE_KWARGS), n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.unexpected_keyword(kind=kind, key=key, hint=hint))


# ---------------------------------------------------------------------------
# Helpers shared by rules
# ---------------------------------------------------------------------------


def expect_ndim(kind: str, shape: Shape, ndim: int | None = None, min_ndim: int | None = None) -> None:
    rank = len(shape)
    if ndim is not None and rank != ndim:
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.expects_rank(kind=kind, ndim=ndim, rank=rank, shape=fmt_shape(shape)),
        )
    if min_ndim is not None and rank < min_ndim:
        raise LayerError(
            WRONG_INPUT_RANK,
            WRONG_INPUT_RANK.expects_min_rank(kind=kind, min_ndim=min_ndim, rank=rank, shape=fmt_shape(shape)),
        )


def require_defined(kind: str, what: str, dim: Dim, shape: Shape, hint: str = "") -> None:
    """Keras creates weights from this dimension: None is an error, Unknown is not our business."""
    if dim is None:
        raise LayerError(
            UNDEFINED_DIMENSION,
            UNDEFINED_DIMENSION.weights_need_defined(
                kind=kind, what=what, shape=fmt_shape(shape), detail=f"; {hint}" if hint else ""),
        )
    if isinstance(dim, Unknown):
        raise Unresolved(f"the {what} of the input to {kind} is not known statically")


def channel_axis(data_format: str, rank: int) -> int:
    return rank - 1 if data_format == "channels_last" else 1


def spatial_axes(data_format: str, rank: int) -> list[int]:
    return list(range(1, rank - 1)) if data_format == "channels_last" else list(range(2, rank))


def count(*dims: Dim) -> int | None:
    """Product of dimensions for a parameter count; None unless all are known."""
    out = 1
    for d in dims:
        if not known(d):
            return None
        out *= d
    return out

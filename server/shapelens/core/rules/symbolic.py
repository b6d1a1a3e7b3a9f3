"""Layer rules on inputs or arguments that are only partly known.

A size read from data or configuration (``x_train.shape[1:]``, ``len(vocab) + 2``,
``num_classes``) is an :class:`~shapelens.core.shapes.Unknown`. Most of a layer's output
usually does not depend on it: ``LSTM(32)`` gives ``(None, 32)`` whatever its input's
feature size, ``Embedding(n, 128)`` gives ``(..., 128)`` whatever ``n``.

Rather than teaching every rule about unknowns, the rule is *specialised*: each unknown
integer (an input dimension, or an argument the rule reads as an integer) is replaced by
a sample value, the rule is run for three different sample values, and only what
agrees between the runs is claimed -- an output dimension, the parameter count. What
differs is unknown. Errors raised by a specialised run are never reported
(they hold for the sample, not for every value); they only make the output unknown.

An input whose RANK is unknown (:class:`RankUnknown`, which may still know its first and
last axis) is specialised the same way over ranks: a layer that requires a fixed rank
continues with that rank; otherwise the ranks 2..5 are tried, the ones where Keras raises
are left out (the shape is claimed for the calls that do not raise), and the output is
either a fixed-rank shape (every rank agrees) or again rank-unknown with the first and
last axes that agree.
"""

from __future__ import annotations

from typing import Any, Callable

from shapelens.core.resolve import ModuleRef
from shapelens.core.rules.base import Args, LayerError, Out, Rule, Unresolved
from shapelens.core.shapes import UNK, ShapeError, Unknown, known

# (input dimension, integer argument) per run. Large primes for dimensions: Keras's size
# arithmetic (floor/ceil divisions by strides, pools, kernels) is injective enough at this
# scale that an axis equal in every run does not depend on the unknown. Arguments small
# and distinct: a large stride or pool would make every output size 1 (or raise) on the
# known sizes of real inputs.
SAMPLES = ((1009, 3), (1361, 5), (1201, 7))
RANKS = (0, 1, 2, 3, 4, 5)  # 0 and 1 only where the known ends allow them (_fits_rank)
# one shared value, so that equal analyses give equal (==) shapes
DEPENDS = Unknown("depends on a size that is not known statically")


class SampleInt(int):
    """An unknown integer argument, specialised to a sample value."""


class RankUnknown:
    """A shape whose rank is unknown; ``first`` and ``last`` are its first and last axis
    (the batch axis and the feature axis), each a Dim (an Unknown when not known)."""

    __slots__ = ("first", "last")

    def __init__(self, first: Any = None, last: Any = None) -> None:
        self.first = first
        self.last = last

    def __repr__(self) -> str:
        return "(?...)"


class _SampledArgs(Args):
    """Args whose unknown values are SampleInts; only integer reads may use them."""

    def _plain(self, name: str) -> None:
        if isinstance(self.values.get(name), SampleInt) or _has_sample(self.values.get(name)):
            raise Unresolved(f"`{name}` of {self.kind} is not known statically")

    def bool(self, name: str, default: Any = ...) -> bool:  # type: ignore[override]
        self._plain(name)
        return super().bool(name) if default is ... else super().bool(name, default)

    def float(self, name: str, default: Any = ...) -> float:  # type: ignore[override]
        self._plain(name)
        return super().float(name) if default is ... else super().float(name, default)

    def str(self, name: str, default: Any = ...) -> str:  # type: ignore[override]
        self._plain(name)
        return super().str(name) if default is ... else super().str(name, default)


def _has_sample(value: Any) -> bool:
    if isinstance(value, SampleInt):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_sample(v) for v in value)
    return False


_LEAVES = frozenset({int, str, float, bool, type(None)})  # exact types that are never unknown


def _has_unknown(value: Any, depth: int = 0) -> bool:
    if type(value) in _LEAVES:
        return False
    if isinstance(value, (Unknown, RankUnknown)):
        return True
    if depth < 3 and isinstance(value, (list, tuple)):
        for v in value:
            if type(v) not in _LEAVES and _has_unknown(v, depth + 1):
                return True
    return False


def needs_specialising(args: Args, inputs: Any, call: dict) -> bool:
    if _has_unknown(inputs):
        return True
    for v in args.values.values():
        if _has_unknown(v):
            return True
    for v in call.values():
        if _has_unknown(v):
            return True
    return False


def _subst(value: Any, sample: int, as_arg: bool, depth: int = 0) -> Any:
    if isinstance(value, Unknown):
        return SampleInt(sample) if as_arg else sample
    if depth < 3 and isinstance(value, (list, tuple)):
        out = [_subst(v, sample, as_arg, depth + 1) for v in value]
        return tuple(out) if isinstance(value, tuple) else out
    return value


def _one_axis(value: RankUnknown) -> Any:
    """The single axis of a rank-1 shape whose first and last axis are ``value``'s ends, or
    _NO_AXIS when they cannot be the same axis."""
    a, b = value.first, value.last
    if isinstance(a, Unknown):
        return b
    if isinstance(b, Unknown) or a == b:
        return a
    return _NO_AXIS


_NO_AXIS = object()


def _fits_rank(value: Any, rank: int) -> bool:
    """Can every RankUnknown in ``value`` have ``rank`` axes? A scalar has no batch axis (a
    Keras tensor, whose first axis is known, is never one) and a rank-1 shape's only axis is
    both its first and its last."""
    if isinstance(value, RankUnknown):
        if rank == 0:
            return isinstance(value.first, Unknown) and isinstance(value.last, Unknown)
        return rank > 1 or _one_axis(value) is not _NO_AXIS
    if isinstance(value, list):
        return all(_fits_rank(v, rank) for v in value)
    return True


def _with_rank(value: Any, rank: int) -> Any:
    """RankUnknown inputs (at any nesting of lists) as shapes of ``rank`` axes."""
    if isinstance(value, RankUnknown):
        if rank == 0:
            return ()
        if rank == 1:
            return (_one_axis(value),)
        return (value.first, *[UNK] * (rank - 2), value.last)
    if isinstance(value, list):
        return [_with_rank(v, rank) for v in value]
    return value


def _run(plain: Callable[..., Out], rule: Rule, args: Args, inputs: Any, call: dict,
         sample: tuple[int, int]) -> Out:
    dim, arg = sample
    sargs = _SampledArgs(args.kind, {k: _subst(v, arg, True) for k, v in args.values.items()})
    sin = _subst(inputs, dim, False) if isinstance(inputs, tuple) else \
        [_subst(s, dim, False) for s in inputs] if isinstance(inputs, list) else inputs
    scall = {k: _subst(v, dim, False) for k, v in call.items()}
    return plain(rule, sargs, sin, scall)


def _agree_dim(dims: list) -> Any:
    first = dims[0]
    if all(d is None for d in dims):
        return None
    if all(known(d) and not isinstance(d, SampleInt) and d == first for d in dims):
        return first
    return DEPENDS


def _agree_shape(shapes: list) -> Any:
    """Per-axis agreement of several runs' shapes; None when their structure differs."""
    first = shapes[0]
    if isinstance(first, list):
        if not all(isinstance(s, list) and len(s) == len(first) for s in shapes):
            return None
        parts = [_agree_shape([s[i] for s in shapes]) for i in range(len(first))]
        return None if any(p is None for p in parts) else parts
    if not all(isinstance(s, tuple) and len(s) == len(first) for s in shapes):
        return None
    return tuple(_agree_dim([s[i] for s in shapes]) for i in range(len(first)))


def _agree_params(outs: list[Out]) -> int | None:
    ps = [o.params for o in outs]
    if all(known(p) and p == ps[0] for p in ps):
        return ps[0]
    return None


def _specialise_values(plain, rule: Rule, args: Args, inputs: Any, call: dict) -> Out | None:
    """Run on each sample; None when a run fails. LayerError propagates (caller decides)."""
    outs = [_run(plain, rule, args, inputs, call, s) for s in SAMPLES]
    shape = _agree_shape([o.shape for o in outs])
    if shape is None:
        return None
    # no warnings: a specialised run's warning holds for the sample, not for every value
    spec = None
    if outs[0].spec:
        spec = {ax: v for ax, v in outs[0].spec.items()
                if all(o.spec and o.spec.get(ax) == v for o in outs[1:]) and known(v)}
    return Out(shape, _agree_params(outs), [], [], spec or None)


def _rank_of(inputs: Any) -> int | None:
    shapes = inputs if isinstance(inputs, list) else [inputs]
    ranks = {len(s) for s in shapes if isinstance(s, tuple)}
    return ranks.pop() if len(ranks) == 1 else None


def _specialise_ranks(plain, rule: Rule, args: Args, inputs: Any, call: dict) -> Out | None:
    ranks = (rule.ndim,) if rule.ndim is not None else tuple(r for r in RANKS if r >= (rule.min_ndim or 0))
    results: list[tuple[int, Out]] = []
    if not _has_unknown_rank(inputs):
        # the input's rank is known; a tensor passed besides it (MultiHeadAttention's value) is not
        ranks = tuple(r for r in RANKS if r >= 1)
    for r in ranks:
        if not _fits_rank(inputs, r) or not all(_fits_rank(v, r) for v in call.values()):
            continue
        shaped = _with_rank(inputs, r)
        # tensors passed besides the input get the same rank (MultiHeadAttention's key and value
        # have the query's rank: its attention equations are built for one rank)
        scall = {k: _with_rank(v, r) for k, v in call.items()}
        try:
            out = _specialise_values(plain, rule, args, shaped, scall)
        except (LayerError, ShapeError):
            # raised for the sample sizes (a Reshape whose target must hold them all): the rule
            # on the unknown sizes themselves, where it handles them; raising there too, Keras
            # raises at this rank and the shape is claimed for the others
            try:
                out = plain(rule, args, shaped, scall)
            except (LayerError, ShapeError):
                continue
            except Exception:  # noqa: BLE001 -- Unresolved, or a rule not written for unknowns
                return None
            out = Out(out.shape, out.params if known(out.params) else None)
        except Exception:  # noqa: BLE001 -- Unresolved, or a rule not written for unknowns
            return None
        if out is None:
            return None
        results.append((r, out))
    if not results:
        return None
    outs = [o for _, o in results]
    params = _agree_params(outs)
    if all(isinstance(o.shape, tuple) for o in outs):
        lens = {len(o.shape) for o in outs}
        if len(lens) == 1:  # a fixed output rank
            shape = _agree_shape([o.shape for o in outs])
            return Out(shape, params) if shape is not None else None
        # output ranks differ: the first and last axis where they agree
        if not all(o.shape for o in outs):  # a scalar has no first or last axis
            return Out(RankUnknown(DEPENDS, DEPENDS), params)
        first = _agree_dim([o.shape[0] for o in outs])  # (rank 1: its axis is both)
        last = _agree_dim([o.shape[-1] for o in outs])
        return Out(RankUnknown(first, last), params)
    return None


# ---------------------------------------------------------------------- memo of the rank runs
# _specialise_ranks runs the rule up to 12 times (every rank x every sample) and depends only
# on the rule, the arguments and the input/call shapes with every unknown alike (they are all
# replaced by the same sample value), and its answer holds no fresh Unknown (sizes, None or the
# shared DEPENDS). A layer called again and again (blocks built in a loop or a function) asks
# the same question: the answer is kept, for plain arguments only, and handed out as a copy.
_MEMO: dict[tuple, tuple[Rule, Out | None]] = {}
_MEMO_MAX = 4096
_U = object()  # every unknown, in a memo key


# The arguments no rule reads (initializers, regularizers): whatever their values (a call making
# one, a partial), the answer is the same
_UNREAD_ARGS = ("_initializer", "_regularizer")
_UNREAD = object()


class _NoKey(Exception):
    pass


_MAX_KEY_ITEMS = 64  # a longer list or tuple is not described in a memo key: not kept


def _key(value: Any, depth: int = 0, shapes: bool = False) -> Any:
    """A hashable, exact description of a value as _run sees it; _NoKey for anything else.
    Containers are described as deep as _subst replaces unknowns in them (and no deeper)."""
    t = type(value)
    if t is int or t is str or value is None:
        return value
    if t is bool or t is float:
        return (t, value)  # 1, True and 1.0 are equal as dict keys
    if isinstance(value, Unknown):
        return _U
    if depth < 4:
        if t is tuple or t is list:  # (_with_rank finds unknown ranks in lists only)
            if len(value) > _MAX_KEY_ITEMS:
                raise _NoKey  # (a vocabulary: a key as long, kept with up to _MEMO_MAX others)
            return (t, *[_key(v, depth + 1, shapes and t is list) for v in value])
        if t is RankUnknown and shapes:  # an input of unknown rank: _with_rank makes its axes
            return (t, _key(value.first, depth + 1), _key(value.last, depth + 1))
        if t is dict and depth == 0 and all(type(k) is str for k in value):
            return (t, *[(k, _UNREAD if k.endswith(_UNREAD_ARGS) else _key(v, 1)) for k, v in value.items()])
    if t is ModuleRef:  # an activation named by its path (keras.activations.gelu): what it does is its name's
        return (t, value.path)
    raise _NoKey


def _ranks_memo(plain, rule: Rule, args: Args, inputs: Any, call: dict) -> Out | None:
    try:
        key = (id(rule), plain, type(args), args.kind, _key(args.values), _key(inputs, 1, True), _key(call))
    except _NoKey:
        key = None
    return _memoised(key, rule, lambda: _specialise_ranks(plain, rule, args, inputs, call))


def _values_memo(plain, rule: Rule, args: Args, inputs: Any, call: dict) -> Out | None:
    """_specialise_values (None when it raises: raised for a sample value only, not a fact),
    kept like _ranks_memo's answers: it too depends only on the rule, the arguments and the
    shapes with every unknown alike, and its answer holds no fresh Unknown. The same block
    called again (a transformer's twelve) asks the same question."""
    def specialise() -> Out | None:
        try:
            return _specialise_values(plain, rule, args, inputs, call)
        except Exception:  # noqa: BLE001 -- raised for a sample value only: not a fact
            return None

    try:
        key = ("values", id(rule), plain, type(args), args.kind, _key(args.values), _key(inputs), _key(call))
    except _NoKey:
        key = None
    return _memoised(key, rule, specialise)


def plain_memo(plain, rule: Rule, args: Args, inputs: Any, call: dict) -> Out:
    """``plain(rule, args, inputs, call)`` on known sizes, kept like _values_memo's answers: a
    rule is a function of its arguments, its input shapes and the call's arguments, nothing
    else, so the same layer configuration called on the same shapes (a model's repeated blocks,
    a model called again, the next analysis of the same text) gets the answer computed once.
    Only answers are kept: a rule that raises (Keras raises) raises each time."""
    if rule.per_call:
        return plain(rule, args, inputs, call)
    try:
        key = ("plain", id(rule), type(args), args.kind, _key(args.values), _key(inputs), _key(call))
    except _NoKey:
        return plain(rule, args, inputs, call)
    return _memoised(key, rule, lambda: plain(rule, args, inputs, call))


def probe_once(rule: Rule, args: Args, probe: Callable[[], None]) -> None:
    """``probe()`` -- a constructor probe of ``rule`` with ``args`` (keras_api.KerasApi._probe) --
    unless one with the same rule and arguments ran before and raised nothing: kept like the
    answers above (a probe that raises, raises each time)."""
    try:
        key = ("probe", id(rule), type(args), args.kind, _key(args.values))
    except _NoKey:
        key = None
    _memoised(key, rule, probe)


def _memoised(key: tuple | None, rule: Rule, compute: Callable[[], Out | None]) -> Out | None:
    """``compute()``'s answer, kept under ``key`` (None: not kept), handed out as a copy. The
    answers of a rule made for one call are not kept: the memo would keep that rule alive, and
    with its function the whole analysis that made it (72 of 74 entries after one keras.io
    example, each holding its analysis until the memo was full)."""
    if rule.per_call:
        key = None
    hit = _MEMO.get(key) if key is not None else None
    if hit is not None and hit[0] is rule and hit[1] is rule.fn:
        out = hit[2]
    else:
        out = compute()
        if key is not None:
            if len(_MEMO) >= _MEMO_MAX:
                _MEMO.clear()
            # the rule goes with the answer: an id is unique only while its object lives (and
            # its function: a rule whose function was replaced -- a test seeding a fault -- is
            # asked again)
            _MEMO[key] = (rule, rule.fn, out)
    if out is None:
        return None
    shape = out.shape
    if isinstance(shape, RankUnknown):
        shape = RankUnknown(shape.first, shape.last)
    return Out(shape, out.params, list(out.explain), list(out.warnings), dict(out.spec) if out.spec else out.spec)


def _merge(base: Out, extra: Out) -> Out:
    """``base`` (the rule run on the unknowns themselves) completed from ``extra``."""
    shape = base.shape
    if isinstance(shape, tuple) and isinstance(extra.shape, tuple) and len(shape) == len(extra.shape):
        shape = tuple(e if isinstance(b, Unknown) else b for b, e in zip(shape, extra.shape))
    elif isinstance(shape, list) and isinstance(extra.shape, list) and len(shape) == len(extra.shape):
        shape = [_merge(Out(b), Out(e)).shape for b, e in zip(shape, extra.shape)]
    params = base.params if base.params is not None else extra.params
    return Out(shape, params, base.explain, base.warnings, base.spec)


def _complete(out: Out) -> bool:
    return out.params is not None and not _has_unknown(out.shape)


def apply_partial(plain: Callable[..., Out], rule: Rule, args: Args, inputs: Any, call: dict) -> Out:
    """``plain(rule, args, inputs, call)`` for inputs/arguments with unknowns in them."""
    if _has_unknown_rank(inputs) or any(_has_unknown_rank(v) for v in call.values()):
        out = _ranks_memo(plain, rule, args, inputs, call)
        if out is None:
            raise Unresolved(f"the input rank of {rule.kind} is not known")
        return out
    base: Out | None = None
    reason = f"a size {rule.kind} needs is not known statically"
    try:
        base = plain(rule, args, inputs, call)
    except Unresolved as u:
        reason = u.reason
    except (LayerError, ShapeError):
        raise
    except Exception:  # noqa: BLE001 -- a rule not written for unknowns: specialise instead
        pass
    if base is not None and _complete(base):
        return base
    extra = _values_memo(plain, rule, args, inputs, call)
    if extra is None:
        if base is not None:
            return base
        raise Unresolved(reason)
    return _merge(base, extra) if base is not None else extra


def _has_unknown_rank(value: Any) -> bool:
    if isinstance(value, RankUnknown):
        return True
    return isinstance(value, list) and any(isinstance(v, RankUnknown) for v in value)

"""Python builtins and methods of plain values, modelled for the evaluator.

Only pure, bounded operations on values the evaluator already holds: nothing here can
run user code or touch the outside world.
"""

from __future__ import annotations

import ast

import math
from typing import Any

from shapelens.core.plain import plain, safe_format
from shapelens.core.shapes import Unknown, UnknownInt
from shapelens.core.values import Builtin, Tensor

_MAX = 100_000
_MAX_INT_BITS = 4_096  # as evaluate.MAX_INT_BITS: bigger ints are refused, not computed


class TooLarge(Unknown):
    """A value the analysis refused to compute because it would be too large (a huge
    range, factorial, repetition ...). Loops over one say so in a note."""

    __slots__ = ()

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} (too large)")


def _big_int(*values: Any) -> bool:
    return any(isinstance(v, int) and v.bit_length() > _MAX_INT_BITS for v in values)


def _plain(v: Any) -> bool:
    return plain(v)


def _known(*values: Any) -> bool:
    return not any(isinstance(v, Unknown) for v in values)


def _len(ev, args, kwargs, node):
    (x,) = args
    if isinstance(x, (list, tuple, str, dict, set, range)):
        return len(x)
    if isinstance(x, Tensor) and x.shape:
        return x.shape[0] if isinstance(x.shape[0], int) else UnknownInt("the tensor's first axis is not known")
    return UnknownInt("len() of a value that is not known")


def _range(ev, args, kwargs, node):
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args) or not 1 <= len(args) <= 3:
        return Unknown("range() over values not known statically")
    if _big_int(*args):
        return TooLarge(f"range() over numbers of more than {_MAX_INT_BITS} bits")
    r = range(*args)
    try:
        n = len(r)
    except OverflowError:
        n = _MAX + 1
    return r if n <= _MAX else TooLarge(f"a range of more than {_MAX:,} numbers")


def _materialize(ev, value):
    items = ev.iterate(value)
    return None if items is None else list(items)


def _zip(ev, args, kwargs, node):
    lists = [_materialize(ev, a) for a in args]
    if any(lst is None for lst in lists):
        return Unknown("zip() over values not known statically")
    return list(zip(*lists))


def _enumerate(ev, args, kwargs, node):
    items = _materialize(ev, args[0])
    start = args[1] if len(args) > 1 else kwargs.get("start", 0)
    if items is None or not isinstance(start, int):
        return Unknown("enumerate() over values not known statically")
    return list(enumerate(items, start))


def _seq(kind):
    def fn(ev, args, kwargs, node):
        if not args:
            return kind()
        items = _materialize(ev, args[0])
        if items is None:
            return Unknown(f"{kind.__name__}() of a value not known statically")
        try:
            return kind(items)
        except TypeError:
            return Unknown(f"{kind.__name__}() of unhashable values")

    return fn


def _dict(ev, args, kwargs, node):
    out: dict = {}
    if args:
        base = args[0]
        if isinstance(base, dict):
            out.update(base)
        else:
            items = _materialize(ev, base)
            if items is None:
                return Unknown("dict() of a value not known statically")
            try:
                out.update(items)
            except (TypeError, ValueError):
                return Unknown("dict() of values that are not pairs")
    out.update(kwargs)
    return out


_SCALARS = (int, float, bool, str, type(None), complex)


def _numeric(fn_name):
    real = {"int": int, "float": float, "abs": abs, "round": round, "bool": bool, "str": str}[fn_name]

    def fn(ev, args, kwargs, node):
        if not args:
            return real()
        if not all(_plain(a) for a in args):
            return Unknown(f"{fn_name}() of a value not known statically")
        if fn_name == "str" and not isinstance(args[0], _SCALARS):
            return Unknown("str() of a container is not followed")
        if fn_name == "int" and isinstance(args[0], str) and len(args[0]) > 4_000:
            return TooLarge("int() of a very long string")
        if fn_name == "str" and _big_int(args[0]):
            return TooLarge("str() of a very big number")
        if fn_name == "round" and len(args) > 1 and not (isinstance(args[1], int) and abs(args[1]) <= 400):
            # round(5, -10**8) computes 10**(10**8) first
            return TooLarge("round() to that many digits")
        try:
            return real(*args)
        except Exception:  # noqa: BLE001
            return Unknown(f"{fn_name}() fails on these values")

    return fn


def _reduce(fn_name):
    real = {"min": min, "max": max, "sum": sum, "sorted": sorted, "any": any, "all": all}[fn_name]

    def fn(ev, args, kwargs, node):
        if len(args) == 1:
            items = _materialize(ev, args[0])
        else:
            items = list(args)
        if fn_name == "sorted" and items is not None and kwargs.get("key") is None and _distinct_heads(items):
            # sorted(d.items()): pairs whose first items differ are never compared further
            return sorted(items, key=lambda t: t[0], reverse=bool(kwargs.get("reverse", False)))
        if items is None or not all(_plain(i) for i in items) or kwargs.get("key") is not None:
            return Unknown(f"{fn_name}() of values not known statically")
        try:
            extra = {k: v for k, v in kwargs.items() if k in ("reverse", "default")}
            if fn_name == "sum" and len(args) > 1:
                return sum(args[0], args[1]) if _plain(args[0]) else Unknown("sum() of unknown values")
            return real(items, **extra)
        except Exception:  # noqa: BLE001
            return Unknown(f"{fn_name}() fails on these values")

    return fn


def _distinct_heads(items: list) -> bool:
    """Tuples whose first items are plain strings (or numbers), all different."""
    if not items or not all(isinstance(i, tuple) and i for i in items):
        return False
    heads = [i[0] for i in items]
    kinds = {str} if all(isinstance(h, str) for h in heads) else {int, float}
    return all(type(h) in kinds for h in heads) and len(set(heads)) == len(heads)


def _divmod(ev, args, kwargs, node):
    if len(args) == 2 and all(isinstance(a, (int, float)) for a in args) and args[1] and not _big_int(*args):
        return divmod(*args)
    return Unknown("divmod() of values not known statically")


def _pow(ev, args, kwargs, node):
    import ast

    if len(args) == 2:
        return ev.binop(ast.Pow, args[0], args[1], node)
    return Unknown("pow() with a modulus is not followed")


def _reversed(ev, args, kwargs, node):
    items = _materialize(ev, args[0]) if args else None
    return list(reversed(items)) if items is not None else Unknown("reversed() of a value not known statically")


class DatasetIterator(Builtin):
    """iter(dataset): every next() gives an element of the dataset's shapes."""

    def __init__(self, dataset: Any) -> None:
        super().__init__("iterator")
        self.dataset = dataset


def _iter(ev, args, kwargs, node):
    from shapelens.core.data.base import Dataset

    if args and isinstance(args[0], Dataset):
        return DatasetIterator(args[0])
    return Unknown("iter() is followed over datasets only")


def _next(ev, args, kwargs, node):
    """next(iter(dataset)): one element (a batch, when the dataset is batched) of the data."""
    it = args[0] if args else None
    if not isinstance(it, DatasetIterator) or it.dataset.element is None:
        return Unknown("next() of an iterator shapelens does not follow")
    return dataset_element(it.dataset)


def dataset_element(dataset: Any) -> Any:
    """An element of a tf.data.Dataset shapelens follows, as the data it holds (eager tensors of
    the element's shapes, nested as the element is); Unknown when it is not followed."""
    from shapelens.core.data.base import Array, Dataset

    if not isinstance(dataset, Dataset) or dataset.element is None:
        return Unknown("an element of a dataset shapelens does not follow")
    return _element_data(dataset.element, Array)


# (the recursive helpers of this package are functions of their module, not closures: a closure
# that calls itself is a reference cycle, which keeps what it holds for the garbage collector)
def _element_data(el: Any, array: Any, depth: int = 0) -> Any:
    if isinstance(el, tuple) and all(d is None or isinstance(d, Unknown) or isinstance(d, int)
                                     and not isinstance(d, bool) for d in el):
        return array(el, "an element of the dataset", None, symbolic=False, lib="tf")
    if isinstance(el, (tuple, list)) and depth < 3:
        parts = [_element_data(e, array, depth + 1) for e in el]
        return type(el)(parts) if not any(isinstance(p, Unknown) for p in parts) else Unknown("a dataset element")
    if isinstance(el, dict) and depth < 3:
        parts = {k: _element_data(v, array, depth + 1) for k, v in el.items()}
        return parts if not any(isinstance(p, Unknown) for p in parts.values()) else Unknown("a dataset element")
    return Unknown("a dataset element shapelens does not follow")


MAX_ROWS = 64  # an array with more rows is not unrolled: a loop over it runs once on a row


def array_rows(value: Any, every: bool) -> Any:
    """The rows of an array (numpy, eager tensor) whose first axis shapelens knows: row arrays of
    shape[1:] (its numbers, for a 1-D array whose values it knows). ``every``: the list of all rows
    (None above MAX_ROWS); else one row, as every row looks. None when not an array it follows."""
    from shapelens.core.data.base import Array

    if not isinstance(value, Array) or value.symbolic is not False or not value.shape \
            or value.variable is not None:
        return None
    n = value.shape[0]
    if not (isinstance(n, int) and n >= 0) or (every and n > MAX_ROWS):
        return None
    rest = tuple(value.shape[1:])
    numbers = value.value if isinstance(value.value, list) and len(value.value) == n and not rest \
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.value) else None
    if numbers is not None:
        return list(numbers) if every else Unknown("a number of the array")
    row = lambda: Array(rest, value.origin, value.span, symbolic=False, dtype=value.dtype, lib=value.lib)  # noqa: E731
    return [row() for _ in range(n)] if every else row()


def _isinstance(ev, args, kwargs, node):
    return Unknown("isinstance() is not followed")


def _print(ev, args, kwargs, node):
    return None


def _super(ev, args, kwargs, node):
    from shapelens.core.values import SuperProxy

    # super() with no arguments: the instance is the first argument of the running method.
    inst = ev.keras.current_self()
    if inst is None:
        return Unknown("super()")
    owner = args[0] if args and type(args[0]).__name__ == "ClassValue" else _defining_class(inst.cls, node)
    return SuperProxy(inst, owner)


def _defining_class(cls, node):
    """The class whose body holds the super() call (Python's __class__ cell), in cls's bases."""
    stack, seen = [cls], set()
    while stack:
        c = stack.pop()
        if id(c) in seen or not hasattr(c, "node"):
            continue
        seen.add(id(c))
        cnode = c.node
        if node is not None and getattr(cnode, "lineno", None) is not None and \
                cnode.lineno <= getattr(node, "lineno", -1) <= (cnode.end_lineno or cnode.lineno) and \
                _inside(node, cnode):
            return c
        stack.extend(b for b in c.bases if type(b).__name__ == "ClassValue")
    return None


def _inside(node, cnode) -> bool:
    """Whether ``node`` is in the class body ``cnode`` (the same syntax tree, not only the same
    lines: a base class may come from another file). Found by descending from the class only
    into the nodes whose positions enclose ``node``'s (and those without positions), not by
    walking the whole class: a transformer block's super() calls walked every class each
    analysis (3,800 nodes for keras.io's GCViT, 3% of its analysis)."""
    where = (node.lineno, node.col_offset)
    end = (getattr(node, "end_lineno", None) or node.lineno, getattr(node, "end_col_offset", None) or 0)
    stack = [cnode]
    while stack:
        cur = stack.pop()
        if cur is node:
            return True
        for child in ast.iter_child_nodes(cur):
            line = getattr(child, "lineno", None)
            if line is None:
                stack.append(child)  # (arguments, comprehension, ...: no position of their own)
            elif (line, child.col_offset) <= where and end <= (child.end_lineno or line, child.end_col_offset or 0):
                stack.append(child)
    return False


def _math_too_big(name: str, args: list) -> bool:
    """Would math.<name>(*args) build a number bigger than the evaluator keeps (or take
    long to compute)? Every int operand is capped; the combinatorial functions by the size
    of their result."""
    if _big_int(*args):
        return True
    ints = [a for a in args if isinstance(a, int)]
    if name == "factorial":
        return bool(ints) and ints[0] > 500  # 500! has ~3,800 bits
    if name in ("comb", "perm"):
        n = ints[0] if ints else 0
        k = ints[1] if len(ints) > 1 else n
        k = min(k, n - k) if name == "comb" and 0 <= k <= n else k
        return n > 100_000 or max(k, 0) * max(n, 2).bit_length() > _MAX_INT_BITS
    if name == "prod":
        return sum(a.bit_length() if isinstance(a, int) else 64 for a in args) > _MAX_INT_BITS
    if name in ("lcm",):
        return sum(a.bit_length() for a in ints) > _MAX_INT_BITS
    return False


def _math(name):
    def fn(ev, args, kwargs, node):
        if name not in MATH_FUNCTIONS:
            return Unknown(f"math.{name}() is not followed")
        if kwargs:
            return Unknown(f"math.{name}() with keyword arguments is not followed")
        if name == "prod":
            if len(args) != 1:
                return Unknown("math.prod() with these arguments is not followed")
            items = _materialize(ev, args[0])
            if items is None or len(items) > _MAX:
                return Unknown("math.prod() of values not known statically")
            args = list(items)
        for a in args:
            if isinstance(a, Unknown):
                return a
        if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
            return Unknown(f"math.{name}() of values not known statically")
        if _math_too_big(name, args):
            return TooLarge(f"math.{name}() of these numbers")
        try:
            return math.prod(args) if name == "prod" else getattr(math, name)(*args)
        except Exception:  # noqa: BLE001
            return Unknown(f"math.{name}() fails on these values")

    return fn


_BUILTINS = {
    "len": _len,
    "range": _range,
    "zip": _zip,
    "enumerate": _enumerate,
    "list": _seq(list),
    "tuple": _seq(tuple),
    "set": _seq(set),
    "dict": _dict,
    "int": _numeric("int"),
    "float": _numeric("float"),
    "abs": _numeric("abs"),
    "round": _numeric("round"),
    "bool": _numeric("bool"),
    "str": _numeric("str"),
    "min": _reduce("min"),
    "max": _reduce("max"),
    "sum": _reduce("sum"),
    "sorted": _reduce("sorted"),
    "any": _reduce("any"),
    "all": _reduce("all"),
    "divmod": _divmod,
    "pow": _pow,
    "reversed": _reversed,
    "isinstance": _isinstance,
    "iter": _iter,
    "next": _next,
    "print": _print,
    "super": _super,
}
# Only pure functions of numbers, each computed only below the size caps of _math_too_big.
MATH_FUNCTIONS = {
    "ceil", "floor", "sqrt", "prod", "log2", "log", "log10", "gcd", "lcm", "isqrt", "exp", "trunc",
    "factorial", "comb", "perm", "fabs", "pow", "hypot", "sin", "cos", "tan", "atan2", "radians", "degrees",
}


def lookup(name: str) -> Builtin | None:
    if name in _BUILTINS or name in ("None", "True", "False"):
        return Builtin(name)
    return None


def call(ev, name: str, args: list, kwargs: dict, node) -> Any:
    if name.startswith("math."):
        return _math(name[5:])(ev, args, kwargs, node)
    fn = _BUILTINS.get(name)
    if fn is None:
        return Unknown(f"{name}() is not followed")
    try:
        return fn(ev, args, kwargs, node)
    except (TypeError, ValueError, IndexError):
        return Unknown(f"{name}() with these arguments is not followed")


# ---------------------------------------------------------------------- methods of plain values

_LIST_METHODS = {"append", "extend", "insert", "pop", "remove", "reverse", "index", "count", "copy", "clear"}
_DICT_METHODS = {"get", "items", "keys", "values", "update", "pop", "setdefault", "copy"}
_STR_METHODS = {"upper", "lower", "strip", "format", "join", "split", "replace", "startswith", "endswith", "title"}
_TUPLE_METHODS = {"index", "count"}


class PlainMethod(Builtin):
    pass


def attribute(ev, obj: Any, attr: str) -> Any:
    allowed = (
        _LIST_METHODS if isinstance(obj, list)
        else _DICT_METHODS if isinstance(obj, dict)
        else _STR_METHODS if isinstance(obj, str)
        else _TUPLE_METHODS if isinstance(obj, tuple)
        else set()
    )
    if attr in allowed:
        from shapelens.core.values import BoundMethod

        return BoundMethod(obj, f"plain.{attr}")
    return Unknown(f"`.{attr}` of a {type(obj).__name__} is not followed")


def _too_big(obj: Any, attr: str, args: list, kwargs: dict) -> bool:
    """Would this str method allocate more than we are willing to follow?"""
    if not isinstance(obj, str):
        return False
    if attr == "format":
        return not safe_format(obj) or "{" in obj.replace("{}", "").replace("{{", "") and ":" in obj
    if attr == "replace" and len(args) >= 2 and isinstance(args[1], str):
        return len(obj) * max(1, len(args[1])) > _MAX
    if attr == "join" and args and isinstance(args[0], (list, tuple)):
        return sum(len(x) if isinstance(x, str) else 0 for x in args[0][:_MAX]) + len(obj) * len(args[0]) > _MAX
    return len(obj) > _MAX


def call_plain_method(ev, obj: Any, attr: str, args: list, kwargs: dict) -> Any:
    if _too_big(obj, attr, args, kwargs):
        return Unknown(f"`.{attr}()` would build a value too large to follow")
    if attr in ("items", "keys", "values") and isinstance(obj, dict):
        return list(getattr(obj, attr)())
    if isinstance(obj, str) and attr in ("format", "join"):
        if not all(_plain(a) for a in args) or not all(_plain(v) for v in kwargs.values()):
            if attr == "join":
                items = _materialize(ev, args[0]) if args else None
                if items is None or not all(isinstance(i, str) for i in items):
                    return Unknown("str.join of values not known statically")
                return obj.join(items)
            return Unknown("str.format of values not known statically")
    if isinstance(obj, list) and attr in ("extend",):
        items = _materialize(ev, args[0]) if args else None
        if items is None:
            obj.append(Unknown("extended with values not known statically"))
            return None
        if len(obj) + len(items) > _MAX:
            return None
        obj.extend(items)
        return None
    if isinstance(obj, list) and attr in ("append", "insert") and len(obj) >= _MAX:
        return None
    try:
        return getattr(obj, attr)(*args, **kwargs)
    except Exception:  # noqa: BLE001
        return Unknown(f"`.{attr}()` fails on these values")

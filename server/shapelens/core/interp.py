"""Scopes, control-flow signals, operator tables and value helpers of the abstract interpreter
(shared by core/evaluate.py and core/evaluate_expr.py)."""

from __future__ import annotations

import ast
import operator
from typing import Any
from shapelens.core.plain import plain
from shapelens.core.shapes import UNK, Unknown, fmt_shape
from shapelens.core.code_registry import describer
from shapelens.core.values import LayerObj, Tensor

class BudgetExceeded(BaseException):
    """The whole analysis ran out of steps or time, or was cancelled. A BaseException so
    that no `except Exception` on the way (rules, data ops) can swallow it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _StatementBudget(BaseException):
    """One top-level statement used its share of the budget: it is abandoned, the rest of
    the file still runs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
    ast.MatMult: operator.matmul,
}
_CMPOPS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
class Scope:
    __slots__ = ("vars", "parent", "globals", "local_names")

    def __init__(self, parent: "Scope | None" = None, globals_: "Scope | None" = None,
                 local_names: frozenset[str] | None = None) -> None:
        self.vars: dict[str, Any] = {}
        self.parent = parent
        self.globals = globals_ or self
        # a function's scope: the names local to it (function_locals); one of them not bound yet is
        # not looked up further out (Python raises UnboundLocalError: lookup gives UNBOUND_LOCAL)
        self.local_names = local_names

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            if scope.local_names is not None and name in scope.local_names:
                return UNBOUND_LOCAL
            scope = scope.parent
        if name in self.globals.vars:
            return self.globals.vars[name]
        return _MISSING

    def snapshot(self) -> dict[str, Any]:
        return dict(self.vars)

    def forget_container(self, name: str, reason: str) -> None:
        """The list/dict/set bound to ``name`` (where the lookup finds it) is changed in ways
        not followed: its content and length become Unknown(reason)."""
        holder: Scope | None = self
        while holder is not None and name not in holder.vars:
            holder = holder.parent
        if holder is None and name in self.globals.vars:
            holder = self.globals
        if holder is not None and isinstance(holder.vars[name], CONTAINERS):
            holder.vars[name] = Unknown(reason)


_MISSING = object()
UNBOUND_LOCAL = object()  # Scope.lookup: a name local to a function, not bound yet


def function_locals(fn: ast.FunctionDef | ast.AsyncFunctionDef, source_lines: list[str] | None = None) -> frozenset[str]:
    """The names local to a function, as Python decides them: its parameters and every name its
    body binds at its own level (assignments, loop and ``with`` targets, imports, ``except ... as``,
    ``del``, nested ``def``/``class`` names, ``:=`` in comprehensions), less those declared
    ``global`` or ``nonlocal``; not what nested functions, classes and comprehensions bind for
    themselves. Kept on the node (the syntax tree is not changed during an analysis).
    ``source_lines``: the text's lines; without a ``:=`` in the function's lines only its
    statements are read (not their expressions, which bind nothing else)."""
    found = fn.__dict__.get("_sl_locals")
    if found is not None:
        return found
    names: set[str] = set()
    declared: set[str] = set()
    a = fn.args
    for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
        if p is not None:
            names.add(p.arg)
    walrus = source_lines is None or not hasattr(fn, "end_lineno") or any(
        ":=" in line for line in source_lines[fn.lineno - 1:fn.end_lineno])
    _statement_locals(fn.body, names, declared, walrus)
    found = fn._sl_locals = frozenset(names - declared)  # type: ignore[union-attr]
    return found


def _targets(node: ast.AST, names: set[str]) -> None:
    t = type(node)
    if t is ast.Name:
        names.add(node.id)
    elif t is ast.Tuple or t is ast.List:
        for e in node.elts:
            _targets(e, names)
    elif t is ast.Starred:
        _targets(node.value, names)


def _statement_locals(body: list[ast.stmt], names: set[str], declared: set[str], walrus: bool) -> None:
    for st in body:
        t = type(st)
        if walrus:  # a := anywhere in the statement's own expressions binds in the function
            for w in _own_nodes(st):
                if type(w) is ast.NamedExpr and type(w.target) is ast.Name:
                    names.add(w.target.id)
        if t is ast.Assign:
            for target in st.targets:
                _targets(target, names)
        elif t is ast.AugAssign or t is ast.AnnAssign:
            _targets(st.target, names)
        elif t is ast.For or t is ast.AsyncFor:
            _targets(st.target, names)
            _statement_locals(st.body, names, declared, walrus)
            _statement_locals(st.orelse, names, declared, walrus)
        elif t is ast.While or t is ast.If:
            _statement_locals(st.body, names, declared, walrus)
            _statement_locals(st.orelse, names, declared, walrus)
        elif t is ast.With or t is ast.AsyncWith:
            for item in st.items:
                if item.optional_vars is not None:
                    _targets(item.optional_vars, names)
            _statement_locals(st.body, names, declared, walrus)
        elif t is ast.Try or t.__name__ == "TryStar":
            _statement_locals(st.body, names, declared, walrus)
            for h in st.handlers:
                if h.name:
                    names.add(h.name)
                _statement_locals(h.body, names, declared, walrus)
            _statement_locals(st.orelse, names, declared, walrus)
            _statement_locals(st.finalbody, names, declared, walrus)
        elif t is ast.FunctionDef or t is ast.AsyncFunctionDef or t is ast.ClassDef:
            names.add(st.name)
        elif t is ast.Import or t is ast.ImportFrom:
            names.update(al.asname or al.name.split(".")[0] for al in st.names if al.name != "*")
        elif t is ast.Delete:
            for target in st.targets:
                _targets(target, names)
        elif t is ast.Global or t is ast.Nonlocal:
            declared.update(st.names)
        elif t is ast.Match:
            for case in st.cases:
                for w in walk(case.pattern):
                    if type(w) in (ast.MatchAs, ast.MatchStar) and w.name:
                        names.add(w.name)
                    elif type(w) is ast.MatchMapping and w.rest:
                        names.add(w.rest)
                _statement_locals(case.body, names, declared, walrus)


def _own_nodes(st: ast.stmt):
    """The expression nodes of a statement, not those of the statements in its body nor of nested
    functions and classes (a comprehension's := binds in the function: walked)."""
    todo: list[ast.AST] = []
    for field in st._fields:
        value = getattr(st, field, None)
        if field in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        if isinstance(value, ast.AST):
            todo.append(value)
        elif isinstance(value, list):
            todo.extend(v for v in value if isinstance(v, ast.AST))
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.stmt)):
            continue
        yield n
        for field in n._fields:
            value = getattr(n, field, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, ast.AST))


_EITHER_BRANCH = "a tensor made by either branch of an `if` whose condition is not known statically"


def same_value(a: Any, b: Any) -> Any:
    """Merge two branches' values: keep what both agree on."""
    if a is b:
        return a
    if a is _MISSING or b is _MISSING:
        present = b if a is _MISSING else a
        return present if not isinstance(present, (Tensor,)) else Unknown("set on only one branch of an unknown `if`")
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.shape == b.shape and a.shape is not None:
        if a.producer is b.producer and a.index == b.index:
            return a
        # the same shape from different layers: the shape is certain, the graph that made it is
        # not (a model built on it has the layers of one branch or the other, not both)
        return Tensor(a.shape, _EITHER_BRANCH, a.span, None, a.symbolic if a.symbolic == b.symbolic else None)
    if type(a) is Tensor and type(b) is Tensor and a.shape is not None and b.shape is not None \
            and len(a.shape) == len(b.shape) and a.symbolic == b.symbolic:
        # the same kind of tensor, of one rank: the axes both branches agree on (made by either
        # branch: no graph is claimed, as above)
        merged = tuple(x if x == y and type(x) is type(y) else UNK for x, y in zip(a.shape, b.shape))
        return Tensor(merged, _EITHER_BRANCH, a.span, None, a.symbolic, 0, a.ends)
    try:
        if plain(a) and plain(b) and a == b and type(a) is type(b):
            return a
    except Exception:  # noqa: BLE001
        pass
    return Unknown("differs between the branches of an `if` whose condition is not known statically")


def describe(value: Any) -> str:
    if isinstance(value, Unknown):
        return f"a value that is not known ({value.reason})" if value.reason else "a value that is not known"
    if isinstance(value, Tensor):
        return "a tensor of unknown shape" if value.shape is None else f"a tensor of shape {fmt_shape(value.shape)}"
    return f"a {type(value).__name__}"


@describer
def _in_words(value: Any) -> str | None:
    """Messages name a tensor, a layer or a value not known in words (code_registry.shown)."""
    if isinstance(value, LayerObj):
        return f"a {value.kind} layer"
    if isinstance(value, (Unknown, Tensor)):
        return describe(value)
    return None


def is_generator(node: ast.AST) -> bool:
    """A def whose body yields (not counting nested functions and classes)."""
    if isinstance(node, ast.Lambda):
        return False
    stack = list(getattr(node, "body", []))
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(n))
    return False


def _has_call(stmt: ast.stmt) -> bool:
    return any(isinstance(n, ast.Call) for n in ast.walk(stmt))


MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem",
                       "remove", "discard", "clear", "sort", "reverse", "difference_update",
                       "intersection_update", "symmetric_difference_update"})
CONTAINERS = (list, dict, set, bytearray)


_AST = ast.AST


def walk(node: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(node))``, in the same (breadth-first) order, without its generators."""
    todo = [node]
    append = todo.append
    i = 0
    while i < len(todo):
        n = todo[i]
        i += 1
        for name in n._fields:
            try:
                field = getattr(n, name)
            except AttributeError:
                continue
            if isinstance(field, _AST):
                append(field)
            elif isinstance(field, list):
                for item in field:
                    if isinstance(item, _AST):
                        append(item)
    return todo


def mutated_names(body: list[ast.stmt]) -> set[str]:
    """Names whose value a block may change in place: ``xs.append(...)``, ``d[k] = v``, ``del d[k]``
    (the caller forgets those that hold a plain container after code that may or may not run)."""
    return _per_statement(body, "_sl_mutated", _mutated_in)


def _per_statement(body: list[ast.stmt], key: str, scan) -> set[str]:
    """The union of ``scan(stmt)`` over a block; each statement's answer is kept on it under
    ``key`` (the AST is not changed during an analysis, and loops ask again every iteration)."""
    names: set[str] = set()
    for stmt in body:
        found = stmt.__dict__.get(key)
        if found is None:
            found = scan(stmt)
            setattr(stmt, key, found)
        names.update(found)
    return names


def _mutated_in(stmt: ast.stmt) -> tuple[str, ...]:
    # in the order ast.walk meets them (the caller's set is built in that order); the AST is
    # not changed during an analysis, so the answer is kept on the statement
    names: dict[str, None] = {}
    for node in walk(stmt):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in MUTATORS and isinstance(node.func.value, ast.Name):
            names[node.func.value.id] = None
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)) \
                and isinstance(node.value, ast.Name):
            names[node.value.id] = None
    return tuple(names)


def assigned_names(body: list[ast.stmt]) -> set[str]:
    return _per_statement(body, "_sl_assigned", _assigned_in)


def _assigned_in(stmt: ast.stmt) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for node in walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names[node.id] = None
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = None
    return tuple(names)

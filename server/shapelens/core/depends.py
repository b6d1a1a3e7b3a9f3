"""What a top-level statement reads and writes, for reusing the statements after an edit.

``core/incremental.py`` restores the evaluator's state before the statement the user is typing
in; this module decides which of the statements *after* it must run again and which can keep
their last results (their diagnostics, layer records, models and values, see
``incremental.Replay``). A statement can keep its results when running it again would do
exactly what it did last time, with no effect the new run could see:

- it reads no name that an edited or re-run statement writes (or may have changed through a
  method call: every name a re-run statement reads counts as possibly changed);
- it touches no object that the new run holds: every name it reads that was bound before the
  edit, or by a re-run statement, is bound to a value nothing can change (a module, a function,
  a class nobody assigns into, a number, a string, a tuple of those);
- a statement that runs again gets every name it reads from statements that also run again (or
  from before the edit).

Reads are over-approximated: a statement that calls anything may run any function of the
file, so it reads the free names of every function and class body too. A file with code that
reaches names dynamically (``globals()``, ``exec``, ``global`` declarations, star imports,
Keras's global configuration setters) is always analysed in full.

Pure: the syntax tree only, plus the values bound before the edit (for the "cannot change"
test). Imports no TensorFlow, never runs user code.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass
from typing import Any, Iterator

from shapelens.core.bound_values import MISSING as _MISSING, Objects as _Objects, data_groups as _data_groups
from shapelens.core.bound_values import frozen, frozen_items as _frozen_items

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
# nodes that bind, read or call nothing: not walked into (a third of a statement's nodes)
_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.Constant)


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk`` without the leaves (in another order: depth first)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        child_nodes(n, stack)


# fields that never hold a node (names, operators, contexts, flags): not looked at. (Not ``name``:
# a str everywhere in Python 3.11, but a Name node in 3.12's ``type X = ...``.)
_NOT_NODES = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "asname", "module", "level",
                        "type_comment", "simple", "is_async", "conversion", "kind", "tag"})
_LEAF_TYPES = frozenset({c for base in _LEAVES[:-1] for c in base.__subclasses__()} | {ast.Constant})
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}
_NAME, _LOAD = ast.Name, ast.Load
_OTHER_COMMON = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Import, ast.ImportFrom, ast.ExceptHandler,
                           ast.NamedExpr, ast.Global, ast.Nonlocal, ast.Match})


def child_nodes(node: ast.AST, out: list) -> None:
    """``out.extend(ast.iter_child_nodes(node))`` without the leaves (also core/lookup.py)."""
    t = type(node)
    fields = _NODE_FIELDS.get(t)
    if fields is None:
        fields = _NODE_FIELDS[t] = tuple(f for f in t._fields if f not in _NOT_NODES)
    leaves = _LEAF_TYPES
    for name in fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if type(value) is list:
            for item in value:
                if type(item) not in leaves and isinstance(item, ast.AST):
                    out.append(item)
        elif type(value) not in leaves and isinstance(value, ast.AST):
            out.append(value)


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTION_TYPES = frozenset(_FUNCTIONS)
_COMPREHENSION_TYPES = frozenset(_COMPREHENSIONS)
_SCOPES = _FUNCTION_TYPES | _COMPREHENSION_TYPES
_DYNAMIC_NAMES = frozenset({"globals", "locals", "vars", "eval", "exec", "setattr", "delattr", "__import__",
                            "__builtins__", "__dict__", "reload"})
# Keras's functions that set global state a shape may depend on (the data format, the float
# type, the dtype policy, the backend): a file calling one is analysed in full. Named one by
# one: `x.set_shape(...)`, `model.set_weights(...)`, `ax.set_title(...)` change their receiver
# only, which the names cover. The setters of what no shape depends on (seeds,
# clear_session(), eager execution, logging, devices, ...) change nothing the analysis reads.
_GLOBAL_SETTERS = frozenset({
    "set_floatx", "set_epsilon", "set_image_data_format", "set_global_policy", "set_policy", "set_dtype_policy",
    "set_backend",
})
# Builtins whose call runs no code of the file and changes no object (as the evaluator models
# them: core/builtins_model.py): a statement that calls only these (`print(model.name)`) is not
# taken to call every function of the file -- unless the file binds the name itself.
PURE_BUILTINS = frozenset({
    "print", "len", "isinstance", "issubclass", "str", "int", "float", "bool", "abs", "round", "range",
    "divmod", "pow", "repr", "type", "hasattr", "id", "format", "chr", "ord", "callable", "hash",
})
# What reading a list, dict or set never changes it with: these methods, these builtins
# (when the file does not bind their names), and the uses _Collector._reads_only lists
_READ_METHODS = frozenset({"get", "items", "keys", "values", "copy", "index", "count"})
READ_BUILTINS = frozenset({"len", "print", "str", "repr", "sorted", "list", "tuple", "set", "dict", "frozenset",
                           "max", "min", "sum", "any", "all", "enumerate", "zip", "reversed", "isinstance"})
_PLAIN = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Import, ast.ImportFrom,
          ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)


@dataclass(frozen=True)
class StmtDeps:
    reads: frozenset  # names it loads at module level (a class body included, function bodies not)
    writes: frozenset  # names it binds at module level
    mutates: frozenset  # names whose objects it (or a function it defines) assigns into: x.a = / x[i] =
    fn_free: frozenset  # free names of the function and class bodies it defines (read when they run)
    calls: bool  # it calls something (which may run any function of the file)
    conditional: bool  # a compound statement: its writes may not happen
    barrier: bool  # reaches names dynamically or changes global configuration
    frozen_writes: frozenset = frozenset()  # names it binds to a module, a function, a class or a literal
    # names it binds to a value its own text decides (an import, a literal, a function with no
    # decorator and literal defaults): the same whenever it runs
    same_writes: frozenset = frozenset()
    pure_calls: frozenset = frozenset()  # the builtins of PURE_BUILTINS it calls (not in ``calls``)
    # names whose object may be changed or handed on by it, a function or a class it defines: any
    # use but a read (``x[k]``, ``x.get(...)``, ``len(x)``, ``k in x``, ``for k in x``; see
    # _Collector._reads_only); a name used only so in the whole file keeps its data as it is
    escapes: frozenset = frozenset()
    loose: frozenset = frozenset()  # writes - frozen_writes: names it binds to a value that may change

    def calling(self, shadowed: frozenset | set) -> bool:
        """Whether it may run code of the file: it calls something other than a pure builtin
        (``shadowed``: the pure builtins' names the file binds itself)."""
        return self.calls or not self.pure_calls.isdisjoint(shadowed)

    def changing(self, shadowed: frozenset | set) -> bool:
        """Whether it may change an object it reaches (by a call, or by assigning into one)."""
        return bool(self.mutates) or self.calling(shadowed)


def deps(stmt: ast.stmt) -> StmtDeps:
    """The dependencies of one top-level statement (cached on the node)."""
    cached = getattr(stmt, "_sl_deps", None)
    if cached is None:
        cached = _Collector().top(stmt)
        try:
            stmt._sl_deps = cached  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return cached


class _Collector:
    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.mutates: set[str] = set()
        self.fn_free: set[str] = set()
        self.calls = False
        self.pure_calls: set[str] = set()
        self.barrier = False
        self.escapes: set[str] = set()
        self._read_only: set[int] = set()  # ids of the Name nodes in a reading place

    def top(self, stmt: ast.stmt) -> StmtDeps:
        self._module_level(stmt)
        writes = frozenset(self.writes)
        frozen = _frozen_writes(stmt, self.writes)
        return StmtDeps(frozenset(self.reads), writes, frozenset(self.mutates),
                        frozenset(self.fn_free), self.calls, not isinstance(stmt, _PLAIN), self.barrier,
                        frozen, _same_writes(stmt, self.writes),
                        frozenset(self.pure_calls), frozenset(self.escapes), writes - frozen)

    # -- module level: loads are reads, stores are writes
    def _module_level(self, node: ast.AST) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            t = type(n)
            if t in _SCOPES:
                if t in _FUNCTION_TYPES:
                    self._function(n, self.fn_free)
                    continue
                if t in _COMPREHENSION_TYPES:
                    free: set[str] = set()
                    self._scope(n, free, comprehension=True)
                    self.reads |= free
                    continue
            if t is ast.ClassDef:
                self.writes.add(n.name)
                self._reads_only(n)
                for part in (*n.bases, *n.keywords, *n.decorator_list):
                    stack.append(part)
                for item in n.body:  # the class body runs now, its methods later
                    stack.append(item)
                continue
            self._common(n, self.reads, self.writes, self.mutates)
            child_nodes(n, stack)

    def _reads_only(self, n: ast.AST) -> None:
        """Mark the names among ``n``'s children that ``n`` only reads (a Name not marked when it
        is visited escapes: ``escapes``). Reading a list, dict or set of numbers and strings
        through them never changes it, and what it hands on is a number, a string, a new object
        or an item of it."""
        marks = self._read_only
        t = type(n)
        if t is ast.Subscript:
            if type(n.value) is ast.Name and type(n.ctx) is ast.Load:
                marks.add(id(n.value))
        elif t is ast.Attribute:
            if type(n.value) is ast.Name and type(n.ctx) is ast.Load and n.attr in _READ_METHODS:
                marks.add(id(n.value))
        elif t is ast.Compare:
            marks.update(id(c) for c in (n.left, *n.comparators) if type(c) is ast.Name)
        elif t is ast.BinOp:
            marks.update(id(c) for c in (n.left, n.right) if type(c) is ast.Name)
        elif t in (ast.For, ast.AsyncFor, ast.comprehension):
            if type(n.iter) is ast.Name:
                marks.add(id(n.iter))
        elif t is ast.FormattedValue or t is ast.Expr:
            if type(n.value) is ast.Name:
                marks.add(id(n.value))
        elif t is ast.Call:
            if type(n.func) is ast.Name and n.func.id in READ_BUILTINS and not n.keywords:
                marks.update(id(a) for a in n.args if type(a) is ast.Name)
        elif t is ast.AugAssign and type(n.target) is ast.Name:
            self.escapes.add(n.target.id)  # (`xs += [...]` extends the list in place)

    def _common(self, n: ast.AST, loads: set, stores: set, mutates: set) -> None:
        t = type(n)  # (the node classes below have no subclasses: compared by type, a third faster)
        if t is _NAME:
            if type(n.ctx) is _LOAD:
                loads.add(n.id)
                if n.id in _DYNAMIC_NAMES or n.id in _GLOBAL_SETTERS:
                    self.barrier = True
                if id(n) not in self._read_only:
                    self.escapes.add(n.id)
            else:
                stores.add(n.id)
                if stores is not self.writes:  # bound in a function: maybe another object of that name
                    self.escapes.add(n.id)
            return
        self._reads_only(n)
        if t is ast.Attribute or t is ast.Subscript:
            if type(n.ctx) is not _LOAD:
                root = _root(n)
                if root is not None:
                    mutates.add(root)
                    loads.add(root)
            if t is ast.Attribute and (n.attr in _GLOBAL_SETTERS or n.attr in _DYNAMIC_NAMES):
                self.barrier = True
        elif t is ast.Call:
            if type(n.func) is _NAME and n.func.id in PURE_BUILTINS:
                self.pure_calls.add(n.func.id)
            else:
                self.calls = True
        elif t in _OTHER_COMMON:
            if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                stores.add(n.name)
            elif t is ast.Import or t is ast.ImportFrom:
                for alias in n.names:
                    if alias.name == "*":
                        self.barrier = True
                    stores.add(alias.asname or alias.name.split(".")[0])
            elif t is ast.ExceptHandler:
                if n.name:
                    stores.add(n.name)
            elif t is ast.NamedExpr:
                if type(n.target) is _NAME:
                    self.writes.add(n.target.id)  # a walrus binds in the enclosing function or module
            else:  # Global, Nonlocal, Match
                self.barrier = True

    # -- function bodies: free names (loads that are not local) go to ``free``
    def _function(self, fn: ast.AST, free: set) -> None:
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.writes.add(fn.name)
            # decorators, defaults and annotations run when the def runs
            for part in (*fn.decorator_list, *fn.args.defaults, *(d for d in fn.args.kw_defaults if d),
                         *(a.annotation for a in _all_args(fn.args) if a.annotation), fn.returns):
                if part is not None:
                    self._module_level(part)
        else:
            for part in (*fn.args.defaults, *(d for d in fn.args.kw_defaults if d)):
                self._module_level(part)
        self._later(fn, free)

    def _later(self, fn: ast.AST, free: set) -> None:
        """A function's body: it runs when the function is called, not when the statement defining
        it runs -- what it calls is not the statement's call (``calls``, ``pure_calls``: a statement
        that calls reaches every object the file's functions reach). A call of the function is its
        own statement's call, which reads the function's free names (``fn_free``)."""
        calls, pure_calls = self.calls, set(self.pure_calls)
        self._scope(fn, free)
        self.calls, self.pure_calls = calls, pure_calls

    def _scope(self, fn: ast.AST, free: set, comprehension: bool = False) -> None:
        loads: set[str] = set()
        local: set[str] = set()
        mutated: set[str] = set()
        inner_free: set[str] = set()
        if comprehension:
            body: list[ast.AST] = []
            for gen in fn.generators:  # type: ignore[attr-defined]
                self._reads_only(gen)
                body.extend([gen.target, gen.iter, *gen.ifs])
            body.extend([fn.key, fn.value] if isinstance(fn, ast.DictComp) else [fn.elt])  # type: ignore[attr-defined]
        else:
            local.update(a.arg for a in _all_args(fn.args))  # type: ignore[attr-defined]
            body = list(fn.body) if isinstance(fn.body, list) else [fn.body]  # type: ignore[attr-defined]
        stack = list(body)
        while stack:
            n = stack.pop()
            t = type(n)
            if t not in _SCOPES and t is not ast.ClassDef and t is not ast.NamedExpr:
                self._common(n, loads, local, mutated)
                child_nodes(n, stack)
                continue
            if t in _FUNCTION_TYPES:
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    local.add(n.name)
                    for part in (*n.decorator_list, *n.args.defaults, *(d for d in n.args.kw_defaults if d)):
                        stack.append(part)
                else:
                    for part in (*n.args.defaults, *(d for d in n.args.kw_defaults if d)):
                        stack.append(part)
                self._later(n, inner_free)
                continue
            if isinstance(n, _COMPREHENSIONS):
                self._scope(n, inner_free, comprehension=True)
                continue
            if isinstance(n, ast.ClassDef):
                local.add(n.name)
                self._class_in_function(n, loads, inner_free)
                continue
            if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name) and comprehension:
                free.add(n.target.id)  # binds outside the comprehension
            self._common(n, loads, local, mutated)
            child_nodes(n, stack)
        if comprehension:
            # the first iterable is evaluated outside; targets are the comprehension's own
            targets = set()
            for gen in fn.generators:  # type: ignore[attr-defined]
                targets |= {t.id for t in ast.walk(gen.target) if isinstance(t, ast.Name)}
            local = targets
        free |= (loads | inner_free) - local
        # an object assigned into through a free name is changed when the function runs
        self.mutates |= mutated - local

    def _class_in_function(self, cls: ast.ClassDef, loads: set, inner_free: set) -> None:
        for part in (*cls.bases, *cls.keywords, *cls.decorator_list):
            for n in ast.walk(part):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                    loads.add(n.id)
        for item in cls.body:
            if isinstance(item, _FUNCTIONS):
                self._scope(item, inner_free)
            else:
                for n in ast.walk(item):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                        inner_free.add(n.id)
                        self.escapes.add(n.id)  # (not looked at closely: counted as escaping)
                    elif isinstance(n, ast.Call):
                        self.calls = True


def _literal(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _literal(node.operand)
    if isinstance(node, ast.Tuple):
        return all(_literal(e) for e in node.elts)
    return False


def _frozen_writes(stmt: ast.stmt, writes: set[str]) -> frozenset:
    """The names ``stmt`` binds to values nothing can change or share: imports, functions whose
    defaults are literals, classes whose body binds only methods and literals, literals."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return frozenset(writes)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        defaults = [*stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d)]
        return frozenset({stmt.name}) if all(_literal(d) for d in defaults) else frozenset()
    if isinstance(stmt, ast.ClassDef):
        for item in stmt.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not all(_literal(d) for d in [*item.args.defaults, *(d for d in item.args.kw_defaults if d)]):
                    return frozenset()
            elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                if not _literal(item.value):
                    return frozenset()
            elif not isinstance(item, (ast.Pass, ast.Expr)):
                return frozenset()
        return frozenset({stmt.name})
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and _literal(stmt.value):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if all(isinstance(t, ast.Name) for t in targets):
            return frozenset(t.id for t in targets)
    return frozenset()


def _same_writes(stmt: ast.stmt, writes: set[str]) -> frozenset:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return frozenset({stmt.name}) if not stmt.decorator_list and not stmt.returns and \
            not any(a.annotation for a in _all_args(stmt.args)) and _frozen_writes(stmt, writes) else frozenset()
    if isinstance(stmt, ast.ClassDef):
        return frozenset()
    return _frozen_writes(stmt, writes)


def untouched(body: list[ast.stmt], first: int, run: set[int], old: list[StmtDeps], every_fn_free: set[str],
              max_names: int = 20_000) -> set[int]:
    """The statements before ``first`` whose layers and models nothing that runs again (``run``,
    and the edited statements as they were, ``old``) can reach: their last results stand. Reach
    is followed through names: a statement is touched when it binds, reads or assigns into a name
    a touched statement (or one that runs) reads or binds; names bound only to imports,
    functions, classes or literals link nothing."""
    info = [deps(s) for s in body]
    # the names that link: bound somewhere to a value that may change, or assigned into (the
    # others are bound only to imports, functions, classes or literals); unions made in C
    linking = frozenset().union(*[d.loose for d in info], *[d.mutates for d in info])
    shadowed = PURE_BUILTINS & frozenset().union(*[d.writes for d in info], *[d.mutates for d in info])

    def links(d: StmtDeps) -> set[str]:
        if d.calling(shadowed):
            return linking & (d.reads | every_fn_free | d.writes | d.mutates)
        return linking & (d.reads | d.writes | d.mutates)

    reach: set[str] = set()
    for i in run:
        reach |= links(info[i])
    for d in old:
        reach |= links(d)
    if not reach:  # nothing that runs links to anything: every statement before stands
        return set(range(first))
    touched: set[int] = set()
    # each statement's links once (the passes below went over every statement each time); a
    # statement that links nothing is never touched
    todo = [(p, mine) for p in range(first - 1, -1, -1) if (mine := links(info[p]))]
    grew = True
    while grew and len(reach) < max_names:
        grew = False
        rest = []
        for p, mine in todo:
            if mine & reach:
                touched.add(p)
                reach |= mine
                grew = True
            else:
                rest.append((p, mine))
        todo = rest
    if len(reach) >= max_names:
        return set()
    return set(range(first)) - touched


def _all_args(args: ast.arguments) -> list[ast.arg]:
    out = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg:
        out.append(args.vararg)
    if args.kwarg:
        out.append(args.kwarg)
    return out


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


# --------------------------------------------------------------------------- planning

def plan(body: list[ast.stmt], first: int, edited: tuple[int, int], old: list[StmtDeps], bound: dict[str, Any],
         cache: dict | None = None, keep_before: bool = True,
         quiet: set[int] | frozenset = frozenset()) -> tuple[set[int], set[str]] | None:
    """The statements from ``first`` on that must run (the others keep their last results) and
    the free names of every function (what a call may read), or None when nothing can be kept.
    ``body[edited[0]:edited[1]]`` are the edited statements (they run; ``first`` <= edited[0]:
    the statements between are unchanged), ``old`` the dependencies of what they were;
    ``bound``: the module's names before ``body[first]`` and their values; ``cache``: what was
    found in ``bound`` last time, when it is the same state (the same snapshot restored);
    ``keep_before``: whether the unchanged statements before the edit may keep their results
    (else they all run); ``quiet``: statements before the edit that made no layer and no model
    last time (run again on the same inputs, they make the same values again)."""
    k, last = edited
    n = len(body)
    info = [deps(s) for s in body[first:]]
    if any(d.barrier for d in info) or any(d.barrier for d in old):
        return None
    every_fn_free: set[str] = set()
    mutated: set[str] = set()
    for d in (*info, *old):
        every_fn_free |= d.fn_free
        mutated |= d.mutates
    if cache is not None and "fn_free" in cache:
        before_free, before_mutated = cache["fn_free"]
    else:
        before_free, before_mutated = set(), set()
        callables = _callables()
        for value in bound.values():  # functions and classes defined before the edit
            node = getattr(value, "node", None)
            if isinstance(value, callables) and isinstance(node, ast.AST):
                before_free |= _free_of(node)
                before_mutated |= _mutates_of(node)
        if cache is not None:
            cache["fn_free"] = (before_free, before_mutated)
    every_fn_free |= before_free
    mutated |= before_mutated
    frozen_before: dict[str, bool] = {}
    escaping: set[str] | None = None

    def bound_frozen(name: str) -> bool:
        nonlocal escaping
        ok = frozen_before.get(name)
        if ok is None:
            value = bound.get(name, _MISSING)  # bound before the edit (or a builtin)
            ok = value is _MISSING or (name not in mutated and frozen(value))
            if not ok and name not in mutated and _frozen_items(value):
                # a list, dict or set of numbers and strings that no code of the file (as it is now,
                # and the edited statements as they were) changes or hands on: only reads it
                if escaping is None:
                    escaping = _escaping(body, old, bound, writers)
                ok = name not in escaping
            frozen_before[name] = ok
        return ok

    writers: dict[str, list[int]] = {}  # name -> statements (from ``first``) that bind it, in order
    for i, d in enumerate(info):
        for name in d.writes:
            writers.setdefault(name, []).append(i + first)
    old_writes = set().union(*(d.writes for d in old)) if old else set()
    # statements taken away, none added or changed: nothing stands in for them (the statement
    # after them is unchanged and keeps its results unless what they did reaches it, ``sweep``)
    deleted = k == last and bool(old)
    if not deleted:
        for name in old_writes:  # what the edited statements bound before the edit may be unbound now
            if k not in writers.setdefault(name, []):
                bisect.insort(writers[name], k)
    if k >= n:
        return None
    run = set(range(first if not keep_before else k, min(n, last if deleted else max(last, k + 1))))
    # the pure builtins the file binds itself: a call of one may run its code
    shadowed = {name for name in PURE_BUILTINS if name in writers or name in bound}
    calling = [d.calling(shadowed) for d in info]
    # the names a statement reads (a statement that calls anything reads every function's free names)
    read_names = set(every_fn_free).union(*(d.reads for d in info))
    unsafe_before = {name for name in read_names if not bound_frozen(name)}
    # (the same restored state: the same names hold the same data; found once per set of names)
    data_key = ("data", frozenset(unsafe_before))
    data_before = cache.get(data_key) if cache is not None else None
    if data_before is None:
        data_before = _data_groups(unsafe_before, bound)
        if cache is not None:
            cache[data_key] = data_before
    # Objects that may be the ones last time's statements saw (``bound_values.Objects``): those bound before
    # ``first`` that something may change (``unsafe_before``), the aliases kept statements bind
    # to them, and the values an unchanged statement makes again from the same inputs (it made
    # no layer or model: ``quiet``). A statement that may change objects (a call, an assignment
    # into one) and reaches them runs: what it does to them (a layer called, a model grown) is
    # not kept. When it does something else than last time (it is edited, or reads what
    # changed), reading them may see other contents from there on. A statement that only reads
    # them keeps its results. (The edited statement as it was counts: what it changed then is
    # not changed now.)
    changing = [d.changing(shadowed) for d in info]
    old_changes = any(o.changing(shadowed) for o in old)
    if old_changes and k - first < len(changing) and not deleted:
        changing[k - first] = True
    quiet = {i for i in quiet if first <= i < k}
    old_reads = frozenset().union(*(o.reads for o in old))
    old_calls = any(o.calling(shadowed) for o in old)
    # the free names of the functions and classes a statement can call: those bound before
    # ``first``, and those the statements up to it define (a function defined further down does
    # not exist yet when it runs); the edited statements as they were count from the edit on
    fn_at: list[frozenset] = []
    fn_now = frozenset(before_free)
    old_fn = frozenset().union(*(o.fn_free for o in old))
    for i in range(first, n):
        more = info[i - first].fn_free | old_fn if i == k else info[i - first].fn_free
        if not more <= fn_now:
            fn_now = fn_now | more
        fn_at.append(fn_now)

    def sweep() -> bool:
        """One pass in statement order: a statement that is kept but reads a name whose value may
        differ from last time (bound by a statement that runs again and may bind something else,
        or an object something that runs may have changed) runs. Returns whether any did."""
        grew = False
        bad: set[str] = set()  # reading these now may see another value than last time
        bad_fn = 0
        fn_free = fn_at[0] if fn_at else frozenset()
        objects = _Objects(unsafe_before, set(fn_free), data_before)
        for i in range(first, n):
            d = info[i - first]
            calls, changes = calling[i - first], changing[i - first]
            if fn_at[i - first] is not fn_free:  # functions defined: what a call may read grows
                more = fn_at[i - first] - fn_free
                fn_free = fn_at[i - first]
                objects.read_by_functions(more)
                bad_fn += len(more & bad)
            if i == k and deleted:
                # what the statements taken away did is not done now: the objects they reached may
                # hold other contents, and the names they bound other values (or none)
                gone = objects.reached(old_reads, old_calls) if old_changes else ()
                for name in {*objects.names(gone), *old_writes} - bad:
                    bad.add(name)
                    bad_fn += name in fn_free
            if i == k and not deleted:  # and what the edited statements reached as they were (they changed it then)
                reached = objects.reached(d.reads | old_reads, calls or old_calls)
            else:
                reached = objects.reached(d.reads, calls)
            other_inputs = (calls and bad_fn > 0) or not bad.isdisjoint(d.reads)
            if i not in run and (other_inputs or (changes and any(c not in objects.data for c in reached))):
                run.add(i)
                grew = True
            runs = i in run
            same = runs and i in quiet and not other_inputs  # it does what it did last time
            if runs and reached:
                # what kept statements did to these objects is seen by this one: they run too
                for c in reached:
                    for p in objects.pending.pop(c, ()):
                        if p not in run:
                            run.add(p)
                            grew = True
                if changes and not same:
                    for name in objects.names(reached) - bad:
                        bad.add(name)
                        bad_fn += name in fn_free
            elif changes and reached:  # kept: what it does to data made again is not done now
                for c in reached:
                    objects.pending.setdefault(c, []).append(i)
            if reached or same:  # (a module, a function, a class or a literal shares nothing)
                objects.join(reached, d.writes - d.frozen_writes, data=same)
                if not d.conditional:
                    objects.discard(d.frozen_writes)
            elif not d.conditional and d.writes:  # bound to something else (a class binds its name)
                objects.discard({body[i].name} if isinstance(body[i], ast.ClassDef) else d.writes)
            names = d.writes | old_writes if i == k and not deleted else d.writes
            for name in names:
                if runs and not same:
                    # an unchanged import, literal, or plain function definition that runs again binds
                    # what it bound last time (its text decides it all), and nothing can change it
                    now_bad = (k <= i < last) or name not in d.same_writes or name in mutated or d.conditional
                elif not d.conditional:
                    now_bad = False  # bound by a kept statement, or made again: the same value as last time
                else:
                    continue  # maybe bound: the value before stands as well
                if now_bad and name not in bad:
                    bad.add(name)
                    bad_fn += name in fn_free
                elif not now_bad and name in bad:
                    bad.discard(name)
                    bad_fn -= name in fn_free
        return grew

    def writers_before(i: int, names: set[str]) -> bool:
        """The nearest statements before ``i`` that bind each name run. Returns whether any was added."""
        added = False
        for name in names:
            ws = writers.get(name, ())
            for j in range(bisect.bisect_left(ws, i) - 1, -1, -1):  # its writers before i, nearest first
                w = ws[j]
                if w not in run:
                    run.add(w)
                    added = True
                # (the edited statement stands for what it bound before the edit: not a writer then)
                if not info[w - first].conditional and name in info[w - first].writes:
                    break
        return added

    old_names = set().union(*(((o.reads | every_fn_free) if o.calling(shadowed) else o.reads) for o in old))
    if deleted:
        # the rows of a layer made above and called by the statements taken away hold those calls:
        # the layer is made again (and a model they grew, a layer they set trainable); one that
        # only read (``print(x.shape)``) left nothing in them
        writers_before(k, set().union(*(((o.reads | every_fn_free) if o.calling(shadowed) else o.reads)
                                        for o in old if o.changing(shadowed))))
    needed: set[int] = set()  # run statements whose writers were looked for
    grew = True
    while grew:
        grew = sweep()
        # a statement that runs needs what it reads from statements that run too
        for i in sorted(run - needed):
            needed.add(i)
            d = info[i - first]
            names = (d.reads | fn_at[i - first]) if calling[i - first] else d.reads
            if i == k and not deleted:  # and what the edited statements read before the edit: the rows
                # of a layer made above and called by them then must be made again (it is not called now)
                names = names | old_names
            grew = writers_before(i, names) or grew
    return run, every_fn_free


def _escaping(body: list[ast.stmt], old: list[StmtDeps], bound: dict[str, Any], writers: dict) -> set[str]:
    """The names some statement of the file may change the object of, or hand it on (``escapes``),
    the edited statements as they were included; every name when the file binds one of the
    builtins a read may call (``len = ...``: its reads are not known to be reads)."""
    if any(name in writers or name in bound for name in READ_BUILTINS):
        return _EVERY
    out: set[str] = set()
    for stmt in body:
        out |= deps(stmt).escapes
    for d in old:
        out |= d.escapes
    return out


class _Every(set):
    def __contains__(self, item: object) -> bool:
        return True


_EVERY = _Every()


def _callables() -> tuple:
    from shapelens.core.values import ClassValue, FunctionValue

    return (FunctionValue, ClassValue)


def _free_of(node: ast.AST) -> frozenset:
    cached = getattr(node, "_sl_free", None)
    if cached is None:
        c = _Collector()
        if isinstance(node, ast.ClassDef):
            c._module_level(node)
            free = c.reads | c.fn_free
        else:
            free = set()
            c._scope(node, free)
        cached = (frozenset(free), frozenset(c.mutates))
        try:
            node._sl_free = cached  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return cached[0]


def _mutates_of(node: ast.AST) -> frozenset:
    _free_of(node)
    return node._sl_free[1]  # type: ignore[attr-defined]

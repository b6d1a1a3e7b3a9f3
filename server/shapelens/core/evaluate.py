"""The abstract interpreter: runs the *shape* of a Python file, never the file.

It evaluates constants, arithmetic, tuples/lists/dicts, variables, ``for`` over known
iterables, ``if`` on known values, the user's functions and classes, and hands every
Keras call to :mod:`shapelens.core.keras_api`. Everything is bounded (steps, loop
iterations, call depth, value sizes); past a bound values become :class:`Unknown`. No
exception escapes :meth:`Evaluator.run`.
"""

from __future__ import annotations

import ast
import operator
import time
from typing import Any, Callable, Iterator

from shapelens.core import builtins_model, keras3_api
from shapelens.core.analysis import Diagnostic, ValueInfo
from shapelens.core.builtins_model import TooLarge
from shapelens.core.codes import CODES
from shapelens.core.resolve import ModuleRef, find_user_module, read_user_module
from shapelens.core.shapes import Unknown, fmt_shape, is_unknown
from shapelens.core.source import Source, Span
from shapelens.core.values import (
    BoundMethod,
    Builtin,
    ClassValue,
    FunctionValue,
    Instance,
    LayerObj,
    ModuleValue,
    Partial,
    SuperProxy,
    Tensor,
    is_model,
)

MAX_STEPS = 400_000
MAX_SECONDS = 1.0  # CPU seconds of the analysing thread per analysis
CHECK_EVERY = 1_000  # steps between looks at the clock and the cancel flag
MAX_STATEMENT_NOTES = 5
STATEMENT_RESERVE = 0.01  # of the budget, kept back for each top-level statement still to run
MAX_LOOP = 2_000
MAX_DEPTH = 40
MAX_SEQ = 100_000
MAX_INT_BITS = 4_096
MAX_USER_MODULES = 16
MAX_MODULE_DEPTH = 3


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
_PLAIN = (int, float, str, bool, type(None), complex, bytes)


def plain(value: Any, budget: int = 10_000) -> bool:
    """A value made only of Python literals (safe to operate on with real operators),
    checked within a node budget so that huge or deeply shared values are refused."""
    if isinstance(value, _PLAIN):
        return True
    if not isinstance(value, (tuple, list)):
        return False
    stack = [value]
    seen = 0
    while stack:
        v = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(v, _PLAIN):
            continue
        if isinstance(v, (tuple, list)):
            if len(v) > budget:
                return False
            stack.extend(v)
            continue
        return False
    return True


def _cost(value: Any) -> int:
    """Extra evaluation steps for operating on a big container."""
    return len(value) // 256 if isinstance(value, (list, tuple, str, bytes, dict, set)) else 0


class Scope:
    __slots__ = ("vars", "parent", "globals")

    def __init__(self, parent: "Scope | None" = None, globals_: "Scope | None" = None) -> None:
        self.vars: dict[str, Any] = {}
        self.parent = parent
        self.globals = globals_ or self

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        if name in self.globals.vars:
            return self.globals.vars[name]
        return _MISSING

    def snapshot(self) -> dict[str, Any]:
        return dict(self.vars)


_MISSING = object()


class Evaluator:
    def __init__(self, source: Source, path: str, *, cancelled: Callable[[], bool] | None = None,
                 max_steps: int = MAX_STEPS, max_seconds: float = MAX_SECONDS) -> None:
        from shapelens.core.keras_api import KerasApi

        self.source = source
        self.path = path
        self.diags: list[Diagnostic] = []
        self.values: list[ValueInfo] = []
        self.steps = 0
        # Cooperative budget: every step counter bump compares against _check_at only; the
        # clock and the cancel flag are read every CHECK_EVERY steps (see _checkpoint).
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.cancelled = cancelled
        self._clock = time.thread_time
        self._started = self._clock()
        self._check_at = min(CHECK_EVERY, max_steps)
        self._stmt_steps = max_steps  # the current top-level statement's share
        self._stmt_deadline = max_seconds
        self._statement_notes = 0
        self.depth = 0
        self.order = 0
        self.speculative = 0  # >0 inside code that may not run (unknown if/loop)
        self._trigger: tuple | None = None  # (node, anchor) of the call that would raise
        self.complete = True
        self._limit_reported = False
        self.keras = KerasApi(self)
        self.anchor: ast.AST | None = None  # main-file node standing in for code from other modules
        self.modules: dict[str, ModuleValue | None] = {}
        self.module_depth = 0
        self.module_paths: list[str] = []  # the user modules being read, innermost last
        self.current_stmt: ast.stmt | None = None  # top-level statement being run (for SL003)
        self._generators: dict[int, bool] = {}
        self.star_modules: list[ModuleRef] = []  # `from keras.layers import *` and the like
        self.foreign = 0  # >0 while reading another module's definitions
        self.globals = Scope()
        self.globals.vars["__name__"] = "__main__"
        self.globals.vars["__file__"] = path

    # ------------------------------------------------------------------ helpers
    def next_order(self) -> int:
        self.order += 1
        return self.order

    @property
    def trigger(self) -> Span | None:
        """Where the program would stop if Keras raised now: the innermost call into Keras.
        Kept as a node and turned into a span only when a diagnostic needs it."""
        if self._trigger is None:
            return None
        node, anchor = self._trigger
        return self.source.span(anchor if anchor is not None else node)

    def push_trigger(self, node: ast.AST) -> tuple | None:
        prev = self._trigger
        self._trigger = (node, self.anchor)
        return prev

    def pop_trigger(self, prev: tuple | None) -> None:
        self._trigger = prev

    def span(self, node: ast.AST) -> Span:
        if self.anchor is not None:
            return self.source.span(self.anchor)
        return self.source.span(node)

    def report(self, code: str, message: str, span: Span, *, related=None, raise_span=None,
               fix=None, severity: str | None = None, force: bool = False) -> None:
        if self.speculative and not force:
            return
        sev = severity or CODES[code].severity
        self.diags.append(Diagnostic(code, sev, message, span, list(related or []), raise_span, fix,
                                     order=self.next_order()))

    def limit(self, what: str, node: ast.AST | None) -> None:
        self.complete = False
        if self._limit_reported:
            return
        self._limit_reported = True
        span = self.span(node) if node is not None and hasattr(node, "lineno") else Span(0, 0, 0, 0)
        self.report("SL003", f"Analysis stopped following values here: {what}. Shapes after this point may be unknown.",
                    span, force=True)

    def tick(self, node: ast.AST | None = None) -> None:
        self.steps += 1
        if self.steps > self._check_at:
            self._checkpoint()

    def _checkpoint(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise BudgetExceeded("the text changed")
        elapsed = self._clock() - self._started
        if self.steps > self.max_steps:
            raise BudgetExceeded(f"the file needs more than {self.max_steps:,} evaluation steps")
        if elapsed > self.max_seconds:
            raise BudgetExceeded(f"the analysis took more than {self.max_seconds:g} s")
        if self.steps > self._stmt_steps or elapsed > self._stmt_deadline:
            raise _StatementBudget("this statement needs more than its share of the analysis budget")
        self._check_at = min(self.steps + CHECK_EVERY, self.max_steps, self._stmt_steps)

    def _run_top_level(self, stmt: ast.stmt, scope: "Scope", after: int) -> None:
        """Run one top-level statement, keeping a reserve of the budget for the ``after``
        statements that follow it (STATEMENT_RESERVE each, at most half of what is left),
        so that one endless loop or recursion cannot hide the statements after it."""
        left = self.max_steps - self.steps
        self._stmt_steps = self.steps + max(left - min(left // 2, int(after * STATEMENT_RESERVE * self.max_steps)),
                                            CHECK_EVERY)
        elapsed = self._clock() - self._started
        left_s = max(self.max_seconds - elapsed, 0.0)
        self._stmt_deadline = elapsed + left_s - min(left_s / 2, after * STATEMENT_RESERVE * self.max_seconds)
        self._check_at = min(self._check_at, self._stmt_steps)
        saved = (self.depth, self.speculative, self.anchor, self._trigger, self.keras.uncertain_effects)
        try:
            self.exec_stmt(stmt, scope)
        except _StatementBudget as exc:
            self.depth, self.speculative, self.anchor, self._trigger, self.keras.uncertain_effects = saved
            self._forget_targets(stmt, scope, "the statement was too long to follow")
            self.complete = False
            if self._statement_notes < MAX_STATEMENT_NOTES:
                self._statement_notes += 1
                self.report("SL003", f"Analysis stopped following this statement: {exc.reason}. "
                            "Shapes it computes are unknown; the statements after it are still analysed.",
                            self.span(stmt), force=True)
        finally:
            self._stmt_steps = self.max_steps
            self._stmt_deadline = self.max_seconds

    # ------------------------------------------------------------------ entry
    def run(self, module: ast.Module) -> None:
        try:
            body = module.body
            for i, stmt in enumerate(body):
                self._run_top_level(stmt, self.globals, len(body) - i - 1)
        except BudgetExceeded as exc:
            self.anchor = None
            self.limit(exc.reason, self.current_stmt)
        except (_Return, _Break, _Continue):
            pass

    # ------------------------------------------------------------------ statements
    def exec_block(self, body: list[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            self.exec_stmt(stmt, scope)

    def exec_stmt(self, stmt: ast.stmt, scope: Scope) -> None:
        self.steps += 1
        if self.steps > self._check_at:
            self._checkpoint()
        if self.depth == 0 and not self.module_paths:
            self.current_stmt = stmt
        try:
            method = _STMT.get(type(stmt))
            if method is not None:
                method(self, stmt, scope)
        except (_Return, _Break, _Continue):
            raise
        except RecursionError:
            self._forget_targets(stmt, scope, "the expression nests too deeply")
            self.limit("an expression or a chain of definitions nests too deeply", stmt)
        except Exception as exc:  # noqa: BLE001 -- the analyzer must never raise
            self._forget_targets(stmt, scope, f"internal: {type(exc).__name__}")
            self.limit(f"a statement shapelens could not follow ({type(exc).__name__})", stmt)

    def _forget_targets(self, stmt: ast.stmt, scope: Scope, reason: str) -> None:
        for name in assigned_names([stmt]):
            scope.vars[name] = Unknown(reason)

    def stmt_Expr(self, s: ast.Expr, scope: Scope) -> None:
        self.eval(s.value, scope)

    def stmt_Assign(self, s: ast.Assign, scope: Scope) -> None:
        value = self.eval(s.value, scope)
        for target in s.targets:
            self.assign(target, value, scope, s.value)

    def stmt_AnnAssign(self, s: ast.AnnAssign, scope: Scope) -> None:
        if s.value is not None:
            self.assign(s.target, self.eval(s.value, scope), scope, s.value)

    def stmt_AugAssign(self, s: ast.AugAssign, scope: Scope) -> None:
        current = self.eval(s.target, scope)  # ctx is ignored by eval
        value = self.binop(type(s.op), current, self.eval(s.value, scope), s)
        self.assign(s.target, value, scope, s.value)

    def check_keras3_import(self, module: str, names: list[str] | None, node: ast.stmt) -> None:
        problem = keras3_api.check_module(module, names)
        if problem is not None and not self.module_paths:
            span = self.span(node)
            self.report("SL401", problem, span, raise_span=span)

    def stmt_Import(self, s: ast.Import, scope: Scope) -> None:
        for alias in s.names:
            self.check_keras3_import(alias.name, None, s)
            if alias.asname or "." not in alias.name:
                user = self.user_module(alias.name, 0, s)
                if user is not None:
                    scope.vars[alias.asname or alias.name] = user
                    continue
            if alias.asname:
                scope.vars[alias.asname] = ModuleRef(alias.name)
            else:
                top = alias.name.split(".", 1)[0]
                scope.vars[top] = ModuleRef(top)

    def stmt_ImportFrom(self, s: ast.ImportFrom, scope: Scope) -> None:
        module = s.module or ""
        if not s.level:
            self.check_keras3_import(module, [a.name for a in s.names], s)
        user = self.user_module(module, s.level, s) if (module or s.level) else None
        for alias in s.names:
            if alias.name == "*":
                if user is not None:
                    scope.vars.update({k: v for k, v in user.namespace.items() if not k.startswith("_")})
                else:
                    self.star_modules.append(ModuleRef(module))
                continue
            bound = alias.asname or alias.name
            if user is not None:
                if alias.name in user.namespace:
                    scope.vars[bound] = user.namespace[alias.name]
                    continue
                sub = self.user_module(f"{module}.{alias.name}" if module else alias.name, s.level, s)
                scope.vars[bound] = sub if sub is not None else Unknown(
                    f"`{alias.name}` is not defined at the top level of {user.name}")
            elif s.level:
                sub = self.user_module(alias.name, s.level, s)
                scope.vars[bound] = sub if sub is not None else Unknown(
                    f"`{alias.name}` comes from a relative import shapelens could not find")
            else:
                scope.vars[bound] = ModuleRef(f"{module}.{alias.name}")

    def user_module(self, module: str, level: int, node: ast.AST) -> ModuleValue | None:
        """Read the definitions (functions, classes, constants, imports) of one of the
        user's own modules; top-level calls there are not run."""
        try:
            importer = self.module_paths[-1] if self.module_paths else self.path
            path = find_user_module(module, level, importer)
        except Exception:  # noqa: BLE001
            return None
        if path is None:
            return None
        if path in self.modules:
            return self.modules[path]  # None while it is being read: an import cycle
        if len(self.modules) >= MAX_USER_MODULES or self.module_depth >= MAX_MODULE_DEPTH:
            return None
        text = read_user_module(path)
        if text is None:
            return None
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        self.modules[path] = None
        mod_scope = Scope()
        mod_scope.vars["__name__"] = module or path
        prev_anchor = self.anchor
        self.anchor = self.anchor or node
        self.module_depth += 1
        self.foreign += 1
        self.module_paths.append(path)
        try:
            for stmt in tree.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) \
                        or isinstance(stmt, (ast.Assign, ast.AnnAssign)) and not _has_call(stmt):
                    self.speculative += 1
                    try:
                        self.exec_stmt(stmt, mod_scope)
                    finally:
                        self.speculative -= 1
        except (_Return, _Break, _Continue):
            pass
        finally:
            self.anchor = prev_anchor
            self.module_depth -= 1
            self.foreign -= 1
            self.module_paths.pop()
        value = ModuleValue(module, path, mod_scope.vars)
        self.modules[path] = value
        return value

    def stmt_FunctionDef(self, s: ast.FunctionDef, scope: Scope) -> None:
        scope.vars[s.name] = self.make_function(s, scope)

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def make_function(self, node, scope: Scope) -> FunctionValue:
        args = node.args
        defaults = [self.eval(d, scope) for d in args.defaults]
        kw_defaults = {
            a.arg: self.eval(d, scope) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None
        }
        name = getattr(node, "name", "<lambda>")
        return FunctionValue(node, {"scope": scope}, defaults, kw_defaults, name, foreign=self.foreign > 0)

    def stmt_ClassDef(self, s: ast.ClassDef, scope: Scope) -> None:
        bases = [self.eval(b, scope) for b in s.bases]
        keras_base = None
        for b in bases:
            if isinstance(b, ModuleRef):
                kind = self.keras.class_kind(b)
                if kind:
                    keras_base = kind
            elif isinstance(b, ClassValue) and b.keras_base:
                keras_base = b.keras_base
        body_scope = Scope(parent=scope, globals_=scope.globals)
        cls = ClassValue(s, s.name, bases, body_scope.vars, keras_base)
        for stmt in s.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body_scope.vars[stmt.name] = self.make_function(stmt, scope)
            else:
                self.exec_stmt(stmt, body_scope)
        scope.vars[s.name] = cls

    def stmt_Return(self, s: ast.Return, scope: Scope) -> None:
        raise _Return(self.eval(s.value, scope) if s.value is not None else None)

    def stmt_Break(self, s, scope) -> None:
        raise _Break()

    def stmt_Continue(self, s, scope) -> None:
        raise _Continue()

    def stmt_If(self, s: ast.If, scope: Scope) -> None:
        test = self.truth(self.eval(s.test, scope))
        if test is True:
            self.exec_block(s.body, scope)
        elif test is False:
            self.exec_block(s.orelse, scope)
        else:
            self.run_both(s.body, s.orelse, scope)

    def run_both(self, body: list[ast.stmt], orelse: list[ast.stmt], scope: Scope) -> None:
        """Unknown condition: run both branches speculatively and keep what they agree on."""
        before = scope.snapshot()
        self.speculative += 1
        try:
            self._run_guarded(body, scope)
            after_body = scope.snapshot()
            scope.vars.clear()
            scope.vars.update(before)
            self._run_guarded(orelse, scope)
            after_else = scope.snapshot()
        finally:
            self.speculative -= 1
        merged = dict(before)
        for name in set(after_body) | set(after_else):
            a = after_body.get(name, _MISSING)
            b = after_else.get(name, _MISSING)
            merged[name] = same_value(a, b)
        scope.vars.clear()
        scope.vars.update(merged)

    def _run_guarded(self, body: list[ast.stmt], scope: Scope) -> None:
        try:
            self.exec_block(body, scope)
        except (_Break, _Continue, _Return):
            pass

    def stmt_For(self, s: ast.For, scope: Scope) -> None:
        iterable = self.eval(s.iter, scope)
        items = self.iterate(iterable)
        if items is None:
            if isinstance(iterable, TooLarge) or isinstance(iterable, range):
                # not silent: the loop's effects (layers added in it ...) are dropped
                self.limit(f"a loop over {iterable.reason if isinstance(iterable, TooLarge) else 'a huge range'}", s)
            self.unknown_loop(s, scope, f"the loop runs over {describe(iterable)}")
            return
        count = 0
        broke = False
        for item in items:
            count += 1
            if count > MAX_LOOP:
                self.limit(f"a loop with more than {MAX_LOOP} iterations", s)
                self._forget_targets(s, scope, "loop too long to follow")
                return
            self.assign(s.target, item, scope, s.iter)
            try:
                self.exec_block(s.body, scope)
            except _Break:
                broke = True
                break
            except _Continue:
                continue
        if not broke:
            self.exec_block(s.orelse, scope)

    stmt_AsyncFor = stmt_For

    def stmt_While(self, s: ast.While, scope: Scope) -> None:
        count = 0
        while True:
            test = self.truth(self.eval(s.test, scope))
            if test is False:
                self.exec_block(s.orelse, scope)
                return
            if test is not True:
                self.unknown_loop(s, scope, "the loop condition is not known statically")
                return
            count += 1
            if count > MAX_LOOP:
                self.limit(f"a loop with more than {MAX_LOOP} iterations", s)
                self._forget_targets(s, scope, "loop too long to follow")
                return
            try:
                self.exec_block(s.body, scope)
            except _Break:
                return
            except _Continue:
                continue

    def unknown_loop(self, s: ast.For | ast.While, scope: Scope, reason: str) -> None:
        """Run the body once speculatively (so definitions are seen), then forget its effects."""
        if isinstance(s, (ast.For, ast.AsyncFor)):
            self.assign(s.target, Unknown(reason), scope, s.iter)
        self.speculative += 1
        self.keras.uncertain_effects += 1
        try:
            self._run_guarded(s.body, scope)
        finally:
            self.speculative -= 1
            self.keras.uncertain_effects -= 1
        for name in assigned_names(s.body):
            scope.vars[name] = Unknown(reason)

    def stmt_With(self, s: ast.With, scope: Scope) -> None:
        for item in s.items:
            value = self.eval(item.context_expr, scope)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, Unknown("value of a `with` statement"), scope, item.context_expr)
                del value
        self.exec_block(s.body, scope)

    stmt_AsyncWith = stmt_With

    def stmt_Try(self, s: ast.Try, scope: Scope) -> None:
        # A statement that raises (an error with a raise span was reported while it ran) ends
        # the try body: the rest of it never runs, nor does the else block.
        mark = len(self.diags)
        raised = False
        for stmt in s.body:
            self.exec_stmt(stmt, scope)
            if any(d.severity == "error" and d.raise_span is not None for d in self.diags[mark:]):
                raised = True
                break
        if not raised:
            self.exec_block(s.orelse, scope)
        self.exec_block(s.finalbody, scope)

    stmt_TryStar = stmt_Try

    def stmt_Global(self, s, scope) -> None:
        pass

    stmt_Nonlocal = stmt_Global

    def stmt_Delete(self, s: ast.Delete, scope: Scope) -> None:
        for t in s.targets:
            if isinstance(t, ast.Name):
                scope.vars.pop(t.id, None)

    def stmt_Match(self, s, scope: Scope) -> None:
        self._forget_targets(s, scope, "match statements are not followed")

    # ------------------------------------------------------------------ assignment
    def assign(self, target: ast.expr, value: Any, scope: Scope, value_node: ast.expr | None = None) -> None:
        if isinstance(target, ast.Name):
            scope.vars[target.id] = value
            self.note_binding(target.id, value, target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.unpack(target.elts, value, scope, value_node)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, scope, value_node)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, scope)
            if isinstance(obj, Instance):
                obj.attrs[target.attr] = value
                if isinstance(value, LayerObj) and value.var is None:
                    value.var = f"self.{target.attr}"
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, scope)
            key = self.eval(target.slice, scope)
            if isinstance(obj, (list, dict)) and not is_unknown(key):
                try:
                    obj[key] = value
                except (TypeError, IndexError, KeyError):
                    pass

    def unpack(self, targets: list[ast.expr], value: Any, scope: Scope, value_node) -> None:
        items = self.iterate(value)
        star = next((i for i, t in enumerate(targets) if isinstance(t, ast.Starred)), None)
        if items is not None:
            items = list(items)
            if star is None and len(items) == len(targets):
                for t, v in zip(targets, items):
                    self.assign(t, v, scope, value_node)
                return
            if star is not None and len(items) >= len(targets) - 1:
                after = len(targets) - star - 1
                head, mid = items[:star], items[star:len(items) - after]
                tail = items[len(items) - after:]
                for t, v in zip(targets[:star], head):
                    self.assign(t, v, scope, value_node)
                self.assign(targets[star], list(mid), scope, value_node)
                for t, v in zip(targets[star + 1:], tail):
                    self.assign(t, v, scope, value_node)
                return
        reason = value.reason if isinstance(value, Unknown) else f"cannot unpack {describe(value)}"
        for t in targets:
            self.assign(t, Unknown(reason), scope, value_node)

    def note_binding(self, name: str, value: Any, target: ast.expr) -> None:
        if self.speculative:
            return
        if isinstance(value, LayerObj) and value.var is None:
            value.var = name
        if isinstance(value, Tensor):
            self.values.append(ValueInfo(name, self.span(target), value.shape, value.origin))
        self.keras.name_object(name, value)

    # ------------------------------------------------------------------ expressions
    def eval(self, node: ast.expr | None, scope: Scope) -> Any:
        if node is None:
            return None
        self.steps += 1
        if self.steps > self._check_at:
            self._checkpoint()
        method = _EXPR.get(type(node))
        if method is None:
            return Unknown(f"{type(node).__name__} expressions are not followed")
        return method(self, node, scope)

    def expr_Constant(self, n: ast.Constant, scope: Scope) -> Any:
        return n.value

    def expr_Name(self, n: ast.Name, scope: Scope) -> Any:
        value = scope.lookup(n.id)
        if value is _MISSING:
            for star in reversed(self.star_modules):
                ref = star.attr(n.id)
                if self.keras.is_known_name(ref):
                    return ref
            builtin = builtins_model.lookup(n.id)
            if builtin is not None:
                return builtin
            return Unknown(f"`{n.id}` is not defined before this point")
        return value

    def expr_Tuple(self, n: ast.Tuple, scope: Scope) -> Any:
        return tuple(self._elements(n.elts, scope))

    def expr_List(self, n: ast.List, scope: Scope) -> Any:
        return list(self._elements(n.elts, scope))

    def expr_Set(self, n: ast.Set, scope: Scope) -> Any:
        items = self._elements(n.elts, scope)
        if not all(hashable_plain(i) for i in items):
            return Unknown("a set of values that are not plain literals")
        try:
            return set(items)
        except TypeError:
            return Unknown("a set of unhashable values")

    def _elements(self, elts: list[ast.expr], scope: Scope) -> list:
        out: list = []
        for e in elts:
            if isinstance(e, ast.Starred):
                items = self.iterate(self.eval(e.value, scope))
                if items is None:
                    return [Unknown("a starred value that is not known")]
                out.extend(items)
            else:
                out.append(self.eval(e, scope))
        return out

    def expr_Dict(self, n: ast.Dict, scope: Scope) -> Any:
        out: dict = {}
        for k, v in zip(n.keys, n.values):
            if k is None:
                extra = self.eval(v, scope)
                if isinstance(extra, dict):
                    out.update(extra)
                else:
                    return Unknown("a `**` entry that is not a known dict")
                continue
            key = self.eval(k, scope)
            if not hashable_plain(key):
                return Unknown("a dict whose keys are not plain literals")
            try:
                out[key] = self.eval(v, scope)
            except TypeError:
                return Unknown("a dict with an unhashable key")
        return out

    def expr_JoinedStr(self, n: ast.JoinedStr, scope: Scope) -> Any:
        parts = []
        for v in n.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue):
                val = self.eval(v.value, scope)
                if not plain(val) or v.format_spec is not None:
                    return Unknown("an f-string with values not known statically")
                if isinstance(val, (list, tuple)) and len(val) > MAX_SEQ // 16:
                    return TooLarge("an f-string of a long list")
                parts.append(str(val))
                if sum(map(len, parts)) > MAX_SEQ:
                    return TooLarge("an f-string")
        return "".join(parts)

    def expr_Attribute(self, n: ast.Attribute, scope: Scope) -> Any:
        obj = self.eval(n.value, scope)
        return self.getattr(obj, n.attr, n)

    def getattr(self, obj: Any, attr: str, node: ast.AST | None = None) -> Any:
        if isinstance(obj, ModuleRef):
            return obj.attr(attr)
        if isinstance(obj, ModuleValue):
            if attr in obj.namespace:
                return obj.namespace[attr]
            sub = self.user_module(f"{obj.name}.{attr}", 0, node) if node is not None and obj.name else None
            return sub if sub is not None else Unknown(f"`{obj.name}.{attr}` is not defined at its top level")
        if isinstance(obj, Instance):
            if attr in obj.attrs:
                return obj.attrs[attr]
            found = obj.cls.lookup(attr)
            if isinstance(found, FunctionValue):
                return BoundMethod(obj, attr, found)
            if found is not None:
                return found
            return self.keras.object_attr(obj, attr, node)
        if isinstance(obj, SuperProxy):
            for base in obj.instance.cls.bases:
                if isinstance(base, ClassValue):
                    found = base.lookup(attr)
                    if isinstance(found, FunctionValue):
                        return BoundMethod(obj.instance, attr, found)
            return BoundMethod(obj.instance, f"super.{attr}")
        if isinstance(obj, ClassValue):
            found = obj.lookup(attr)
            return found if found is not None else Unknown(f"`{obj.name}.{attr}` is not known")
        if isinstance(obj, Unknown):
            return obj
        result = self.keras.object_attr(obj, attr, node)
        if result is not None:
            return result
        return builtins_model.attribute(self, obj, attr)

    def expr_Subscript(self, n: ast.Subscript, scope: Scope) -> Any:
        obj = self.eval(n.value, scope)
        key = self.eval(n.slice, scope)
        return self.subscript(obj, key, n)

    def subscript(self, obj: Any, key: Any, node: ast.AST | None = None) -> Any:
        if isinstance(obj, Tensor):
            return self.keras.index_tensor(obj, key, node)
        if isinstance(obj, Unknown):
            return obj
        if isinstance(key, Unknown):
            return Unknown("an index that is not known statically")
        if isinstance(obj, (tuple, list, str, dict, range)):
            if isinstance(obj, dict) and not hashable_plain(key):
                return Unknown("a dict looked up with a key that is not a plain literal")
            try:
                return obj[key]
            except (IndexError, KeyError, TypeError, ValueError):
                return Unknown("an index out of range")
        return self.keras.subscript(obj, key, node)

    def expr_Slice(self, n: ast.Slice, scope: Scope) -> Any:
        parts = [self.eval(p, scope) if p is not None else None for p in (n.lower, n.upper, n.step)]
        if any(isinstance(p, Unknown) for p in parts):
            return Unknown("a slice with bounds not known statically")
        try:
            return slice(*parts)
        except TypeError:
            return Unknown("an invalid slice")

    def expr_Index(self, n, scope: Scope) -> Any:  # pragma: no cover - Python < 3.9
        return self.eval(n.value, scope)

    def expr_Starred(self, n: ast.Starred, scope: Scope) -> Any:
        return self.eval(n.value, scope)

    def expr_BinOp(self, n: ast.BinOp, scope: Scope) -> Any:
        left = self.eval(n.left, scope)
        right = self.eval(n.right, scope)
        return self.binop(type(n.op), left, right, n)

    def binop(self, op: type, left: Any, right: Any, node: ast.AST) -> Any:
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return self.keras.tensor_binop(op, left, right, node)
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        if op is ast.Add and type(left) is type(right) and isinstance(left, (list, tuple)):
            # lists of layers are concatenated as often as lists of numbers
            if len(left) + len(right) > MAX_SEQ:
                return TooLarge("a concatenation")
            self.steps += _cost(left) + _cost(right)
            return left + right
        if op is ast.Mult and isinstance(left, (list, tuple)) and isinstance(right, int) and not isinstance(right, bool):
            if len(left) * max(right, 0) > MAX_SEQ:
                return TooLarge("a repetition")
            self.steps += (len(left) * max(right, 0)) // 256
            return left * right
        if not (plain(left) and plain(right)):
            return Unknown("arithmetic on values that are not plain numbers")
        self.steps += _cost(left) + _cost(right)
        fn = _BINOPS.get(op)
        if fn is None:
            return Unknown("an operator that is not followed")
        if not _safe_size(op, left, right):
            return TooLarge("an arithmetic result")
        try:
            out = fn(left, right)
            self.steps += _cost(out)
            return out
        except Exception:  # noqa: BLE001 -- ZeroDivisionError, TypeError, OverflowError ...
            return Unknown("an arithmetic expression that fails")

    def expr_UnaryOp(self, n: ast.UnaryOp, scope: Scope) -> Any:
        value = self.eval(n.operand, scope)
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            return TooLarge("an arithmetic result")
        if isinstance(n.op, ast.Not):
            t = self.truth(value)
            return (not t) if isinstance(t, bool) else Unknown("negation of an unknown value")
        if isinstance(value, Tensor):
            return value
        if not plain(value) or isinstance(value, Unknown):
            return value if isinstance(value, Unknown) else Unknown("a unary operator on a non-number")
        try:
            if isinstance(n.op, ast.USub):
                return -value
            if isinstance(n.op, ast.UAdd):
                return +value
            if isinstance(n.op, ast.Invert):
                return ~value
        except TypeError:
            pass
        return Unknown("a unary operator that fails")

    def expr_BoolOp(self, n: ast.BoolOp, scope: Scope) -> Any:
        is_and = isinstance(n.op, ast.And)
        value: Any = None
        for e in n.values:
            value = self.eval(e, scope)
            t = self.truth(value)
            if not isinstance(t, bool):
                return Unknown("a boolean expression over unknown values")
            if is_and and not t:
                return value
            if not is_and and t:
                return value
        return value

    def expr_Compare(self, n: ast.Compare, scope: Scope) -> Any:
        left = self.eval(n.left, scope)
        for op, comp in zip(n.ops, n.comparators):
            right = self.eval(comp, scope)
            if isinstance(op, (ast.Is, ast.IsNot)) and (left is None or right is None):
                if isinstance(left, Unknown) or isinstance(right, Unknown):
                    return Unknown("a comparison with an unknown value")
                res = _CMPOPS[type(op)](left, right)
            else:
                if not (plain(left) and plain(right)) and not (
                    isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (dict, list, tuple, set))
                    and hashable_plain(left)
                ):
                    return Unknown("a comparison with a value that is not known statically")
                self.steps += _cost(left) + _cost(right)
                try:
                    res = _CMPOPS[type(op)](left, right)
                except Exception:  # noqa: BLE001
                    return Unknown("a comparison that fails")
            if not res:
                return False
            left = right
        return True

    def expr_IfExp(self, n: ast.IfExp, scope: Scope) -> Any:
        t = self.truth(self.eval(n.test, scope))
        if t is True:
            return self.eval(n.body, scope)
        if t is False:
            return self.eval(n.orelse, scope)
        self.speculative += 1
        try:
            a = self.eval(n.body, scope)
            b = self.eval(n.orelse, scope)
        finally:
            self.speculative -= 1
        return same_value(a, b)

    def expr_Lambda(self, n: ast.Lambda, scope: Scope) -> Any:
        return self.make_function(n, scope)

    def expr_NamedExpr(self, n: ast.NamedExpr, scope: Scope) -> Any:
        value = self.eval(n.value, scope)
        self.assign(n.target, value, scope, n.value)
        return value

    def _comprehension(self, n, scope: Scope, make) -> Any:
        inner = Scope(parent=scope, globals_=scope.globals)
        results: list = []
        total = [0]

        def walk(gens: list[ast.comprehension]) -> bool:
            if not gens:
                results.append(make(inner))
                return True
            gen = gens[0]
            items = self.iterate(self.eval(gen.iter, inner))
            if items is None:
                return False
            for item in items:
                total[0] += 1
                if total[0] > MAX_LOOP:
                    return False
                self.assign(gen.target, item, inner, gen.iter)
                ok = True
                for cond in gen.ifs:
                    t = self.truth(self.eval(cond, inner))
                    if t is not True and t is not False:
                        return False
                    ok = ok and t
                if ok and not walk(gens[1:]):
                    return False
            return True

        if not walk(n.generators):
            return None
        return results

    def expr_ListComp(self, n: ast.ListComp, scope: Scope) -> Any:
        out = self._comprehension(n, scope, lambda s: self.eval(n.elt, s))
        return out if out is not None else Unknown("a comprehension over values not known statically")

    expr_GeneratorExp = expr_ListComp

    def expr_SetComp(self, n: ast.SetComp, scope: Scope) -> Any:
        out = self.expr_ListComp(n, scope)
        try:
            return set(out) if isinstance(out, list) else out
        except TypeError:
            return Unknown("a set of unhashable values")

    def expr_DictComp(self, n: ast.DictComp, scope: Scope) -> Any:
        out = self._comprehension(n, scope, lambda s: (self.eval(n.key, s), self.eval(n.value, s)))
        if out is None:
            return Unknown("a comprehension over values not known statically")
        try:
            return dict(out)
        except TypeError:
            return Unknown("a dict with unhashable keys")

    def expr_Await(self, n: ast.Await, scope: Scope) -> Any:
        return self.eval(n.value, scope)

    # ------------------------------------------------------------------ calls
    def expr_Call(self, n: ast.Call, scope: Scope) -> Any:
        func = self.eval(n.func, scope)
        args: list = []
        for a in n.args:
            if isinstance(a, ast.Starred):
                items = self.iterate(self.eval(a.value, scope))
                if items is None:
                    return self._unknown_call(func, "a `*args` value that is not known statically", n)
                args.extend(items)
            else:
                args.append(self.eval(a, scope))
        kwargs: dict = {}
        for kw in n.keywords:
            value = self.eval(kw.value, scope)
            if kw.arg is None:
                if isinstance(value, dict) and all(isinstance(k, str) for k in value):
                    kwargs.update(value)
                else:
                    return self._unknown_call(func, "a `**kwargs` value that is not a known dict", n)
            else:
                kwargs[kw.arg] = value
        return self.call(func, args, kwargs, n)

    def _unknown_call(self, func: Any, reason: str, node: ast.Call) -> Any:
        return self.keras.unknown_call(func, reason, node)

    def call(self, func: Any, args: list, kwargs: dict, node: ast.AST) -> Any:
        if isinstance(func, Partial):
            return self.call(func.func, [*func.args, *args], {**func.kwargs, **kwargs}, node)
        if isinstance(func, ModuleRef) and func.path == "functools.partial" and args:
            return Partial(args[0], list(args[1:]), dict(kwargs))
        if isinstance(func, Builtin):
            return builtins_model.call(self, func.name, args, kwargs, node)
        if isinstance(func, FunctionValue):
            return self.call_function(func, args, kwargs, node)
        if isinstance(func, BoundMethod):
            if func.func is not None:
                return self.call_function(func.func, [func.obj, *args], kwargs, node)
            if func.name in keras3_api.REMOVED_MODEL_METHODS and is_model(func.obj):
                span = self.span(node)
                self.report("SL402", f"Keras 3 removed Model.{func.name}(): use "
                            f"{keras3_api.REMOVED_MODEL_METHODS[func.name]}", span, raise_span=span)
                return Unknown(f"Model.{func.name}() does not exist in Keras 3")
            return self.keras.call_method(func.obj, func.name, args, kwargs, node)
        if isinstance(func, ClassValue):
            return self.instantiate(func, args, kwargs, node)
        if isinstance(func, Instance):
            return self.keras.call_instance(func, args, kwargs, node)
        return self.keras.call(func, args, kwargs, node)

    def call_function(self, func: FunctionValue, args: list, kwargs: dict, node: ast.AST) -> Any:
        if func.generator is None:
            # the AST outlives the analysis, so caching by node identity is safe here
            key = id(func.node)
            if key not in self._generators:
                self._generators[key] = self._mentions_yield(func) and is_generator(func.node)
            func.generator = self._generators[key]
        if func.generator:
            return Unknown(f"a generator from {func.name}() (its body runs only when iterated)")
        if self.depth >= MAX_DEPTH:
            self.limit(f"calls nested more than {MAX_DEPTH} deep (recursion?)", node)
            return Unknown("call depth limit reached")
        closure: Scope = func.closure["scope"]
        scope = Scope(parent=closure if closure is not closure.globals else None, globals_=closure.globals)
        self.bind_params(func, args, kwargs, scope)
        self.depth += 1
        prev_anchor = self.anchor
        if func.foreign and self.anchor is None:
            self.anchor = node  # layers made in another file are shown at this call
        try:
            if isinstance(func.node, ast.Lambda):
                return self.eval(func.node.body, scope)
            self.exec_block(func.node.body, scope)
        except _Return as r:
            return r.value
        except (_Break, _Continue):
            return None
        finally:
            self.depth -= 1
            self.anchor = prev_anchor
        return None

    def _mentions_yield(self, func: FunctionValue) -> bool:
        """Cheap pre-check on the text: no `yield` in the def's lines, no generator."""
        node = func.node
        if func.foreign or not hasattr(node, "end_lineno"):
            return True
        lines = self.source.lines[node.lineno - 1:node.end_lineno]
        return any("yield" in line for line in lines)

    def bind_params(self, func: FunctionValue, args: list, kwargs: dict, scope: Scope) -> None:
        a = func.node.args
        positional = [p.arg for p in (a.posonlyargs + a.args)]
        defaults = dict(zip(positional[len(positional) - len(func.defaults):], func.defaults))
        kwargs = dict(kwargs)
        for i, name in enumerate(positional):
            if i < len(args):
                scope.vars[name] = args[i]
            elif name in kwargs:
                scope.vars[name] = kwargs.pop(name)
            elif name in defaults:
                scope.vars[name] = defaults[name]
            else:
                scope.vars[name] = Unknown(f"argument `{name}` was not passed")
        if a.vararg is not None:
            scope.vars[a.vararg.arg] = tuple(args[len(positional):])
        for p in a.kwonlyargs:
            if p.arg in kwargs:
                scope.vars[p.arg] = kwargs.pop(p.arg)
            elif p.arg in func.kw_defaults:
                scope.vars[p.arg] = func.kw_defaults[p.arg]
            else:
                scope.vars[p.arg] = Unknown(f"argument `{p.arg}` was not passed")
        if a.kwarg is not None:
            scope.vars[a.kwarg.arg] = kwargs

    def instantiate(self, cls: ClassValue, args: list, kwargs: dict, node: ast.AST) -> Any:
        inst = Instance(cls, span=self.span(node), order=self.next_order())
        if cls.keras_base:
            self.keras.register_instance(inst, node)
        init = cls.lookup("__init__")
        if isinstance(init, FunctionValue):
            self.call_function(init, [inst, *args], kwargs, node)
        return inst

    # ------------------------------------------------------------------ iteration & truth
    def iterate(self, value: Any) -> Iterator | None:
        """The items of a value that is known well enough to loop over, else None."""
        if isinstance(value, (list, tuple, range, str, set, frozenset)):
            if isinstance(value, range) and len(value) > MAX_SEQ:
                return None
            return iter(list(value))
        if isinstance(value, dict):
            return iter(list(value))
        return self.keras.iterate(value)

    def truth(self, value: Any) -> bool | None:
        if isinstance(value, Unknown):
            return None
        if plain(value) or isinstance(value, (dict, set)):
            try:
                return bool(value)
            except Exception:  # noqa: BLE001
                return None
        if isinstance(value, (ModuleRef, FunctionValue, ClassValue, LayerObj)):
            return True
        return None


# ---------------------------------------------------------------------- dispatch tables
# Built once from the method names: eval/exec_stmt are the hottest code in the analyzer.
_STMT = {getattr(ast, n[5:]): f for n, f in vars(Evaluator).items() if n.startswith("stmt_") and hasattr(ast, n[5:])}
_EXPR = {getattr(ast, n[5:]): f for n, f in vars(Evaluator).items() if n.startswith("expr_") and hasattr(ast, n[5:])}


# ---------------------------------------------------------------------- utilities


def _safe_size(op: type, left: Any, right: Any) -> bool:
    if op is ast.Pow and isinstance(left, int) and isinstance(right, int):
        return right < 0 or abs(left) <= 1 or right * max(abs(left), 2).bit_length() <= MAX_INT_BITS
    if op is ast.Mult:
        for seq, k in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple, bytes)) and isinstance(k, int):
                return len(seq) * max(k, 0) <= MAX_SEQ
        if isinstance(left, int) and isinstance(right, int):
            return left.bit_length() + right.bit_length() <= MAX_INT_BITS
    if op is ast.LShift and isinstance(right, int):
        return right <= MAX_INT_BITS and (not isinstance(left, int) or left.bit_length() + right <= MAX_INT_BITS)
    if op is ast.Mod and isinstance(left, str):
        return _safe_format(left)
    if op is ast.Add and isinstance(left, (list, tuple, str)) and isinstance(right, (list, tuple, str)):
        return len(left) + len(right) <= MAX_SEQ
    return True


def _safe_format(fmt: str) -> bool:
    """Refuse %-/str.format specs that could allocate huge strings (widths, `*`)."""
    import re

    return len(fmt) <= MAX_SEQ and "*" not in fmt and not re.search(r"\d{5,}", fmt)


def hashable_plain(value: Any) -> bool:
    """Safe to use as a dict key or set item (hashing is bounded by plain()'s budget)."""
    return plain(value, budget=1_000)


def same_value(a: Any, b: Any) -> Any:
    """Merge two branches' values: keep what both agree on."""
    if a is b:
        return a
    if a is _MISSING or b is _MISSING:
        present = b if a is _MISSING else a
        return present if not isinstance(present, (Tensor,)) else Unknown("set on only one branch of an unknown `if`")
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.shape == b.shape and a.shape is not None:
        return a
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
        return f"a tensor of shape {fmt_shape(value.shape)}"
    return f"a {type(value).__name__}"


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


def assigned_names(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    return names

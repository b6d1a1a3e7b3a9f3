"""The abstract interpreter: runs the *shape* of a Python file, never the file.

It evaluates constants, arithmetic, tuples/lists/dicts, variables, ``for`` over known
iterables, ``if`` on known values, the user's functions and classes, and hands every
Keras call to :mod:`shapelens.core.keras_api`. Everything is bounded (steps, loop
iterations, call depth, value sizes); past a bound values become :class:`Unknown`. No
exception escapes :meth:`Evaluator.run`.
"""

from __future__ import annotations

import ast
import itertools
import time
from typing import Any, Callable

from shapelens.core import caught, keras2_removed, loops
from shapelens.core.results import Diagnostic, ValueInfo
from shapelens.core import builtins_model
from shapelens.core.builtins_model import TooLarge
from shapelens.core.codes import ANALYSIS_LIMIT, CODES, REMOVED_IN_KERAS_3
from shapelens.core.data.state import DataState
from shapelens.core.keras_graph import track_variable
from shapelens.core.plain import (
    CHECK_EVERY,
    MAX_LOOP,
    MAX_SECONDS,
    MAX_STATEMENT_NOTES,
    STATEMENT_RESERVE,
    MAX_MODULE_DEPTH,
    MAX_STEPS,
    MAX_USER_MODULES,
)
from shapelens.core.resolve import ModuleRef, find_user_module, read_user_module
from shapelens.core.shapes import Unknown, is_unknown
from shapelens.core.source import Source, Span
from shapelens.core.values import (
    ClassValue,
    FunctionValue,
    Instance,
    LayerObj,
    ModuleValue,
    Tensor,
)
from shapelens.core.interp import (
    BudgetExceeded,
    Scope,
    _StatementBudget,
    _Break,
    _Continue,
    _MISSING,
    _Return,
    _has_call,
    assigned_names,
    describe,
    mutated_names,
    same_value,
)
from shapelens.core.evaluate_expr import ExpressionEvaluator
from shapelens.core.incremental import real


class Evaluator(ExpressionEvaluator):
    def __init__(self, source: Source, path: str, *, cancelled: Callable[[], bool] | None = None,
                 max_steps: int = MAX_STEPS, max_seconds: float = MAX_SECONDS, keras: str = "3") -> None:
        from shapelens.core.keras_api import KerasApi
        from shapelens.core.keras_versions import for_version

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
        self.keras.settings = for_version(keras)  # Keras 2 or 3 semantics (core/keras_versions.py)
        self.data_state = DataState()  # what the data checks remember (core/data/)
        self.anchor: ast.AST | None = None  # main-file node standing in for code from other modules
        self.modules: dict[str, ModuleValue | None] = {}
        # scopes other than the file's that a def ran in, and the scopes of the user's modules it
        # imports: a function made holds its scope, which holds the function (a cycle the
        # teardown breaks, analyze._teardown)
        self.def_scopes: dict[int, Scope] = {}
        self.instances: list = []  # of the user's classes (`self.f = self.g` is a cycle)
        self.module_depth = 0
        self.module_paths: list[str] = []  # the user modules being read, innermost last
        self.current_stmt: ast.stmt | None = None  # top-level statement being run (for SL003)
        self.top_stmt: ast.stmt | None = None  # the module-level statement being run
        self._generators: dict[int, bool] = {}
        # id(def node) -> how speculative the code was when its innermost running call began
        self._running: dict[int, int] = {}
        self.star_modules: list[ModuleRef] = []  # `from keras.layers import *` and the like
        self.foreign = 0  # >0 while reading another module's definitions
        self.loop_depth = 0  # >0 inside a loop or comprehension (core/loops.py)
        self.loop_memo = loops.CallMemo()
        self.loops_summarised = 0  # a loop whose body holds a summarised loop is costly too
        self._loop_names: dict[int, tuple[str, ...]] = {}
        # before each top-level statement (and after the last): where the analysis stood, to cut
        # the results into per-statement parts (core/incremental.py: Replay)
        self.marks: list[tuple] = []
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
               fix=None, severity: str | None = None, force: bool = False, migration: bool = False) -> None:
        if self.speculative and not force:
            return
        sev = severity or CODES[code].severity
        top = self.top_stmt
        elsewhere = top is not None and not (top.lineno - 1 <= span.line <= top.end_lineno - 1)
        self.diags.append(Diagnostic(code, sev, message, span, list(related or []), raise_span, fix,
                                     order=self.next_order(), migration=migration, elsewhere=elsewhere))

    def limit(self, what: str, node: ast.AST | None) -> None:
        self.complete = False
        if self._limit_reported:
            return
        self._limit_reported = True
        span = self.span(node) if node is not None and hasattr(node, "lineno") else Span(0, 0, 0, 0)
        self.report(ANALYSIS_LIMIT, ANALYSIS_LIMIT.values_not_followed(what=what),
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
                self.report(ANALYSIS_LIMIT, ANALYSIS_LIMIT.statement_not_followed(reason=exc.reason),
                            self.span(stmt), force=True)
        finally:
            self._stmt_steps = self.max_steps
            self._stmt_deadline = self.max_seconds

    # ------------------------------------------------------------------ entry
    def run(self, module: ast.Module, start: int = 0, save: Callable[[Evaluator, int], None] | None = None,
            save_at: int | None = None,
            checkpoint: tuple[int, Callable[[Evaluator], None]] | None = None,
            kept: dict[int, Any] | None = None) -> None:
        """Run the module's top-level statements from ``start`` (a restored snapshot has run
        the ones before, core/incremental.py); ``save(self, i)`` is called before statement
        ``save_at``; ``checkpoint = (line, fn)``: ``fn(self)`` is called once every statement
        that starts before that (0-based) line has run, if a statement is left after it;
        ``kept``: statements not run again, with their last results (incremental.Kept)."""
        self.kept_at: list[tuple[int, Any, tuple]] = []  # (see _keep)
        self.shifted = False
        i = start
        try:
            body = module.body
            for i in range(start, len(body)):
                if i == save_at and save is not None:
                    save(self, i)
                if checkpoint is not None and body[i].lineno - 1 >= checkpoint[0]:
                    checkpoint[1](self)
                    checkpoint = None
                self.marks.append(self.mark())
                if kept is not None and i in kept:
                    self._keep(i, kept[i])
                    continue
                body[i] = real(body[i])  # (a stand-in, incremental.moved: the statement parsed)
                self.top_stmt = body[i]
                try:
                    self._run_top_level(body[i], self.globals, len(body) - i - 1)
                finally:
                    self.top_stmt = None
            if save_at == len(body) and save is not None:
                save(self, save_at)
            self.marks.append(self.mark())
        except BudgetExceeded as exc:
            self.anchor = None
            self.limit(exc.reason, self.current_stmt)
            self._unreached(kept, i)
        except (_Return, _Break, _Continue):
            self._unreached(kept, i)

    @staticmethod
    def _unreached(kept: dict[int, Any] | None, stopped: int) -> None:
        """The run stopped at statement ``stopped``: the results kept for those after it are not
        the analysis's (a fresh run does not reach them either)."""
        for j in [j for j in kept or () if j > stopped]:
            del kept[j]

    def mark(self) -> tuple:
        return (len(self.diags), len(self.values), self.keras.next_layer_id(), self.keras.next_model_id(),
                self.order, self.steps)

    def _keep(self, i: int, out: Any) -> None:
        """Statement ``i``, whose last results are kept: the analysis moves on as if it had run.
        When the statements before it made more or fewer layers, models or order numbers than
        last time, ``shifted`` is set: the caller renumbers the kept results once the run is over
        (renumber.renumber; a kept statement's rows may hold calls made by a later one)."""
        start = self.marks[-1][2:5]  # (a tuple, as Kept.start)
        self.kept_at.append((i, out, start))
        if start != out.start:
            self.shifted = True
        self.diags.extend(out.diags)
        self.values.extend(out.values)
        self.keras.layer_base += out.n_layers
        self.keras.model_base += out.n_models
        self.order += out.n_order
        self.steps += out.n_steps

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
        except Exception:  # noqa: BLE001 -- the analyzer must never raise
            self._forget_targets(stmt, scope, "a statement shapelens could not follow")
            self.limit("a statement shapelens could not follow", stmt)

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
        problem = keras2_removed.check_module(module, names)
        if problem is not None and not self.module_paths:
            span = self.span(node)
            if self.keras.settings.keras3_removals_raise:
                self.report(REMOVED_IN_KERAS_3, problem, span, raise_span=span)
            else:  # runs under Keras 2: a migration note, reported on request
                self.report(REMOVED_IN_KERAS_3, REMOVED_IN_KERAS_3.migrating(problem=problem), span, severity="warning", migration=True)

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
        self.def_scopes[id(mod_scope)] = mod_scope
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
        if scope is not scope.globals:
            self.def_scopes[id(scope)] = scope
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
        # effects on objects (Sequential.add) may or may not happen: the model becomes uncertain
        self.keras.uncertain_effects += 1
        try:
            self._run_guarded(body, scope)
            after_body = scope.snapshot()
            scope.vars.clear()
            scope.vars.update(before)
            self._run_guarded(orelse, scope)
            after_else = scope.snapshot()
        finally:
            self.speculative -= 1
            self.keras.uncertain_effects -= 1
        merged = dict(before)
        for name in set(after_body) | set(after_else):
            a = after_body.get(name, _MISSING)
            b = after_else.get(name, _MISSING)
            merged[name] = same_value(a, b)
        scope.vars.clear()
        scope.vars.update(merged)
        self._forget_mutated(list(body) + list(orelse), scope, "a condition not known statically")

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
            element = builtins_model.dataset_element(iterable) if type(iterable).__name__ == "Dataset" \
                else builtins_model.array_rows(iterable, every=False)
            self.unknown_loop(s, scope, f"the loop runs over {describe(iterable)}",
                              None if isinstance(element, Unknown) else element)
            return
        seq = list(itertools.islice(items, MAX_LOOP + 1))
        count = 0
        broke = False
        start = self._loop_start(s, scope)
        self.loop_depth += 1
        try:
            for item in seq:
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
                    pass
                if self._loop_summarised(s, scope, start, count, len(seq) - count, seq[-1]):
                    if self._may_break(s):
                        self._speculative_block(s.orelse, scope)
                        return
                    break
        finally:
            self.loop_depth -= 1
        if not broke:
            self.exec_block(s.orelse, scope)

    stmt_AsyncFor = stmt_For

    def stmt_While(self, s: ast.While, scope: Scope) -> None:
        count = 0
        start = self._loop_start(s, scope)
        self.loop_depth += 1
        try:
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
                    pass
                if self._loop_summarised(s, scope, start, count, None, None):
                    self._speculative_block(s.orelse, scope)
                    return
        finally:
            self.loop_depth -= 1

    # ------------------------------------------------------------------ loop summaries (core/loops.py)
    def _loop_start(self, s: ast.For | ast.While, scope: Scope) -> dict:
        return {"mark": loops.structure_mark(self.keras), "hits": self.loop_memo.hits, "steps": self.steps,
                "prev": None, "summarised": self.loops_summarised}

    def _loop_summarised(self, s, scope: Scope, start: dict, count: int, remaining: int | None,
                         last: Any) -> bool:
        """After SUMMARY_AFTER iterations of a loop that created no layer: summarise the rest
        (see core/loops.py). ``remaining`` is None for a `while` loop. True when summarised."""
        after = loops.SUMMARY_AFTER
        if count == 1:
            # the first iteration may build what it calls (a model called as a layer)
            start["mark"] = loops.structure_mark(self.keras)
        # a cheap `while` loop still running after WHILE_LONG iterations is a data loop
        long_while = remaining is None and loops.WHILE_LONG - 1 <= count <= loops.WHILE_LONG
        if not long_while and (count < after - 1 or count > after or remaining == 0):
            return False
        names = loops.loop_names(self, s)
        if count == (loops.WHILE_LONG if long_while else after) - 1:
            start["prev"] = loops.snapshot(scope, names)
            return False
        if loops.structure_mark(self.keras) != start["mark"]:
            return False  # the loop builds layers or models: keep it exact
        per_iteration = (self.steps - start["steps"]) / count
        if remaining is None:
            costly = long_while or per_iteration >= loops.WHILE_STEPS_PER_ITERATION
        else:
            costly = per_iteration * remaining > loops.SUMMARY_STEPS
        if not costly and self.loop_memo.hits == start["hits"] and self.loops_summarised == start["summarised"]:
            return False
        snaps = [start["prev"] or {}, loops.snapshot(scope, names)]
        left = "for as long as it runs" if remaining is None else f"for the {remaining:,} remaining iterations"
        reason = (f"it changes from one iteration of the loop on line {s.lineno} to the next "
                  f"(the loop was followed for {count} iterations, then summarised {left})")
        if isinstance(s, (ast.For, ast.AsyncFor)):
            self.assign(s.target, Unknown(f"the loop variable of the loop on line {s.lineno}"), scope, s.iter)
        self._speculative_block(s.body, scope)
        snaps.append(loops.snapshot(scope, names))
        loops.widen(scope, names, snaps, reason)
        self.loops_summarised += 1
        if isinstance(s, (ast.For, ast.AsyncFor)):
            self.assign(s.target, last, scope, s.iter)
        return True

    def _speculative_block(self, body: list[ast.stmt], scope: Scope) -> None:
        if not body:
            return
        self.speculative += 1
        self.keras.uncertain_effects += 1
        try:
            self._run_guarded(body, scope)
        finally:
            self.speculative -= 1
            self.keras.uncertain_effects -= 1

    @staticmethod
    def _may_break(s: ast.For | ast.While) -> bool:
        stack = list(s.body)
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Break):
                return True
            if not isinstance(n, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef,
                                  ast.ClassDef, ast.Lambda)):
                stack.extend(ast.iter_child_nodes(n))
        return False

    def unknown_loop(self, s: ast.For | ast.While, scope: Scope, reason: str, element: Any = None) -> None:
        """Run the body once speculatively (so definitions are seen), then forget its effects:
        names it assigns, and containers or objects it changes (``xs.append(...)``), become unknown.
        ``element``: what every item looks like, when known (the batches of a dataset)."""
        if isinstance(s, (ast.For, ast.AsyncFor)):
            self.assign(s.target, element if element is not None else Unknown(reason), scope, s.iter)
        names = loops.loop_names(self, s)
        before = loops.snapshot(scope, names)
        self.loop_depth += 1
        try:
            self._speculative_block(s.body, scope)
        finally:
            self.loop_depth -= 1
        after = loops.snapshot(scope, names)
        assigned = assigned_names(s.body)
        for name in assigned:
            scope.vars[name] = Unknown(reason)
        loops.widen(scope, tuple(n for n in names if n not in assigned), [before, after],
                    f"it is changed in a loop that runs an unknown number of times ({reason})")
        self._forget_mutated(s.body, scope, reason)

    @staticmethod
    def _forget_mutated(body: list[ast.stmt], scope: Scope, reason: str) -> None:
        """Lists, dicts and sets that code which may not run (or runs an unknown number of times)
        changes in place (``xs.append(v)``, ``d[k] = v``) no longer have a known content or length."""
        for name in mutated_names(body):
            scope.forget_container(name, f"{name} is changed by code that may not run ({reason})")

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
        # An error one of the handlers catches is not a crash (core/caught.py).
        mark = len(self.diags)
        raised = False
        for stmt in s.body:
            self.exec_stmt(stmt, scope)
            if any(d.severity == "error" and d.raise_span is not None for d in self.diags[mark:]):
                raised = True
                break
        for i in range(mark, len(self.diags)) if s.handlers else ():
            d = self.diags[i]
            handler = caught.catching(s.handlers, d) if d.severity == "error" else None
            if handler is not None:
                self.diags[i] = caught.handled(d, handler, self.source.span(handler))
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
                if getattr(value, "variable", None) is not None:
                    track_variable(self.keras.settings, obj, target.attr, value)
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



# ---------------------------------------------------------------------- dispatch tables
# Built once from the method names: exec_stmt is the hottest code in the analyzer.
_STMT = {getattr(ast, n[5:]): f for n, f in vars(Evaluator).items() if n.startswith("stmt_") and hasattr(ast, n[5:])}

"""Expressions of the abstract interpreter: names, literals, containers, attributes,
subscripts, operators, comprehensions and calls (the Evaluator's expression half)."""

from __future__ import annotations

import ast
from typing import Any, Iterator
from shapelens.core import builtins_model, keras2_removed
from shapelens.core.builtins_model import TooLarge
from shapelens.core.plain import (
    MAX_DEPTH,
    MAX_LOOP,
    MAX_INT_BITS,
    MAX_SEQ,
    _cost,
    _safe_size,
    hashable_plain,
    plain,
)
from shapelens.core import loops
from shapelens.core.loops import MEMO_METHODS
from shapelens.core.resolve import ModuleRef
from shapelens.core.shapes import Unknown
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
from shapelens.core.interp import (
    MUTATORS,
    Scope,
    _BINOPS,
    _Break,
    _CMPOPS,
    _Continue,
    _MISSING,
    _Return,
    UNBOUND_LOCAL,
    function_locals,
    is_generator,
    same_value,
)
from shapelens.core.codes import REMOVED_MODEL_METHOD


_STARRED_UNKNOWN = "a literal with a starred value that is not known"
_NAME = ast.Name
_CONSTANT = ast.Constant
_ATTRIBUTE = ast.Attribute
_NUMBERS = frozenset({int, float, bool, complex})  # exact types: plain, and no size cost


def _unbound_local(name: str) -> Unknown:
    return Unknown(f"`{name}` is read before the function assigns it (Python raises UnboundLocalError)")


class ExpressionEvaluator:
    """Mixin of :class:`shapelens.core.evaluate.Evaluator`: ``eval`` and the ``expr_*`` methods."""

    # ------------------------------------------------------------------ expressions
    def eval(self, node: ast.expr | None, scope: Scope) -> Any:
        if node is None:
            return None
        self.steps += 1
        if self.steps > self._check_at:
            self._checkpoint()
        kind = type(node)
        if kind is _NAME:  # the two commonest expressions, inlined (same as expr_Name / expr_Constant)
            name = node.id
            s = scope
            while s is not None:
                if name in s.vars:
                    return s.vars[name]
                if s.local_names is not None and name in s.local_names:
                    return _unbound_local(name)
                s = s.parent
            if name in scope.globals.vars:
                return scope.globals.vars[name]
            return self._undefined_name(name)
        if kind is _CONSTANT:
            return node.value
        method = _EXPR.get(kind)
        if method is None:
            return Unknown(f"{type(node).__name__} expressions are not followed")
        return method(self, node, scope)

    def expr_Constant(self, n: ast.Constant, scope: Scope) -> Any:
        return n.value

    def expr_Name(self, n: ast.Name, scope: Scope) -> Any:
        value = scope.lookup(n.id)
        if value is _MISSING:
            return self._undefined_name(n.id)
        if value is UNBOUND_LOCAL:
            return _unbound_local(n.id)
        return value

    def _undefined_name(self, name: str) -> Any:
        """A name not assigned in any enclosing scope: a star import, a builtin, or unknown."""
        for star in reversed(self.star_modules):
            ref = star.attr(name)
            if self.keras.is_known_name(ref):
                return ref
        builtin = builtins_model.lookup(name)
        if builtin is not None:
            return builtin
        return Unknown(f"`{name}` is not defined before this point")

    def expr_Tuple(self, n: ast.Tuple, scope: Scope) -> Any:
        items = self._elements(n.elts, scope)
        return tuple(items) if items is not None else Unknown(_STARRED_UNKNOWN)

    def expr_List(self, n: ast.List, scope: Scope) -> Any:
        items = self._elements(n.elts, scope)
        return list(items) if items is not None else Unknown(_STARRED_UNKNOWN)

    def expr_Set(self, n: ast.Set, scope: Scope) -> Any:
        items = self._elements(n.elts, scope)
        if items is None:
            return Unknown(_STARRED_UNKNOWN)
        if not all(hashable_plain(i) for i in items):
            return Unknown("a set of values that are not plain literals")
        try:
            return set(items)
        except TypeError:
            return Unknown("a set of unhashable values")

    def _elements(self, elts: list[ast.expr], scope: Scope) -> list | None:
        """The items of a literal; None when a ``*value`` in it is not known (its length is unknown,
        so the literal's length is too)."""
        out: list = []
        for e in elts:
            if isinstance(e, ast.Starred):
                items = self.iterate(self.eval(e.value, scope))
                if items is None:
                    return None
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
            for base in (obj.owner or obj.instance.cls).bases:
                if isinstance(base, ClassValue):
                    found = base.lookup(attr)
                    if isinstance(found, FunctionValue):
                        return BoundMethod(obj.instance, attr, found)
            return BoundMethod(obj.instance, f"super.{attr}")
        if isinstance(obj, ClassValue):
            found = obj.lookup(attr)
            return found if found is not None else Unknown(f"`{obj.name}.{attr}` is not known")
        if isinstance(obj, Unknown):
            # x.reshape(target) is an array of the target's rank whatever x is (numpy, torch, jax)
            return BoundMethod(obj, attr) if attr == "reshape" else obj
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
        if type(left) in _NUMBERS and type(right) in _NUMBERS:
            # plain numbers (the common case in loops): what the general path below does for them,
            # without its checks (numbers cost no extra steps)
            fn = _BINOPS.get(op)
            if fn is None:
                return Unknown("an operator that is not followed")
            if not _safe_size(op, left, right):
                return TooLarge("an arithmetic result")
            try:
                return fn(left, right)
            except Exception:  # noqa: BLE001 -- ZeroDivisionError, TypeError, OverflowError ...
                return Unknown("an arithmetic expression that fails")
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
        outer = [None]  # the outermost generator: its length and the work of its first items
        self.loop_depth += 1
        try:
            if not self._generate(n, n.generators, inner, make, results, total, outer):
                if outer[0] is not None and outer[0].get("summarised"):
                    return Unknown(f"a comprehension over {outer[0]['n']:,} items that builds no layer "
                                   "(too costly to follow item by item)")
                return None
        finally:
            self.loop_depth -= 1
        return results

    def _generate(self, n, gens: list[ast.comprehension], inner: Scope, make, results: list, total: list,
                  outer: list) -> bool:
        """The comprehension's generators from ``gens`` on: False when one is not followed. (A
        method, not a closure calling itself: that would be a reference cycle holding the
        evaluator until the garbage collector runs.)"""
        if not gens:
            results.append(make(inner))
            return True
        gen = gens[0]
        items = self.iterate(self.eval(gen.iter, inner))
        if items is None:
            return False
        if gen is n.generators[0]:
            items = list(items)
            outer[0] = {"n": len(items), "steps": self.steps, "mark": loops.structure_mark(self.keras)}
        for done, item in enumerate(items):
            if gen is n.generators[0] and self._comprehension_costly(outer[0], done):
                outer[0]["summarised"] = True
                return False
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
            if ok and not self._generate(n, gens[1:], inner, make, results, total, outer):
                return False
        return True

    def _comprehension_costly(self, outer: dict, done: int) -> bool:
        """A comprehension that built no layer in its first items and whose other items would
        cost more than COMPREHENSION_STEPS (core/loops.py) is not followed item by item: its value is
        unknown, as it is past MAX_LOOP items, but found without paying for the items first."""
        if done < loops.SUMMARY_AFTER or done % loops.SUMMARY_AFTER:
            return False
        if loops.structure_mark(self.keras) != outer["mark"]:
            return False
        per_item = (self.steps - outer["steps"]) / done
        return per_item * (outer["n"] - done) > loops.COMPREHENSION_STEPS

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
        if isinstance(out, Unknown):
            return out
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
        passed = False  # an attribute passed (_forget_passed_mutators)
        for a in n.args:
            if type(a) is _ATTRIBUTE:
                passed = True
            if isinstance(a, ast.Starred):
                items = self.iterate(self.eval(a.value, scope))
                if items is None:
                    return self._unknown_call(func, "a `*args` value that is not known statically", n)
                args.extend(items)
            else:
                args.append(self.eval(a, scope))
        kwargs: dict = {}
        for kw in n.keywords:
            if type(kw.value) is _ATTRIBUTE:
                passed = True
            value = self.eval(kw.value, scope)
            if kw.arg is None:
                if isinstance(value, dict) and all(isinstance(k, str) for k in value):
                    kwargs.update(value)
                else:
                    return self._unknown_call(func, "a `**kwargs` value that is not a known dict", n)
            else:
                kwargs[kw.arg] = value
        result = self.call(func, args, kwargs, n)
        if passed:
            self._forget_passed_mutators(n, scope)
        return result

    @staticmethod
    def _forget_passed_mutators(n: ast.Call, scope: Scope) -> None:
        """``df.apply(vocabulary.update)``: a container's mutating method handed to another call may
        run any number of times, so the container's content and length are no longer known."""
        passed = n.__dict__.get("_sl_passed")
        if passed is None:  # syntactic: found once per call site (the AST is not changed)
            passed = n._sl_passed = tuple(
                (a.value.id, a.attr) for a in [*n.args, *(kw.value for kw in n.keywords)]
                if isinstance(a, ast.Attribute) and a.attr in MUTATORS and isinstance(a.value, ast.Name))
        for name, attr in passed:
            scope.forget_container(name, f"{name} is changed by {attr}() calls not followed")

    def _unknown_call(self, func: Any, reason: str, node: ast.Call) -> Any:
        return self.keras.unknown_call(func, reason, node)

    def call(self, func: Any, args: list, kwargs: dict, node: ast.AST) -> Any:
        kind = type(func)
        if kind is LayerObj or (kind is ModuleRef and (func.path != "functools.partial" or not args)):
            # the most frequent callees: none of the cases below the fast path applies to them
            if self.loop_depth:
                return self.loop_memo.call(self, func, "", args, kwargs, node,
                                           lambda: self.keras.call(func, args, kwargs, node))
            return self.keras.call(func, args, kwargs, node)
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
            if func.name in keras2_removed.REMOVED_MODEL_METHODS and is_model(func.obj):
                span = self.span(node)
                use = keras2_removed.REMOVED_MODEL_METHODS[func.name]
                if self.keras.settings.keras3_removals_raise:
                    self.report(REMOVED_MODEL_METHOD, REMOVED_MODEL_METHOD.removed(name=func.name, use=use), span, raise_span=span)
                    return Unknown(f"Model.{func.name}() does not exist in Keras 3")
                if func.name in keras2_removed.REMOVED_IN_KERAS2:
                    # gone since TensorFlow 2.6; an older Keras 2 still has it, so not an error
                    self.report(REMOVED_MODEL_METHOD, REMOVED_MODEL_METHOD.removed_before_keras_3(
                        name=func.name, use=use), span, severity="warning")
                    return Unknown(f"Model.{func.name}() was removed in TensorFlow 2.6")
                self.report(REMOVED_MODEL_METHOD, REMOVED_MODEL_METHOD.migrating_removed_method(
                    name=func.name, use=use),
                            span, severity="warning", migration=True)
            if self.loop_depth and func.name in MEMO_METHODS:
                return self.loop_memo.call(self, func.obj, func.name, args, kwargs, node,
                                           lambda: self.keras.call_method(func.obj, func.name, args, kwargs, node))
            return self.keras.call_method(func.obj, func.name, args, kwargs, node)
        if isinstance(func, ClassValue):
            return self.instantiate(func, args, kwargs, node)
        if self.loop_depth:  # a training/inference loop: repeated calls reuse their first result
            if isinstance(func, Instance):
                return self.loop_memo.call(self, func, "", args, kwargs, node,
                                           lambda: self.keras.call_instance(func, args, kwargs, node))
            return self.loop_memo.call(self, func, "", args, kwargs, node,
                                       lambda: self.keras.call(func, args, kwargs, node))
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
        running = self._running.get(id(func.node))
        if running is not None and self.speculative > running:
            # recursion under a condition shapelens cannot decide (a random walk, a parser on
            # unknown input): following it would branch at every level until the budget ends
            return Unknown(f"a recursive call of {func.name}() under a condition not known statically")
        closure: Scope = func.closure["scope"]
        scope = Scope(parent=closure if closure is not closure.globals else None, globals_=closure.globals,
                      local_names=None if isinstance(func.node, ast.Lambda)
                      else function_locals(func.node, None if func.foreign else self.source.lines))
        self.bind_params(func, args, kwargs, scope)
        self.depth += 1
        self._running[id(func.node)] = self.speculative  # the innermost running call's level
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
            if running is None:
                del self._running[id(func.node)]
            else:
                self._running[id(func.node)] = running
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
        positional = a.__dict__.get("_sl_positional")  # the parameter names, once per def
        if positional is None:
            positional = a._sl_positional = tuple(p.arg for p in (a.posonlyargs + a.args))
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
        if cls.keras_base == "Model":
            from shapelens.core import subclass_layers

            if subclass_layers.functional_subclass(cls, args, kwargs):
                model = self.keras.make_functional(args, kwargs, node)
                if hasattr(model, "outputs"):
                    model.user_class = cls  # its train_step / test_step / predict_step (data/steps.py)
                return model
        inst = Instance(cls, span=self.span(node), order=self.next_order())
        self.instances.append(inst)
        if cls.keras_base:
            self.keras.register_instance(inst, node)
        init = cls.lookup("__init__")
        if isinstance(init, FunctionValue) and cls.keras_base:
            self.keras.constructing.append(inst)  # the layers made here belong to inst (their notes)
            try:
                self.keras._run_method(inst, init, args, kwargs, node)  # super().__init__ needs self
            finally:
                self.keras.constructing.pop()
        elif isinstance(init, FunctionValue):
            self.call_function(init, [inst, *args], kwargs, node)
        if cls.keras_base:
            from shapelens.core import subclass_layers

            subclass_layers.after_init(self.keras, inst, args, kwargs, node)
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


# Built once from the method names: eval is the hottest code in the analyzer.
_EXPR = {getattr(ast, n[5:]): f for n, f in vars(ExpressionEvaluator).items()
         if n.startswith("expr_") and hasattr(ast, n[5:])}

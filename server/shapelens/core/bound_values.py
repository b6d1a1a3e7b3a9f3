"""The values bound before an edit (core/depends.py, ``plan``): which no statement can change
(``frozen``), which are plain data, and the classes of names that may share objects.
Pure: imports no TensorFlow, never runs user code."""

from __future__ import annotations

import ast
from typing import Any


def frozen(value: Any, depth: int = 0) -> bool:
    """A value no statement can change: a module, a function, a class, a number, a string,
    an array no layer made, None, a tuple of those. (Whether something assigns into a function or class is checked
    on the syntax, see ``StmtDeps.mutates``.)"""
    from shapelens.core.resolve import ModuleRef
    from shapelens.core.shapes import Unknown
    from shapelens.core.values import Builtin, ClassValue, FunctionValue, ModuleValue, Tensor

    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, range, Unknown, ModuleRef,
                                           ModuleValue, Builtin)):
        return True
    if isinstance(value, Tensor):
        # data (an array) that no layer made is never changed once made; a Keras tensor leads to
        # the layers that made it (keras.Model(inputs, outputs) collects them, fit() calls them)
        return value.symbolic is False and value.producer is None
    if depth >= 3:
        return False
    if isinstance(value, FunctionValue):  # its defaults and closure go with it when it runs
        return all(frozen(v, depth + 1) for v in (*value.defaults, *value.kw_defaults.values())) and \
            closure_frozen(value.closure.get("scope"), depth + 1)
    if isinstance(value, ClassValue):
        return all(frozen(v, depth + 1) for v in (*value.bases, *value.namespace.values()))
    if isinstance(value, (tuple, frozenset)) and len(value) <= 64:
        return all(frozen(v, depth + 1) for v in value)
    return False


def closure_frozen(scope: Any, depth: int) -> bool:
    """The scope a function was defined in: the module's (its names are followed by name: the
    function's free names), or a function's whose variables are all frozen."""
    from shapelens.core.interp import Scope

    while isinstance(scope, Scope) and scope is not scope.globals:
        if len(scope.vars) > 64 or not all(frozen(v, depth) for v in scope.vars.values()):
            return False
        scope = scope.parent
    return scope is None or isinstance(scope, Scope)


MISSING = object()


class Objects:
    """Names whose objects may be the ones the last analysis's statements saw (depends.plan),
    in classes of names that may share objects: one for all the names bound before the restored
    state (what they share is not known), one per statement that makes objects again, merged
    when a statement reaches several (it may put one into another). Some classes hold plain data
    only (``data``): made again by statements that made no layer and no model and reached nothing
    bound before, or bound before to lists of numbers and the like (``plain``). What a kept
    statement does to them matters only to a statement that runs and reads them (``pending``);
    what it does to the other objects bound before may also show in the layers' tables."""

    def __init__(self, names: set[str], fn_free: set[str], data: list[set[str]] = ()) -> None:
        self.fn_free = fn_free
        self.of: dict[str, int] = {}  # name -> its class
        self.members: dict[int, set[str]] = {}
        self.with_fn: dict[int, int] = {}  # class -> how many of its names a function reads
        self.data: set[int] = set()  # the classes of plain data (made again, or bound before)
        self.pending: dict[int, list[int]] = {}  # data class -> kept statements that may change it
        self._next = 0
        others = set(names).difference(*data)
        if others:
            self._add(self._new(), others)
        for group in data:
            self.join(set(), frozenset(group), data=True)

    def read_by_functions(self, names) -> None:
        """``names`` are read by functions defined from here on (``fn_free`` grows)."""
        for name in names:
            if name not in self.fn_free:
                self.fn_free.add(name)
                c = self.of.get(name)
                if c is not None:
                    self.with_fn[c] = self.with_fn.get(c, 0) + 1

    def _new(self) -> int:
        c = self._next
        self._next += 1
        self.members[c] = set()
        return c

    def _add(self, c: int, names) -> None:
        for name in names:
            self.discard((name,))
            self.of[name] = c
            self.members[c].add(name)
            if name in self.fn_free:
                self.with_fn[c] = self.with_fn.get(c, 0) + 1

    def discard(self, names) -> None:
        for name in names:
            c = self.of.pop(name, None)
            if c is not None:
                self.members[c].discard(name)
                if name in self.fn_free:
                    self.with_fn[c] -= 1
                    if not self.with_fn[c]:
                        del self.with_fn[c]

    def reached(self, reads: frozenset, calls: bool) -> set[int]:
        """The classes a statement reaches: by the names it reads, and by the names any function
        reads when it calls one."""
        of = self.of
        out = {of[name] for name in reads if name in of}
        if calls and self.with_fn:
            out.update(self.with_fn)
        return out

    def names(self, classes: set[int]) -> set[str]:
        return set().union(*(self.members[c] for c in classes))

    def join(self, classes: set[int], names: frozenset, data: bool = False) -> None:
        """``names`` are bound to objects that may share objects with those of ``classes`` (none:
        data made again, when ``data``)."""
        if not classes:
            if names:
                c = self._new()
                self._add(c, names)
                if data:
                    self.data.add(c)
            return
        c = max(classes, key=lambda c: len(self.members[c]))
        for o in classes:
            if o != c:
                self._add(c, list(self.members[o]))
                del self.members[o]
                if o not in self.data:
                    self.data.discard(c)
                self.data.discard(o)
                self.pending.setdefault(c, []).extend(self.pending.pop(o, ()))
        self._add(c, names)
_PLAIN_LIMIT = 256  # items of a list, dict or set looked at (more: not taken for plain data)
_WALK_LIMIT = 20_000  # objects looked at for references to plain data (more: all may share it)
_WALK_DEPTH = 5  # steps from a name's value


def plain(value: Any, containers: set[int], depth: int = 0) -> bool:
    """A list, dict or set of numbers, strings and other frozen values (or of such lists, ...),
    or a function or class that holds nothing else (``def f(depths=[2, 3])``): data no layer or
    model is in. Collects the ids of its containers."""
    if depth >= 3:
        return False
    if isinstance(value, (list, set, dict)):
        if len(value) > _PLAIN_LIMIT:
            return False
        containers.add(id(value))
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
    else:
        from shapelens.core.values import ClassValue, FunctionValue, Instance

        if isinstance(value, Instance):  # of a class of the file that is not a layer or a model
            if value.cls.keras_base is not None or value.layer_obj is not None or value.calls \
                    or value.model_id is not None:
                return False
            containers.add(id(value))
            items = [value.cls, *value.attrs.values()]
        elif isinstance(value, FunctionValue):
            if not closure_frozen(value.closure.get("scope"), depth + 1):
                return False
            items = [*value.defaults, *value.kw_defaults.values()]
        elif isinstance(value, ClassValue):
            items = [*value.bases, *value.namespace.values()]
        else:
            return False
    return all(frozen(v, depth + 1) or plain(v, containers, depth + 1) for v in items)


def data_groups(unsafe: set[str], bound: dict[str, Any]) -> list[set[str]]:
    """The names bound before the restored state to plain data (``plain``), grouped by the
    containers they share; a group any other value bound before may hold a container of (an
    instance's attribute, a function's default) is left out (it goes with those values)."""
    groups: list[tuple[set[str], set[int]]] = []
    others = []
    for name in unsafe:
        value = bound.get(name, MISSING)
        ids: set[int] = set()
        if value is not MISSING and plain(value, ids):
            merged = [g for g in groups if not g[1].isdisjoint(ids)]
            for g in merged:
                groups.remove(g)
            groups.append(({name}.union(*(g[0] for g in merged)), ids.union(*(g[1] for g in merged))))
        elif value is not MISSING:
            others.append(value)
    if not groups:
        return []
    all_ids = set().union(*(g[1] for g in groups))
    held = held_ids(others, all_ids)
    if held is None:
        return []
    return [names for names, ids in groups if ids.isdisjoint(held)]


def held_ids(values: list, wanted: set[int]) -> set[int] | None:
    """The ids among ``wanted`` of the objects reachable from ``values`` within a few steps (where
    an object keeps what it was given: an attribute, an argument, an item); None: too many to
    look at. A tensor leads to the layers that made it, not to what it was given."""
    from shapelens.core.values import Tensor

    found: set[int] = set()
    seen: set[int] = set()
    stack = [(v, 0) for v in values]
    while stack:
        v, depth = stack.pop()
        if id(v) in seen or v is None or isinstance(v, (bool, int, float, complex, str, bytes, range, type,
                                                         ast.AST, Tensor)):
            continue
        seen.add(id(v))
        if len(seen) > _WALK_LIMIT:
            return None
        if id(v) in wanted:
            found.add(id(v))
        if depth >= _WALK_DEPTH:
            continue
        if isinstance(v, dict):
            items = [*v.keys(), *v.values()]
        elif isinstance(v, (list, tuple, set, frozenset)):
            items = v
        else:
            items = list(getattr(v, "__dict__", {}).values())
            items += [getattr(v, slot, None) for slot in getattr(type(v), "__slots__", ())]
        stack.extend((x, depth + 1) for x in items)
    return found


def frozen_items(value: Any) -> bool:
    """A list, dict or set holding frozen values only (``frozen``)."""
    if not isinstance(value, (list, dict, set)) or len(value) > _PLAIN_LIMIT:
        return False
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
    return all(frozen(v, 1) for v in items)

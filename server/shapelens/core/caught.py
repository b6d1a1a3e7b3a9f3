"""Errors the program catches itself.

A finding that Keras or NumPy raises inside ``try:`` is not a crash when one of the
statement's ``except`` clauses catches the exception: published notebooks show shape errors
on purpose (``try: D @ A`` / ``except ValueError as e: print(e)``), and portable code tries
an import that Keras 3 removed and falls back in ``except ImportError``. Such a finding is
kept as information, naming the handler; it stays an error only when no handler can catch
it (``except FileNotFoundError`` around a shape error) or the handler raises again.

Which exception a finding raises: the class its message names ("numpy raises ValueError"),
else the code's (a removed import raises ImportError), else one of the shape errors Keras
and TensorFlow raise (``ValueError``, ``TypeError``, ``IndexError``, ``InvalidArgumentError``):
a handler that catches any of those may catch it, and a finding that may be caught is not
an error (precision before recall).
"""

from __future__ import annotations

import ast
import dataclasses
import re

from shapelens.core.codes import REMOVED_IN_KERAS_3, REMOVED_MODEL_METHOD
from shapelens.core.results import Diagnostic, Related
from shapelens.core.source import Span

CATCH_ALL = frozenset({"Exception", "BaseException"})
# the exceptions a shape finding may raise when its message names none
SHAPE_ERRORS = ("ValueError", "TypeError", "IndexError", "InvalidArgumentError")
_BY_CODE = {
    REMOVED_IN_KERAS_3: ("ModuleNotFoundError", "ImportError", "AttributeError"),
    REMOVED_MODEL_METHOD: ("AttributeError",),
}
# the built-in (and TensorFlow) base classes a handler may name instead
_BASES = {
    "ModuleNotFoundError": ("ImportError",),
    "IndexError": ("LookupError",),
    "KeyError": ("LookupError",),
    "InvalidArgumentError": ("OpError",),
    "ZeroDivisionError": ("ArithmeticError",),
}
_NAMED = re.compile(r"\braises (\w+(?:Error|Exception))\b")


def handler_names(handler: ast.ExceptHandler) -> frozenset[str] | None:
    """The class names an ``except`` clause catches (None: a bare ``except:``)."""
    if handler.type is None:
        return None
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = set()
    for n in nodes:
        if isinstance(n, ast.Name):
            names.add(n.id)
        elif isinstance(n, ast.Attribute):
            names.add(n.attr)
        else:
            names.add("Exception")  # a computed class: it may be anything
    return frozenset(names)


def raised_by(d: Diagnostic) -> tuple[str, ...]:
    """The exception classes a finding may raise (any one of them)."""
    m = _NAMED.search(d.message)
    if m:
        return (m.group(1),)
    return _BY_CODE.get(d.code, SHAPE_ERRORS)


def catching(handlers: list[ast.ExceptHandler], d: Diagnostic) -> ast.ExceptHandler | None:
    """The first handler that catches (or may catch) the finding's exception."""
    raised = raised_by(d)
    for h in handlers:
        names = handler_names(h)
        if names is None or names & CATCH_ALL or any(
                cls in names or any(base in names for base in _BASES.get(cls, ())) for cls in raised):
            # Python runs the first handler that matches; one that raises again (or raises
            # another error) does not save the program
            return None if any(isinstance(stmt, ast.Raise) for stmt in h.body) else h
    return None


def handled(d: Diagnostic, handler: ast.ExceptHandler, span: Span) -> Diagnostic:
    """The finding as information: the program catches it at ``handler`` (``span``)."""
    names = handler_names(handler)
    clause = "except" if names is None else "except " + ast.unparse(handler.type)  # type: ignore[arg-type]
    message = f"{d.message} (caught by `{clause}` on line {handler.lineno}: the program goes on)"
    related = list(d.related) + [Related(span, "the exception is caught here")]
    return dataclasses.replace(d, severity="information", message=message, related=related, fix=None,
                               caught=span)

"""Plain Python values: which the evaluator may operate on with real operators, and how big.

A leaf module (imports nothing from shapelens) shared by the evaluator and the builtins
model, so that neither imports the other.
"""

from __future__ import annotations

import ast
from typing import Any

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
        return safe_format(left)
    if op is ast.Add and isinstance(left, (list, tuple, str)) and isinstance(right, (list, tuple, str)):
        return len(left) + len(right) <= MAX_SEQ
    return True


def safe_format(fmt: str) -> bool:
    """Refuse %-/str.format specs that could allocate huge strings (widths, `*`)."""
    import re

    return len(fmt) <= MAX_SEQ and "*" not in fmt and not re.search(r"\d{5,}", fmt)


def hashable_plain(value: Any) -> bool:
    """Safe to use as a dict key or set item (hashing is bounded by plain()'s budget)."""
    return plain(value, budget=1_000)

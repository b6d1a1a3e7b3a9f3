"""Where two texts differ, in lines and top-level statements (core/incremental.py,
core/layout_edits.py). Pure."""

from __future__ import annotations

import ast
import bisect
import warnings
from operator import attrgetter
from typing import Callable

from shapelens.core import depends


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (slice comparisons run at memcmp speed)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:  # invariant: a[:lo] == b[:lo], a[:hi+1] != b[:hi+1] somewhere
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def line_aligned(old: str, new: str, a: int, b: int) -> tuple[int, int]:
    """``(a, b)``: the common start and end of two texts, with a pure insertion or deletion moved
    back to the start of its line where the texts allow it. Taking away ``marker = 1\n`` before
    ``model = ...`` leaves the common start ending in its ``m``: the change would run into the
    next line (and that statement count as edited) though only the line above went."""
    longer = old if len(old) - b > a else new
    if (len(old) - b > a) == (len(new) - b > a):
        return a, b  # (both sides changed, or neither)
    end = len(longer) - b  # the text added or taken away: longer[a:end]
    while a > 0 and longer[a - 1] != "\n" and longer[a - 1] == longer[end - 1]:
        a, end, b = a - 1, end - 1, b + 1
    return a, b


# a statement's position (lineno, col_offset, end_lineno, end_col_offset), read in C: asked for
# every statement of the file at each edit
stmt_pos: Callable[[ast.stmt], tuple] = attrgetter("lineno", "col_offset", "end_lineno", "end_col_offset")


def changed(positions: list[tuple], first_line: int, last_line: int) -> tuple[int, int]:
    """The statements (by their positions) on the lines ``first_line..last_line``:
    ``[i:j]`` (i == j for an edit between two statements)."""
    i = bisect.bisect_left(positions, first_line, key=lambda p: p[2])
    j = i
    while j < len(positions) and positions[j][0] <= last_line:
        j += 1
    return i, j


def last_line_of(text: str, start: int, end: int) -> int:
    """The last (1-based) line with a character of ``text[start:end]`` in it, the changed part of
    a text: a change that ends with a line break ends on that line (the statement on the line
    after it is unchanged, only moved), and one that is empty at a line's start (lines taken
    away in the other text) ends on the line before."""
    if end > start and text[end - 1] == "\n":
        end -= 1
    elif end == start and (start == 0 or text[start - 1] == "\n"):
        return text.count("\n", 0, start)
    return text.count("\n", 0, end) + 1


def old_deps(text: str, positions: list[tuple]) -> list | None:
    """What the edited statements were (the last text is kept, not its syntax tree): parsed again."""
    if not positions:
        return []
    if positions[0][1] != 0:
        return None  # after another statement on its line
    lines = "\n".join(text.split("\n", positions[-1][2])[positions[0][0] - 1:positions[-1][2]])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            body = ast.parse(lines).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(body) != len(positions):
        return None  # (another statement after the last one, on its line)
    return [depends.deps(st) for st in body]


def moved_pos(pos: tuple, moved_from: int, delta: int) -> tuple:
    line, col, end_line, end_col = pos
    return (line + delta if line - 1 >= moved_from else line, col,
            end_line + delta if end_line - 1 >= moved_from else end_line, end_col)


def char_offset(text: str, offsets: list[int], lineno: int, byte_col: int) -> int:
    """The character offset of an ast position (line 1-based, column in UTF-8 bytes)."""
    if lineno - 1 >= len(offsets):
        return len(text)
    line_start = offsets[lineno - 1]
    line_end = offsets[lineno] if lineno < len(offsets) else len(text)
    line = text[line_start:line_end]
    if line.isascii():
        return line_start + byte_col
    return line_start + len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

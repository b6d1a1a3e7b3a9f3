"""Edits of layout only (core/incremental.py, Session.plan): blank lines or comments between two
statements, or statements whose code is the same but for its spacing and comments. Every
statement keeps its last results, moved to where its lines and tokens are now; none runs.
Pure: the texts and the syntax tree; imports no TensorFlow, never runs user code."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from typing import Any, NamedTuple

from shapelens.core.line_shift import NotAToken, Respan
from shapelens.core.lines import line_starts
from shapelens.core.text_diff import changed, common_prefix, last_line_of, stmt_pos


class Where(NamedTuple):
    """Where two texts differ (``where``): the first ``a`` and last ``b`` characters are the same;
    the change is on the (1-based) lines ``line_a..last_a`` of the new text, which hold its
    statements ``[first:last]`` (positions ``new_pos``), the same ones as in the old text."""

    a: int
    b: int
    line_a: int
    last_a: int
    first: int
    last: int
    new_pos: list


def where(old_text: str, text: str, old_pos: list[tuple], new_body: list[ast.stmt]) -> Where | None:
    """Where ``text`` differs from ``old_text`` (its statements at ``old_pos``), found once per edit
    for layout_edit and inert_edit; None when the statements are not the same ones (more or fewer,
    or another range in each text) or lone carriage returns make lines not counted by "\n"."""
    if len(new_body) != len(old_pos) \
            or text.count("\r") != text.count("\r\n") or old_text.count("\r") != old_text.count("\r\n"):
        return None
    a = common_prefix(old_text, text)
    b = common_prefix(old_text[a:][::-1], text[a:][::-1])
    line_a = text.count("\n", 0, a) + 1
    last_a = last_line_of(text, a, len(text) - b)
    new_pos = [stmt_pos(st) for st in new_body]
    first, last = changed(new_pos, line_a, last_a)
    if changed(old_pos, line_a, last_line_of(old_text, a, len(old_text) - b)) != (first, last):
        return None
    return Where(a, b, line_a, last_a, first, last, new_pos)


def layout_edit(old_text: str, text: str, old_pos: list[tuple], new_body: list[ast.stmt],
                at: Where | None) -> Any:
    """Is the change from ``old_text`` (its statements at ``old_pos``) to ``text`` (``at``: where
    they differ) an edit of layout only? True: blank lines and comments between two statements
    (none on the changed lines), the one below undecorated (a decorator line is not one of its
    def's lines); a line_shift.Respan: spacing, comments and docstrings within statements (the same
    tokens, indents and the ends of logical lines included, each on its line, the statements on the
    same lines); None: anything else."""
    if at is None:
        return None
    a, b, line_a, last_a, first, last, new_pos = at
    if first >= len(new_body) \
            or any(getattr(st, "decorator_list", None) for st in new_body[first:max(last, first + 1)]):
        return None
    if first == last:  # between two statements
        return True if not code_between(old_text, text, a, b) else None
    lo, hi = new_pos[first][0], new_pos[last - 1][2]  # (1-based) the lines of the changed statements
    if text.count("\n") != old_text.count("\n") or (old_pos[first][0], old_pos[last - 1][2]) != (lo, hi) \
            or line_a < lo or last_a > hi:
        return None
    cols = token_columns(old_text, text, lo, hi)
    return None if cols is None else Respan(lo - 1, hi - 1, *cols)


_SKIPPED_TOKENS = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
_SHAPE_TOKENS = frozenset({tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE})  # compared by type


def _prose(tokens: list, i: int) -> bool:
    """Is token ``i`` a string that is a statement on its own (a docstring, a script's prose)? Its
    text changes nothing an analysis finds (an f-string may call code: not one)."""
    tok = tokens[i]
    if tok.type != tokenize.STRING:
        return False
    body = tok.string.lstrip("rRbBuUfF")
    if "f" in tok.string[:len(tok.string) - len(body)].lower():
        return False
    before = tokens[i - 1].type if i else tokenize.NEWLINE
    after = tokens[i + 1].type if i + 1 < len(tokens) else tokenize.NEWLINE
    return before in _SHAPE_TOKENS and after == tokenize.NEWLINE


def token_columns(old_text: str, text: str, lo: int, hi: int) -> tuple[dict, dict] | None:
    """(0-based line, old column) -> new column of every token's start, and of every token's end,
    on the (1-based) lines ``lo..hi`` of both texts, when they hold the same tokens, each on the
    same line (a docstring's text may differ: _prose); else None."""
    def tokens(t: str) -> list | None:
        region = "\n".join(t.split("\n")[lo - 1:hi]) + "\n"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return [tok for tok in tokenize.generate_tokens(io.StringIO(region).readline)
                        if tok.type not in _SKIPPED_TOKENS]
        except (tokenize.TokenError, SyntaxError, ValueError):
            return None
    old, new = tokens(old_text), tokens(text)
    if old is None or new is None or len(old) != len(new):
        return None
    starts: dict[tuple[int, int], int] = {}
    ends: dict[tuple[int, int], int] = {}
    for i, (o, n) in enumerate(zip(old, new)):
        if o.type != n.type or (o.type not in _SHAPE_TOKENS and o.string != n.string
                                and not (_prose(old, i) and _prose(new, i))):
            return None
        if o.type in _SHAPE_TOKENS:
            continue
        if o.start[0] != n.start[0] or o.end[0] != n.end[0]:
            return None  # a token on another line
        for cols, (row, col), (_, new_col) in ((starts, o.start, n.start), (ends, o.end, n.end)):
            if cols.setdefault((row - 1 + lo - 1, col), new_col) != new_col:
                return None
    return starts, ends


def inert(stmt: ast.stmt) -> bool:
    """A statement that does nothing when it runs: a string on its own (a script's prose, as in a
    notebook saved as a script), a number, ``...``, ``pass``."""
    return isinstance(stmt, ast.Pass) or isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def inert_edit(old_text: str, new_body: list[ast.stmt], old_pos: list[tuple], at: Where | None) -> bool:
    """Does the edit (``at``: where the texts differ) change only statements that do nothing
    (:func:`inert`) into as many others that do nothing? Then the statements before it need no
    state restored to run it (Session.plan): the state they left, kept, is as good, and restoring
    one would make the statements below that use what it holds run again."""
    if at is None or at.first == at.last or not all(inert(st) for st in new_body[at.first:at.last]):
        return False
    starts = line_starts(old_text)
    lo, hi = old_pos[at.first][0], old_pos[at.last - 1][2]  # (1-based) the lines of the statements it changed
    end = starts[hi] if hi < len(starts) else len(old_text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = ast.parse(old_text[starts[lo - 1]:end]).body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return len(old) == at.last - at.first and all(inert(st) for st in old)


def respaced_kept(last: Any, n: int, respan: Respan, stats: dict) -> dict | None:
    """Every statement's last results (``last``: incremental._Last), their positions moved
    (line_shift.Respan); None when one cannot be moved."""
    if len(last.outs) != n or any(out is None for out in last.outs):
        return None
    try:
        kept = {i: respan.kept(out) for i, out in enumerate(last.outs)}
    except NotAToken:
        return None
    stats["kept"] = stats.get("kept", 0) + len(kept)
    stats["respaced"] = stats.get("respaced", 0) + 1
    return kept


def code_between(old_text: str, text: str, a: int, b: int) -> bool:
    """Does the change (the texts differ after their first ``a`` characters and before their last
    ``b``) touch a line with anything but blanks and a comment, in either text?"""
    for t in (old_text, text):
        end = len(t) - b
        if end > a:  # the lines with a changed character
            lo, hi = t.rfind("\n", 0, a) + 1, t.find("\n", end - 1)
        elif a == 0 or t[a - 1] == "\n":
            continue  # nothing changed in this text but where lines are
        else:  # a change within a line
            lo, hi = t.rfind("\n", 0, a) + 1, t.find("\n", a)
        for line in t[lo:len(t) if hi < 0 else hi].split("\n"):
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                return True
    return False

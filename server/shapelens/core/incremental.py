"""Incremental analysis: the statements before an edit are not evaluated again.

The evaluator is a sequential abstract interpreter: its state after top-level statement
``k`` depends only on the text of statements ``0..k-1`` (the budget and the clock aside,
see below). A :class:`Session` (one per document, kept by the language server) remembers
where the last edit was and, during the next analysis, saves the evaluator's state just
before the top-level statement that edit touched (a *snapshot*: the state pickled, with the
syntax tree, the source and functions kept by reference). The analysis after the next
edit at or after that statement restores the snapshot and evaluates only the statements
from there on: typing in the last cell of a notebook or at the end of a file no longer
re-runs everything above it.

A snapshot is used only when it is certain to give what a fresh analysis gives:

- the text before the statement is the same, character for character, and the new
  syntax tree has the same statements there, with the same positions (an edit that
  extends a compound statement above - an ``else:``, an indented line - changes them);
- the path and the Keras target are the same;
- nothing in the prefix hit a limit: no budget note, no statement cut short, complete.

An edit of layout only runs nothing: blank lines or comments added or taken away between two
statements, or statements whose code is the same but for its spacing and comments (the same
tokens, each on its line). Every statement keeps its last results, their lines and columns
moved to where their tokens are now (``line_shift.Shift`` / ``line_shift.Respan``; ``core/layout_edits.py``).

Everything keyed by object identity in the evaluator's state is keyed by the objects
themselves (they hash by identity), so it survives the copy; ``tests/core/test_incremental.py``
checks on every fixture program that an incremental result equals a fresh one, and
``bench/check_incremental.py`` does the same over a directory of real code.

Pure: imports no TensorFlow, never runs user code.
"""

from __future__ import annotations

import ast
import bisect
import io
import pickle
import types
import warnings
from dataclasses import dataclass, field
from typing import Any

from shapelens.core import depends
from shapelens.core import layout_edits
from shapelens.core.line_shift import Shift, last_line
from shapelens.core.text_diff import changed as _changed, common_prefix as _common_prefix, line_aligned
from shapelens.core.text_diff import last_line_of as _last_line_of, stmt_pos as _stmt_pos
from shapelens.core.text_diff import char_offset as _char_offset, moved_pos as _moved_pos, old_deps as _old_deps
from shapelens.core.lines import LINE_BREAK, line_starts
from shapelens.core.kept import Kept, Replay, clean as _clean, cut, runs  # noqa: F401 -- (also from here)

MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024  # a state bigger than this is not kept
# A state copied ahead (Session.prepare) costs memory (about 12x its pickle) and saves a few
# milliseconds; past this size the analysis after it takes hundreds, and the copy is not made.
MAX_PREPARED_BYTES = 2 * 1024 * 1024


def _line_offsets(text: str) -> list[int]:
    return line_starts(text)  # the tokenizer's line breaks (core/lines.py)


class _Pickler(pickle.Pickler):
    """Keeps syntax trees, sources, functions and modules by reference."""

    def __init__(self, file: io.BytesIO, keep: dict[int, Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._keep = keep

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _BY_REFERENCE) or type(obj).__name__ == "Source" or id(obj) in _singletons():
            self._keep[id(obj)] = obj
            return id(obj)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, keep: dict[int, Any]) -> None:
        super().__init__(io.BytesIO(data))
        self._keep = keep

    def persistent_load(self, pid: Any) -> Any:
        return self._keep[pid]


_SINGLETONS: dict[int, Any] = {}


def _singletons() -> dict[int, Any]:
    """The module-level sentinels the analysis compares by identity (``d is UNK``,
    ``value is _MISSING``): a copy of one would no longer be it, so they are kept by
    reference. (A broadcast kept its left operand only when the unknown sizes were UNK
    itself: after a restore, ``x /= y`` made a new array.)"""
    if not _SINGLETONS:
        from shapelens.core import interp, loops, shapes, subclass_layers
        from shapelens.core.data import fit
        from shapelens.core.rules import base, symbolic

        for obj in (shapes.UNK, symbolic.DEPENDS, symbolic._NO_AXIS, symbolic._U, base.REQUIRED,
                    interp._MISSING, loops._NO, fit._RAISED, subclass_layers.NOT_HANDLED):
            _SINGLETONS[id(obj)] = obj
    return _SINGLETONS


_BY_REFERENCE = (ast.AST, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                 types.ModuleType, types.CodeType, type)


# When more top-level statements than this lie between the restored state and an edit at a new
# place, the analysis keeps their results (core/depends.py decides which) instead of running
# them all to save the state before the edit; the state there is made between analyses
# (Session.prepare), for the edits that follow at the same place.
SAVE_DURING = 16
# ... or when the state to save there is big (a model of many layers): copying it costs the
# analysis tens of milliseconds (about 2.5 KB a layer, at some 10 MB/s)
SAVE_DURING_BYTES = 128_000
_BYTES_PER_LAYER = 2_500

MAX_DEPS_BY_TEXT = 50_000  # statements whose dependencies are kept by their text (a few hundred bytes each)
# A state restored after an edit whose plan runs more statements than this is planned again
# without it (Session.keep_instead)
RESTORED_RUNS = 32
MAX_TAILS = 2  # recent parses of the text after a snapshot, kept for their statements
# A kept parse costs about 2.4 KB a line (its statements are mostly those of the module in use, so
# shared) and saves about 5 ms per 1,000 lines, and its statements keep what core/depends.py
# found in them: the statements after an edit are neither parsed nor examined again.
MAX_TAIL_LINES = 20_000
_NOT_AT_LINE_START = -1


def _parse_at(text: str, lines_before: int) -> list[ast.stmt] | None:
    """The statements of ``text`` as if it started on line ``lines_before`` (0-based)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse("\n" * lines_before + text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_MOVED = "_sl_moved"  # on a moved stand-in: the text of its statement
ORIGIN = "_sl_origin"  # on a moved stand-in: the statement of a parse it stands in for (same children)


def moved(node: ast.stmt, delta: int, text: str) -> ast.stmt:
    """A stand-in for top-level statement ``node`` of an earlier parse, now ``delta`` lines lower
    (a line added or taken away above it) with the same ``text`` (from the start of its first line
    to the next statement): its own position is moved; its children are shared, on their old
    lines. It stands in for the statement where only its place and what core/depends.py found in
    it are read (its results are kept); whatever runs it or reads inside it takes :func:`real`.
    Moving a whole parse costs a Python walk of every node, parsing it again a C pass over the
    text: a stand-in costs neither."""
    new = node.__class__.__new__(node.__class__)
    d = new.__dict__
    d.update(node.__dict__)
    d["lineno"] = node.lineno + delta
    d["end_lineno"] = node.end_lineno + delta
    d[_MOVED] = text
    d["_sl_delta"] = node.__dict__.get("_sl_delta", 0) + delta  # how far its children are from their lines
    d[ORIGIN] = node.__dict__.get(ORIGIN, node)  # (what is read in it later is kept there: core/lookup.py)
    return new


def has_moved(body: list[ast.stmt]) -> bool:
    return any(_MOVED in st.__dict__ for st in body)


def real(node: ast.stmt) -> ast.stmt:
    """The statement itself: a moved stand-in parsed from its text on its line (what core/depends.py
    found in it kept); any other statement as it is."""
    text = node.__dict__.get(_MOVED)
    if text is None:
        return node
    body = _parse_at(text, node.lineno - 1)
    if not body or len(body) != 1 or type(body[0]) is not type(node) or _stmt_pos(body[0]) != _stmt_pos(node):
        raise Misaligned()  # (not seen: the same text parsed on its own line)
    if "_sl_deps" in node.__dict__:
        body[0]._sl_deps = node._sl_deps  # type: ignore[attr-defined]
    return body[0]


@dataclass
class _Tail:
    """One parse of the text after a snapshot: the text, its first line, its statements and the
    offset in the text where each statement starts (_NOT_AT_LINE_START: not at column 0)."""

    text: str
    lines_before: int
    body: list[ast.stmt]
    starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        offsets = line_starts(self.text)
        self.starts = [offsets[stmt.lineno - 1 - self.lines_before]
                       if stmt.col_offset == 0 and 0 <= stmt.lineno - 1 - self.lines_before < len(offsets)
                       else _NOT_AT_LINE_START for stmt in self.body]


@dataclass
class Snapshot:
    index: int  # the top-level statement the state is saved before
    prefix: str  # the text before that statement
    positions: list[tuple]  # the positions of the statements before it
    key: tuple  # path, Keras target
    data: bytes
    keep: dict[int, Any]  # the objects kept by reference (the old syntax tree among them)
    elapsed: float  # the evaluator's CPU time when saved
    clean: bool = True  # the prefix had no syntax problem (parse_suffix may then be used)
    problems: tuple = ()  # the (0-based) lines of its text's syntax problems


class Misaligned(Exception):
    """Results kept after an edit would not get the ids and order numbers a run gives them."""


@dataclass
class _Last:
    """The last analysis, cut per top-level statement."""

    text: str
    key: tuple
    positions: list  # of its top-level statements (_stmt_pos); not the syntax tree (memory)
    outs: list


# Edits of layout only (blank lines and comments between statements, spacing and comments within
# them) keep every statement's results without running any (Session.plan). Off: they are edits
# like any other (the tests of the states restored use spaces typed as their edits).
LAYOUT_EDITS = True
# place_for: the evaluation steps (about 5 microseconds each) between the saved state and the
# statement under the cursor that make it worth saving the state there while idle
READY_MIN_STEPS = 2_000


@dataclass
class Session:
    """What one document's analyses carry from one to the next (see the module docstring)."""

    snapshot: Snapshot | None = None
    last_text: str | None = None
    want: int | None = None  # save the state before this statement during the analysis
    restored_from: int | None = None  # statements skipped by the last analysis (for tests/bench)
    stats: dict = field(default_factory=lambda: {"restored": 0, "saved": 0, "full": 0, "tails": 0})
    _ready: tuple | None = None  # (snapshot, a copy of its state made ahead by prepare())
    _tails: list = field(default_factory=list)  # recent parses after the snapshot (_Tail), newest first
    _last: _Last | None = None  # the last analysis's results, per statement (keep/remember)
    _plan_cache: dict = field(default_factory=dict)  # what depends.plan found in the snapshot's state
    _deps_by_text: dict = field(default_factory=dict)  # (columns, text) of a statement -> depends.deps
    _to_read: tuple | None = None  # (text, statements) of the last analysis, for read_ahead
    _tree: tuple | None = None  # (text, key, statements) of the last analysis when its text parsed as is
    _garbage: list = field(default_factory=list)  # (teardown, evaluator): cycles to break when idle
    deferred: int | None = None  # this analysis kept the statements before `want`: save there later
    big: bool = False  # the state before `want` is big: it is saved between analyses (set by plan)
    _postponed: int | None = None  # the place whose big state was last left to be saved later
    refused: bool = False  # the state before `want` could not be saved last time (set by plan)
    _refused: tuple | None = None  # (index, text before it) of the last state that could not be saved
    later: Any = None  # later(stop): makes the state before `deferred` (set by the analysis)
    _moved: dict = field(default_factory=dict)  # id(results) -> (results, (line, delta), moved, both ways): _shift
    _memo: dict = field(default_factory=dict)  # _moved as the last keep() found it
    # (text, line_shift.Respan, or True: lines between statements): an edit of layout (plan)
    _layout: tuple | None = None
    _no_restore: tuple | None = None  # (snapshot, want): restoring it there made most of the file run

    # -- before an analysis -------------------------------------------------------------
    def plan(self, text: str, module: ast.Module, key: tuple, problems: list[int] = ()) -> int:
        """Decide where to save this analysis's state; returns the index of the first
        statement to evaluate (> 0 when a snapshot is restored). ``problems``: the (0-based) lines
        of the text's syntax problems."""
        body = module.body
        start = 0
        self.deferred = self.later = None
        last = self._last
        self._layout = None
        layout = None
        at = layout_edits.where(last.text, text, last.positions, body) \
            if LAYOUT_EDITS and last is not None and last.key == key and last.text != text else None
        if at is not None:
            layout = layout_edits.layout_edit(last.text, text, last.positions, body, at)
        if layout is not None:
            # blank lines or comments between two statements, or statements whose code is the same
            # but for its spacing and comments: every statement keeps its results (Session.keep),
            # none runs; a state restored would make those that change what it holds run
            # (depends.plan), and none is saved here (the next edit may save one)
            self._layout = (text, layout)
            self.want = None
            self.refused = False
            self.big = False
            self.restored_from = None
            self.last_text = text
            return 0
        # an edit of statements that do nothing (a script's prose): the statements before it keep the
        # state they left (a state restored would make those below that use what it holds run again),
        # and no state is saved for it
        inert = at is not None and not problems and layout_edits.inert_edit(last.text, body, last.positions, at)
        snap = self.snapshot if not inert else None
        # a prefix with syntax problems is read as the whole text allows: restored only when the
        # text has the same problems, all in the prefix (another one below it may make the same
        # prefix text recover otherwise)
        if snap is not None and snap.key == key and 0 < snap.index <= len(body) \
                and (snap.clean or (tuple(problems) == snap.problems and all(
                    line < body[snap.index].lineno for line in problems if snap.index < len(body)))) \
                and text.startswith(snap.prefix) \
                and all(body[i] is node or _stmt_pos(body[i]) == snap.positions[i]
                        for i, node in zip(range(snap.index), snap.keep[-1])):
            start = snap.index
            if not problems and len(snap.data) > SAVE_DURING_BYTES and last is not None and last.key == key \
                    and (self._ready is None or self._ready[0] is not snap):
                # a big state with no copy made ahead (edits with no idle moment between them):
                # restoring it would unpickle it in this analysis (28 ms for half of the 5,000-line
                # file) and make the statements below that use what it holds run again; the
                # statements before the edit keep their last results instead (Session.keep)
                start = 0
                self.stats["not_restored"] = self.stats.get("not_restored", 0) + 1
        # where the next edit is likely: the first statement this edit touched
        want = None
        if self.last_text is not None and self.last_text != text:
            common = _common_prefix(self.last_text, text)
            # the statements that end on a line before the one of the first change come first
            line = text.count("\n", 0, common) + 1
            want = bisect.bisect_left(body, line, key=lambda st: st.end_lineno)
            offsets = _line_offsets(text) if want < len(body) and body[want].end_lineno == line else None
            while offsets is not None and want < len(body) and \
                    _char_offset(text, offsets, body[want].end_lineno, body[want].end_col_offset) <= common:
                want += 1
        self.want = want if want and want > start and not inert else None
        if start and self._no_restore is not None and self._no_restore[0] is snap and \
                self._no_restore[1] == self.want:
            # the last edit here planned without this state (keep_instead: restored, it made most
            # of the file run): this one does at once, and no state is saved here again
            start, self.want = 0, None
            self.stats["restore_skipped"] = self.stats.get("restore_skipped", 0) + 1
        refused = self._refused
        # a state that was not saved there (it hit a limit) is not made again to be saved
        self.refused = self.want is not None and refused is not None and refused[0] == self.want \
            and text.startswith(refused[1])
        self.big = self.refused or self._save_is_big(start)
        self.restored_from = start or None
        self.last_text = text
        return start

    def parse_suffix(self, text: str, key: tuple) -> ast.Module | None:
        """The module of ``text`` with the statements of an unchanged prefix taken from an earlier
        parse (the snapshot's, or the last analysis's up to the line of the first change, whichever
        is longer) and only the text after it parsed; None when that cannot be done exactly (a
        statement after the prefix on the same line, or the rest does not parse on its own: an
        indented line or an ``else:`` continuing the statement above, half-typed code) - then the
        whole text is parsed as usual."""
        prefix: tuple | None = None  # (its length in characters, its statements, the line it ends on)
        snap = self.snapshot
        if snap is not None and snap.clean and snap.key == key and snap.index > 0 and text.startswith(snap.prefix):
            prefix = (len(snap.prefix), snap.keep[-1], snap.positions[-1][2])
        last = self._tree
        if last is not None and last[1] == key and not text.startswith("\ufeff") \
                and text.count("\r") == text.count("\r\n"):  # lines counted by "\n" as the parser does
            old_text, _, body = last
            common = _common_prefix(old_text, text)
            line = text.count("\n", 0, common) + 1  # the (1-based) line of the first change
            i = bisect.bisect_left(body, line, key=lambda st: st.end_lineno)  # those ending before it
            if i > 0 and (prefix is None or body[i - 1].end_lineno > prefix[2]):
                end = body[i - 1]
                prefix = (_char_offset(old_text, _line_offsets(old_text), end.end_lineno, end.end_col_offset),
                          body[:i], end.end_lineno)
                # the last text after the prefix is a parse at hand for the statements below the edit
                # (typing in a line: they are on the same lines), and for the edit after (a line
                # added, then taken away)
                brk = LINE_BREAK.search(old_text, prefix[0])
                if brk is not None:
                    old_rest = old_text[brk.end():]
                    if body[i:] and not any(t.body and t.body[-1] is body[-1] for t in self._tails):
                        self._tails.insert(0, _Tail(old_rest, end.end_lineno, body[i:]))
                        del self._tails[MAX_TAILS:]
        if prefix is None:
            return None
        cut, statements, lines_before = prefix
        brk = LINE_BREAK.search(text, cut)
        if brk is None:
            return None
        rest_of_line = text[cut:brk.start()].strip()
        if rest_of_line and not rest_of_line.startswith("#"):
            return None
        rest = text[brk.end():]  # the suffix starts on the line after the prefix ends
        body = self._reuse_tail(rest, lines_before)
        if body is None:
            body = _parse_at(rest, lines_before)
            if body is None:
                return None
            if body and body[-1].end_lineno - lines_before <= MAX_TAIL_LINES:
                self._tails.insert(0, _Tail(rest, lines_before, body))
                del self._tails[MAX_TAILS:]
        return ast.Module(body=list(statements) + body, type_ignores=[])

    def keep(self, text: str, module: ast.Module, key: tuple, start: int, bound: dict) -> Replay | None:
        """Which statements after the edit keep their last results: the edit changed statements
        ``first..last`` (``start`` == first: the state before them is restored), the lines did
        not move, and the statements after are the same text at the same place."""
        self._memo = self._moved  # (keep_instead plans again from the same results moved last time)
        last = self._last
        if last is None or last.key != key or last.text == text:
            return None
        layout, self._layout = self._layout, None
        layout = layout[1] if layout is not None and layout[0] is text and start == 0 else None
        if layout is not None and layout is not True:
            kept = layout_edits.respaced_kept(last, len(module.body), layout, self.stats)
            return None if kept is None else Replay(kept, {})
        old_text = last.text
        if text.count("\r") != text.count("\r\n") or old_text.count("\r") != old_text.count("\r\n"):
            return None  # lone CRs: lines are not counted by "\n"
        a = _common_prefix(old_text, text)
        b = _common_prefix(old_text[a:][::-1], text[a:][::-1])  # the common end, after the common start
        a, b = line_aligned(old_text, text, a, b)
        new_body, old_pos = module.body, last.positions
        line_a = text.count("\n", 0, a) + 1  # the (1-based) lines where the change starts and ends
        first_new, last_new = _changed([_stmt_pos(st) for st in new_body], line_a, _last_line_of(text, a, len(text) - b))
        first_old, last_old = _changed(old_pos, line_a, _last_line_of(old_text, a, len(old_text) - b))
        if first_new != first_old or first_new < start or len(new_body) - last_new != len(old_pos) - last_old:
            return None
        # the lines after the change moved by `delta` (an added or removed line): the results kept
        # have their positions, and the line numbers in their messages, moved too
        delta = text.count("\n") - old_text.count("\n")
        end = len(old_text) - b
        moved_from = old_text.count("\n", 0, end) + (0 if end == 0 or old_text[end - 1] == "\n" else 1)
        if any(_stmt_pos(n) != _moved_pos(o, moved_from, delta)
               for n, o in zip(new_body[last_new:], old_pos[last_old:])):
            return None
        old = _old_deps(old_text, old_pos[first_old:last_old])
        if old is None:
            return None
        if self._plan_cache.get("snapshot") is not self.snapshot:
            self._plan_cache = {"snapshot": self.snapshot}
        self._known_deps(text, new_body[start:])
        # the statements before the edit run when this analysis is to save its state there (when
        # they are few; else their results are kept and the state is made between analyses)
        defer = self.want is not None and (self.want - start > SAVE_DURING or self.big)
        keep_before = self.want is None or defer
        # the unchanged statements before the edit that made no layer and no model last time
        quiet = {i for i in range(start, first_new)
                 if last.outs[i] is not None and not last.outs[i].n_layers and not last.outs[i].n_models}
        if layout is True:  # blank lines or comments between two statements: nothing runs
            run, every_fn_free = set(), set()
        else:
            run = depends.plan(new_body, start, (first_new, last_new), old,
                               bound, self._plan_cache if start else None, keep_before, quiet)
            if run is None:
                return None
            run, every_fn_free = run
        # the unchanged statements between the restored state and the edit (all of them after an
        # open or a full analysis), and those after the edit
        kept = {i: last.outs[i] for i in range(start, first_new) if i not in run}
        kept.update((i, last.outs[i - last_new + last_old]) for i in range(last_new, len(new_body)) if i not in run)
        shift = self._shift(moved_from, delta)
        if shift is not None and kept:
            kept = {i: shift(out, i >= last_new) for i, out in kept.items()}
        if not kept:
            return None
        self.stats["kept"] = self.stats.get("kept", 0) + len(kept)
        if defer:
            self.deferred = self.want
        # the statements before the edit whose layers and models nothing that runs can reach
        # (their rows hold the calls of kept statements below the edit: those lines moved)
        before = {p: last.outs[p] if shift is None else shift(last.outs[p]) for p in depends.untouched(
            new_body, start, run, old, every_fn_free)} if start else {}
        return Replay(kept, before, last.outs[first_old].start if first_old < len(last.outs) else None)

    def keep_instead(self, text: str, module: ast.Module, key: tuple, bound: dict, replay: Replay | None,
                     start: int) -> Replay | None:
        """After keep() planned from a state restored before statement ``start``: the plan without
        it (the statements above the edit keep their results; ``bound``: a fresh evaluator's
        names), when it runs under half as many statements; else None, and the session is as the
        first plan left it. The state restored holds copies of the objects the statements above
        the edit made: a statement below it that may change one (a call that may run any function
        of the file) runs, and so does what reads it -- sometimes most of the file."""
        planned = (self.stats.get("kept", 0), self._moved, self.deferred)
        self._moved = self._memo
        instead = self.keep(text, module, key, 0, bound)
        self._memo = {}  # (the results moved before: not kept alive longer)
        n = len(module.body)
        if instead is not None and 2 * runs(instead, n, 0) < runs(replay, n, start):
            self.stats["kept"] -= len(replay.kept) if replay is not None else 0
            self.stats["not_restored_runs"] = self.stats.get("not_restored_runs", 0) + 1
            self.restored_from = None
            # the next edits here plan without it at once, and no state is made here again
            self._no_restore = (self.snapshot, self.want)
            self.deferred = None
            return instead
        self.stats["kept"], self._moved, self.deferred = planned
        return None

    def _shift(self, at: int, delta: int) -> Any:
        """``shift(out, after=False)``: a statement's last results with the lines from ``at`` on
        moved by ``delta`` (line_shift.Shift), or None when no line moved. The results moved by the
        last analysis that moved any are at hand for the next: a line added and then taken away
        (or the undo of an Enter) gives back the results from before, and the same line added
        again the same copies, instead of copying every kept statement's rows each time."""
        memo, self._moved = self._moved, {}
        if not delta:
            return None
        shift = Shift(at, delta)

        def moved(out: Any, after: bool = False) -> Any:
            hit = memo.get(id(out))
            if hit is not None and hit[0] is out and hit[1] == (at, delta):
                new, both = hit[2], hit[3]
            else:
                # lines added: taking them away again gives the results before, exactly (lines taken
                # away: what named them would not come back)
                new, both = shift.kept(out, after), delta > 0
            if new is not out:
                self._moved[id(out)] = (out, (at, delta), new, both)
                if both:
                    self._moved[id(new)] = (new, (at + delta, -delta), out, both)
            return new

        return moved

    def _save_is_big(self, start: int) -> bool:
        """Whether the state before ``want`` is likely big to copy: the restored one was, or the
        statements between made many layers last time (then it is saved between analyses). Once
        per place: when the next edit comes before it is saved, that analysis saves it (typing
        faster than it is made between analyses)."""
        want, last = self.want, self._last
        if want is None or want == self._postponed:
            return False
        size = len(self.snapshot.data) if start and self.snapshot is not None else 0
        if last is not None and last.outs is not None and want <= len(last.outs):
            size += _BYTES_PER_LAYER * sum(out.n_layers for out in last.outs[start:want] if out is not None)
        if size > SAVE_DURING_BYTES:
            self._postponed = want
            return True
        return False

    def remember(self, text: str, module: ast.Module, key: tuple, outs: list | None, clean: bool = True) -> None:
        """The results of this analysis per statement (None: not to be kept); ``clean``: the
        text parsed as it is (its statements are then those of the text, for parse_suffix)."""
        self._last = _Last(text, key, [_stmt_pos(st) for st in module.body], outs) if outs is not None else None
        self._to_read = (text, module.body) if outs is not None else None
        self._tree = (text, key, module.body) if clean else None

    def statements(self) -> tuple[str, list[ast.stmt]] | None:
        """(text, its top-level statements) of the last analysis, when its text parsed as it is
        (moved stand-ins among them: core/lookup.py moves their children's lines)."""
        tree = self._tree
        return (tree[0], tree[2]) if tree is not None else None

    def _known_deps(self, text: str, body: list[ast.stmt], stop: Any = None) -> bool:
        """What core/depends.py found in statements of the same text before (parsed anew, they are
        new nodes): looked up by their text, so a statement is read once. Returns False when
        ``stop()`` cut it short (what was found is kept)."""
        cache = self._deps_by_text
        lines = None
        for k, st in enumerate(body):
            if k % 64 == 63 and stop is not None and stop():
                return False
            if "_sl_deps" in st.__dict__:
                continue
            if lines is None:
                lines = text.split("\n")
            src = (st.col_offset, st.end_col_offset, "\n".join(lines[st.lineno - 1:st.end_lineno]))
            found = cache.get(src)
            if found is None:
                found = cache[src] = depends.deps(st)
            else:
                st._sl_deps = found  # type: ignore[attr-defined]
        if len(cache) > MAX_DEPS_BY_TEXT:
            cache.clear()
        return True

    def read_ahead(self, stop: Any = None) -> None:
        """Between two analyses: read the last analysis's statements (core/depends.py) so that
        the next one finds them by their text (``stop()``: the rest another time)."""
        pending, self._to_read = self._to_read, None
        if pending is not None and not self._known_deps(*pending, stop=stop):
            self._to_read = pending

    def _reuse_tail(self, rest: str, lines_before: int) -> list[ast.stmt] | None:
        """The statements of ``rest`` (starting on line ``lines_before``) taken from a recent
        parse where the text from some top-level statement to the end is the same and that
        statement is on the same line: only the text before it is parsed. Typing in one cell of
        a notebook (or in the middle of a file) parses the edited part, not everything below."""
        found = None
        for tail in self._tails:
            common = _common_prefix(tail.text[::-1], rest[::-1])  # the common end
            first = len(tail.text) - common
            i = next((k for k, start in enumerate(tail.starts) if start >= first), None)
            if i is None:
                continue
            keep = len(tail.text) - tail.starts[i]
            head = rest[:len(rest) - keep]
            if head and head[-1] not in "\r\n":
                continue
            delta = lines_before + len(line_starts(head)) - 1 - (tail.body[i].lineno - 1)
            if delta and _NOT_AT_LINE_START in tail.starts[i:]:
                continue  # the same statements, on other lines, not all cut at line starts
            if any(isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__" for stmt in tail.body[i:]):
                continue  # legal only at the top of a module: whether it is depends on the head
            if found is None or (not delta and found[3]):  # (one on the same lines first)
                found = (tail, i, head, delta)
            if not delta:
                break
        if found is None:
            return None
        tail, i, head, delta = found
        head_body = _parse_at(head, lines_before)
        if head_body is None:
            return None
        self.stats["tails"] += 1
        if not delta:
            return head_body + tail.body[i:]
        # on other lines (a line added or taken away above them): stand-ins, parsed when needed
        ends = tail.starts[i + 1:] + [len(tail.text)]
        self.stats["moved"] = self.stats.get("moved", 0) + 1
        return head_body + [moved(st, delta, tail.text[a:b])
                            for st, a, b in zip(tail.body[i:], tail.starts[i:], ends)]

    # -- during it --------------------------------------------------------------------
    def save(self, ev: Any, index: int, text: str, module: ast.Module, key: tuple,
             problem_lines: list[int] = ()) -> None:
        """Called by the evaluator before top-level statement ``index`` (== self.want);
        ``problem_lines`` are the (0-based) lines of this text's syntax problems."""
        if index <= 0:
            return
        body = module.body
        last = body[index - 1]
        cut = _char_offset(text, _line_offsets(text), last.end_lineno, last.end_col_offset)
        prefix = text[:cut]
        self._refused = (index, prefix)  # (until saved below)
        if not _clean(ev):
            return
        keep: dict[int, Any] = {}
        buf = io.BytesIO()
        saved = (ev.cancelled, ev.data_state.module)
        try:
            ev.cancelled = None
            ev.data_state.module = None
            _Pickler(buf, keep).dump(ev)
        except Exception:  # noqa: BLE001 -- a state that cannot be copied is simply not kept
            return
        finally:
            ev.cancelled, ev.data_state.module = saved
        data = buf.getvalue()
        if len(data) > MAX_SNAPSHOT_BYTES:
            return
        # the prefix's statements stay alive: the state keys some caches by their ids
        keep[-1] = body[:index]
        # parse_suffix may take the prefix's statements when the prefix alone parses: no syntax
        # problem in it, nor on the next statement's first line (a problem there may be the
        # prefix's: `try:` with no body is read as `pass` and the error is on the line below)
        upto = body[index].lineno if index < len(body) else None
        clean = not any(upto is None or line < upto for line in problem_lines)
        self.snapshot = Snapshot(index, prefix, [_stmt_pos(s) for s in body[:index]], key, data, keep,
                                 ev._clock() - ev._started, clean=clean, problems=tuple(problem_lines))
        self.stats["saved"] += 1
        self._postponed = self._refused = None

    def place_for(self, line: int) -> tuple[str, tuple, list, int] | None:
        """Where the cursor rests (1-based ``line``) while idle: ``(text, key, statements, index)``
        of the last analysis and of the top-level statement on that line, when the state before
        it is worth making now (analyze.ready_at) -- the last text parsed as it is and was cut
        per statement, the statement is not the first, and no state before it is saved for this
        text already (nor was refused). None otherwise."""
        tree, last, snap = self._tree, self._last, self.snapshot
        if tree is None or last is None or last.text is not tree[0] or last.key != tree[1]:
            return None
        text, key, body = tree
        at = bisect.bisect_left(body, line, key=lambda st: st.end_lineno)
        if at <= 0 or at >= len(body) or body[at].lineno > line:
            return None
        usable = snap is not None and snap.key == key and snap.index <= at and text.startswith(snap.prefix)
        if usable and snap.index == at:
            return None
        refused = self._refused
        if refused is not None and refused[0] == at and text.startswith(refused[1]):
            return None
        # only when what lies between the saved state and the statement took long to evaluate:
        # an edit there would run it again (a model built between); else that edit is quick anyway
        begin = snap.index if usable else 0
        if last.outs is None or len(last.outs) != len(body) or \
                sum(out.n_steps for out in last.outs[begin:at] if out is not None) < READY_MIN_STEPS:
            return None
        return text, key, body, at

    def copy_ahead(self) -> None:
        """Copy the snapshot's state for the next analysis that restores it (as prepare does)."""
        snap = self.snapshot
        if snap is None or len(snap.data) > MAX_PREPARED_BYTES:
            self._ready = None
        elif self._ready is None or self._ready[0] is not snap:
            self._ready = (snap, _Unpickler(snap.data, snap.keep).load())

    def defer(self, teardown: Any, ev: Any) -> None:
        """Break the last evaluator's reference cycles later (prepare, or the next analysis): the
        result is published first."""
        self._garbage.append((teardown, ev))

    def collect(self) -> None:
        garbage, self._garbage = self._garbage, []
        for teardown, ev in garbage:
            teardown(ev)

    def prepare(self, stop: Any = None, between: Any = None) -> None:
        """Between analyses, while the user types: read the last analysis's statements and results
        for the next edit, make the state the analysis left to be made (``later``), and copy the
        snapshot's state, so that the next analysis that restores it starts at once (the copy is
        used once). ``stop()``: an analysis is waiting, the rest is left to it (each step is also
        done when needed). ``between()``: run first, once the last analysis's objects are
        collected (the language server builds the hover index there)."""
        self._memo = {}  # (what the last keep() found: needed only during its analysis)
        if stop is not None and stop():
            return  # (the next analysis collects the last one's objects itself)
        self.collect()
        if stop is not None and stop():
            return
        if between is not None:
            # before reading the statements for the next edit: after an open, that reads every
            # statement (33 ms on the 5,000-line file), and a hover sent meanwhile waited for it
            between()
            if stop is not None and stop():
                return
        self.read_ahead(stop)
        if stop is not None and stop():
            return
        if self._last is not None:  # what the next edit's line shift must look at (line_shift.Shift.kept)
            for k, out in enumerate(self._last.outs):
                last_line(out)
                if k % 64 == 63 and stop is not None and stop():
                    return
        later, self.later = self.later, None
        if later is not None:
            later(stop)  # stopped when an analysis waits: the state is then not saved
            if stop is not None and stop():
                return
        self.copy_ahead()

    def restore(self, source: Any, cancelled: Any, module: ast.Module, snap: Snapshot | None = None) -> Any:
        """The state of ``snap`` (default: the snapshot), restored for an analysis of ``module``."""
        snap = snap or self.snapshot
        assert snap is not None
        ready, self._ready = self._ready, None
        ev = ready[1] if ready is not None and ready[0] is snap else _Unpickler(snap.data, snap.keep).load()
        ev.source = source
        ev.cancelled = cancelled
        ev.data_state.module = None if has_moved(module.body) else module
        ev.data_state.calls_by_span = None  # (an index of the module the state was saved with)
        ev._started = ev._clock() - snap.elapsed
        self.stats["restored"] += 1
        return ev

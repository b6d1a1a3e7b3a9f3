"""Incremental analysis = fresh analysis: a differential check over real code.

    python bench/check_incremental.py PATH... [--numbers] [--no-layout]

For every ``.py`` / ``.ipynb`` file, simulates a user typing at a few places (in the middle
and near the end): per place, one edit (where the next snapshot is saved) then four more at the same place
(which restore it): two in the line, one adding a line above the statement, one taking it
away (edits of layout only, which keep every result without running anything unless
``--no-layout``). Each must equal, field for field, a fresh analysis of the same text. Reports mismatches, how often the snapshot was used and
the time of the incremental analysis against the fresh one. Never runs the scanned code.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "server") not in sys.path:
    sys.path.insert(0, str(ROOT / "server"))

from shapelens.core.analyze import analyze  # noqa: E402
from shapelens.core.incremental import Session  # noqa: E402
from shapelens.core.notebook import NotebookError, join, read_ipynb  # noqa: E402
from shapelens.core.source import Source  # noqa: E402


def fingerprint(result) -> str:
    return repr(dataclasses.asdict(result))


def edit_points(text: str) -> list[int]:
    """Top-level statements to type in: the middle one and the last one."""
    module, _ = Source(text).parse()
    body = module.body
    if len(body) < 2:
        return []
    return sorted({len(body) // 2, len(body) - 1})


def type_in(text: str, stmt_index: int, what: str) -> str:
    """``what`` (spaces) typed inside top-level statement ``stmt_index``: after the first ``(``
    of its first line, else as a trailing comment."""
    module, _ = Source(text).parse()
    line = module.body[stmt_index].lineno - 1
    lines = text.split("\n")
    at = lines[line].find("(")
    if at >= 0:
        lines[line] = lines[line][:at + 1] + what + lines[line][at + 1:]
    else:
        lines[line] = lines[line] + "  #" + what
    return "\n".join(lines)


TAILS = [0]  # analyses that parsed only the edited part (the statements below it reused)
KEPT = [0, 0]  # statements that kept their last results after an edit, statements of the edited texts
NUMBER = re.compile(r"(?<![\w.])[1-9][0-9]*(?![\w.])")


def numbers_retyped(text: str, stmt_index: int) -> list[str]:
    """The first number of a top-level statement retyped: a digit more, another value, back; then
    a line making a layer added above the statement, and taken away."""
    module, _ = Source(text).parse()
    stmt = module.body[stmt_index]
    lines = text.split("\n")
    for line in range(stmt.lineno - 1, stmt.end_lineno):
        m = NUMBER.search(lines[line])
        if m is None or '"' * 3 in lines[line] or "'" * 3 in lines[line]:
            continue
        out = []
        for new in (m.group() + "1", str(int(m.group()) + 1), m.group()):
            edited = list(lines)
            edited[line] = lines[line][:m.start()] + new + lines[line][m.end():]
            out.append("\n".join(edited))
        # then a statement making a layer typed above it and taken away (what follows is renumbered)
        layer = "\n".join(lines[:stmt.lineno - 1] + ["import keras as _k; _y = _k.layers.Dense(2)(_k.Input((3,)))"]
                          + lines[stmt.lineno - 1:])
        return out + [layer, text]
    return []


def same_as_fresh(text: str, path: str, session: Session, inc_times: list[float], fresh_times: list[float],
                  prepare: bool = False) -> bool:
    """Analyses ``text`` through the session and afresh (both timed): are the results equal?
    ``prepare``: then do what the language server does between two edits (Session.prepare)."""
    t = time.perf_counter()
    inc = analyze(text, path, session=session)
    inc_times.append(time.perf_counter() - t)
    if prepare:
        session.prepare()
    t = time.perf_counter()
    fresh = analyze(text, path)
    fresh_times.append(time.perf_counter() - t)
    return fingerprint(inc) == fingerprint(fresh)


def check_numbers(text: str, path: str) -> tuple[list[float], list[float], list[str]]:
    """Retypes a number in each of up to 8 statements spread over the file: after each edit the
    statements after it may keep their last results; the result must equal a fresh one."""
    inc_times: list[float] = []
    fresh_times: list[float] = []
    problems: list[str] = []
    body = Source(text).parse()[0].body
    step = max(1, len(body) // 8)
    for k in range(0, len(body), step):
        edits = numbers_retyped(text, k)
        if not edits:
            continue
        session = Session()
        analyze(text, path, session=session)
        for j, edited in enumerate(edits):
            if not same_as_fresh(edited, path, session, inc_times, fresh_times, prepare=j % 2 == 0):
                problems.append(f"{path}: statement {k} (line {body[k].lineno}), number edit {j}: "
                                "incremental result differs from a fresh one")
        KEPT[0] += session.stats.get("kept", 0)
        KEPT[1] += len(edits) * len(body)  # (until this release: 4 edits, the statements after the edit only)
    return inc_times, fresh_times, problems


def check(text: str, path: str) -> tuple[int, int, list[float], list[float], list[str]]:
    used = total = 0
    inc_times: list[float] = []
    fresh_times: list[float] = []
    problems: list[str] = []
    for k in edit_points(text):
        session = Session()
        analyze(text, path, session=session)
        first = type_in(text, k, " ")
        analyze(first, path, session=session)
        session.prepare()  # the state before the statement: saved by the analysis or between two
        # in-line edits (the lines below stay where they are), then a line added above the
        # statement and taken away again (the lines below move, then move back)
        lines = text.split("\n")
        at = Source(text).parse()[0].body[k].lineno - 1
        added = "\n".join(lines[:at] + ["# a new line"] + lines[at:])
        for j, second in enumerate((type_in(text, k, "  "), type_in(text, k, "   "), added, first)):
            same = same_as_fresh(second, path, session, inc_times, fresh_times, prepare=j % 2 == 1)
            total += 1
            used += bool(session.restored_from)
            if not same:
                problems.append(f"{path}: statement {k}, edit {j}: incremental result differs from a fresh one")
        TAILS[0] += session.stats.get("tails", 0)
    return used, total, inc_times, fresh_times, problems


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--numbers", action="store_true",
                    help="also retype a number in statements spread over each file (the statements after it "
                         "may keep their last results)")
    ap.add_argument("--no-layout", action="store_true",
                    help="take edits of layout only (the spaces typed, the lines added) for edits like any "
                         "other (incremental.LAYOUT_EDITS off): the states restored are what is checked")
    args = ap.parse_args()
    if args.no_layout:
        from shapelens.core import incremental

        incremental.LAYOUT_EDITS = False
    files: list[Path] = []
    for p in map(Path, args.paths):
        files += sorted(x for x in p.rglob("*") if x.suffix in (".py", ".ipynb") and x.is_file()
                        and ".ipynb_checkpoints" not in x.parts) if p.is_dir() else [p]
    used = total = 0
    inc: list[float] = []
    fresh: list[float] = []
    problems: list[str] = []
    num_inc: list[float] = []
    num_fresh: list[float] = []
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        if f.suffix == ".ipynb":  # the notebook as the server analyses it: its code cells joined
            try:
                cells, language = read_ipynb(text)
            except NotebookError:
                continue
            text = join(cells, language).text
        u, t, i, fr, pr = check(text, str(f))
        used, total = used + u, total + t
        inc += i
        fresh += fr
        problems += pr
        if args.numbers:
            i, fr, pr = check_numbers(text, str(f))
            num_inc += i
            num_fresh += fr
            problems += pr
    for p in problems:
        print(p)
    print(f"files: {len(files)}, second edits: {total}, snapshot used: {used}, "
          f"only the edited part parsed: {TAILS[0]}, mismatches: {len(problems)}")
    if inc:
        print(f"analysis after an edit: incremental median {statistics.median(inc) * 1000:.1f} ms "
              f"(max {max(inc) * 1000:.0f}), fresh median {statistics.median(fresh) * 1000:.1f} ms "
              f"(max {max(fresh) * 1000:.0f})")
    if num_inc:
        print(f"numbers retyped: {len(num_inc)} edits; statements that kept their results: "
              f"{KEPT[0]:,} of {KEPT[1]:,} (the statements of the edited texts); analysis incremental median {statistics.median(num_inc) * 1000:.1f} ms "
              f"(p95 {sorted(num_inc)[int(len(num_inc) * 0.95)] * 1000:.0f}, max {max(num_inc) * 1000:.0f}), "
              f"fresh median {statistics.median(num_fresh) * 1000:.1f} ms (max {max(num_fresh) * 1000:.0f})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

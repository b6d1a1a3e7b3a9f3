"""Edit -> analysis time on every file of a directory, as the language server's core sees it.

    python bench/bench_edits.py DIR [--json out.json]

For every ``.py`` / ``.ipynb`` file (a notebook as the server analyses it: its code cells
joined): opens it in a Session, then types at four places (a quarter, half, three quarters
down, the last statement), each edit made on the text the one before left, as an editor sends
them: a space in the line, another, both taken away, a comment line added above the statement,
the line taken away (edits of layout: since 298f0ae they run nothing); then edits
of code at the same places: the statement's first number retyped (a digit more, another
value, back), a line making a layer added above it and taken away -- with
``Session.prepare()`` between edits, as the server runs it while idle; and the edits of code
again in a new session with the cursor resting on each place first (``analyze.ready_at``, what
a code action asked at the cursor has the server do while idle). Reports, per file and
for each kind, the slowest and the median incremental analysis and the fresh ``analyze()``
time, and over the directory how many files have an edit slower than 50 ms.
This is the core's part of change -> diagnostics; ``bench_lsp.py`` measures the server's part
(a few ms on files of this size). Never runs the scanned code.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "bench"))

from check_incremental import numbers_retyped, type_in  # noqa: E402
from shapelens.core.analyze import analyze, ready_at  # noqa: E402
from shapelens.core.incremental import Session  # noqa: E402
from shapelens.core.notebook import NotebookError, join, read_ipynb  # noqa: E402
from shapelens.core.source import Source  # noqa: E402

LIMIT_S = 0.050


def file_text(path: Path) -> str | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            return join(*read_ipynb(text)).text
        except NotebookError:
            return None
    return text


def measure(text: str, path: str) -> dict | None:
    body = Source(text).parse()[0].body
    if len(body) < 2:
        return None
    session = Session()
    t = time.perf_counter()
    analyze(text, path, session=session)
    fresh = time.perf_counter() - t
    session.prepare()
    times = []
    places = sorted({len(body) // 4, len(body) // 2, 3 * len(body) // 4, len(body) - 1})
    for k in places:
        lines = text.split("\n")
        at = body[k].lineno - 1
        added = "\n".join(lines[:at] + ["# a new line"] + lines[at:])
        # (until this release the comment line was added to the text with the two spaces still typed:
        # an edit of two places at once, which no typing makes)
        for edited in (type_in(text, k, " "), type_in(text, k, "  "), text, added, text):
            t = time.perf_counter()
            analyze(edited, path, session=session)
            times.append(time.perf_counter() - t)
            session.prepare()
    # edits of code: the first number of a statement at each place retyped (a digit more, another
    # value, back), a line making a layer added above it and taken away
    code = []
    for k in places:
        for edited in numbers_retyped(text, k):
            t = time.perf_counter()
            analyze(edited, path, session=session)
            code.append(time.perf_counter() - t)
            session.prepare()
    # the same edits of code, the cursor resting on the statement first: an editor that asks for
    # code actions at the cursor (VS Code, at every move) has the server make the state before it
    # while idle (analyze.ready_at; its time is not the edit's)
    session = Session()
    analyze(text, path, session=session)
    session.prepare()
    cursor = []
    for k in places:
        edits = numbers_retyped(text, k)
        if edits:
            ready_at(session, body[k].lineno)
        for edited in edits:
            t = time.perf_counter()
            analyze(edited, path, session=session)
            cursor.append(time.perf_counter() - t)
            session.prepare()
    return {"max_ms": 1000 * max(times), "median_ms": 1000 * statistics.median(times), "fresh_ms": 1000 * fresh,
            "code_max_ms": 1000 * max(code) if code else None,
            "code_median_ms": 1000 * statistics.median(code) if code else None,
            "cursor_max_ms": 1000 * max(cursor) if cursor else None,
            "cursor_median_ms": 1000 * statistics.median(cursor) if cursor else None,
            "lines": text.count("\n") + 1}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--json", help="write the per-file figures here")
    args = ap.parse_args()
    files: list[Path] = []
    for p in map(Path, args.paths):
        files += sorted(x for x in p.rglob("*") if x.suffix in (".py", ".ipynb") and x.is_file()
                        and ".ipynb_checkpoints" not in x.parts) if p.is_dir() else [p]
    gc.disable()  # as the server runs analyses (it collects when idle)
    rows: dict[str, dict] = {}
    for f in files:
        text = file_text(f)
        if text is None:
            continue
        row = measure(text, str(f))
        gc.collect()
        if row is not None:
            rows[str(f)] = row
    for label, field, median in (("edits of layout and lines (spaces typed, a line added and taken away)",
                                  "max_ms", "median_ms"),
                                 ("edits of code (a number retyped, a line making a layer added and taken away)",
                                  "code_max_ms", "code_median_ms"),
                                 ("the same edits of code, the cursor resting on the statement before the first "
                                  "(a code action asked there)", "cursor_max_ms", "cursor_median_ms")):
        measured = {name: r for name, r in rows.items() if r[field] is not None}
        if not measured:
            continue
        slow = sorted(measured.items(), key=lambda kv: -kv[1][field])
        worst = [r[field] for r in measured.values()]
        print(f"{label}\n  files: {len(measured)}; slowest edit per file: median {statistics.median(worst):.1f} ms, "
              f"p95 {sorted(worst)[int(0.95 * (len(worst) - 1))]:.1f} ms; files with an edit over "
              f"{1000 * LIMIT_S:.0f} ms: {sum(w > 1000 * LIMIT_S for w in worst)}")
        for name, r in slow[:10]:
            print(f"  {r[field]:7.1f} ms slowest, {r[median]:6.1f} median, fresh {r['fresh_ms']:6.1f}  "
                  f"({r['lines']} lines) {name}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

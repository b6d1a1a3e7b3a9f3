"""Real-world scan: how much of real Keras code shapelens gives a shape for, and how exactly.

usage: python bench/scan_realworld.py DIR [--json OUT.json] [--timeout S] [--errors]
       [--keras-version auto|3|2] [--exclude DIRNAME]

Runs the analysis (the same ``analyze()`` that ``shapelens check --format json`` runs) over
every ``.py`` and ``.ipynb`` under DIR, one file at a time in a worker process with a
per-file timeout, and reports:

- layer call sites with a concrete output shape (%); a call site is a distinct
  (file, line, column) of a layer record, and it counts as known when every record there
  has an output shape (Keras's own ``None`` axes allowed). A layer that is only given to a
  wrapper (``Bidirectional(LSTM(...))``, ``TimeDistributed(Dense(...))``) and never called
  itself is not a call site: Keras runs it (or a copy) inside the wrapper, whose call is;
- records per call site (max, files over 5 records per site);
- SL003 budget hits (the analysis stopped at a limit) and files that timed out;
- every error (file:line:code:message);
- time per file (median / p95 / max);
- where the directory has keras.io's rendered pages (``<category>/md/<name>.md`` next to
  ``<category>/<name>.py``), and for every notebook (the ``model.summary()`` tables in its
  cell outputs: stream, text/plain or text/html; Keras 2 and Keras 3 formats): the printed
  tables matched against shapelens' models by layer type and order, with the % of rows
  whose output shape and parameter count equal the printed ones, the % partly known, the %
  unknown, and every different row.

Notebooks are joined as ``shapelens check`` joins them (``core/notebook.py``); their lines
are given as ``cell N:line`` (cells counted as the notebook UI counts them).

Never imports TensorFlow; never runs the scanned code.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "server") not in sys.path:
    sys.path.insert(0, str(ROOT / "server"))

MAX_RECORDS_PER_SITE = 5


# --------------------------------------------------------------------------- input files

def read_program(path: Path) -> str:
    if path.suffix == ".ipynb":
        joined = load_notebook(path)
        return joined.text if joined is not None else ""
    return path.read_text(encoding="utf-8", errors="replace")


def load_notebook(path: Path):
    """The notebook's code cells joined as ``shapelens check`` joins them (None: unreadable)."""
    from shapelens.core import notebook

    try:
        joined, _ = notebook.load(str(path))
    except (OSError, notebook.NotebookError):
        return None
    return joined


def _output_text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def notebook_outputs(path: Path) -> str:
    """What the notebook printed, cell after cell: stream output, and text/plain (else
    text/html, tags removed and entities decoded) of display data and execute results. A
    ``model.summary()`` table is in there: Keras 2 prints it on stdout, Keras 3 in Jupyter
    as rich display data (the ``Model: "..."`` title in an output of its own)."""
    import html

    try:
        nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError:
        return ""
    out: list[str] = []
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        for o in cell.get("outputs") or []:
            if not isinstance(o, dict):
                continue
            if o.get("output_type") == "stream":
                out.append(_output_text(o.get("text")))
                continue
            data = o.get("data") or {}
            if "text/plain" in data and ("Layer (type)" in _output_text(data["text/plain"])
                                         or "text/html" not in data):
                out.append(_output_text(data["text/plain"]))
            elif "text/html" in data:
                out.append(html.unescape(_TAG.sub("", _output_text(data["text/html"]))))
        out.append("")
    return "\n".join(out)


def find_files(root: Path, exclude: tuple[str, ...] = ()) -> list[Path]:
    files = [p for p in root.rglob("*") if p.suffix in (".py", ".ipynb") and p.is_file()
             and ".ipynb_checkpoints" not in p.parts
             and not any(part in exclude for part in p.relative_to(root).parts)]
    # keras.io keeps an .ipynb copy of every .py example under <category>/ipynb/: scan one
    stems = {(p.parent, p.stem) for p in files if p.suffix == ".py"}
    files = [p for p in files if not (p.suffix == ".ipynb" and p.parent.name == "ipynb"
                                      and (p.parent.parent, p.stem) in stems)]
    return sorted(files)


# --------------------------------------------------------------------------- worker side

def _jsonable(shape):
    if shape is None:
        return None
    if isinstance(shape, list):
        return [_jsonable(s) for s in shape]
    if isinstance(shape, tuple):
        return [d if isinstance(d, int) or d is None else str(d) for d in shape]
    return str(shape)


def analyse_one(path: str) -> dict:
    from shapelens.core.analyze import analyze

    from shapelens.core import notebook

    keras = os.environ.get("SHAPELENS_SCAN_KERAS") or None
    joined = load_notebook(Path(path)) if path.endswith(".ipynb") else None
    t0 = time.perf_counter()
    if path.endswith(".ipynb"):
        if joined is None:
            return {"path": path, "crash": "not a readable notebook"}
        a = notebook.analyze_joined(joined, path, keras=keras)
    else:
        a = analyze(read_program(Path(path)), path, keras=keras)
    elapsed = time.perf_counter() - t0

    def where(line: int) -> str:
        """A line of the joined notebook program as the notebook UI shows it (cell N, line L)."""
        located = joined.to_cell(line, 0) if joined is not None else None
        return f"cell {located[0].number}:{located[1] + 1}" if located else str(line + 1)

    def row(info):
        span = info.call_span or info.span
        return {"line": span.line + 1, "col": span.col, "kind": info.kind, "layer": info.layer_id,
                "output_shape": _jsonable(info.output_shape), "params": info.params,
                "note": info.note, "implicit": info.implicit, "wrapped": info.wrapped, "where": where(span.line)}

    return {
        "path": path, "time": elapsed, "complete": a.complete,
        "layers": [row(i) for i in a.layers],
        "models": [{"kind": m.kind, "name": m.name, "line": m.span.line + 1,
                    "layers": [row(i) for i in m.layers]} for m in a.models],
        "diagnostics": [{"line": d.span.line + 1, "code": d.code, "severity": d.severity,
                         "message": d.message, "where": where(d.span.line)} for d in a.diagnostics],
    }


def worker_loop() -> None:
    for line in sys.stdin:
        path = line.rstrip("\n")
        try:
            out = analyse_one(path)
        except Exception as exc:  # noqa: BLE001 -- a scan reports, it does not stop
            out = {"path": path, "crash": type(exc).__name__}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


class Worker:
    """One analysis process, restarted after a timeout."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT / "server") + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def run(self, path: Path, timeout: float) -> dict:
        import selectors

        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc and self.proc.stdin and self.proc.stdout
        t0 = time.perf_counter()
        self.proc.stdin.write(str(path) + "\n")
        self.proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        if not ready:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            return {"path": str(path), "timeout": True, "time": time.perf_counter() - t0}
        line = self.proc.stdout.readline()
        if not line:
            self.proc = None
            return {"path": str(path), "crash": "worker exited", "time": time.perf_counter() - t0}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=10)


# --------------------------------------------------------------------------- printed summaries

_TAG = re.compile(r"<[^>]+>")


def _parse_shape(text: str):
    text = text.strip()
    if not text or text in ("?", "multiple"):
        return "?"
    if re.match(r"^\((None|\d+)\)$", text):
        text = text[:-1] + ",)"  # Keras 3 prints a 1-D shape (None,) as "(None)"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return "?"

    def norm(v):
        if isinstance(v, tuple):
            return [norm(x) for x in v]
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    return norm(value)


def _parse_params(text: str):
    text = text.strip().replace(",", "")
    m = re.match(r"^(\d+)", text)
    if not m or "unbuilt" in text or "…" in text:  # rich truncates wide cells
        return None
    return int(m.group(1))


def parse_summaries(md: str) -> list[dict]:
    """Every ``model.summary()`` table in a keras.io page: rows of (name, type, shape, params)."""
    lines = [_TAG.sub("", ln) for ln in md.splitlines()]
    tables: list[dict] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if "Layer (type)" in ln and "Output Shape" in ln:
            rich = "┃" in ln
            title = ""
            for back in range(i - 1, max(i - 10, -1), -1):
                m = re.search(r'Model: "([^"]+)"', lines[back])
                if m:
                    title = m.group(1)
                    break
            rows, i = (_rich_rows if rich else _plain_rows)(lines, i + 1)
            tables.append({"title": title, "rows": rows})
            continue
        i += 1
    return tables


def _rich_rows(lines: list[str], i: int):
    rows: list[dict] = []
    cur = None
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("└"):
            i += 1
            break
        if ln.startswith("│"):
            cells = [c.strip() for c in ln.strip().strip("│").split("│")]
            if cells and cells[0] and not cells[0].startswith("(") or cur is None:
                cur = {"name": cells[0], "shape": cells[1] if len(cells) > 1 else "",
                       "params": cells[2] if len(cells) > 2 else ""}
                rows.append(cur)
            else:
                cur["name"] += " " + cells[0]
                if len(cells) > 1 and cells[1]:
                    cur["shape"] += " " + cells[1]
                if len(cells) > 2 and cells[2]:  # "0" then "(unbuilt)": a model printed before it is built
                    cur["params"] += " " + cells[2]
        i += 1
    return [_finish(r) for r in rows], i


_ROW_START = re.compile(r"^[\w./-]+ \(")


def _table_goes_on(lines: list[str], i: int) -> bool:
    """After a blank line inside a plain table: Keras 2 (TF 2.x) prints a blank line between
    rows, so the table goes on when the next non-blank line is a row or a rule."""
    for ln in lines[i + 1:]:
        s = ln.strip()
        if s:
            return bool(_ROW_START.match(s)) or set(s) <= set("=_")
    return False


def _plain_rows(lines: list[str], i: int):
    rows: list[dict] = []
    cur = None
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("Total params") or ln.startswith("```") or (
                ln.strip() == "" and rows and not _table_goes_on(lines, i)):
            break
        if not ln.strip() or set(ln.strip()) <= set("=_"):
            i += 1
            continue
        cells = [c for c in re.split(r"\s{2,}", ln.strip()) if c]
        glued = re.match(r"^([\w./-]+ \(\w+) ([(\[].*)$", cells[0]) if cells else None
        if glued:  # a cut type column runs into the shape: "conv (WeightNor (None, 8)"
            cells[0:1] = [glued.group(1), glued.group(2)]
        if not cells:
            i += 1
            continue
        glued = re.match(r"^([\w./-]+ \(\w*\)?) (\[?\(.*)$", cells[0])
        if glued:  # Keras 2.0 cuts "name (Type)" at the column width: one space before the shape
            cells[0:1] = [glued.group(1), glued.group(2)]
        if _ROW_START.match(cells[0]) or cur is None:
            cur = {"name": cells[0], "shape": cells[1] if len(cells) > 1 else "",
                   "params": cells[2] if len(cells) > 2 else ""}
            rows.append(cur)
        elif cur is not None and cells[0].startswith("(") and not cur["name"].endswith(")"):
            cur["name"] += " " + cells[0]
        elif cur is not None and len(cells) == 1 and "(" in cur["name"] and not cur["name"].endswith(")") \
                and re.match(r"^\w*\)$", cells[0]):
            cur["name"] += cells[0]  # TF 2.x wraps a long "name (Type)" inside the type: "(Batc" "hNormalization)"
        i += 1
    return [_finish(r) for r in rows], i


def _finish(row: dict) -> dict:
    m = re.match(r"^(.*?)\s*\((\w+)\)\s*$", row["name"])
    name, kind = (m.group(1), m.group(2)) if m else (row["name"], "")
    cut = None
    if not m and (t := re.match(r"^(\S+)\s+\((\w+)$", row["name"].strip())):
        name, cut = t.group(1), t.group(2)  # Keras 2 cuts the type column: "(WeightNor"
    return {"name": name, "kind": kind, "shape": _parse_shape(row["shape"]),
            "params": _parse_params(row["params"]), "cut": cut, "kind_prefix": cut or ""}


def _resolve_cut(tables: list[dict], models: list[dict], layer_kinds: set[str]) -> None:
    """A type cut by the column width is the one layer type of the program (else of Keras) it
    begins with; left out when several begin with it."""
    from shapelens.core.rules import LAYERS

    program = {lr["kind"] for m in models for lr in m["layers"]} | layer_kinds
    for table in tables:
        for r in table["rows"]:
            if r.get("cut") and not r["kind"]:
                for known in (program, set(LAYERS)):
                    hits = {k for k in known if k.startswith(r["cut"])}
                    if hits:
                        if len(hits) == 1:
                            r["kind"] = hits.pop()
                        break


_ALIAS = {"Functional": "Model", "Sequential": "Sequential"}


def _norm_shape(s):
    if isinstance(s, list) and len(s) == 1 and isinstance(s[0], list):
        return s[0]
    return s


def _same(row: dict, lr: dict) -> bool:
    shape_ok = row["shape"] == "?" or _norm_shape(row["shape"]) == _norm_shape(lr["output_shape"])
    params_ok = row["params"] is None or lr["params"] is None or row["params"] == lr["params"]
    return shape_ok and params_ok


def _partial(row: dict, lr: dict) -> bool:
    """shapelens' shape agrees with the printed one on every axis it claims ('?' = unknown
    size) and its parameter count, when given, is the printed one."""
    a, b = _norm_shape(row["shape"]), _norm_shape(lr["output_shape"])

    def ok(p, q):
        if q == "?" or (q is None and isinstance(p, list)):  # a size, or one output's shape, not known
            return True
        if isinstance(p, list) and isinstance(q, list):
            return len(p) == len(q) and all(ok(x, y) for x, y in zip(p, q))
        return p == q

    params_ok = row["params"] is None or lr["params"] is None or row["params"] == lr["params"]
    return row["shape"] != "?" and ok(a, b) and params_ok


def compare_tables(tables: list[dict], models: list[dict], source: str = "",
                   layer_kinds: set[str] | frozenset = frozenset()) -> dict:
    """Match each printed table to the shapelens model whose layer types align best (the model
    of the table's name when shapelens has one; none when the program names the model itself,
    name="...", and shapelens has no model of that name)."""
    out = {"rows": 0, "matched": 0, "equal": 0, "unknown": 0, "partial": 0, "wrong": 0, "tables": 0,
           "tables_matched": 0, "wrong_rows": []}
    used: set[int] = set()
    printed_for: dict[tuple, list[str]] = {}  # model structure -> the printed types of its table
    _resolve_cut(tables, models, set(layer_kinds))
    for table in tables:
        rows = [r for r in table["rows"] if r["kind"]]
        if not rows:
            continue
        out["tables"] += 1
        out["rows"] += len(rows)
        printed = [r["kind"] for r in rows]
        best = None
        # a table titled with a model's name (Model: "encoder") belongs to a model of that name
        title = table.get("title") or ""
        named = [k for k, m in enumerate(models) if title and m.get("name") == title]
        if title and not named and re.search(r"""name\s*=\s*(["'])""" + re.escape(title) + r"\1", source):
            continue  # the program names this model and shapelens did not build it: unmatched
        # a table with an InputLayer row is a Functional/Sequential model's (Keras prints none for a
        # subclassed model, whose rows show the shapes of the data it was last called on)
        graph = any(r["kind"] == "InputLayer" for r in rows)
        for k in named or range(len(models)):
            model = models[k]
            if graph and not named and model.get("kind") == "Subclass":
                continue
            kinds = [_ALIAS.get(lr["kind"], lr["kind"]) for lr in model["layers"]]
            sig = tuple((lr["line"], lr["kind"]) for lr in model["layers"])
            if not named and sig in printed_for and printed_for[sig] != printed:
                continue  # this architecture (built again by the same lines) printed another table
            sm = difflib.SequenceMatcher(a=[_ALIAS.get(p, p) for p in printed], b=kinds, autojunk=False)
            blocks = sm.get_matching_blocks()
            score = sum(b.size for b in blocks)
            if best is None or score > best[0] or (score == best[0] and k not in used and best[1] in used):
                best = (score, k, blocks)
        if best is None or best[0] < max(1, len(rows) // 2):
            continue
        used.add(best[1])
        printed_for.setdefault(tuple((lr["line"], lr["kind"]) for lr in models[best[1]]["layers"]), printed)
        out["tables_matched"] += 1
        model = models[best[1]]
        # Keras lists a model's layers in its own order (shared layers, branches); compare
        # per layer type, order-insensitive: a printed row equals an unused shapelens row
        # of the same type with the same output shape and parameter count.
        pool: dict[str, list[dict]] = {}
        for lr in model["layers"]:
            pool.setdefault(_ALIAS.get(lr["kind"], lr["kind"]), []).append(lr)
        leftover: list[dict] = []
        for r in rows:
            cands = pool.get(_ALIAS.get(r["kind"], r["kind"]), [])
            hit = next((lr for lr in cands if lr["output_shape"] is not None and _same(r, lr)), None)
            if hit is not None:
                cands.remove(hit)
                out["matched"] += 1
                out["equal"] += 1
            else:
                leftover.append(r)
        # then rows shapelens knows in part (every known axis agrees), then the rest
        rest: list[dict] = []
        for r in leftover:
            cands = pool.get(_ALIAS.get(r["kind"], r["kind"]), [])
            hit = next((lr for lr in cands if lr["output_shape"] is not None and _partial(r, lr)), None)
            if hit is not None:
                cands.remove(hit)
                out["matched"] += 1
                out["partial"] += 1
            else:
                rest.append(r)
        for r in rest:
            cands = pool.get(_ALIAS.get(r["kind"], r["kind"]), [])
            if not cands:
                continue
            lr = next((c for c in cands if c["output_shape"] is None), cands[0])
            cands.remove(lr)
            out["matched"] += 1
            if lr["output_shape"] is None:
                out["unknown"] += 1
            elif _partial(r, lr):
                out["partial"] += 1
            else:
                out["wrong"] += 1
                out["wrong_rows"].append({"name": r["name"], "kind": r["kind"],
                                          "printed": [r["shape"], r["params"]],
                                          "shapelens": [lr["output_shape"], lr["params"]],
                                          "line": lr["line"], "where": lr.get("where", lr["line"])})
    return out


# --------------------------------------------------------------------------- report

def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "n/a"


def _known(shape) -> bool:
    if shape is None:
        return False
    if isinstance(shape, list) and any(isinstance(s, list) for s in shape):
        return all(s is not None for s in shape)  # several outputs
    return True


def _exact(shape) -> bool:
    """A shape with every axis known (Keras's None allowed, no '?')."""
    if not _known(shape):
        return False
    flat = [d for s in shape for d in s] if any(isinstance(s, list) for s in shape) else shape
    return "?" not in flat


def summarise(results: list[dict], root: Path) -> dict:
    sites: dict[tuple, list[dict]] = {}
    per_file_max: dict[str, int] = {}
    per_file_layer_max: dict[str, int] = {}
    errors: list[str] = []
    budget: list[str] = []
    failures: list[str] = []
    times = []
    cmp_total = {"rows": 0, "matched": 0, "equal": 0, "unknown": 0, "partial": 0, "wrong": 0, "tables": 0,
                 "tables_matched": 0, "wrong_rows": []}
    custom_sites = [0, 0]
    for res in results:
        rel = os.path.relpath(res["path"], root)
        if "time" in res:
            times.append(res["time"])
        if res.get("timeout") or res.get("crash"):
            failures.append(f"{rel}: {'timeout' if res.get('timeout') else 'crash ' + res['crash']}")
            continue
        file_sites: dict[tuple, list[dict]] = {}
        for lr in res["layers"]:
            if lr.get("wrapped"):
                continue  # only given to a wrapper (Bidirectional(LSTM(...))): the wrapper's call is the site
            file_sites.setdefault((rel, lr["line"], lr["col"]), []).append(lr)
        sites.update(file_sites)
        per_file_max[rel] = max((len(v) for v in file_sites.values()), default=0)
        # repeated calls of ONE layer object at one site (a layer created N times in a loop
        # is N objects: those records are the model's layers, not repetition)
        per_layer: dict[tuple, int] = {}
        for lr in res["layers"]:
            k = (lr["line"], lr["col"], lr.get("layer"))
            per_layer[k] = per_layer.get(k, 0) + 1
        per_file_layer_max[rel] = max(per_layer.values(), default=0)
        for d in res["diagnostics"]:
            at = d.get("where", d["line"])
            if d["severity"] == "error":
                errors.append(f"{rel}:{at}:{d['code']}:{d['message']}")
            if d["code"] == "SL003":
                budget.append(f"{rel}:{at}: {d['message']}")
        c = None
        src = Path(res["path"])
        md = src.parent / "md" / (src.stem + ".md")
        if md.is_file():
            c = compare_tables(parse_summaries(md.read_text(encoding="utf-8", errors="replace")),
                               res["models"], read_program(src), {lr["kind"] for lr in res["layers"]})
        elif src.suffix == ".ipynb":  # the tables the notebook printed when it was run
            c = compare_tables(parse_summaries(notebook_outputs(src)), res["models"], read_program(src),
                               {lr["kind"] for lr in res["layers"]})
        if c is not None:
            for k in cmp_total:
                if k == "wrong_rows":
                    cmp_total[k].extend(f"{rel}:{w.get('where', w['line'])} {w['name']} ({w['kind']}): "
                                        f"printed {w['printed']} shapelens {w['shapelens']}" for w in c[k])
                else:
                    cmp_total[k] += c[k]
    known = [s for s, recs in sites.items() if all(_known(r["output_shape"]) for r in recs)]
    exact = [s for s, recs in sites.items() if all(_exact(r["output_shape"]) for r in recs)]
    non_input = {s: recs for s, recs in sites.items() if recs[0]["kind"] != "InputLayer"}
    known_ni = [s for s in non_input if all(_known(r["output_shape"]) for r in non_input[s])]
    reasons: dict[str, int] = {}
    for s, recs in non_input.items():
        if not all(_known(r["output_shape"]) for r in recs):
            note = next((r["note"] for r in recs if r["note"]), "no reason given")
            note = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", note)[:90]
            reasons[note] = reasons.get(note, 0) + 1
    times.sort()
    return {
        "files": len(results),
        "call_sites": len(sites),
        "call_sites_known": len(known),
        "call_sites_known_pct": _pct(len(known), len(sites)),
        "call_sites_exact_pct": _pct(len(exact), len(sites)),
        "call_sites_no_input": len(non_input),
        "call_sites_no_input_known_pct": _pct(len(known_ni), len(non_input)),
        "records": sum(len(v) for v in sites.values()),
        "max_records_per_site": max((len(v) for v in sites.values()), default=0),
        "files_over_5_records_per_site": sorted(f for f, m in per_file_max.items() if m > MAX_RECORDS_PER_SITE),
        "max_records_per_site_and_layer": max(per_file_layer_max.values(), default=0),
        "files_over_5_records_per_site_and_layer": sorted(f for f, m in per_file_layer_max.items()
                                                          if m > MAX_RECORDS_PER_SITE),
        "sl003_budget_hits": budget,
        "failures": failures,
        "errors": errors,
        "time_median": statistics.median(times) if times else 0.0,
        "time_p95": times[min(len(times) - 1, int(0.95 * len(times)))] if times else 0.0,
        "time_max": times[-1] if times else 0.0,
        "summary_tables": cmp_total["tables"],
        "summary_tables_matched": cmp_total["tables_matched"],
        "summary_rows": cmp_total["rows"],
        "summary_rows_matched": cmp_total["matched"],
        "summary_rows_equal_pct": _pct(cmp_total["equal"], cmp_total["matched"]),
        "summary_rows_unknown_pct": _pct(cmp_total["unknown"], cmp_total["matched"]),
        "summary_rows_partial_pct": _pct(cmp_total["partial"], cmp_total["matched"]),
        "summary_rows_wrong": cmp_total["wrong_rows"],
        "top_unknown_reasons": sorted(reasons.items(), key=lambda kv: -kv[1])[:15],
    }


def print_report(s: dict, show_errors: bool) -> None:
    print(f"files scanned: {s['files']}")
    print(f"layer call sites: {s['call_sites']}, concrete output shape: {s['call_sites_known']} "
          f"({s['call_sites_known_pct']}); without InputLayer: {s['call_sites_no_input']} sites, "
          f"{s['call_sites_no_input_known_pct']} concrete; every axis known: {s['call_sites_exact_pct']}")
    print(f"layer records: {s['records']}, max records per call site: {s['max_records_per_site']}, "
          f"files over {MAX_RECORDS_PER_SITE} records/site: {len(s['files_over_5_records_per_site'])}")
    for f in s["files_over_5_records_per_site"]:
        print(f"  {f}")
    print(f"repeated calls of one layer object at one call site: max {s['max_records_per_site_and_layer']}, "
          f"files over {MAX_RECORDS_PER_SITE}: {len(s['files_over_5_records_per_site_and_layer'])}")
    for f in s["files_over_5_records_per_site_and_layer"]:
        print(f"  {f}")
    print(f"SL003 budget hits: {len(s['sl003_budget_hits'])}")
    for b in s["sl003_budget_hits"]:
        print(f"  {b}")
    print(f"timeouts/crashes: {len(s['failures'])}")
    for f in s["failures"]:
        print(f"  {f}")
    print(f"time per file: median {s['time_median']:.3f}s, p95 {s['time_p95']:.3f}s, max {s['time_max']:.3f}s")
    print(f"printed summaries: {s['summary_tables_matched']}/{s['summary_tables']} tables matched, "
          f"{s['summary_rows_matched']}/{s['summary_rows']} rows matched; of those "
          f"{s['summary_rows_equal_pct']} equal, {s['summary_rows_unknown_pct']} unknown, "
          f"{s['summary_rows_partial_pct']} partly known (every known axis equal), "
          f"{len(s['summary_rows_wrong'])} different")
    for w in s["summary_rows_wrong"]:
        print(f"  DIFFERENT {w}")
    print("most common reasons for an unknown output:")
    for note, n in s["top_unknown_reasons"]:
        print(f"  {n:5d}  {note}")
    print(f"errors: {len(s['errors'])} in {len({e.split(':')[0] for e in s['errors']})} files")
    if show_errors:
        for e in s["errors"]:
            print(f"  {e}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        worker_loop()
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--json", type=Path, help="write the figures (and every file's result) here")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per file")
    ap.add_argument("--errors", action="store_true", help="list every error (file:line:code:message)")
    ap.add_argument("--keras-version", choices=("auto", "3", "2"),
                    help="the Keras the files are checked for (default: auto, decided per file)")
    ap.add_argument("--exclude", action="append", default=[], metavar="NAME",
                    help="skip files under a directory of this name (repeatable)")
    args = ap.parse_args(argv)
    if args.keras_version:
        os.environ["SHAPELENS_SCAN_KERAS"] = args.keras_version  # the worker process inherits it
    files = find_files(args.dir, tuple(args.exclude))
    worker = Worker()
    results = []
    try:
        for f in files:
            results.append(worker.run(f, args.timeout))
    finally:
        worker.close()
    s = summarise(results, args.dir)
    print_report(s, args.errors)
    if args.json:
        args.json.write_text(json.dumps({"summary": s, "files": results}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

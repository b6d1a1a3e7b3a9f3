"""Hover latency over the language server on a directory of real programs (e.g. the keras.io examples).

    python bench/bench_hover.py DIR [--per-file N] [--repeat K] [--json]

One ``shapelens serve`` process (bench/bench_lsp.py's client, debounce 0) opens each ``*.py`` file
of DIR in turn, waits for its diagnostics, hovers once (that hover builds the position index of the
analysis: reported apart as "first hover"), then hovers ``--repeat`` times on up to ``--per-file``
positions: the class name of every ``layers.X``/``keras.layers.X`` and the name assigned on each
line that assigns. Reports hover p50/p95 per file, the files over the 5 ms target, and the hover
p95 over all files, next to the server's idle round trip measured in the same run (a request the
server answers without looking at any document: ``shutdown`` is not repeatable, so an unknown
document's hover, which answers null at once). Files are read, never committed or copied.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_lsp as B  # noqa: E402
from common import RESULTS, git_commit, machine, pct  # noqa: E402

TARGET_MS = 5.0
ASSIGN = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*=[^=]")


def positions(text: str, limit: int) -> list[dict[str, int]]:
    out = list(B.hover_positions(text))
    for i, line in enumerate(text.splitlines()):
        m = ASSIGN.match(line)
        if m:
            out.append({"line": i, "character": len(m.group(1)) + 1})
    step = max(1, len(out) // limit) if limit else 1
    return out[::step][:limit] if limit else out


async def run(files: list[Path], per_file: int, repeat: int, timeout: float) -> dict:
    B.WORKSPACE.mkdir(parents=True, exist_ok=True)
    c = B.Client("shapelens")
    await c.start()
    await c.initialize({"diagnostics": {"debounceMs": 0}})
    idle = []
    for _ in range(20):
        dt, _ = await c.request("textDocument/hover", {"textDocument": {"uri": B.doc_uri("not-open.py")},
                                                       "position": {"line": 0, "character": 0}})
        idle.append(dt * 1000)
    per: dict[str, dict] = {}
    every: list[float] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        uri = B.doc_uri(f"hover_{path.parent.name}_{path.name}")
        B.open_doc(c, uri, text)
        try:
            await c.wait_diagnostics(uri, 1, timeout=timeout)
        except TimeoutError:
            per[str(path)] = {"skipped": f"no diagnostics within {timeout:.0f} s"}
            c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            continue
        pos = positions(text, per_file)
        if not pos:
            c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            continue
        first, _ = await c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos[0]})
        samples, empty = [], 0
        for _ in range(repeat):
            for p in pos:
                dt, res = await c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": p})
                samples.append(dt * 1000)
                empty += res is None
        every += samples
        per[str(path)] = {"lines": text.count("\n") + 1, "positions": len(pos), "first_ms": first * 1000,
                          "p50_ms": statistics.median(samples), "p95_ms": pct(samples, 0.95),
                          "max_ms": max(samples), "empty": empty, "n": len(samples)}
        c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    await c.stop()
    return {"idle_p50_ms": statistics.median(idle), "idle_p95_ms": pct(idle, 0.95), "files": per,
            "all_p50_ms": statistics.median(every) if every else None,
            "all_p95_ms": pct(every, 0.95) if every else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--per-file", type=int, default=40, help="hover positions per file (default 40)")
    parser.add_argument("--repeat", type=int, default=2, help="hovers per position (default 2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for a file's diagnostics")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    files = sorted(Path(args.dir).rglob("*.py"))
    load = machine()["loadavg"]
    t0 = time.perf_counter()
    r = asyncio.run(run(files, args.per_file, args.repeat, args.timeout))
    r.update({"commit": git_commit(), "dir": args.dir, "loadavg_start": load, "loadavg_end": machine()["loadavg"],
              "elapsed_s": time.perf_counter() - t0})
    out = RESULTS / "hover.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(r, indent=2) + "\n")
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    done = {k: v for k, v in r["files"].items() if "p95_ms" in v}
    over = sorted(((v["p95_ms"], k) for k, v in done.items() if v["p95_ms"] > TARGET_MS), reverse=True)
    firsts = sorted(v["first_ms"] for v in done.values())
    print(f"hover over {len(done)} files of {args.dir} (commit {r['commit']}; load average {load} -> "
          f"{r['loadavg_end']})")
    print(f"  idle round trip (a document not open): p50 {r['idle_p50_ms']:.2f} ms, p95 {r['idle_p95_ms']:.2f} ms")
    print(f"  every hover: p50 {r['all_p50_ms']:.2f} ms, p95 {r['all_p95_ms']:.2f} ms")
    print(f"  per-file p95: median {statistics.median(v['p95_ms'] for v in done.values()):.2f} ms, "
          f"max {max(v['p95_ms'] for v in done.values()):.2f} ms; {len(over)} files over {TARGET_MS:.0f} ms")
    print(f"  first hover after the analysis (builds the position index): median {statistics.median(firsts):.1f} ms, "
          f"p95 {pct(firsts, 0.95):.1f} ms, max {firsts[-1]:.1f} ms")
    for p95, name in over[:15]:
        v = done[name]
        print(f"    {p95:8.2f} ms p95 (p50 {v['p50_ms']:.2f}, max {v['max_ms']:.1f})  {name}")
    skipped = {k: v for k, v in r["files"].items() if "skipped" in v}
    for name, v in skipped.items():
        print(f"  skipped {name}: {v['skipped']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

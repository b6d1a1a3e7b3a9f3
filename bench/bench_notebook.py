"""Benchmark: editing one cell of a 100-cell, 2,000-line notebook -> that cell's diagnostics.

    python bench/bench_notebook.py [--edits N]

Drives ``python -m shapelens serve`` over stdio with LSP 3.17 notebook sync (the JSON-RPC
client of bench_lsp.py, declaring ``notebookDocument.synchronization``). The notebook is the
generated 2,000-line program of bench/common.py cut into 100 code cells at top-level
statement boundaries (plus markdown cells between them, which the server skips). Each edit
is a ``notebookDocument/didChange`` of one cell in the middle of the notebook (alternately
adding and removing a comment line); the time is from sending it to reading the
``publishDiagnostics`` of that cell for its new version, with the server's default debounce
(no options sent) and with the debounce set to 0. Prints the figures and writes
bench/results/notebook.json. Reports only: no assertions on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lsp import WORKSPACE, Client, default_debounce_ms  # noqa: E402
from common import RESULTS, generate_large, git_commit, machine, stats_ms  # noqa: E402

CELLS, LINES = 100, 2000
TARGET_P95_MS = 50.0


def notebook_cells() -> list[str]:
    """100 code cells, 2,000 lines in all, each cut at a top-level statement."""
    lines = generate_large(LINES).rstrip("\n").split("\n")
    lines += [""] * (LINES - len(lines))
    cuts = [i for i in range(1, len(lines)) if lines[i] and not lines[i][0].isspace() and not lines[i - 1].strip()]
    step = len(lines) / CELLS
    chosen: list[int] = []
    for k in range(1, CELLS):
        target = k * step
        best = min((c for c in cuts if not chosen or c > chosen[-1]), key=lambda c: abs(c - target))
        chosen.append(best)
    bounds = [0, *chosen, len(lines)]
    cells = ["\n".join(lines[a:b]) for a, b in zip(bounds, bounds[1:])]
    assert len(cells) == CELLS and sum(len(c.split("\n")) for c in cells) == LINES
    return cells


class NotebookClient(Client):
    async def initialize(self, options=None):
        params = {
            "processId": None, "rootUri": WORKSPACE.as_uri(),
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "textDocument": {"publishDiagnostics": {"versionSupport": True},
                                 "synchronization": {"didSave": True}},
                "notebookDocument": {"synchronization": {}},
            },
        }
        if options is not None:
            params["initializationOptions"] = options
        dt, result = await self.request("initialize", params)
        assert result["capabilities"].get("notebookDocumentSync"), "no notebook sync"
        self.notify("initialized", {})
        return dt, result


async def phase(cells: list[str], edits: int, debounce_ms: int | None) -> dict:
    WORKSPACE.mkdir(parents=True, exist_ok=True)
    c = NotebookClient("shapelens")
    await c.start()
    await c.initialize(None if debounce_ms is None else {"diagnostics": {"debounceMs": debounce_ms}})
    nb_uri = (WORKSPACE / f"bench_{debounce_ms}.ipynb").as_uri()
    cell_uris = [f"vscode-notebook-cell:{WORKSPACE}/bench_{debounce_ms}.ipynb#C{i}" for i in range(len(cells))]
    nb_cells, items = [], []
    for i, (uri, text) in enumerate(zip(cell_uris, cells)):
        nb_cells.append({"kind": 2, "document": uri})
        items.append({"uri": uri, "languageId": "python", "version": 1, "text": text})
        if i % 10 == 9:  # some markdown between the code
            md = f"{uri}-md"
            nb_cells.append({"kind": 1, "document": md})
            items.append({"uri": md, "languageId": "markdown", "version": 1, "text": f"## part {i // 10}"})
    c.notify("notebookDocument/didOpen", {
        "notebookDocument": {"uri": nb_uri, "notebookType": "jupyter-notebook", "version": 1, "cells": nb_cells},
        "cellTextDocuments": items})
    target = CELLS // 2
    uri = cell_uris[target]
    # the first analysis publishes only cells with findings: wait for the notebook to settle
    await asyncio.sleep(3.0)
    samples = []
    for k in range(edits):
        version = k + 2
        line = cells[target].count("\n")
        change = ({"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                   "text": "# edited\n"} if k % 2 == 0 else
                  {"range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
                   "text": ""})
        # every cell is published once it has been: make the target cell hold a finding so it
        # is always published (an unused SL-free cell would only be published when it changes state)
        t0 = c.notify("notebookDocument/didChange", {
            "notebookDocument": {"uri": nb_uri, "version": version},
            "change": {"cells": {"textContent": [{"document": {"uri": uri, "version": version},
                                                  "changes": [change]}]}}})
        t, _ = await c.wait_diagnostics(uri, version)
        samples.append(t - t0)
    await c.stop()
    return {**stats_ms(samples), "samples_ms": [round(x * 1000, 2) for x in samples]}


async def run(edits: int) -> dict:
    cells = notebook_cells()
    cells[CELLS // 2] = "model_x = keras.Sequential([keras.Input((8,)), layers.Conv2D(4, 3)])\n" + cells[CELLS // 2]
    return {
        "notebook": {"cells": CELLS, "lines": sum(len(c.split("\n")) for c in cells), "edited_cell": CELLS // 2 + 1},
        "default_debounce_ms": default_debounce_ms(),
        "edit_to_cell_diagnostics_default_debounce": await phase(cells, edits, None),
        "edit_to_cell_diagnostics_debounce_0": await phase(cells, edits, 0),
        "target_p95_ms": TARGET_P95_MS, "machine": machine(), "commit": git_commit(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=40)
    args = ap.parse_args()
    res = asyncio.run(run(args.edits))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "notebook.json").write_text(json.dumps(res, indent=1))
    d, z = res["edit_to_cell_diagnostics_default_debounce"], res["edit_to_cell_diagnostics_debounce_0"]
    print(f"notebook: {res['notebook']['cells']} code cells, {res['notebook']['lines']} lines; "
          f"edits of cell {res['notebook']['edited_cell']}")
    print(f"  edit -> that cell's diagnostics, default debounce ({res['default_debounce_ms']} ms): "
          f"p50 {d['p50_ms']:.1f} ms, p95 {d['p95_ms']:.1f} ms (n={d['n']}; target p95 <= {TARGET_P95_MS:.0f} ms)")
    print(f"  edit -> that cell's diagnostics, debounce 0: p50 {z['p50_ms']:.1f} ms, p95 {z['p95_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A hover sent the moment an edit's diagnostics arrive, against one sent once the server is idle.

    python bench/bench_hover_after_edit.py FILE [FILE...] [--edits N]

One ``shapelens serve`` process (bench/bench_lsp.py's client) per file: it opens the file, waits
for its diagnostics and for the server to settle, then ``--edits`` times adds a comment line in the
middle of the file and takes it away (two edits, each waited for); after every other pair it
hovers at once on the next ``layers.X`` class name of the file, after the others 60 ms later.
The hover at once is the one a user makes right after typing: the position index of the new
result is being built then (lsp/session.py). Reports p50 / max of each kind, in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_lsp as B  # noqa: E402
from common import git_commit  # noqa: E402

LATER_S = 0.060


async def measure(path: Path, edits: int) -> dict[str, list[float]]:
    text = path.read_text(encoding="utf-8")
    uri = B.doc_uri(path.name)
    positions = B.hover_positions(text)
    out: dict[str, list[float]] = {"at once": [], "60 ms later": []}
    if not positions:
        return out
    c = B.Client("shapelens")
    await c.start()
    try:
        await c.initialize()
        B.open_doc(c, uri, text)
        await c.wait_diagnostics(uri, 1)
        await B.settle(c.pid)
        line, version = B.edit_line(text), 1
        for k in range(edits):
            for insert in (True, False):  # the text is the file's again after each pair
                version += 1
                c.notify("textDocument/didChange", B.edit_params(uri, version, line, insert=insert))
                await c.wait_diagnostics(uri, version)
            kind = "at once" if k % 2 == 0 else "60 ms later"
            if kind != "at once":
                await asyncio.sleep(LATER_S)
            dt, _ = await c.request("textDocument/hover",
                                    {"textDocument": {"uri": uri}, "position": positions[k % len(positions)]})
            out[kind].append(dt * 1000)
            await asyncio.sleep(0.2)  # the idle work of that result done
    finally:
        await c.stop()
    return out


async def main_async(args: argparse.Namespace) -> int:
    print(f"hover after an edit: commit {git_commit()}, {args.edits} edits per file")
    for name in args.files:
        res = await measure(Path(name), args.edits)
        parts = [f"{kind}: p50 {statistics.median(v):.1f} max {max(v):.1f}" for kind, v in res.items() if v]
        print(f"  {Path(name).name:<60} " + "; ".join(parts or ["no layers.X to hover"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--edits", type=int, default=24, help="edit pairs per file, half of them followed by "
                        "a hover at once (default 24)")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())

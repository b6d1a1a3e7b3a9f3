"""Benchmark the TensorFlow dry run: the worker's own cost, and what the server pays for it.

    python bench/bench_worker.py [--quick] [--rounds N] [--repeat N]

Measures, on a 20-layer functional CNN (Input + 20 layers):

* worker, in this process (what `shapelens check --confirm` does): cold start to the first
  verdict (start the worker = import TensorFlow, build, compare), split into its parts, and
  the warm verdict (build + compare) of a 20-layer model not seen before;
* language server over stdio (``shapelens serve``, dryRun.mode "onCommand"): the command
  ``shapelens.confirmWithTensorFlow`` from a cold server (the worker starts), warm on a new
  model, and cached (the model unchanged);
* the server's own latency while the worker loads TensorFlow, against idle: hover p50/p95
  (a request every 5 ms, on every ``layers.X`` of the file in turn) and didChange →
  publishDiagnostics (debounce 0), paced the same way.

Prints a table and writes bench/results/worker.json. Reports only: no assertions on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lsp import WORKSPACE, Client, doc_uri, hover_positions  # noqa: E402
from common import RESULTS, git_commit, machine, rss_kb, stats_ms, versions  # noqa: E402

CONFIRM = "shapelens.confirmWithTensorFlow"
OPTIONS = {"dryRun": {"mode": "onCommand"}, "diagnostics": {"debounceMs": 0}}
PACE = 0.005  # seconds between two requests: a busy user, not a flood that would slow TensorFlow's import

MODEL = '''\
import keras
from keras import layers

inputs = keras.Input(shape=(64, 64, 3))
x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
x = layers.BatchNormalization()(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(128, 3, padding="same", activation="relu")(x)
x = layers.BatchNormalization()(x)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.3)(x)
x = layers.Dense(128, activation="relu")(x)
x = layers.Dropout(0.3)(x)
x = layers.Dense(64, activation="relu")(x)
x = layers.LayerNormalization()(x)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense({classes}, activation="softmax")(x)
model = keras.Model(inputs, outputs)
'''


def model(variant: int) -> str:
    """A 20-layer model; each variant is a different model (a new payload, not cached)."""
    return MODEL.format(classes=10 + variant)


# --------------------------------------------------------------------------- the worker alone


def bench_worker_in_process(rounds: int, repeat: int) -> dict:
    from shapelens.core.analyze import analyze
    from shapelens.worker import protocol
    from shapelens.dryrun.client import WorkerClient
    from shapelens.dryrun.verdict import compare

    analyses = [analyze(model(i), "bench.py", with_spec=True) for i in range(repeat + 1)]
    assert len(analyses[0].layers) == 21
    cold, starts, first_builds, warm, builds = [], [], [], [], []
    info = None
    for _ in range(rounds):
        client = WorkerClient()
        try:
            t0 = time.perf_counter()
            info = client.start(120)
            t1 = time.perf_counter()
            report = client.build(protocol.payload(analyses[0].spec), 60)
            t2 = time.perf_counter()
            verdict = compare(analyses[0], report, info.short_version)
            t3 = time.perf_counter()
            assert verdict.count("confirmed") == 21, verdict.summary()
            cold.append(t3 - t0)
            starts.append(t1 - t0)
            first_builds.append(t2 - t1)
            for analysis in analyses[1:]:
                t0 = time.perf_counter()
                report = client.build(protocol.payload(analysis.spec), 60)
                t1 = time.perf_counter()
                compare(analysis, report, info.short_version)
                warm.append(time.perf_counter() - t0)
                builds.append(t1 - t0)
            rss = rss_kb(client.pid) if client.pid else {}
        finally:
            client.close()
    return {
        "cold_start_to_first_verdict": stats_ms(cold),
        "start_importing_tensorflow": stats_ms(starts),
        "first_build": stats_ms(first_builds),
        "warm_verdict_20_layers": stats_ms(warm),
        "warm_build_only": stats_ms(builds),
        "worker_rss_mb": round(rss.get("VmRSS", 0) / 1024, 1),
        "worker_peak_rss_mb": round(rss.get("VmHWM", 0) / 1024, 1),
        "tensorflow": info.tensorflow if info else None,
    }


# --------------------------------------------------------------------------- the language server


async def hovers(client: Client, uri: str, positions: list[dict], until: asyncio.Future | None = None,
                 count: int | None = None) -> list[float]:
    """Hover after hover, over the positions, until ``until`` is done (or ``count`` requests)."""
    samples = []
    i = 0
    while (until is not None and not until.done()) or (count is not None and i < count):
        pos = positions[i % len(positions)]
        dt, result = await client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos})
        assert result is not None
        samples.append(dt)
        i += 1
        await asyncio.sleep(PACE)
    return samples


async def edits(client: Client, uri: str, version: int, until: asyncio.Future | None = None,
                count: int | None = None) -> tuple[list[float], int]:
    """didChange (a comment line in, then out again) → publishDiagnostics of that version."""
    samples = []
    i = 0
    while (until is not None and not until.done()) or (count is not None and i < count):
        version += 1
        insert = version % 2 == 0
        change = ({"range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}},
                   "text": "# an edit\n"} if insert else
                  {"range": {"start": {"line": 3, "character": 0}, "end": {"line": 4, "character": 0}}, "text": ""})
        t0 = client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                      "contentChanges": [change]})
        t, _ = await client.wait_diagnostics(uri, version)
        samples.append(t - t0)
        i += 1
        await asyncio.sleep(PACE)
    return samples, version


async def command(client: Client, uri: str) -> tuple[float, dict]:
    return await client.request("workspace/executeCommand", {"command": CONFIRM, "arguments": [uri]},
                                timeout=180)


async def bench_server_round(repeat: int, idle_samples: int) -> dict:
    WORKSPACE.mkdir(parents=True, exist_ok=True)
    client = Client("shapelens")
    await client.start()
    try:
        await client.initialize(OPTIONS)
        text = model(0)
        uri = doc_uri("bench_worker.py")
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": text}})
        await client.wait_diagnostics(uri, 1)
        positions = hover_positions(text)
        await hovers(client, uri, positions, count=10)  # warm up the lookups

        idle_hover = await hovers(client, uri, positions, count=idle_samples)
        idle_edit, version = await edits(client, uri, 1, count=idle_samples // 2)
        server_rss = rss_kb(client.pid)

        # the cold command, with hovers and edits going on while TensorFlow loads
        t0 = time.perf_counter()
        cold = asyncio.ensure_future(command(client, uri))
        loading_hover = await hovers(client, uri, positions, until=cold)
        cold_dt, cold_result = await cold
        cold_total = time.perf_counter() - t0
        assert cold_result["status"] == "done", cold_result

        # again, edits during a load: restart the worker by changing the interpreter setting
        client.notify("workspace/didChangeConfiguration", {"settings": {"shapelens": {
            **OPTIONS, "dryRun": {"mode": "onCommand", "interpreter": sys.executable}}}})
        await asyncio.sleep(0.5)
        version += 1
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"text": model(1)}]})
        await client.wait_diagnostics(uri, version)
        reload = asyncio.ensure_future(command(client, uri))
        loading_edit, version = await edits(client, uri, version, until=reload)
        reload_dt, reload_result = await reload
        assert reload_result["status"] in ("done", "cached"), reload_result

        warm, cached = [], []
        for i in range(repeat):
            version += 1
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [{"text": model(100 + i)}]})
            await client.wait_diagnostics(uri, version)
            dt, result = await command(client, uri)
            assert result["status"] == "done", result
            warm.append(dt)
            dt, result = await command(client, uri)
            assert result["status"] == "cached", result
            cached.append(dt)
        after_rss = rss_kb(client.pid)
    finally:
        await client.stop()
    return {
        "cold_command": cold_dt, "cold_total": cold_total, "warm": warm, "cached": cached,
        "idle_hover": idle_hover, "loading_hover": loading_hover,
        "idle_edit": idle_edit, "loading_edit": loading_edit,
        "server_rss_mb": round(server_rss.get("VmRSS", 0) / 1024, 1),
        "server_rss_after_mb": round(after_rss.get("VmRSS", 0) / 1024, 1),
    }


async def bench_server(rounds: int, repeat: int, idle_samples: int) -> dict:
    runs = [await bench_server_round(repeat, idle_samples) for _ in range(rounds)]

    def pooled(key: str) -> list[float]:
        return [x for r in runs for x in r[key]]

    return {
        "cold_command_to_first_verdict": stats_ms([r["cold_command"] for r in runs]),
        "warm_command_20_layers": stats_ms(pooled("warm")),
        "cached_command": stats_ms(pooled("cached")),
        "hover_idle": stats_ms(pooled("idle_hover")),
        "hover_while_tensorflow_loads": stats_ms(pooled("loading_hover")),
        "diagnostics_idle": stats_ms(pooled("idle_edit")),
        "diagnostics_while_tensorflow_loads": stats_ms(pooled("loading_edit")),
        "server_rss_mb": max(r["server_rss_mb"] for r in runs),
        "server_rss_after_dry_runs_mb": max(r["server_rss_after_mb"] for r in runs),
    }


def table(results: dict) -> list[str]:
    rows = []
    w, s = results["worker"], results["server"]

    def row(label: str, st: dict) -> None:
        rows.append(f"{label:<52} {st['p50_ms']:>9.1f} {st['p95_ms']:>9.1f} {st['n']:>5}")

    rows.append(f"{'':<52} {'p50 ms':>9} {'p95 ms':>9} {'n':>5}")
    row("worker: cold start to first verdict", w["cold_start_to_first_verdict"])
    row("  of which: start (import TensorFlow)", w["start_importing_tensorflow"])
    row("  of which: first build", w["first_build"])
    row("worker: warm verdict, 20-layer model", w["warm_verdict_20_layers"])
    row("server: command, cold (worker starts)", s["cold_command_to_first_verdict"])
    row("server: command, warm, new 20-layer model", s["warm_command_20_layers"])
    row("server: command, cached (model unchanged)", s["cached_command"])
    row("server: hover, idle", s["hover_idle"])
    row("server: hover, while TensorFlow loads", s["hover_while_tensorflow_loads"])
    row("server: didChange → diagnostics, idle", s["diagnostics_idle"])
    row("server: didChange → diagnostics, while TF loads", s["diagnostics_while_tensorflow_loads"])
    rows.append(f"worker RSS {w['worker_rss_mb']} MB (peak {w['worker_peak_rss_mb']} MB); server RSS "
                f"{s['server_rss_mb']} MB before, {s['server_rss_after_dry_runs_mb']} MB after the dry runs")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round, fewer samples")
    parser.add_argument("--rounds", type=int, default=3, help="cold starts (each imports TensorFlow)")
    parser.add_argument("--repeat", type=int, default=15, help="warm and cached samples per round")
    args = parser.parse_args()
    rounds, repeat, idle = (1, 5, 40) if args.quick else (args.rounds, args.repeat, 120)
    results = {
        "machine": machine(), "commit": git_commit(),
        "versions": versions("tensorflow", "keras", "pygls"),
        "model": "functional CNN, Input + 20 layers",
        "worker": bench_worker_in_process(rounds, repeat),
        "server": asyncio.run(bench_server(rounds, repeat, idle)),
    }
    for line in table(results):
        print(line)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "worker.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(RESULTS.parents[1])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

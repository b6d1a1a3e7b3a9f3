"""Benchmark the language server over stdio on a ~300-line Keras file.

    python bench/bench_lsp.py [--repeat N]

Prints a table and writes bench/results/lsp.json. Every latency is also given as a
ratio to the bare ``analyze()`` call on the same text, measured in this run, so the LSP
overhead (JSON-RPC, position conversion, scheduling) is visible apart from the engine.
Latencies are medians (p90 alongside) of N requests. No assertions: this reports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from shapelens.core.analyze import analyze  # noqa: E402

URI = "file:///tmp/shapelens-bench/model.py"


def make_program() -> str:
    """A realistic ~300-line file: a CNN, a residual functional model, an MLP, data and fit."""
    out = [
        "import numpy as np",
        "import keras",
        "from keras import layers",
        "",
        "NUM_CLASSES = 10",
        "",
        "cnn = keras.Sequential([",
        "    keras.Input(shape=(64, 64, 3)),",
    ]
    for i in range(6):
        out += [f"    layers.Conv2D({16 * (i % 3 + 1)}, 3, padding='same', activation='relu'),",
                "    layers.BatchNormalization(),",
                f"    layers.Conv2D({16 * (i % 3 + 1)}, 3, padding='same'),",
                "    layers.Activation('relu'),"]
        if i % 2 == 1:
            out.append("    layers.MaxPooling2D(2),")
    out += ["    layers.Flatten(),", "    layers.Dense(128, activation='relu'),", "    layers.Dropout(0.5),",
            "    layers.Dense(NUM_CLASSES, activation='softmax'),", "])", ""]
    out += ["inputs = keras.Input(shape=(32, 32, 16))", "x = inputs"]
    for b in range(16):
        out += [
            f"# residual block {b}",
            "shortcut = x",
            "y = layers.Conv2D(16, 3, padding='same')(x)",
            "y = layers.BatchNormalization()(y)",
            "y = layers.Activation('relu')(y)",
            "y = layers.Conv2D(16, 3, padding='same')(y)",
            "y = layers.BatchNormalization()(y)",
            "x = layers.Add()([shortcut, y])",
            "x = layers.Activation('relu')(x)",
            "",
        ]
    out += ["x = layers.GlobalAveragePooling2D()(x)", "outputs = layers.Dense(NUM_CLASSES)(x)",
            "resnet = keras.Model(inputs, outputs, name='resnet')", ""]
    out += ["mlp = keras.Sequential(name='mlp')", "mlp.add(keras.Input(shape=(784,)))"]
    for i in range(12):
        out += [f"mlp.add(layers.Dense({512 >> (i % 4)}, activation='relu'))", "mlp.add(layers.Dropout(0.1))"]
    out += ["mlp.add(layers.Dense(NUM_CLASSES))", ""]
    out += [
        "def make_data(n):",
        "    x = np.zeros((n, 64, 64, 3))",
        "    y = np.zeros((n, NUM_CLASSES))",
        "    return x, y",
        "",
        "x_train = np.zeros((1000, 64, 64, 3))",
        "y_train = np.zeros((1000, NUM_CLASSES))",
        "cnn.compile(optimizer='adam', loss='categorical_crossentropy')",
        "cnn.fit(x_train, y_train, epochs=1)",
        "preds = cnn.predict(x_train)",
        "",
        "bad = keras.Sequential([keras.Input(shape=(6, 6, 1)), layers.Conv2D(4, 9)])  # SL101",
        "",
    ]
    filler = 0
    while len(out) < 300:
        out += [f"def helper_{filler}(a, b=2):", f"    return a * b + {filler}", ""]
        filler += 1
    return "\n".join(out) + "\n"


def cold_analyze_ms(text: str) -> float:
    """The first analyze() in a fresh process (what the server's first didOpen pays)."""
    import subprocess

    code = ("import sys, time; from shapelens.core.analyze import analyze; t = sys.stdin.read(); "
            "t0 = time.perf_counter(); analyze(t, '/tmp/shapelens-bench/model.py'); "
            "print((time.perf_counter() - t0) * 1000)")
    runs = [float(subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True,
                                 check=True).stdout) for _ in range(3)]
    return statistics.median(runs)


def rss_kb(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def summary(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"median_ms": statistics.median(s) * 1000, "p90_ms": s[min(len(s) - 1, int(len(s) * 0.9))] * 1000,
            "n": len(s)}


class Bench:
    def __init__(self) -> None:
        self.client = LanguageClient("shapelens-bench", "1")
        self.published: list[tuple[float, types.PublishDiagnosticsParams]] = []

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.published.append((time.perf_counter(), params))

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def log_message(params) -> None:
            pass

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def show_message(params) -> None:
            pass

    async def start(self, debounce_ms: int) -> float:
        t0 = time.perf_counter()
        await self.client.start_io(sys.executable, "-m", "shapelens", "serve")
        caps = types.ClientCapabilities(
            text_document=types.TextDocumentClientCapabilities(
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)))
        await self.client.initialize_async(types.InitializeParams(
            capabilities=caps, initialization_options={"diagnostics": {"debounceMs": debounce_ms}}))
        self.client.initialized(types.InitializedParams())
        return time.perf_counter() - t0

    async def wait_version(self, version: int, timeout: float = 60) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            for t, p in self.published:
                if p.uri == URI and p.version == version:
                    return t
            await asyncio.sleep(0.0005)
        raise TimeoutError(f"no diagnostics for version {version}")

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


async def run_session(text: str, repeat: int, debounce_ms: int) -> dict:
    b = Bench()
    startup = await b.start(debounce_ms)
    pid = b.client._server.pid  # type: ignore[union-attr]
    rss_idle = rss_kb(pid)
    lines = text.splitlines()

    t0 = time.perf_counter()
    b.client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=URI, language_id="python", version=1, text=text)))
    first = await b.wait_version(1) - t0
    n_diags = len(b.published[-1][1].diagnostics)

    ident = types.TextDocumentIdentifier(uri=URI)
    # positions: every layer line, on the layer's name
    layer_lines = [i for i, ln in enumerate(lines) if "layers." in ln]
    hovers = []
    for k in range(repeat):
        line = layer_lines[k % len(layer_lines)]
        pos = types.Position(line=line, character=lines[line].index("layers.") + 8)
        t = time.perf_counter()
        h = await b.client.text_document_hover_async(types.HoverParams(text_document=ident, position=pos))
        hovers.append(time.perf_counter() - t)
        assert h is not None
    hints = []
    n_hints = 0
    for _ in range(repeat):
        t = time.perf_counter()
        res = await b.client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=ident, range=types.Range(start=types.Position(line=0, character=0),
                                                   end=types.Position(line=len(lines), character=0))))
        hints.append(time.perf_counter() - t)
        n_hints = len(res)
    edits = []
    version = 1
    for k in range(max(5, repeat // 4)):
        version += 1
        line = len(lines) - 2
        t = time.perf_counter()
        b.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=line, character=0),
                                  end=types.Position(line=line, character=0)),
                text=f"# edit {k}\n")]))
        edits.append(await b.wait_version(version) - t)
    rss_end = rss_kb(pid)
    await b.stop()
    return {"startup_s": startup, "first_diagnostics": first, "diagnostics": n_diags, "hover": summary(hovers),
            "inlay_hints": summary(hints), "inlay_hint_count": n_hints, "edit_to_diagnostics": summary(edits),
            "rss_idle_kb": rss_idle.get("VmRSS"), "rss_kb": rss_end.get("VmRSS"), "rss_peak_kb": rss_end.get("VmHWM")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    text = make_program()
    for _ in range(3):  # warm-up
        analysis = analyze(text, "/tmp/shapelens-bench/model.py")
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        analyze(text, "/tmp/shapelens-bench/model.py")
        times.append(time.perf_counter() - t)
    baseline = summary(times)
    base = baseline["median_ms"]
    cold = cold_analyze_ms(text)

    fast = asyncio.run(run_session(text, args.repeat, debounce_ms=0))
    default = asyncio.run(run_session(text, max(8, args.repeat // 4), debounce_ms=150))

    rows = [
        ("analyze() alone (baseline)", base, baseline["p90_ms"], 1.0),
        ("analyze() first call in a fresh process", cold, None, cold / base),
        ("first diagnostics after didOpen", fast["first_diagnostics"] * 1000, None, fast["first_diagnostics"] * 1000 / base),
        ("hover", fast["hover"]["median_ms"], fast["hover"]["p90_ms"], fast["hover"]["median_ms"] / base),
        ("inlay hints (whole file)", fast["inlay_hints"]["median_ms"], fast["inlay_hints"]["p90_ms"],
         fast["inlay_hints"]["median_ms"] / base),
        ("edit → diagnostics, debounce 0 ms", fast["edit_to_diagnostics"]["median_ms"],
         fast["edit_to_diagnostics"]["p90_ms"], fast["edit_to_diagnostics"]["median_ms"] / base),
        ("edit → diagnostics, debounce 150 ms (default)", default["edit_to_diagnostics"]["median_ms"],
         default["edit_to_diagnostics"]["p90_ms"], default["edit_to_diagnostics"]["median_ms"] / base),
        ("server start → initialized", fast["startup_s"] * 1000, None, fast["startup_s"] * 1000 / base),
    ]
    print(f"shapelens LSP benchmark: {len(text.splitlines())}-line file, {len(analysis.layers)} layer calls, "
          f"{len(analysis.models)} models, {fast['diagnostics']} diagnostics, {fast['inlay_hint_count']} inlay hints; "
          f"{args.repeat} requests each")
    print(f"{'measure':<48} {'median ms':>10} {'p90 ms':>9} {'× analyze()':>12}")
    for name, med, p90, ratio in rows:
        p90s = f"{p90:9.1f}" if p90 is not None else f"{'':>9}"
        print(f"{name:<48} {med:10.1f} {p90s} {ratio:12.2f}")
    print(f"server RSS: {fast['rss_idle_kb'] / 1024:.1f} MiB after start, {fast['rss_kb'] / 1024:.1f} MiB after the "
          f"run, peak {fast['rss_peak_kb'] / 1024:.1f} MiB")

    results = {
        "file_lines": len(text.splitlines()), "layer_calls": len(analysis.layers), "models": len(analysis.models),
        "repeat": args.repeat, "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "baseline_analyze": baseline, "cold_analyze_ms": cold,
        "debounce_0": fast, "debounce_150": default,
        "ratios_to_analyze": {name: round(ratio, 3) for name, _, _, ratio in rows},
    }
    out = ROOT / "bench" / "results" / "lsp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

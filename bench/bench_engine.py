"""Benchmark the engine: analyze(), the CLI as a process, and the same file under TensorFlow.

    python bench/bench_engine.py [--quick] [--profile]

Measures in one run, interleaving what is compared so that the load of the machine
falls on both sides alike:

* ``analyze()`` on bench/fixtures/realistic_300.py and on a generated 5,000-line file
  (bench/common.py: generate_large, written to bench/results/generated_5000.py):
  median/p95 of warm calls, the first call in a fresh process, and the share of time
  the cyclic garbage collector takes (gc.callbacks);
* ``python -m shapelens check`` as a whole process on an empty file, on the 300-line
  file and on the 5,000-line file, next to a bare ``python -c pass``; once with a
  bytecode cache (as after ``pip install``) and once without (PYTHONDONTWRITEBYTECODE=1,
  which compiles shapelens's sources on every start);
* that the check path imports neither pygls, lsprotocol nor tensorflow
  (``python -X importtime`` and sys.modules in a subprocess);
* the 300-line file under TensorFlow: a subprocess imports TensorFlow + Keras, then
  builds every model of the file (runpy), timed separately, and checks that Keras's
  parameter counts equal shapelens's.

Wall times are primary; CPU times (user+sys) are given alongside because they are less
sensitive to other work on the machine. ``--profile`` (implied when an analyze()
target is missed) adds a cProfile of analyze() on both files. Prints tables and writes
bench/results/engine.json. Reports only: no assertions on timings.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    REALISTIC,
    RESULTS,
    ROOT,
    generate_large,
    git_commit,
    machine,
    pct,
    realistic_text,
    stats_ms,
    versions,
)

TARGETS = {
    "analyze_300_ms": 10.0,
    "analyze_5000_ms": 150.0,
    "check_empty_process_ms": 250.0,
    "tf_in_process_ratio": 500.0,
    "tf_whole_process_ratio": 20.0,
}
FORBIDDEN = ("pygls", "lsprotocol", "tensorflow")
WATCHED = FORBIDDEN + ("keras", "jedi", "numpy", "cattrs", "attrs")
PYCACHE = Path(tempfile.gettempdir()) / "shapelens-bench-pycache"


# --------------------------------------------------------------------------- environments


def env_cached() -> dict[str, str]:
    """Bytecode cached in a private prefix, as an installed package would have it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["PYTHONPATH"] = str(ROOT / "server")
    return env


def env_nocache() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = str(ROOT / "server")
    return env


def env_tf() -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["PYTHONPATH"] = str(ROOT / "server")
    return env


def run_process(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float, int, str, str]:
    """Run to completion: wall seconds, CPU seconds (user+sys of the child), rc, stdout, stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.returncode, p.stdout, p.stderr


# --------------------------------------------------------------------------- 1. analyze() in process


class GcTimer:
    """Time spent in the cyclic garbage collector, via gc.callbacks."""

    def __init__(self) -> None:
        self.total = 0.0
        self.collections = 0
        self.by_generation = [0.0, 0.0, 0.0]
        self.count_by_generation = [0, 0, 0]
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            dt = time.perf_counter() - self._t0
            self.total += dt
            self.collections += 1
            self.by_generation[info["generation"]] += dt
            self.count_by_generation[info["generation"]] += 1

    def __enter__(self) -> "GcTimer":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


def bench_analyze(texts: dict[str, str], rounds: int, per_round_small: int, per_round_large: int) -> dict:
    from shapelens.core.analyze import analyze

    for _ in range(2):  # warm-up
        for name, text in texts.items():
            analyze(text, name)
    wall: dict[str, list[float]] = {k: [] for k in texts}
    cpu: dict[str, list[float]] = {k: [] for k in texts}
    gcs: dict[str, list[float]] = {k: [] for k in texts}
    ncoll: dict[str, list[int]] = {k: [] for k in texts}
    gen_ms: dict[str, list[list[float]]] = {k: [] for k in texts}
    gen_n: dict[str, list[list[int]]] = {k: [] for k in texts}
    for _ in range(rounds):
        for name, text in texts.items():
            # Steady state for this file: the garbage the other file's analyses left is collected
            # first, then one untimed call leaves this file's own garbage, as in an editor re-analysing.
            gc.collect()
            analyze(text, name)
            reps = per_round_small if name == "300" else per_round_large
            for _ in range(reps):
                with GcTimer() as g:
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    result = analyze(text, name)
                    wall[name].append(time.perf_counter() - t0)
                    cpu[name].append(time.process_time() - c0)
                del result
                gcs[name].append(g.total)
                ncoll[name].append(g.collections)
                gen_ms[name].append(g.by_generation)
                gen_n[name].append(g.count_by_generation)
    out = {}
    for name in texts:
        out[name] = {
            "wall": stats_ms(wall[name]), "cpu": stats_ms(cpu[name]),
            "gc_ms_median": statistics.median(gcs[name]) * 1000,
            "gc_share": sum(gcs[name]) / sum(wall[name]),
            "gc_collections_median": statistics.median(ncoll[name]),
            # per analysis, generations 0, 1, 2: mean collections and mean milliseconds
            "gc_by_generation": [{"collections": statistics.fmean(n[i] for n in gen_n[name]),
                                  "ms": statistics.fmean(m[i] for m in gen_ms[name]) * 1000} for i in range(3)],
        }
    return out


COLD_CODE = r"""
import json, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
from shapelens.core.analyze import analyze
t1 = time.perf_counter(); c1 = time.process_time()
text = open(sys.argv[1], encoding="utf-8").read()
t2 = time.perf_counter(); c2 = time.process_time()
analyze(text, sys.argv[1])
t3 = time.perf_counter(); c3 = time.process_time()
analyze(text, sys.argv[1])
t4 = time.perf_counter(); c4 = time.process_time()
print(json.dumps({"import_s": t1 - t0, "import_cpu_s": c1 - c0, "first_s": t3 - t2, "first_cpu_s": c3 - c2,
                  "second_s": t4 - t3, "second_cpu_s": c4 - c3}))
"""


def bench_cold(paths: dict[str, Path], repeats: int) -> dict:
    runs: dict[str, list[dict]] = {k: [] for k in paths}
    for _ in range(repeats):
        for name, path in paths.items():
            _, _, rc, out, err = run_process([sys.executable, "-c", COLD_CODE, str(path)], env_cached())
            if rc != 0:
                raise RuntimeError(err)
            runs[name].append(json.loads(out.strip().splitlines()[-1]))
    res = {}
    for name, rs in runs.items():
        res[name] = {key.replace("_s", "_ms"): statistics.median(r[key] for r in rs) * 1000 for key in rs[0]}
        res[name]["n"] = len(rs)
    return res


# --------------------------------------------------------------------------- 2. the CLI as a process


def bench_cli(files: dict[str, Path], repeats: int) -> dict:
    py = sys.executable
    cases = {
        "python -c pass (interpreter)": ([py, "-c", "pass"], env_cached()),
        "check empty file": ([py, "-m", "shapelens", "check", str(files["empty"])], env_cached()),
        "check 300-line file": ([py, "-m", "shapelens", "check", str(files["300"])], env_cached()),
        "check 5,000-line file": ([py, "-m", "shapelens", "check", str(files["5000"])], env_cached()),
        "check empty file, no bytecode cache": ([py, "-m", "shapelens", "check", str(files["empty"])],
                                                env_nocache()),
        "python -c pass, no bytecode cache": ([py, "-c", "pass"], env_nocache()),
    }
    for argv, env in cases.values():  # warm-up: fills the bytecode cache and the page cache
        run_process(argv, env)
    wall: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats):
        for name, (argv, env) in cases.items():
            w, c, rc, out, err = run_process(argv, env)
            if rc not in (0, 1):
                raise RuntimeError(f"{name}: exit {rc}\n{err}")
            wall[name].append(w)
            cpu[name].append(c)
    return {name: {"wall": stats_ms(wall[name]), "cpu": stats_ms(cpu[name])} for name in cases}


IMPORTS_CODE = r"""
import json, runpy, sys
sys.argv = ["shapelens", "check", sys.argv[1]]
try:
    runpy.run_module("shapelens", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
tops = sorted({m.split(".")[0] for m in sys.modules})
print("@@MODULES@@" + json.dumps(tops))
"""


def check_imports(path: Path) -> dict:
    """Which modules the check path loads: sys.modules after a run, and -X importtime."""
    _, _, rc, out, err = run_process([sys.executable, "-c", IMPORTS_CODE, str(path)], env_cached())
    line = next(ln for ln in out.splitlines() if ln.startswith("@@MODULES@@"))
    tops = json.loads(line[len("@@MODULES@@"):])
    # what a bare interpreter already has here (site, and whatever .pth files of this environment import)
    _, _, rc, out, err = run_process([sys.executable, "-c", "import json, sys; print(json.dumps(sorted("
                                      "{m.split('.')[0] for m in sys.modules})))"], env_cached())
    bare = set(json.loads(out))
    _, _, rc, out, err = run_process([sys.executable, "-X", "importtime", "-m", "shapelens", "check", str(path)],
                                     env_cached())
    rows = []
    for ln in err.splitlines():
        m = re.match(r"import time:\s+(-?\d+) \|\s+(-?\d+) \|( *)(\S+)", ln)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    imported = {r[3].split(".")[0] for r in rows}
    stdlib = set(getattr(sys, "stdlib_module_names", ()))
    added = [t for t in tops if t not in bare]
    third_party = sorted(t for t in added if t not in stdlib and not t.startswith("_") and t != "shapelens")
    shapelens_rows = [r for r in rows if r[3].startswith("shapelens")]
    return {
        "forbidden_in_sys_modules": [m for m in FORBIDDEN if m in tops],
        "forbidden_in_importtime": [m for m in FORBIDDEN if m in imported],
        "watched_loaded": [m for m in WATCHED if m in tops],
        "third_party_top_level": third_party,
        "modules_loaded": len(tops),
        "modules_added_over_bare_interpreter": len(added),
        "bare_interpreter_non_stdlib": sorted(t for t in bare if t not in stdlib and not t.startswith("_")),
        "importtime_total_us": sum(r[0] for r in rows),
        "importtime_shapelens_cumulative_us": max((r[1] for r in shapelens_rows if r[2] == 0), default=0),
        "importtime_top_self": [{"module": r[3], "self_us": r[0], "cumulative_us": r[1]}
                                for r in sorted(rows, key=lambda r: -r[0])[:10]],
    }


# --------------------------------------------------------------------------- 3. TensorFlow


TF_CODE = r"""
import json, sys, time
builds = int(sys.argv[2])
t0 = time.perf_counter(); c0 = time.process_time()
import tensorflow as tf
import keras
t1 = time.perf_counter(); c1 = time.process_time()
import runpy
times = []
for i in range(builds):
    b0 = time.perf_counter(); bc0 = time.process_time()
    g = runpy.run_path(sys.argv[1], run_name="bench_fixture")
    times.append((time.perf_counter() - b0, time.process_time() - bc0))
    if i == 0:
        params = sorted(v.count_params() for v in g.values() if isinstance(v, keras.Model))
print("@@TF@@" + json.dumps({"import_s": t1 - t0, "import_cpu_s": c1 - c0, "builds": times, "params": params,
                             "tensorflow": tf.__version__, "keras": keras.__version__}))
"""


def run_tf(path: Path, builds: int) -> tuple[float, float, dict]:
    wall, cpu, rc, out, err = run_process([sys.executable, "-c", TF_CODE, str(path), str(builds)], env_tf())
    if rc != 0:
        raise RuntimeError(f"TensorFlow run failed (exit {rc}):\n{err[-3000:]}")
    line = next(ln for ln in out.splitlines() if ln.startswith("@@TF@@"))
    return wall, cpu, json.loads(line[len("@@TF@@"):])


def bench_tf(path: Path, rounds: int, rebuilds: int) -> dict:
    check = [sys.executable, "-m", "shapelens", "check", str(path)]
    run_process(check, env_cached())  # warm-up
    tf_wall, tf_cpu, sl_wall, sl_cpu, imports, import_cpu, builds, build_cpu = [], [], [], [], [], [], [], []
    info: dict = {}
    for _ in range(rounds):
        w, c, info = run_tf(path, 1)
        tf_wall.append(w)
        tf_cpu.append(c)
        imports.append(info["import_s"])
        import_cpu.append(info["import_cpu_s"])
        builds.append(info["builds"][0][0])
        build_cpu.append(info["builds"][0][1])
        w, c, rc, _, err = run_process(check, env_cached())
        sl_wall.append(w)
        sl_cpu.append(c)
    # later builds in the same process (graph code and caches warm)
    _, _, more = run_tf(path, 1 + rebuilds)
    rebuild = [b[0] for b in more["builds"][1:]]
    rebuild_cpu = [b[1] for b in more["builds"][1:]]
    return {
        "tensorflow": info.get("tensorflow"), "keras": info.get("keras"), "rounds": rounds,
        "keras_params": info.get("params"),
        "process_wall": stats_ms(tf_wall), "process_cpu": stats_ms(tf_cpu),
        "import": stats_ms(imports), "import_cpu": stats_ms(import_cpu),
        "first_build": stats_ms(builds), "first_build_cpu": stats_ms(build_cpu),
        "rebuild": stats_ms(rebuild), "rebuild_cpu": stats_ms(rebuild_cpu),
        "shapelens_check_wall": stats_ms(sl_wall), "shapelens_check_cpu": stats_ms(sl_cpu),
    }


# --------------------------------------------------------------------------- profile


def profile_analyze(texts: dict[str, str], repeats: dict[str, int], top: int = 15) -> dict:
    from shapelens.core.analyze import analyze

    out = {}
    for name, text in texts.items():
        analyze(text, name)
        # CPU time of this thread, not wall time: on a loaded machine a preemption would otherwise be
        # charged to whichever function was running.
        prof = cProfile.Profile(time.thread_time)
        # The collector is off while profiling: a collection's pause would otherwise be charged to
        # whichever function happened to allocate. Its share is measured apart (bench_analyze).
        gc.collect()
        gc.disable()
        try:
            prof.enable()
            for _ in range(repeats[name]):
                analyze(text, name)
            prof.disable()
        finally:
            gc.enable()
        st = pstats.Stats(prof)
        raw = st.stats  # type: ignore[attr-defined]
        total = next(ct for (file, _, func), (_, _, _, ct, _) in raw.items()
                     if func == "analyze" and file.endswith("core/analyze.py"))
        rows = []
        for (file, line, func), (cc, nc, tt, ct, callers) in raw.items():
            rows.append({"where": f"{_short(file)}:{line}:{func}" if line else func, "calls": nc // repeats[name],
                         "self_share": tt / total, "cum_share": ct / total})
        by_self = sorted(rows, key=lambda r: -r["self_share"])[:top]
        by_cum = sorted((r for r in rows if "shapelens" in r["where"]), key=lambda r: -r["cum_share"])[:top + 10]
        out[name] = {"by_self": by_self, "by_cumulative": by_cum, "repeats": repeats[name]}
    return out


def phase_breakdown(texts: dict[str, str], repeats: dict[str, int]) -> dict:
    """Unprofiled CPU time of analyze() split into parsing, the garbage collector and the rest.

    parse: ``Source(text).parse()`` alone, collector off (what analyze() calls first); gc: analyze() with the
    collector on (steady state) minus analyze() with it off; the rest is evaluation and the
    extraction of the result. The profiler's per-call overhead inflates Python code
    against the C parser, so these shares are the ones to trust for the big phases.
    """
    from shapelens.core.analyze import analyze
    from shapelens.core.source import Source

    out = {}
    for name, text in texts.items():
        parse, off, on = [], [], []
        analyze(text, name)
        for _ in range(repeats[name]):
            gc.collect()
            gc.disable()
            try:
                c0 = time.thread_time()
                Source(text).parse()
                parse.append(time.thread_time() - c0)
                gc.collect()
                c0 = time.thread_time()
                analyze(text, name)
                off.append(time.thread_time() - c0)
            finally:
                gc.enable()
            gc.collect()
            analyze(text, name)  # leaves its garbage, as in steady state
            c0 = time.thread_time()
            analyze(text, name)
            on.append(time.thread_time() - c0)
        p, f, n = (statistics.median(x) * 1000 for x in (parse, off, on))
        out[name] = {"cpu_ms": n, "cpu_ms_gc_off": f, "parse_ms": p, "parse_share": p / n,
                     "gc_share": max(0.0, n - f) / n, "evaluation_share": (f - p) / n}
    return out


def _short(file: str) -> str:
    for marker in ("/server/", "/lib/python3"):
        if marker in file:
            tail = file.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker == "/lib/python3" else tail
    return file


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke run (figures are rough)")
    parser.add_argument("--profile", action="store_true", help="also profile analyze() (cProfile)")
    parser.add_argument("--no-tf", action="store_true", help="skip the TensorFlow comparison")
    args = parser.parse_args()
    q = args.quick
    load_start = machine()["loadavg"]

    RESULTS.mkdir(parents=True, exist_ok=True)
    large_path = RESULTS / "generated_5000.py"
    large = generate_large(5000)
    large_path.write_text(large, encoding="utf-8")
    empty_path = RESULTS / "empty.py"
    empty_path.write_text("", encoding="utf-8")
    small = realistic_text()
    texts = {"300": small, "5000": large}

    # the fixture must analyse cleanly; the counts go into the report
    from shapelens.core.analyze import analyze

    shapes = {}
    for name, text in texts.items():
        a = analyze(text, name)
        shapes[name] = {"lines": len(text.splitlines()), "models": len(a.models), "layer_calls": len(a.layers),
                        "diagnostics": {s: sum(1 for d in a.diagnostics if d.severity == s)
                                        for s in ("error", "warning", "information", "hint")},
                        "params": sorted(m.params for m in a.models if m.params is not None)}
        if any(shapes[name]["diagnostics"].values()):
            print(f"note: the {name}-line file has diagnostics: {shapes[name]['diagnostics']}", file=sys.stderr)

    print(f"shapelens engine benchmark ({'quick' if q else 'full'}) — commit {git_commit()}, "
          f"load average at start {load_start}")
    print(f"  300-line fixture: {shapes['300']['models']} models, {shapes['300']['layer_calls']} layer calls; "
          f"5,000-line generated file: {shapes['5000']['models']} models, {shapes['5000']['layer_calls']} layer calls")

    t_start = time.perf_counter()
    eng = bench_analyze(texts, rounds=3 if q else 10, per_round_small=3 if q else 6, per_round_large=1 if q else 2)
    cold = bench_cold({"300": REALISTIC, "5000": large_path}, repeats=2 if q else 5)
    cli = bench_cli({"empty": empty_path, "300": REALISTIC, "5000": large_path}, repeats=3 if q else 15)
    imports = check_imports(REALISTIC)
    tf = None if args.no_tf else bench_tf(REALISTIC, rounds=1 if q else 5, rebuilds=2 if q else 5)

    # ---------------------------------------------------------------- tables
    def row(label: str, wall: float | None, p95: float | None, cpu: float | None, extra: str = "") -> None:
        f = lambda v: f"{v:10.1f}" if v is not None else f"{'':>10}"  # noqa: E731
        print(f"  {label:<46}{f(wall)}{f(p95)}{f(cpu)}  {extra}")

    print("\nanalyze() in process")
    print(f"  {'':<46}{'p50 ms':>10}{'p95 ms':>10}{'CPU ms':>10}")
    for name, label in (("300", "300-line file, warm"), ("5000", "5,000-line file, warm")):
        e = eng[name]
        row(label, e["wall"]["p50_ms"], e["wall"]["p95_ms"], e["cpu"]["p50_ms"],
            f"n={e['wall']['n']}, gc {e['gc_share']:.0%} of the time ({e['gc_collections_median']:.0f} collections)")
    for name, label in (("300", "300-line file, first call (fresh process)"),
                        ("5000", "5,000-line file, first call (fresh process)")):
        c = cold[name]
        row(label, c["first_ms"], None, c["first_cpu_ms"], f"n={c['n']}; import shapelens.core.analyze "
            f"{c['import_ms']:.0f} ms; 2nd call {c['second_ms']:.1f} ms")

    print("\nshapelens check as a whole process (python -m shapelens check FILE)")
    print(f"  {'':<46}{'p50 ms':>10}{'p95 ms':>10}{'CPU ms':>10}")
    base = cli["python -c pass (interpreter)"]["wall"]["p50_ms"]
    for name, r in cli.items():
        row(name, r["wall"]["p50_ms"], r["wall"]["p95_ms"], r["cpu"]["p50_ms"],
            f"{r['wall']['p50_ms'] / base:.2f}× python -c pass")

    print("\nimports on the check path")
    print(f"  forbidden (pygls, lsprotocol, tensorflow) in sys.modules: {imports['forbidden_in_sys_modules'] or 'none'}; "
          f"in -X importtime: {imports['forbidden_in_importtime'] or 'none'}")
    print(f"  third-party top-level modules loaded beyond a bare interpreter: "
          f"{imports['third_party_top_level'] or 'none'} ({imports['modules_loaded']} top-level modules in all, "
          f"{imports['modules_added_over_bare_interpreter']} more than `python -c pass`, which already has "
          f"{', '.join(imports['bare_interpreter_non_stdlib']) or 'no non-stdlib module'})")
    print(f"  import shapelens.* (cumulative, -X importtime, bytecode cached): "
          f"{imports['importtime_shapelens_cumulative_us'] / 1000:.1f} ms; largest self times: " + ", ".join(
              f"{r['module']} {r['self_us'] / 1000:.1f}" for r in imports["importtime_top_self"][:5]))

    if tf:
        sl300 = eng["300"]
        inproc = tf["first_build"]["p50_ms"] / sl300["wall"]["p50_ms"]
        inproc_cpu = tf["first_build_cpu"]["p50_ms"] / sl300["cpu"]["p50_ms"]
        rebuild = tf["rebuild"]["p50_ms"] / sl300["wall"]["p50_ms"]
        whole = tf["process_wall"]["p50_ms"] / tf["shapelens_check_wall"]["p50_ms"]
        whole_cpu = tf["process_cpu"]["p50_ms"] / tf["shapelens_check_cpu"]["p50_ms"]
        agree = tf["keras_params"] == shapes["300"]["params"]
        tf.update(in_process_ratio=inproc, in_process_ratio_cpu=inproc_cpu, rebuild_ratio=rebuild,
                  whole_process_ratio=whole, whole_process_ratio_cpu=whole_cpu, params_agree=agree)
        print(f"\nthe 300-line file under TensorFlow {tf['tensorflow']} / Keras {tf['keras']} "
              f"(n={tf['rounds']}; parameter counts of all {len(tf['keras_params'])} models "
              f"{'equal' if agree else 'DIFFER from'} shapelens's)")
        print(f"  {'':<46}{'p50 ms':>10}{'p95 ms':>10}{'CPU ms':>10}")
        row("import tensorflow + keras", tf["import"]["p50_ms"], tf["import"]["p95_ms"], tf["import_cpu"]["p50_ms"])
        row("build the models (first, after import)", tf["first_build"]["p50_ms"], tf["first_build"]["p95_ms"],
            tf["first_build_cpu"]["p50_ms"], f"{inproc:.0f}× analyze() (CPU: {inproc_cpu:.0f}×)")
        row("build again in the same process", tf["rebuild"]["p50_ms"], tf["rebuild"]["p95_ms"],
            tf["rebuild_cpu"]["p50_ms"], f"{rebuild:.0f}× analyze()")
        row("whole process (python file under TF)", tf["process_wall"]["p50_ms"], tf["process_wall"]["p95_ms"],
            tf["process_cpu"]["p50_ms"], f"{whole:.1f}× shapelens check (CPU: {whole_cpu:.1f}×)")
        row("shapelens check, same rounds", tf["shapelens_check_wall"]["p50_ms"], tf["shapelens_check_wall"]["p95_ms"],
            tf["shapelens_check_cpu"]["p50_ms"])

    targets = [
        ("analyze() 300-line warm p50 <= 10 ms", eng["300"]["wall"]["p50_ms"], eng["300"]["cpu"]["p50_ms"],
         lambda v: v <= TARGETS["analyze_300_ms"], "ms"),
        ("analyze() 5,000-line warm p50 <= 150 ms", eng["5000"]["wall"]["p50_ms"], eng["5000"]["cpu"]["p50_ms"],
         lambda v: v <= TARGETS["analyze_5000_ms"], "ms"),
        ("check empty file, whole process p50 <= 250 ms", cli["check empty file"]["wall"]["p50_ms"],
         cli["check empty file"]["cpu"]["p50_ms"], lambda v: v <= TARGETS["check_empty_process_ms"], "ms"),
    ]
    if tf:
        targets += [
            ("TF build / analyze() in process >= 500×", tf["in_process_ratio"], tf["in_process_ratio_cpu"],
             lambda v: v >= TARGETS["tf_in_process_ratio"], "×"),
            ("TF process / check process >= 20×", tf["whole_process_ratio"], tf["whole_process_ratio_cpu"],
             lambda v: v >= TARGETS["tf_whole_process_ratio"], "×"),
        ]
    print("\ntargets (judged on wall time; CPU time alongside)")
    verdicts = {}
    for label, wall, cpu, ok, unit in targets:
        verdicts[label] = {"wall": wall, "cpu": cpu, "met": ok(wall), "met_cpu": ok(cpu)}
        print(f"  {label:<48} {wall:9.1f} {unit:<2} {verdict(ok(wall)):<7} (CPU: {cpu:.1f} {unit}, "
              f"{verdict(ok(cpu))})")

    prof = phases = None
    missed_engine = not (verdicts[targets[0][0]]["met"] and verdicts[targets[1][0]]["met"])
    if args.profile or (missed_engine and not q):
        phases = phase_breakdown(texts, {"300": 5 if q else 20, "5000": 2 if q else 6})
        prof = profile_analyze(texts, {"300": 5 if q else 30, "5000": 1 if q else 4})
        print("\nwhere analyze()'s CPU time goes (unprofiled; medians)")
        for name, ph in phases.items():
            print(f"  {name}-line file: {ph['cpu_ms']:.1f} ms = parse (ast) {ph['parse_share']:.0%} "
                  f"({ph['parse_ms']:.1f} ms) + garbage collector {ph['gc_share']:.0%} "
                  f"+ evaluation and result {ph['evaluation_share']:.0%}; with the collector off "
                  f"{ph['cpu_ms_gc_off']:.1f} ms")
        print("\nprofile of analyze() (cProfile on thread CPU time, collector off; share of analyze()'s time)")
        for name, p in prof.items():
            gen = eng[name]["gc_by_generation"]
            print(f"  {name}-line file: the garbage collector takes {eng[name]['gc_share']:.0%} of the unprofiled "
                  f"wall time (per analysis: " + ", ".join(
                      f"gen{i} {g['collections']:.0f}× {g['ms']:.1f} ms" for i, g in enumerate(gen)) + ")")
            print(f"  {name}-line file — self time:")
            for r in p["by_self"][:12]:
                print(f"    {r['self_share']:6.1%}  {r['where']}  ({r['calls']} calls/analysis)")
            print(f"  {name}-line file — cumulative (shapelens functions):")
            for r in p["by_cumulative"][:22]:
                print(f"    {r['cum_share']:6.1%}  {r['where']}  ({r['calls']} calls/analysis)")

    results = {
        "commit": git_commit(), "quick": q, "machine": machine(), "loadavg_start": load_start,
        "versions": versions("shapelens", "tensorflow-cpu", "tensorflow", "keras"),
        "elapsed_s": time.perf_counter() - t_start, "files": shapes, "targets": TARGETS,
        "analyze": eng, "analyze_cold": cold, "cli": cli, "imports": imports, "tensorflow": tf,
        "verdicts": verdicts, "profile": prof, "phases": phases,
    }
    out = RESULTS / "engine.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)} (load average at end {machine()['loadavg']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

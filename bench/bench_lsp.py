"""Benchmark the language server over stdio, next to a bare pygls server and jedi-language-server.

    python bench/bench_lsp.py [--quick] [--repeat N] [--no-jedi] [--startup-only] [--rounds N]

A small JSON-RPC client (in this file: Content-Length framing over the server's stdin and
stdout, raw JSON, timestamps taken when a message has been read) drives
``python -m shapelens serve`` on bench/fixtures/realistic_300.py and on the generated
5,000-line file (bench/common.py) and measures:

* ``initialize``: from spawning the process to the response (what an editor waits
  for), warm (bytecode cached) and cold (no bytecode: every module compiled from source, as on
  the first start after an install), and the request alone once the process has settled
  (``--startup-only`` measures this phase alone), for shapelens, for
  bench/bare_pygls_server.py (pygls + lsprotocol answering initialize: the baseline)
  and for jedi-language-server, interleaved round by round;
* didChange → publishDiagnostics for that version, p50/p95, with the debounce set to
  0 through initializationOptions (``{"diagnostics": {"debounceMs": 0}}``, see
  shapelens/config.py) and with the default debounce (no options sent) -- there the first edit
  is sent the moment the open's diagnostics arrive and reported apart, before the server's
  idle work after the open is done; the others once the server is idle, back to back;
* hover on every ``layers.X`` name of the file, p50/p95, shapelens and jedi-language-server
  alternating request by request on the same positions (both servers running);
* the first diagnostics after didOpen, inlay hints over the whole file, and the
  servers' resident memory (VmRSS, peak VmHWM).

Every server runs with a bytecode cache (PYTHONPYCACHEPREFIX, filled by a warm-up
start), as an installed package would. Latencies are also given as a ratio to a bare
``analyze()`` of the same text in this process. Prints tables and writes
bench/results/lsp.json. Reports only: no assertions on timings. jedi-language-server
is a reference point, not a dependency: ``pip install jedi-language-server``; without it
its columns are skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    RESULTS,
    ROOT,
    generate_large,
    git_commit,
    machine,
    realistic_text,
    rss_kb,
    stats_ms,
    versions,
)

TARGETS = {
    "initialize_over_bare_pygls_ms": 100.0,
    "change_to_diagnostics_p95_ms": 50.0,
    "hover_p95_ms": 5.0,
    "rss_mb": 80.0,
}
PYCACHE = Path(tempfile.gettempdir()) / "shapelens-bench-pycache"
WORKSPACE = Path(tempfile.gettempdir()) / "shapelens-bench-workspace"
LOGS = RESULTS / "lsp-logs"


def server_env(cold: bool = False) -> dict[str, str]:
    """Warm: a bytecode cache filled by earlier starts. Cold: no bytecode at all (an empty cache
    directory and PYTHONDONTWRITEBYTECODE), so every module is compiled from source, pygls and
    lsprotocol included, for the baseline as for shapelens."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    if cold:
        empty = Path(tempfile.gettempdir()) / "shapelens-bench-pycache-cold"
        empty.mkdir(exist_ok=True)
        env["PYTHONPYCACHEPREFIX"] = str(empty)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = str(ROOT / "server")
    return env


SERVERS: dict[str, list[str]] = {
    "bare pygls": [sys.executable, str(ROOT / "bench" / "bare_pygls_server.py")],
    "shapelens": [sys.executable, "-m", "shapelens", "serve"],
    "jedi-language-server": [sys.executable, "-c", "from jedi_language_server.cli import cli; cli()"],
}


def have_jedi_ls() -> bool:
    return importlib.util.find_spec("jedi_language_server") is not None


def default_debounce_ms() -> int:
    from shapelens.config import DiagnosticsOptions

    return DiagnosticsOptions().debounce_ms


# --------------------------------------------------------------------------- a small JSON-RPC client


class Client:
    """LSP over a child's stdio. Requests return (seconds until the response was read, result)."""

    def __init__(self, name: str, cold: bool = False) -> None:
        self.name = name
        self.cold = cold
        self.proc: asyncio.subprocess.Process | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self.diagnostics: dict[tuple[str, int | None], tuple[float, int]] = {}
        self._diag_event = asyncio.Event()
        self.spawned_at = 0.0
        self.log_path = LOGS / f"{name.replace(' ', '-')}.stderr.log"

    async def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.spawned_at = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *SERVERS[self.name], stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=self._log, env=server_env(self.cold), cwd=str(WORKSPACE), limit=2**26)
        self._reader = asyncio.create_task(self._read_loop())

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def _read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = await out.readline()
                if not line:
                    self._fail(EOFError(f"{self.name} closed its output (see {self.log_path})"))
                    return
                line = line.strip()
                if not line:
                    break
                key, _, value = line.partition(b":")
                if key.strip().lower() == b"content-length":
                    length = int(value)
            body = await out.readexactly(length or 0)
            t = time.perf_counter()
            msg = json.loads(body)
            if "method" in msg and "id" in msg:  # a request from the server: answer null
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
            elif "method" in msg:
                if msg["method"] == "textDocument/publishDiagnostics":
                    p = msg["params"]
                    self.diagnostics[(p["uri"], p.get("version"))] = (t, len(p["diagnostics"]))
                    self._diag_event.set()
            else:
                fut = self._pending.pop(msg.get("id"), None)
                if fut is not None and not fut.done():
                    fut.set_result((t, msg))

    def _fail(self, exc: Exception) -> None:
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(exc)
        self._pending.clear()
        self._diag_event.set()

    def _send(self, msg: dict) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def request(self, method: str, params: Any, timeout: float = 120) -> tuple[float, Any]:
        self._next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = fut
        t0 = time.perf_counter()
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        t, msg = await asyncio.wait_for(fut, timeout)
        if "error" in msg:
            raise RuntimeError(f"{self.name}: {method} failed: {msg['error']}")
        return t - t0, msg.get("result")

    def notify(self, method: str, params: Any) -> float:
        t0 = time.perf_counter()
        self._send({"jsonrpc": "2.0", "method": method, "params": params})
        return t0

    async def wait_diagnostics(self, uri: str, version: int | None, timeout: float = 120) -> tuple[float, int]:
        deadline = time.perf_counter() + timeout
        while (uri, version) not in self.diagnostics:
            if self.proc is not None and self.proc.returncode is not None:
                raise RuntimeError(f"{self.name} exited (see {self.log_path})")
            self._diag_event.clear()
            try:
                await asyncio.wait_for(self._diag_event.wait(), max(0.0, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                raise TimeoutError(f"{self.name}: no diagnostics for {uri} version {version}") from None
        return self.diagnostics[(uri, version)]

    async def initialize(self, options: Any = None) -> tuple[float, Any]:
        params = {
            "processId": os.getpid(),
            "rootUri": WORKSPACE.as_uri(),
            "workspaceFolders": [{"uri": WORKSPACE.as_uri(), "name": "bench"}],
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "textDocument": {
                    "publishDiagnostics": {"versionSupport": True},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "synchronization": {"didSave": True},
                },
            },
        }
        if options is not None:
            params["initializationOptions"] = options
        dt, result = await self.request("initialize", params)
        self.notify("initialized", {})
        return dt, result

    async def stop(self) -> None:
        if self.proc is None:
            return
        try:
            if self.proc.returncode is None:
                await self.request("shutdown", None, timeout=10)
                self.notify("exit", None)
                await asyncio.wait_for(self.proc.wait(), 10)
        except (asyncio.TimeoutError, RuntimeError, EOFError, ConnectionError):
            if self.proc.returncode is None:
                self.proc.kill()  # our own child, by its handle
                await self.proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        self._log.close()


def cpu_ticks_and_state(pid: int) -> tuple[int, str]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), fields[0]


async def settle(pid: int, quiet_polls: int = 4, interval: float = 0.025, timeout: float = 30) -> None:
    """Wait until the process sleeps and its CPU time stops growing (startup imports done)."""
    deadline = time.perf_counter() + timeout
    last, quiet = -1, 0
    while time.perf_counter() < deadline:
        ticks, state = cpu_ticks_and_state(pid)
        quiet = quiet + 1 if (ticks == last and state in ("S", "D")) else 0
        if quiet >= quiet_polls:
            return
        last = ticks
        await asyncio.sleep(interval)


# --------------------------------------------------------------------------- documents


def doc_uri(name: str) -> str:
    return (WORKSPACE / name).as_uri()


def hover_positions(text: str) -> list[dict[str, int]]:
    """The class name of every ``layers.X`` on the file (one per line), as LSP positions (ASCII file)."""
    out = []
    for i, line in enumerate(text.splitlines()):
        k = line.find("layers.")
        if k >= 0 and line[k + 7: k + 8].isupper():
            out.append({"line": i, "character": k + 8})
    return out


def open_doc(client: Client, uri: str, text: str) -> float:
    return client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                   "version": 1, "text": text}})


# The line the edits add and take away: a comment (an edit of layout, which runs no statement
# since 298f0ae), or with --code-edits a statement (an edit of code: it runs, the state before it
# is restored, the statements after it keep their results)
EDIT_LINE = ["# an edit\n"]
CODE_EDIT_LINE = "shapelens_edit = 1\n"


def edit_params(uri: str, version: int, line: int, insert: bool) -> dict:
    """Insert a comment line (``EDIT_LINE``) before ``line``, or delete it again: the text stays
    valid either way."""
    if insert:
        change = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                  "text": EDIT_LINE[0]}
    else:
        change = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
                  "text": ""}
    return {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}


def edit_line(text: str) -> int:
    """A top-level line in the middle of the file, before a statement."""
    lines = text.splitlines()
    mid = len(lines) // 2
    for i in range(mid, len(lines)):
        if lines[i] and not lines[i][0].isspace() and not lines[i].startswith((")", "]", "}")):
            return i
    return mid


# --------------------------------------------------------------------------- phases


async def phase_startup(rounds: int, names: list[str]) -> dict:
    """Interleaved: spawn → initialize response, warm (bytecode cached) and cold (no bytecode);
    and the request alone once the process settled."""
    spawn: dict[str, list[float]] = {n: [] for n in names}
    spawn_cold: dict[str, list[float]] = {n: [] for n in names}
    spawn_cpu: dict[str, list[float]] = {n: [] for n in names}
    settled: dict[str, list[float]] = {n: [] for n in names}
    rss: dict[str, list[int]] = {n: [] for n in names}
    for n in names:  # warm-up: fills the bytecode cache
        c = Client(n)
        await c.start()
        await c.initialize()
        await c.stop()
    for k in range(rounds):
        for n in names[k % len(names):] + names[:k % len(names)]:  # rotate the order round by round
            c = Client(n)
            await c.start()
            await c.initialize()
            spawn[n].append(time.perf_counter() - c.spawned_at)
            spawn_cpu[n].append(cpu_ticks_and_state(c.pid)[0] / os.sysconf("SC_CLK_TCK"))
            await c.stop()
            c = Client(n, cold=True)
            await c.start()
            await c.initialize()
            spawn_cold[n].append(time.perf_counter() - c.spawned_at)
            await c.stop()
            c = Client(n)
            await c.start()
            await settle(c.pid)
            dt, _ = await c.initialize()
            settled[n].append(dt)
            await asyncio.sleep(0.05)
            rss[n].append(rss_kb(c.pid).get("VmRSS", 0))
            await c.stop()
    base = names[0]

    # Paired per round (the servers of one round ran within a few seconds of each other): less
    # sensitive to the machine's load drifting over the run than a difference of medians.
    def paired(samples: dict[str, list[float]], n: str) -> float:
        return statistics.median((a - b) * 1000 for a, b in zip(samples[n], samples[base]))

    return {n: {"spawn_to_initialize_minus_baseline_ms": paired(spawn, n),
                "cold_spawn_to_initialize_minus_baseline_ms": paired(spawn_cold, n),
                "cpu_minus_baseline_ms": paired(spawn_cpu, n),
                "spawn_to_initialize": stats_ms(spawn[n]), "cold_spawn_to_initialize": stats_ms(spawn_cold[n]),
                "initialize_request": stats_ms(settled[n]),
                # the server's own CPU time (user+sys) from spawn to the response
                "spawn_to_initialize_cpu": stats_ms(spawn_cpu[n]),
                "rss_idle_mib": statistics.median(rss[n]) / 1024} for n in names}


async def phase_features(label: str, text: str, repeat: int, edits: int, with_jedi: bool) -> dict:
    """shapelens (debounce 0) and, alongside, jedi-language-server on the same document."""
    uri = doc_uri(f"{label}.py")
    sl = Client("shapelens")
    await sl.start()
    await sl.initialize({"diagnostics": {"debounceMs": 0}})
    jd = None
    if with_jedi:
        jd = Client("jedi-language-server")
        await jd.start()
        await jd.initialize()
    t0 = open_doc(sl, uri, text)
    t, n_diags = await sl.wait_diagnostics(uri, 1)
    first_diagnostics = t - t0
    rss_open = rss_kb(sl.pid).get("VmRSS", 0) / 1024
    if jd is not None:
        open_doc(jd, uri, text)

    positions = hover_positions(text)
    out: dict[str, Any] = {"first_diagnostics_ms": first_diagnostics * 1000, "diagnostics": n_diags,
                           "rss_after_open_mib": rss_open,
                           "hover_positions": len(positions)}
    clients = [c for c in (sl, jd) if c is not None]
    hover: dict[str, list[float]] = {c.name: [] for c in clients}
    empty: dict[str, int] = {c.name: 0 for c in clients}
    first_hover: dict[str, float] = {}
    for c in clients:  # the first hover apart: jedi loads and caches keras there
        dt, res = await c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": positions[0]})
        first_hover[c.name] = dt * 1000
    ticks0 = {c.name: cpu_ticks_and_state(c.pid)[0] for c in clients}
    for k in range(repeat):
        pos = positions[k % len(positions)]
        for c in (clients if k % 2 == 0 else clients[::-1]):
            dt, res = await c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos})
            hover[c.name].append(dt)
            empty[c.name] += res is None
    hz = os.sysconf("SC_CLK_TCK")
    out["hover"] = {c.name: {**stats_ms(hover[c.name]), "first_ms": first_hover[c.name], "empty": empty[c.name],
                             "server_cpu_ms_per_request": (cpu_ticks_and_state(c.pid)[0] - ticks0[c.name])
                             * 1000 / hz / repeat} for c in clients}

    hints, n_hints = [], 0
    n_lines = len(text.splitlines())
    for _ in range(max(3, repeat // 4)):
        dt, res = await sl.request("textDocument/inlayHint", {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": n_lines, "character": 0}}})
        hints.append(dt)
        n_hints = len(res or [])
    out["inlay_hints"] = {**stats_ms(hints), "count": n_hints}

    out["change_to_diagnostics"] = await run_edits(sl, uri, text, edits, version=1)
    out["rss"] = {}
    for c in clients:
        r = rss_kb(c.pid)
        out["rss"][c.name] = {"rss_mib": r.get("VmRSS", 0) / 1024, "peak_mib": r.get("VmHWM", 0) / 1024}
    for c in clients:
        await c.stop()
    return out


async def run_edits(client: Client, uri: str, text: str, edits: int, version: int,
                    insert_first: bool = True) -> dict:
    line = edit_line(text)
    samples = []
    ticks0 = cpu_ticks_and_state(client.pid)[0]
    for k in range(edits):
        version += 1
        insert = (k % 2 == 0) == insert_first
        t0 = client.notify("textDocument/didChange", edit_params(uri, version, line, insert=insert))
        t, _ = await client.wait_diagnostics(uri, version)
        samples.append(t - t0)
    ticks = cpu_ticks_and_state(client.pid)[0] - ticks0
    # the server's CPU time per edit (user+sys; clock ticks): apart from waiting for a CPU
    return {**stats_ms(samples), "server_cpu_ms_per_request": ticks * 1000 / os.sysconf("SC_CLK_TCK") / edits,
            "samples_ms": [round(x * 1000, 2) for x in samples]}


async def phase_debounce(label: str, text: str, edits: int, debounce_ms: int | None) -> dict:
    """Edits with a given debounce (None: the server's default, no option sent)."""
    uri = doc_uri(f"{label}.py")
    c = Client("shapelens")
    await c.start()
    await c.initialize(None if debounce_ms is None else {"diagnostics": {"debounceMs": debounce_ms}})
    open_doc(c, uri, text)
    await c.wait_diagnostics(uri, 1)
    # the first edit sent the moment the diagnostics of the open arrive, before the server's idle
    # work after the open (reading every statement for the next edit) is done: reported apart
    first = await run_edits(c, uri, text, 1, version=1)
    await settle(c.pid)
    res = await run_edits(c, uri, text, edits, version=2, insert_first=False)
    res["first_edit_after_open_ms"] = first["p50_ms"]
    res["rss_mib"] = rss_kb(c.pid).get("VmRSS", 0) / 1024
    await c.stop()
    return res


def analyze_baseline(texts: dict[str, str], repeat: int) -> dict[str, dict]:
    from shapelens.core.analyze import analyze

    samples: dict[str, list[float]] = {k: [] for k in texts}
    for name, text in texts.items():
        analyze(text, name)
    for k in range(repeat):
        for name, text in texts.items():
            if name != "300" and k % 3:
                continue
            t = time.perf_counter()
            analyze(text, name)
            samples[name].append(time.perf_counter() - t)
    return {k: stats_ms(v) for k, v in samples.items()}


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


async def run(args: argparse.Namespace) -> dict:
    q = args.quick
    repeat = args.repeat or (10 if q else 60)
    edits = max(4, repeat // 2)
    edits_large = max(3, repeat // 6)
    jedi = have_jedi_ls() and not args.no_jedi
    WORKSPACE.mkdir(parents=True, exist_ok=True)
    names = ["bare pygls", "shapelens"] + (["jedi-language-server"] if jedi else [])
    if args.startup_only:
        return {"jedi": jedi, "startup": await phase_startup(args.rounds or (3 if q else 15), names)}
    texts = {"300": realistic_text(), "5000": generate_large(5000)}
    base = analyze_baseline(texts, 3 if q else 30)
    default = default_debounce_ms()

    startup = await phase_startup(args.rounds or (3 if q else 15), names)
    features = {
        "300": await phase_features("realistic_300", texts["300"], repeat, edits, jedi),
        "5000": await phase_features("generated_5000", texts["5000"], max(6, repeat // 3), edits_large, jedi),
    }
    debounced = {
        "300": await phase_debounce("realistic_300", texts["300"], max(4, edits // 2), None),
        "5000": await phase_debounce("generated_5000", texts["5000"], edits_large, None),
    }
    # what debounce would meet the target: the latency at debounce 0 leaves this much room
    p95_0 = features["300"]["change_to_diagnostics"]["p95_ms"]
    room = TARGETS["change_to_diagnostics_p95_ms"] - p95_0
    suggested = None
    if room >= 5:
        suggested = int(room // 5 * 5)
        debounced["300_suggested"] = await phase_debounce("realistic_300", texts["300"], max(4, edits // 2),
                                                          suggested)
    sweep = {}
    for _ in range(2 if args.sweep else 0):  # two interleaved passes over the values
        for ms in args.sweep:
            res = await phase_debounce("realistic_300", texts["300"], max(4, edits // 2), ms)
            prev = sweep.setdefault(str(ms), [])
            prev.append(res)
    return {"repeat": repeat, "edits": edits, "edits_large": edits_large, "jedi": jedi, "sweep": sweep,
            "default_debounce_ms": default, "analyze": base, "startup": startup, "features": features,
            "debounced": debounced, "suggested_debounce_ms": suggested, "room_ms": room}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke run (figures are rough)")
    parser.add_argument("--repeat", type=int, default=0, help="hover requests per file (default 60; quick 10)")
    parser.add_argument("--no-jedi", action="store_true", help="skip jedi-language-server")
    parser.add_argument("--code-edits", action="store_true",
                        help="the edits add and take away a line of code (a statement), not a comment line")
    parser.add_argument("--sweep", type=lambda v: [int(x) for x in v.split(",")], default=[],
                        metavar="MS,MS,...", help="also measure change → diagnostics on the 300-line file at "
                                                  "these debounce values (two interleaved passes)")
    parser.add_argument("--startup-only", action="store_true", help="measure the startup phase only")
    parser.add_argument("--rounds", type=int, default=0, help="startup rounds (default 15; quick 3)")
    args = parser.parse_args()
    if args.code_edits:
        EDIT_LINE[0] = CODE_EDIT_LINE
    load_start = machine()["loadavg"]
    t_start = time.perf_counter()
    r = asyncio.run(run(args))
    st = r["startup"]
    jedi = "jedi-language-server" if r["jedi"] else None

    print(f"shapelens LSP benchmark ({'quick' if args.quick else 'full'}) — commit {git_commit()}, "
          f"load average at start {load_start}")
    if not r["jedi"]:
        print("  jedi-language-server is not installed (pip install jedi-language-server): its columns are skipped")

    def f(v: float | None, w: int = 9) -> str:
        return f"{v:{w}.1f}" if v is not None else f"{'':>{w}}"

    print("\nstartup (interleaved rounds; ms; cold: no bytecode, every module compiled from source)")
    print(f"  {'server':<24}{'spawn→init p50':>15}{'p95':>9}{'its CPU':>9}{'cold p50':>10}"
          f"{'init request p50':>18}{'p95':>9}{'idle RSS MiB':>14}")
    for n, s in st.items():
        print(f"  {n:<24}{f(s['spawn_to_initialize']['p50_ms'], 15)}{f(s['spawn_to_initialize']['p95_ms'])}"
              f"{f(s['spawn_to_initialize_cpu']['p50_ms'])}{f(s['cold_spawn_to_initialize']['p50_ms'], 10)}"
              f"{f(s['initialize_request']['p50_ms'], 18)}{f(s['initialize_request']['p95_ms'])}"
              f"{f(s['rss_idle_mib'], 14)}")
    bare = st["bare pygls"]["spawn_to_initialize"]["p50_ms"]
    over = st["shapelens"]["spawn_to_initialize_minus_baseline_ms"]
    over_cpu = st["shapelens"]["cpu_minus_baseline_ms"]
    print(f"  shapelens − bare pygls (median of per-round differences): {over:+.1f} ms "
          f"({st['shapelens']['spawn_to_initialize']['p50_ms'] / bare:.2f}× in p50; server CPU {over_cpu:+.0f} ms)"
          + (f"; jedi-language-server − bare pygls: {st[jedi]['spawn_to_initialize_minus_baseline_ms']:+.1f} ms "
             f"(CPU {st[jedi]['cpu_minus_baseline_ms']:+.0f} ms)" if jedi else ""))
    over_cold = st["shapelens"]["cold_spawn_to_initialize_minus_baseline_ms"]
    print(f"  cold (no bytecode), shapelens − bare pygls: {over_cold:+.1f} ms "
          f"({st['shapelens']['cold_spawn_to_initialize']['p50_ms'] / st['bare pygls']['cold_spawn_to_initialize']['p50_ms']:.2f}× in p50)")
    if args.startup_only:
        return 0
    ft, db, base = r["features"], r["debounced"], r["analyze"]
    d = r["default_debounce_ms"]

    for label, name in (("300", "300-line fixture"), ("5000", "5,000-line generated file")):
        fe = ft[label]
        b = base[label]["p50_ms"]
        print(f"\n{name} (analyze() alone in this process: p50 {b:.1f} ms; {fe['diagnostics']} diagnostics, "
              f"{fe['hover_positions']} hover positions, {fe['inlay_hints']['count']} inlay hints)")
        print(f"  {'measure':<56}{'p50 ms':>9}{'p95 ms':>9}{'× analyze()':>13}{'server CPU ms':>15}")

        def line(label_: str, s: dict, ratio: bool = True) -> None:
            cpu = s.get("server_cpu_ms_per_request")
            print(f"  {label_:<56}{f(s['p50_ms'])}{f(s['p95_ms'])}"
                  + (f"{s['p50_ms'] / b:13.2f}" if ratio else f"{'':>13}") + (f(cpu, 15) if cpu is not None else ""))

        print(f"  {'first diagnostics after didOpen':<56}{f(fe['first_diagnostics_ms'])}{'':>9}"
              f"{fe['first_diagnostics_ms'] / b:13.2f}")
        line("didChange → publishDiagnostics, debounce 0", fe["change_to_diagnostics"])
        line(f"didChange → publishDiagnostics, default debounce ({d} ms)", db[label])
        if "first_edit_after_open_ms" in db[label]:
            print(f"  {'  the first edit, sent as the diagnostics of the open come':<56}"
                  f"{f(db[label]['first_edit_after_open_ms'])}")
        print(f"  {'  the same minus the debounce':<56}{f(db[label]['p50_ms'] - d)}{f(db[label]['p95_ms'] - d)}")
        if label == "300" and "300_suggested" in db:
            line(f"didChange → publishDiagnostics, debounce {r['suggested_debounce_ms']} ms", db["300_suggested"])
        line("hover (shapelens)", fe["hover"]["shapelens"])
        if jedi:
            line("hover (jedi-language-server, same positions)", fe["hover"][jedi])
            print(f"  {'  first hover: shapelens / jedi-language-server':<56}"
                  f"{f(fe['hover']['shapelens']['first_ms'])}{f(fe['hover'][jedi]['first_ms'])}")
        line("inlay hints, whole file", fe["inlay_hints"])
        rs = fe["rss"]["shapelens"]
        print(f"  server RSS: shapelens {fe['rss_after_open_mib']:.1f} MiB after the first analysis, "
              f"{rs['rss_mib']:.1f} MiB after the run (peak {rs['peak_mib']:.1f})"
              + (f"; jedi-language-server {fe['rss'][jedi]['rss_mib']:.1f} MiB "
                 f"(peak {fe['rss'][jedi]['peak_mib']:.1f})" if jedi else ""))

    p95_default = db["300"]["p95_ms"]
    targets = [
        ("initialize: shapelens − bare pygls <= 100 ms (spawn→response, paired)", over,
         over <= TARGETS["initialize_over_bare_pygls_ms"], "ms"),
        ("initialize, cold: shapelens − bare pygls <= 100 ms", over_cold,
         over_cold <= TARGETS["initialize_over_bare_pygls_ms"], "ms"),
        (f"change → diagnostics p95 <= 50 ms, 300 lines, default debounce {d} ms", p95_default,
         p95_default <= TARGETS["change_to_diagnostics_p95_ms"], "ms"),
        ("change → diagnostics p95 <= 50 ms, 300 lines, debounce 0", ft["300"]["change_to_diagnostics"]["p95_ms"],
         ft["300"]["change_to_diagnostics"]["p95_ms"] <= TARGETS["change_to_diagnostics_p95_ms"], "ms"),
        ("hover p95 <= 5 ms, 300 lines", ft["300"]["hover"]["shapelens"]["p95_ms"],
         ft["300"]["hover"]["shapelens"]["p95_ms"] <= TARGETS["hover_p95_ms"], "ms"),
        ("hover p95 <= 5 ms, 5,000 lines", ft["5000"]["hover"]["shapelens"]["p95_ms"],
         ft["5000"]["hover"]["shapelens"]["p95_ms"] <= TARGETS["hover_p95_ms"], "ms"),
        ("RSS <= 80 MiB, 300 lines (after the run)", ft["300"]["rss"]["shapelens"]["rss_mib"],
         ft["300"]["rss"]["shapelens"]["rss_mib"] <= TARGETS["rss_mb"], "MiB"),
        ("RSS <= 80 MiB, 5,000 lines (after the run)", ft["5000"]["rss"]["shapelens"]["rss_mib"],
         ft["5000"]["rss"]["shapelens"]["rss_mib"] <= TARGETS["rss_mb"], "MiB"),
    ]
    print("\ntargets")
    verdicts = {}
    for label, value, ok, unit in targets:
        verdicts[label] = {"value": value, "met": ok}
        print(f"  {label:<72}{value:9.1f} {unit:<4}{verdict(ok)}")
    if p95_default > TARGETS["change_to_diagnostics_p95_ms"]:
        if d >= TARGETS["change_to_diagnostics_p95_ms"]:
            print(f"  note: the default debounce alone ({d} ms) exceeds 50 ms, so that target cannot be met with it;")
        if r["suggested_debounce_ms"] is not None:
            print(f"  a debounce of at most {r['suggested_debounce_ms']} ms leaves room for the p95 at debounce 0 "
                  f"({ft['300']['change_to_diagnostics']['p95_ms']:.1f} ms) within 50 ms "
                  f"(measured above: p95 {db['300_suggested']['p95_ms']:.1f} ms)")
        else:
            print(f"  no debounce meets it on this machine: the p95 at debounce 0 is already "
                  f"{ft['300']['change_to_diagnostics']['p95_ms']:.1f} ms")

    if r["sweep"]:
        print("\ndebounce sweep, 300-line file (two interleaved passes; ms)")
        print(f"  {'debounceMs':>10}{'p50':>9}{'p95':>9}{'p95 − debounce':>16}{'server CPU':>12}")
        for ms, runs in r["sweep"].items():
            pooled = [v / 1000 for x in runs for v in x["samples_ms"]]
            p50, p95 = stats_ms(pooled)["p50_ms"], stats_ms(pooled)["p95_ms"]
            cpu = statistics.median(x["server_cpu_ms_per_request"] for x in runs)
            print(f"  {ms:>10}{p50:9.1f}{p95:9.1f}{p95 - int(ms):16.1f}{cpu:12.1f}  "
                  f"{verdict(p95 <= TARGETS['change_to_diagnostics_p95_ms'])}")

    results = {"commit": git_commit(), "quick": args.quick, "machine": machine(), "loadavg_start": load_start,
               "edit_line": EDIT_LINE[0],
               "elapsed_s": time.perf_counter() - t_start,
               "versions": versions("shapelens", "pygls", "lsprotocol", "jedi-language-server", "jedi"),
               "targets": TARGETS, **r, "verdicts": verdicts}
    out = RESULTS / "lsp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)} (load average at end {machine()['loadavg']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

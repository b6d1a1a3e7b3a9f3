"""shapelens next to the language servers Keras users already run, side by side on the same files.

    python bench/bench_peers.py [--quick] [--rounds N] [--servers a,b] [--files a,b] [--no-install]

Peers: ty, basedpyright, jedi-language-server, python-lsp-server (pylsp) and ruff (``ruff server``).
Each lives in its own virtual environment under ~/.cache/shapelens-bench/peers/<name> (or
$SHAPELENS_PEERS_DIR), created on first use with ``python -m venv --system-site-packages`` and
``pip install <package>``: the system site-packages stay visible, so the TensorFlow / Keras
installed for this interpreter are importable by the servers that resolve imports (jedi, pylsp,
ty, basedpyright), as they are in a user's project environment; the peer's own packages take
precedence. Each server runs with that venv activated (VIRTUAL_ENV, its bin/ first on PATH),
which is how ty and basedpyright find the interpreter and its site-packages.

Files: bench/fixtures/realistic_300.py, the generated 5,000-line file (bench/common.py),
the fixture programs of tests/fixtures/programs/ (those without an error or warning) concatenated
into one "model zoo" file, one of those programs alone, and two training-loop programs written
for this benchmark (bench/fixtures/actor_critic_loop.py, bench/fixtures/char_lstm_generation.py).
The files are written to a scratch workspace folder so servers that read the disk see them too.

For every round, file and server (the servers' order rotated round by round, all servers on one
file back to back), a fresh process is spawned over stdio and measured:

* initialize: spawn → initialize response (cold process; the disk cache is warm);
* open → diagnostics: didOpen → the first publishDiagnostics for the file (push), or the response
  to a textDocument/diagnostic request sent right after didOpen for a server that only answers
  pull requests (probed once per server: pull mode when no push arrives and the server offers
  ``diagnosticProvider``);
* change → diagnostics: an edit (a comment line inserted, then removed again) → the diagnostics
  of that version (push) or the pull response, p50/p95; shapelens with its default debounce and
  again with debounce 0 (``{"diagnostics": {"debounceMs": 0}}``). The first edit is sent the moment
  the open's diagnostics arrive and reported apart (before a server's idle work after the open);
  the others once the server's process is idle, back to back;
* hover on the class name of every ``layers.X`` of the file (cycled), p50/p95, with the count of
  empty answers;
* peak resident memory: VmHWM of the server's process tree (summed over the process and its
  children: basedpyright's console script starts node).

Prints a table per file with shapelens / peer ratios and writes bench/results/peers.json.
Reports only: no assertions on timings (the machine is shared; figures are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_lsp  # noqa: E402
from bench_lsp import Client, default_debounce_ms, edit_line, edit_params, hover_positions  # noqa: E402
from common import FIXTURES, RESULTS, ROOT, generate_large, git_commit, machine, stats_ms  # noqa: E402

PEERS_DIR = Path(os.environ.get("SHAPELENS_PEERS_DIR", Path.home() / ".cache" / "shapelens-bench" / "peers"))
WORKSPACE = Path(os.environ.get("SHAPELENS_PEERS_WORKSPACE", "/tmp/shapelens-bench-peers-workspace"))
PROGRAMS = ROOT / "tests" / "fixtures" / "programs"
WAIT_S = 90.0  # longest wait for one diagnostics or hover answer before the sample counts as missing


@dataclass(frozen=True)
class Peer:
    name: str
    package: str
    argv: tuple[str, ...]  # relative to the venv's bin/
    # what the server does between an edit and its diagnostics, read in its source
    debounce: str


PEERS = {
    "ty": Peer("ty", "ty", ("ty", "server"), "none (re-checks on each change)"),
    "basedpyright": Peer("basedpyright", "basedpyright", ("basedpyright-langserver", "--stdio"),
                         "250 ms back-off after the last edit before re-checking (_userActivityBackoffTimeInMs)"),
    "jedi-language-server": Peer("jedi-language-server", "jedi-language-server", ("jedi-language-server",),
                                 "1 s debounce on didChange diagnostics (server.py: debounce(1))"),
    "python-lsp-server": Peer("python-lsp-server", "python-lsp-server", ("pylsp",),
                              "0.5 s debounce on linting (LINT_DEBOUNCE_S; pyflakes, pycodestyle, mccabe)"),
    "ruff": Peer("ruff", "ruff", ("ruff", "server"), "none (lints on each change)"),
}
SHAPELENS = "shapelens"
SHAPELENS_0 = "shapelens (debounce 0)"


@dataclass
class Config:
    """One server as measured: its command line, environment and options."""

    name: str
    argv: list[str]
    env: dict[str, str]
    options: Any = None
    debounce: str = ""
    version: str | None = None
    mode: str = "push"  # or "pull"
    hover: bool = True
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- environments


def venv_bin(name: str) -> Path:
    return PEERS_DIR / name / "bin"


def ensure_peer(peer: Peer, install: bool) -> Path | None:
    """The venv's bin/ holding the peer's executable; created (venv + pip) when missing and allowed."""
    exe = venv_bin(peer.name) / peer.argv[0]
    if exe.exists():
        return exe.parent
    if not install:
        return None
    venv = PEERS_DIR / peer.name
    print(f"installing {peer.package} into {venv} ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        peer.package], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"  could not install {peer.package}: {exc}")
        return None
    return exe.parent if exe.exists() else None


def package_version(bin_dir: Path, package: str) -> str | None:
    try:
        out = subprocess.run([str(bin_dir / "python"), "-c",
                              f"from importlib import metadata; print(metadata.version({package!r}))"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def peer_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")}
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def shapelens_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT / "server")
    return env


def configs(names: list[str], install: bool) -> list[Config]:
    out = []
    for name in names:
        if name == SHAPELENS:
            out.append(Config(SHAPELENS, [sys.executable, "-m", "shapelens", "serve"], shapelens_env(),
                              debounce=f"{default_debounce_ms()} ms debounce (default)", version=git_commit()))
            out.append(Config(SHAPELENS_0, [sys.executable, "-m", "shapelens", "serve"], shapelens_env(),
                              options={"diagnostics": {"debounceMs": 0}}, debounce="0 ms (set)",
                              version=git_commit(), hover=False))  # same server as above: hover measured once
            continue
        peer = PEERS[name]
        bin_dir = ensure_peer(peer, install)
        if bin_dir is None:
            print(f"  {name}: not installed ({venv_bin(name) / peer.argv[0]} missing); skipped")
            continue
        out.append(Config(name, [str(bin_dir / peer.argv[0]), *peer.argv[1:]], peer_env(bin_dir),
                          debounce=peer.debounce, version=package_version(bin_dir, peer.package)))
    return out


# --------------------------------------------------------------------------- files


def zoo_text() -> str:
    """Every fixture program without a planted error or warning, one after the other."""
    parts = []
    for p in sorted(PROGRAMS.glob("*.py")):
        if p.name.startswith(("err_", "warn_")):
            continue
        parts.append(f"# ---- {p.name}\n" + p.read_text(encoding="utf-8"))
    return "\n\n".join(parts)


def bench_files() -> dict[str, str]:
    return {
        "realistic_300.py": (FIXTURES / "realistic_300.py").read_text(encoding="utf-8"),
        "generated_5000.py": generate_large(5000),
        "programs_zoo.py": zoo_text(),
        "attention_transformer_block.py": (PROGRAMS / "attention_transformer_block.py").read_text(encoding="utf-8"),
        "actor_critic_loop.py": (FIXTURES / "actor_critic_loop.py").read_text(encoding="utf-8"),
        "char_lstm_generation.py": (FIXTURES / "char_lstm_generation.py").read_text(encoding="utf-8"),
    }


# --------------------------------------------------------------------------- the client


class PeerClient(Client):
    """bench_lsp's Client with a per-server command line, answers to workspace/configuration, and pull."""

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg.name)
        self.cfg = cfg
        self.log_path = RESULTS / "peers-logs" / f"{cfg.name.replace(' ', '-').strip('()')}.stderr.log"
        self.capabilities: dict = {}

    async def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.spawned_at = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *self.cfg.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._log,
            env=self.cfg.env, cwd=str(WORKSPACE), limit=2**26)
        self._reader = asyncio.create_task(self._read_loop())

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
            if "method" in msg and "id" in msg:  # a request from the server
                result: Any = None
                if msg["method"] == "workspace/configuration":  # one (empty) setting per item asked
                    result = [None for _ in (msg.get("params") or {}).get("items", [])]
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
            elif "method" in msg:
                if msg["method"] == "textDocument/publishDiagnostics":
                    p = msg["params"]
                    self.diagnostics[(p["uri"], p.get("version"))] = (t, len(p["diagnostics"]))
                    self._diag_event.set()
            else:
                fut = self._pending.pop(msg.get("id"), None)
                if fut is not None and not fut.done():
                    fut.set_result((t, msg))

    async def initialize(self, options: Any = None) -> tuple[float, Any]:
        text_caps: dict = {
            "publishDiagnostics": {"versionSupport": True},
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "synchronization": {"didSave": True, "dynamicRegistration": False},
        }
        if self.cfg.mode == "pull":
            text_caps["diagnostic"] = {"dynamicRegistration": False, "relatedDocumentSupport": False}
        params = {
            "processId": os.getpid(),
            "rootUri": WORKSPACE.as_uri(),
            "rootPath": str(WORKSPACE),
            "workspaceFolders": [{"uri": WORKSPACE.as_uri(), "name": "bench"}],
            "capabilities": {"general": {"positionEncodings": ["utf-16"]}, "textDocument": text_caps,
                             "workspace": {"configuration": True, "workspaceFolders": True}},
        }
        if options is not None:
            params["initializationOptions"] = options
        dt, result = await self.request("initialize", params, timeout=WAIT_S)
        self.capabilities = (result or {}).get("capabilities", {})
        self.notify("initialized", {})
        return dt, result

    async def diagnostics_after(self, t0: float, uri: str, version: int) -> float:
        """Seconds from t0 to this version's diagnostics: pushed (versioned or not), or pulled now."""
        if self.cfg.mode == "pull":
            sent = time.perf_counter()
            dt, _ = await self.request("textDocument/diagnostic", {"textDocument": {"uri": uri}}, timeout=WAIT_S)
            return sent + dt - t0
        deadline = time.perf_counter() + WAIT_S
        while True:
            for key in ((uri, version), (uri, None)):
                if key in self.diagnostics:
                    return self.diagnostics[key][0] - t0
            if self.proc is not None and self.proc.returncode is not None:
                raise RuntimeError(f"{self.name} exited (see {self.log_path})")
            self._diag_event.clear()
            try:
                await asyncio.wait_for(self._diag_event.wait(), max(0.0, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                raise TimeoutError(f"{self.name}: no diagnostics for version {version} "
                                   f"within {WAIT_S:.0f} s") from None

    def forget_diagnostics(self, uri: str) -> None:
        for key in [k for k in self.diagnostics if k[0] == uri]:
            del self.diagnostics[key]


def tree_hwm_kib(pid: int) -> int:
    """VmHWM summed over a process and its descendants (KiB)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        todo += children.get(p, [])
    return total


# --------------------------------------------------------------------------- measuring

PROBE = "import os\n\n\nvalue = undefined_name + 1\n"


async def probe_mode(cfg: Config) -> None:
    """push when the server publishes diagnostics unasked; pull when it does not but offers diagnosticProvider."""
    uri = (WORKSPACE / "probe_diagnostics.py").as_uri()
    c = PeerClient(cfg)
    try:
        await c.start()
        await c.initialize(cfg.options)
        t0 = c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": PROBE}})
        try:
            await asyncio.wait_for(c.diagnostics_after(t0, uri, 1), 15)
            cfg.mode = "push"
        except (asyncio.TimeoutError, TimeoutError):
            cfg.mode = "pull" if c.capabilities.get("diagnosticProvider") else "none"
    except Exception as exc:  # noqa: BLE001 - a peer that fails is reported, not fatal
        cfg.errors.append(f"probe: {exc}")
        cfg.mode = "none"
    finally:
        await c.stop()


async def measure(cfg: Config, name: str, text: str, edits: int, hovers: int, hover_start: int) -> dict:
    """One fresh server on one file: initialize, open, edits, hovers, peak memory."""
    uri = (WORKSPACE / name).as_uri()
    out: dict[str, Any] = {"change_s": [], "hover_s": [], "hover_empty": 0, "errors": []}
    c = PeerClient(cfg)
    try:
        await c.start()
        await c.initialize(cfg.options)
        out["initialize_s"] = time.perf_counter() - c.spawned_at
        t0 = c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": text}})
        out["open_s"] = await c.diagnostics_after(t0, uri, 1)
        line, version = edit_line(text), 1
        for k in range(edits):
            version += 1
            c.forget_diagnostics(uri)
            t0 = c.notify("textDocument/didChange", edit_params(uri, version, line, insert=k % 2 == 0))
            took = await c.diagnostics_after(t0, uri, version)
            if k == 0:
                # the first edit, sent the moment the open's diagnostics arrive, before a server's
                # idle work after the open: reported apart; the others once the server is idle
                out["first_change_s"] = took
                await bench_lsp.settle(c.pid, timeout=10)
            else:
                out["change_s"].append(took)
        if edits % 2:  # back to the text as opened, so hover positions hold
            version += 1
            c.forget_diagnostics(uri)
            t0 = c.notify("textDocument/didChange", edit_params(uri, version, line, insert=False))
            await c.diagnostics_after(t0, uri, version)
        positions = hover_positions(text)
        if cfg.hover and positions:
            for k in range(hovers):
                pos = positions[(hover_start + k) % len(positions)]
                dt, res = await c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos},
                                          timeout=WAIT_S)
                out["hover_s"].append(dt)
                out["hover_empty"] += not res or not res.get("contents")
        out["peak_kib"] = tree_hwm_kib(c.pid)
    except Exception as exc:  # noqa: BLE001 - a sample that fails is reported, not fatal
        out["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        await c.stop()
    return out


async def run(args: argparse.Namespace) -> dict:
    WORKSPACE.mkdir(parents=True, exist_ok=True)
    files = bench_files()
    if args.files:
        files = {k: v for k, v in files.items() if any(k.startswith(f) for f in args.files)}
    for name, text in files.items():
        (WORKSPACE / name).write_text(text, encoding="utf-8")
    (WORKSPACE / "probe_diagnostics.py").write_text(PROBE, encoding="utf-8")
    cfgs = configs(args.servers, install=not args.no_install)
    for cfg in cfgs:
        if cfg.name in args.pull or cfg.name.split(" (")[0] in args.pull:
            cfg.mode = "pull"
        else:
            await probe_mode(cfg)
        print(f"  {cfg.name}: {cfg.version or '?'}, diagnostics by {cfg.mode}", flush=True)
    cfgs = [c for c in cfgs if c.mode != "none"]
    samples: dict[str, dict[str, list[dict]]] = {c.name: {f: [] for f in files} for c in cfgs}
    for r in range(args.rounds):
        for fi, (name, text) in enumerate(files.items()):
            k = (r + fi) % len(cfgs)
            for cfg in cfgs[k:] + cfgs[:k]:  # rotated: no server always first after another's run
                res = await measure(cfg, name, text, args.edits, args.hovers, r * args.hovers)
                samples[cfg.name][name].append(res)
                print(f"  round {r + 1} {name:<32} {cfg.name:<24} "
                      + (f"change p50 {stats_ms(res['change_s'])['p50_ms']:.1f} ms" if res["change_s"] else "")
                      + (f"  {res['errors'][0][:100]}" if res["errors"] else ""), flush=True)
                # what is measured so far, for an interrupted run (--render bench/results/peers.partial.json)
                partial = RESULTS / "peers.partial.json"
                partial.parent.mkdir(parents=True, exist_ok=True)
                partial.write_text(json.dumps(collect(files, cfgs, samples), indent=2) + "\n")
    return collect(files, cfgs, samples)


def collect(files: dict[str, str], cfgs: list[Config], samples: dict[str, dict[str, list[dict]]]) -> dict:
    return {"files": {n: {"lines": len(t.splitlines()), "hover_positions": len(hover_positions(t))}
                      for n, t in files.items()},
            "servers": {c.name: {"version": c.version, "diagnostics": c.mode, "debounce": c.debounce,
                                 "errors": c.errors} for c in cfgs},
            "summary": {c.name: {f: summarize(samples[c.name][f]) for f in files} for c in cfgs}}


def summarize(runs: list[dict]) -> dict:
    """Pool the rounds of one server on one file."""
    def pooled(key: str) -> list[float]:
        return [x for r in runs for x in r.get(key, [])]

    init = [r["initialize_s"] for r in runs if "initialize_s" in r]
    opened = [r["open_s"] for r in runs if "open_s" in r]
    out: dict[str, Any] = {
        "initialize": stats_ms(init) if init else None,
        "open_to_diagnostics": stats_ms(opened) if opened else None,
        "change_to_diagnostics": stats_ms(pooled("change_s")) if pooled("change_s") else None,
        "first_change": stats_ms([r["first_change_s"] for r in runs if "first_change_s" in r])
        if any("first_change_s" in r for r in runs) else None,
        "hover": stats_ms(pooled("hover_s")) if pooled("hover_s") else None,
        "hover_empty": sum(r["hover_empty"] for r in runs),
        "peak_mib": max((r["peak_kib"] for r in runs if "peak_kib" in r), default=0) / 1024 or None,
        "errors": sorted({e for r in runs for e in r["errors"]}),
    }
    return out


# --------------------------------------------------------------------------- report

COLUMNS = ("initialize p50", "open→diag p50", "change→diag p50", "p95", "hover p50", "p95", "peak MiB")


def cell(v: float | None, ratio: bool = False) -> str:
    if v is None:
        return "—"
    if ratio:
        return f"{v:.3f}×" if v < 0.01 else f"{v:.2f}×" if v < 10 else f"{v:.0f}×"
    return f"{v:.2f}" if v < 1 else f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def row_values(s: dict) -> list[float | None]:
    def g(key: str, q: str) -> float | None:
        return s[key][q] if s.get(key) else None

    return [g("initialize", "p50_ms"), g("open_to_diagnostics", "p50_ms"), g("change_to_diagnostics", "p50_ms"),
            g("change_to_diagnostics", "p95_ms"), g("hover", "p50_ms"), g("hover", "p95_ms"), s.get("peak_mib")]


def render_table(result: dict, markdown: bool = False) -> str:
    """One table per file (ms; peak MiB), then the ratio shapelens / peer for each column."""
    out = []
    summary = result["summary"]
    for fname, info in result["files"].items():
        title = f"{fname} ({info['lines']:,} lines, {info['hover_positions']} hover positions)"
        rows = []
        base = summary.get(SHAPELENS, {}).get(fname)
        base0 = summary.get(SHAPELENS_0, {}).get(fname)
        for server, per_file in summary.items():
            s = per_file.get(fname)
            if s is None:
                continue
            vals = row_values(s)
            label = server + (f" ({s['hover_empty']}/{s['hover']['n']} hovers empty)"
                              if s.get("hover") and s["hover_empty"] else "")
            rows.append((label, [cell(v) for v in vals], s["errors"]))
            if base is not None and server not in (SHAPELENS, SHAPELENS_0):
                bv = row_values(base)
                ratios = [b / v if b is not None and v else None for b, v in zip(bv, vals)]
                rows.append(("  shapelens / " + server, [cell(x, ratio=True) for x in ratios], []))
                if base0 is not None:
                    b0 = row_values(base0)
                    r0 = [None, None] + [b0[i] / vals[i] if b0[i] is not None and vals[i] else None
                                         for i in (2, 3)] + [None, None, None]
                    rows.append(("  same, shapelens debounce 0", [cell(x, ratio=True) for x in r0], []))
        firsts = ", ".join(f"{server} {cell(per_file[fname]['first_change']['p50_ms'])}"
                           for server, per_file in summary.items()
                           if per_file.get(fname) and per_file[fname].get("first_change"))
        if firsts:
            rows.append((f"first edit after the open, p50 ms: {firsts}", [], []))
        if markdown:
            out.append(f"**{title}**\n")
            out.append("| server | " + " | ".join(COLUMNS) + " |")
            out.append("|---|" + "---:|" * len(COLUMNS))
            for label, cells, _ in rows:
                out.append(f"| {label} | " + " | ".join(cells) + " |")
            out.append("")
        else:
            out.append(f"\n{title}; ms, peak resident memory of the process tree in MiB")
            out.append(f"  {'server':<44}" + "".join(f"{c:>17}" for c in COLUMNS))
            for label, cells, errors in rows:
                out.append(f"  {label:<44}" + "".join(f"{c:>17}" for c in cells))
                for e in errors[:2]:
                    out.append(f"      error: {e[:150]}")
    return "\n".join(out)


COMPACT = (("change → diagnostics p95, ms", "change_to_diagnostics", "p95_ms"),
           ("hover on a layer class name p95, ms", "hover", "p95_ms"),
           ("open → diagnostics p50, ms", "open_to_diagnostics", "p50_ms"),
           ("initialize p50 (spawn → response), ms", "initialize", "p50_ms"),
           ("peak RSS of the process tree, MiB", "peak_mib", None))


def render_compact(result: dict) -> str:
    """Markdown: one table per measure, a row per file, a column per server."""
    servers = list(result["summary"])
    out = []
    for title, key, q in COMPACT:
        cols = servers if key == "change_to_diagnostics" else [s for s in servers if s != SHAPELENS_0]
        # the goal the latency work aims at: shapelens against ty, the fastest type checker, same run
        goal = key == "change_to_diagnostics" and "ty" in servers and SHAPELENS_0 in servers
        heads = cols + (["shapelens / ty", "debounce 0 / ty"] if goal else [])
        out.append(f"**{title}**\n")
        out.append("| file | " + " | ".join(heads) + " |")
        out.append("|---|" + "---:|" * len(heads))
        for fname, info in result["files"].items():
            cells = []
            for srv in cols:
                s = result["summary"][srv].get(fname) or {}
                v = s.get(key) if q is None else (s.get(key) or {}).get(q)
                c = cell(v)
                if key == "hover" and s.get("hover") and s["hover_empty"]:
                    c += f" ({s['hover_empty']}/{s['hover']['n']} empty)"
                cells.append(c)
            if goal:
                ty = (result["summary"]["ty"].get(fname) or {}).get(key)
                for srv in (SHAPELENS, SHAPELENS_0):
                    mine = (result["summary"][srv].get(fname) or {}).get(key)
                    cells.append(cell(mine[q] / ty[q], ratio=True) if mine and ty and ty[q] else "—")
            out.append(f"| {fname} ({info['lines']:,} lines) | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def render_servers(result: dict) -> str:
    lines = ["servers (version; how diagnostics reach the client; what happens between an edit and them)"]
    for name, s in result["servers"].items():
        lines.append(f"  {name:<24} {s['version'] or '?':<12} {s['diagnostics']:<5} {s['debounce']}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, 2 edits and 2 hovers per file")
    parser.add_argument("--rounds", type=int, default=0, help="interleaved rounds (default 2; quick 1)")
    parser.add_argument("--edits", type=int, default=0, help="edits per file and round (default 6; quick 2)")
    parser.add_argument("--hovers", type=int, default=0, help="hovers per file and round (default 4; quick 2)")
    parser.add_argument("--servers", type=lambda v: [x.strip() for x in v.split(",") if x.strip()],
                        default=[SHAPELENS, *PEERS], help="comma-separated subset of: "
                        + ", ".join([SHAPELENS, *PEERS]))
    parser.add_argument("--files", type=lambda v: [x.strip() for x in v.split(",") if x.strip()], default=[],
                        help="only files whose name starts with one of these (comma-separated)")
    parser.add_argument("--pull", type=lambda v: [x.strip() for x in v.split(",") if x.strip()], default=[],
                        help="these servers get pull diagnostics (textDocument/diagnostic) even if they push")
    parser.add_argument("--no-install", action="store_true", help="use only peers already installed")
    parser.add_argument("--code-edits", action="store_true",
                        help="the edits add and take away a line of code (a statement), not a comment line")
    parser.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    parser.add_argument("--render", metavar="JSON", help="print the tables of a saved result (peers.json); run nothing")
    args = parser.parse_args(argv)
    unknown = [s for s in args.servers if s != SHAPELENS and s not in PEERS]
    if unknown:
        parser.error(f"unknown server(s): {', '.join(unknown)}")
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.edits = args.edits or (2 if args.quick else 6)
    args.hovers = args.hovers or (2 if args.quick else 4)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.code_edits:
        bench_lsp.EDIT_LINE[0] = bench_lsp.CODE_EDIT_LINE
    if args.render:
        saved = json.loads(Path(args.render).read_text(encoding="utf-8"))
        print(render_servers(saved))
        print(render_table(saved))
        print()
        print(render_compact(saved))
        return 0
    load_start = machine()["loadavg"]
    t_start = time.perf_counter()
    print(f"shapelens vs peers ({'quick' if args.quick else 'full'}): commit {git_commit()}, "
          f"load average at start {load_start}; peers in {PEERS_DIR}", flush=True)
    result = asyncio.run(run(args))
    result.update({"commit": git_commit(), "quick": args.quick, "rounds": args.rounds, "edits": args.edits,
                   "edit_line": bench_lsp.EDIT_LINE[0],
                   "hovers": args.hovers, "machine": machine(), "loadavg_start": load_start,
                   "elapsed_s": time.perf_counter() - t_start, "peers_dir": str(PEERS_DIR)})
    print()
    print(render_servers(result))
    print(render_table(result))
    if args.markdown:
        print()
        print(render_table(result, markdown=True))
        print(render_compact(result))
    out = RESULTS / "peers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)} in {result['elapsed_s']:.0f} s "
          f"(load average at end {machine()['loadavg']}; the machine is shared: figures are noisy)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Wall time of the test suite and of the program oracle (forked zygote vs one process per program).

    PYTHONPATH=server python bench/bench_suite.py            # oracle sample + full non-e2e suite
    PYTHONPATH=server python bench/bench_suite.py --suite-only           # the suite as CI runs it
    PYTHONPATH=server python bench/bench_suite.py --suite-only --serial  # ... in one process (before)
    PYTHONPATH=server python bench/bench_suite.py --oracle-only --sample 8

* Oracle part: the same N programs (every k-th of tests/test_programs_diff.PROGRAMS) run through
  ``run_program_fresh`` (a fresh Python + TensorFlow per program: the old runner, the baseline) and
  through ``run_program`` (forked from a warm zygote), sequentially, in the same run; the reports
  must be identical.  The ratio is what to quote on a shared machine; the load average is printed.
* Full suite: the README's non-e2e command, ``pytest -n 2 --dist loadfile -m "not e2e"``, with
  CI=1 (no oracle cache): wall time, and the CPU seconds (user+sys) of the whole pytest process
  tree (getrusage(RUSAGE_CHILDREN): pytest, its xdist workers, the TensorFlow zygotes and their
  forked children, every subprocess), which does not depend on what else loads the machine.
  Target (issue 9): wall <= 8 min on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def oracle(sample: int) -> None:
    from tests.oracle.program_runner import run_program, run_program_fresh
    from tests.test_programs_diff import PROGRAMS

    step = max(1, len(PROGRAMS) // sample)
    chosen = PROGRAMS[::step][:sample]
    print(f"oracle: {len(chosen)} of {len(PROGRAMS)} programs, load before: {load()}")
    t0 = time.perf_counter()
    fresh = [run_program_fresh(p, timeout=120) for p in chosen]
    t_fresh = time.perf_counter() - t0
    t0 = time.perf_counter()
    forked = [run_program(p, timeout=120) for p in chosen]
    t_fork = time.perf_counter() - t0
    same = sum(a == b for a, b in zip(fresh, forked))
    print(f"  one process per program: {t_fresh:7.1f} s  ({t_fresh / len(chosen):.2f} s/program)")
    print(f"  forked from a zygote:    {t_fork:7.1f} s  ({t_fork / len(chosen):.2f} s/program, "
          f"incl. one TensorFlow import)")
    print(f"  speed-up: {t_fresh / t_fork:.1f}x; identical reports: {same}/{len(chosen)}; load after: {load()}")
    if same != len(chosen):
        sys.exit(1)


SUITE = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile", "-m", "not e2e"]
SERIAL = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not e2e"]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def suite(serial: bool = False) -> None:
    env = dict(os.environ, CI="1", PYTHONPATH=str(ROOT / "server"))
    args = SERIAL if serial else SUITE
    print(f"suite: pytest {' '.join(args[2:])}, load before: {load()}")
    c0, t0 = _cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    tail = [ln for ln in proc.stdout.splitlines() if ln.strip()][-1:]
    print(f"  wall {wall / 60:.1f} min, CPU {cpu:.0f} s (user+sys of the process tree), exit {proc.returncode}: "
          f"{' '.join(tail)}; load after: {load()}")
    if proc.returncode != 0:
        sys.exit(proc.returncode)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=12)
    ap.add_argument("--oracle-only", action="store_true")
    ap.add_argument("--suite-only", action="store_true")
    ap.add_argument("--serial", action="store_true", help="the suite in one pytest process (the old command)")
    args = ap.parse_args()
    if not args.suite_only:
        oracle(args.sample)
    if not args.oracle_only:
        suite(args.serial)


if __name__ == "__main__":
    main()

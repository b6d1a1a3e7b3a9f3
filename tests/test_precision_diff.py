"""Precision suite: real-world constructs that run clean under TensorFlow (tests/fixtures/precision/).

Each program runs under real Keras (tests/oracle/program_runner.py). It must not raise there,
shapelens must report no error on it, and every shape and parameter count shapelens commits
must be Keras's: a layer may stay unknown (the programs are built from values shapelens cannot
know), but a shape it gives must agree with Keras's on every axis it claims.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from tests.oracle.client import require_tensorflow
from tests.test_programs_diff import _claims, _engine_objects, _match, _oracle, _oracle_objects

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "tests/fixtures/precision").glob("*.py"))


@pytest.mark.tf
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_clean_program_no_error_and_no_wrong_shape(program: Path):
    require_tensorflow()
    report = _oracle(program)
    assert report["error"] is None, f"{program.name} raises under TensorFlow: {report['error']}"
    analysis = analyze(program.read_text(), str(program))
    problems = [f"error {d.code} on line {d.span.line + 1}: {d.message}"
                for d in analysis.diagnostics if d.severity == "error"]
    pairs, missing, _ = _match(_engine_objects(analysis, float("inf")), _oracle_objects(report))
    problems += [f"shapelens has no {t['kind']} constructed on line {t['line']}" for t in missing]
    for e, t in pairs:
        where = f"{t['kind']} (line {t['line']})"
        for shape in e["outputs"]:
            if not any(_claims(shape, actual) for actual in t["outputs"]):
                problems.append(f"{where}: shapelens gives {shape}, Keras {sorted(map(str, t['outputs']))}")
        if e["params"] is not None and t["params"] is not None and e["params"] != t["params"]:
            problems.append(f"{where}: params shapelens {e['params']} vs Keras {t['params']}")
    assert not problems, f"{program.name}:\n  " + "\n  ".join(problems)


def test_precision_programs_exist():
    assert PROGRAMS, "the precision programs went missing"

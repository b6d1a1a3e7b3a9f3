"""Every fixture program, rebuilt by the worker, against the engine's own answer.

For each program: analyze(with_spec=True), send the payload to the (shared, warm) worker,
and compare, independently of verdict.py, for every call TensorFlow could build from
the inputs the engine also had: the output shapes, whether it raises, the layers'
parameter counts and the models' totals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from shapelens.dryrun import verdict
from shapelens.worker import protocol, rebuild
from tests.worker.conftest import PROGRAMS, ROOT

CORPUS = sorted((ROOT / "tests/fixtures/corpus").glob("*.py"))

_REPORTS: dict[Path, tuple] = {}


def rebuilt(program: Path, worker) -> tuple:
    """The engine's analysis of a program and the worker's report on it (built once)."""
    if program not in _REPORTS:
        analysis = analyze(program.read_text(), str(program), with_spec=True)
        _REPORTS[program] = (analysis, worker.build(protocol.payload(analysis.spec), 60))
    return _REPORTS[program]


def _engine_shapes(spec: dict, tids: list) -> list:
    by_id = {t["id"]: t["shape"] for t in spec["tensors"]}
    return [by_id.get(t) for t in tids]


def _same(engine: list | None, tf: list | None) -> bool:
    """Known dims equal; the engine's "?" (unknown) matches anything."""
    if engine is None or tf is None:
        return engine is None
    return len(engine) == len(tf) and all(e == "?" or e == t for e, t in zip(engine, tf))


@pytest.mark.tf
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_worker_agrees_with_the_engine(program: Path, worker):
    analysis, report = rebuilt(program, worker)
    spec = analysis.spec
    calls = {c["order"]: c for c in spec["calls"]}
    problems = []
    first: dict[int, str] = {}  # layer id -> how its first call went (it builds the layer)
    for entry in report["calls"]:
        call = calls[entry["order"]]
        where = f"{entry['order']}: layer {call['layer']} on line {call['line']}"
        if entry["status"] == "skipped":
            assert entry["reason"], where
            first.setdefault(call["layer"], "skipped")
            continue
        engine_in = _engine_shapes(spec, call["inputs"])
        if not all(_same(e, t) for e, t in zip(engine_in, entry["inputs"])):
            problems.append(f"{where}: TensorFlow's inputs {entry['inputs']} differ from the engine's {engine_in}")
            continue
        first.setdefault(call["layer"], entry["status"])
        if entry["status"] == "raised":
            if not call["failed"]:
                problems.append(f"{where}: TensorFlow raises {entry['error']}, the engine does not")
            continue
        if call["failed"]:
            problems.append(f"{where}: the engine raises, TensorFlow gives {entry['outputs']}")
            continue
        engine_out = _engine_shapes(spec, call["outputs"])
        if any(s is not None for s in engine_out) and not (
                len(engine_out) == len(entry["outputs"])
                and all(_same(e, t) for e, t in zip(engine_out, entry["outputs"]))):
            problems.append(f"{where}: outputs engine {engine_out}, TensorFlow {entry['outputs']}")
    by_layer = {e["id"]: e for e in report["layers"]}
    for layer in spec["layers"]:
        entry = by_layer[layer["id"]]
        if entry["status"] == "raised" and not layer["init_error"]:
            problems.append(f"layer {layer['id']} ({layer['kind']}): TensorFlow's constructor raises {entry['error']}")
        engine_params = next((i.params for i in analysis.layers if i.layer_id == layer["id"] and i.params is not None),
                             None)
        if first.get(layer["id"]) == "ok" and not layer["model"] and entry["params"] is not None \
                and engine_params is not None and engine_params != entry["params"]:
            problems.append(f"layer {layer['id']} ({layer['kind']}): params engine {engine_params}, "
                            f"TensorFlow {entry['params']}")
    for entry in report["models"]:
        model = spec["models"][entry["index"]]
        mine = [m for m in analysis.models if m.kind == model["kind"] and m.span.line + 1 == model["line"]]
        if entry["status"] == "raised":
            problems.append(f"model on line {model['line']}: TensorFlow raises {entry['error']}")
        if entry["status"] == "ok" and mine and mine[0].params is not None and mine[0].params != entry["params"]:
            problems.append(f"model on line {model['line']}: params engine {mine[0].params}, "
                            f"TensorFlow {entry['params']}")
    # and the verdict says the same: nothing disagrees
    found = verdict.compare(analysis, report, "2.x")
    assert not [d.message for d in found.diagnostics if d.code == verdict.TF_DISAGREES]
    assert not problems, f"{program.name}:\n  " + "\n  ".join(problems)


@pytest.mark.tf
def test_most_calls_are_checked(worker):
    """The comparison above is not vacuous: TensorFlow rebuilt most of the fixtures' calls
    (the calls of the programs' own Layer/Model subclasses aside: their code is never sent; and
    calls on inputs of unknown shape aside: fixtures of unknown-input constructs have many, and
    there is nothing to rebuild them with)."""
    total = checked = 0
    for program in PROGRAMS:
        _, report = rebuilt(program, worker)
        calls = [c for c in report["calls"] if c.get("reason") != rebuild.CUSTOM_CODE
                 and c.get("reason") != "an input shape is not known statically"]
        total += len(calls)
        checked += sum(1 for c in calls if c["status"] != "skipped")
    assert total > 300 and checked >= 0.9 * total, (checked, total)


@pytest.mark.tf
def test_corpus_programs_rebuild_without_surprises(worker):
    """The realistic corpus: every program gets a report, every skipped call a reason, and a
    disagreement only where the engine is known to fall short (ENGINE_GAPS)."""
    from tests.test_programs_diff import ENGINE_GAPS

    surprises = []
    for program in CORPUS:
        analysis, report = rebuilt(program, worker)
        assert all(c["reason"] for c in report["calls"] if c["status"] == "skipped"), program.name
        found = verdict.compare(analysis, report, "2.x")
        disagreements = [f"line {d.span.line + 1}: {d.message}" for d in found.diagnostics
                         if d.code == verdict.TF_DISAGREES]
        if disagreements and program.name not in ENGINE_GAPS:
            surprises.append(f"{program.name}: {disagreements}")
    assert len(CORPUS) >= 50 and not surprises, "\n".join(surprises)


"""An analysis leaves no reference cycles behind: what it made is freed by reference counting
when the result is dropped (analyze._teardown), not by the cyclic garbage collector.

Cyclic garbage costs every analysis a collection: on the 5,000-line benchmark file 12,987
objects (5 ms) were left per analysis, on one keras.io example 29,235. The sources were
the teardown's blind spots (a user's instance and its layers, scopes holding the functions
defined in them, layers and calls a rollback took out, a keras.ops pseudo-layer's rule) and
recursive closures in the core (a closure that calls itself is a cycle holding what it
captured, the evaluator included).
"""

from __future__ import annotations

import ast
import gc
from collections import Counter
from pathlib import Path

import pytest

from shapelens.core.analyze import analyze

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "server" / "shapelens"
EVERY_CYCLE = ROOT / "tests" / "fixtures" / "cycles" / "every_cycle.py"
PROGRAMS = sorted(
    [*(ROOT / "tests/fixtures/programs").glob("*.py"), *(ROOT / "tests/fixtures/corpus").glob("*.py"),
     *(ROOT / "tests/fixtures/precision").glob("*.py"), *(ROOT / "tests/fixtures/data").glob("*.py")])


def cyclic_garbage(text: str, path: str) -> Counter:
    """The objects only the cyclic collector frees after one analysis of ``text``, by type."""
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        analyze(text, path)
        gc.collect()
        return Counter(type(o).__name__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()


def test_the_constructs_that_made_cycles_leave_none():
    text = EVERY_CYCLE.read_text()
    result = analyze(text, str(EVERY_CYCLE))
    # the program is followed (a program shapelens gave up on would prove nothing)
    assert result.complete, [d.message for d in result.diagnostics]
    kinds = {row.kind for row in result.layers}
    assert {"Bidirectional", "Dense", "ReLU", "Flatten", "Head", "Scaled"} <= kinds, kinds
    assert not [d for d in result.diagnostics if d.severity in ("error", "warning")]
    assert cyclic_garbage(text, str(EVERY_CYCLE)) == Counter()


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_fixture_program_leaves_cycles(path: Path):
    assert cyclic_garbage(path.read_text(encoding="utf-8"), str(path)) == Counter()


def test_an_analysis_keeps_nothing_of_the_last():
    """Analysing the same text again and again holds no more objects after the fifth analysis
    than after the second (give or take a cache): nothing of an analysis outlives it (the memo of rules/symbolic.py
    kept the rules made for one keras.ops call, whose functions held their whole analysis)."""
    # a tensor of unknown rank: ops on it are pseudo-layers whose rules are made for the call
    text = EVERY_CYCLE.read_text() + (
        "\n\nimport json\ncfg = json.load(open('config.json'))\n"
        "free = layers.Dense(4)(keras.Input(shape=cfg['shape']))\n"
        "flat_free = ops.reshape(free, (-1, 4))\nsummed = ops.sum(free, axis=-1)\n")
    counts = []
    for _ in range(5):
        result = analyze(text, str(EVERY_CYCLE))
        assert any(row.kind.startswith("ops.") for row in result.layers), [r.kind for r in result.layers]
        del result
        gc.collect()
        counts.append(len(gc.get_objects()))
    # (caches settle within a few objects; an analysis kept alive is thousands)
    assert counts[4] <= counts[1] + 50, counts


def test_the_core_has_no_closure_that_calls_itself():
    """(a recursive helper is a function of its module, or a method, taking what it needs)"""
    found = []
    for file in sorted(CORE.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for outer in ast.walk(tree):
            if not isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for inner in ast.walk(outer):
                if inner is outer or not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                if any(isinstance(n, ast.Name) and n.id == inner.name for n in ast.walk(inner) if n is not inner):
                    found.append(f"{file.relative_to(ROOT)}:{inner.lineno} {outer.name}.{inner.name}")
    assert not found

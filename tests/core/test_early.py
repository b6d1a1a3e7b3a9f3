"""Early findings (``analyze(..., early=(line, fn))``): what the analysis hands out once every
statement before a line has run. The language server publishes an edited notebook cell's
findings from it before the cells below are analysed, so it must never show a finding the
finished analysis drops, and it must hold every finding of the finished analysis located
before that line, except those a later statement finds there (``Diagnostic.elsewhere``), which
the server checks for before it publishes early."""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.incremental import Session
from shapelens.core.source import Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROGRAMS = (sorted((FIXTURES / "programs").glob("*.py")) + sorted((FIXTURES / "precision").glob("*.py"))
            + sorted((FIXTURES / "data").glob("*.py")))


def key(d):
    return (d.code, d.severity, d.message, d.span, d.raise_span, d.caught)


def check(text: str, line: int, session: Session | None = None) -> tuple[list, object]:
    got = []
    final = analyze(text, "prog.py", early=(line, got.append), session=session)
    before = [d for d in final.diagnostics if d.span.line < line]
    if got:
        early = [d for d in got[0].diagnostics if d.span.line < line]
        assert {key(d) for d in early} <= {key(d) for d in final.diagnostics}, "an early finding the analysis drops"
        missing = [d for d in before if key(d) not in {key(e) for e in early}]
        assert all(d.elsewhere for d in missing), f"missing early, not marked elsewhere: {missing}"
    return got, final


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_early_findings_are_final_and_complete(program: Path):
    text = program.read_text()
    module, _ = Source(text).parse()
    starts = sorted({s.lineno - 1 for s in module.body})
    for line in starts[1::max(1, len(starts) // 6)]:
        got, _ = check(text, line)
        assert len(got) == 1
    # past the last statement: nothing is left to run, so there is no early call
    got, _ = check(text, len(text.split("\n")) + 1)
    assert got == []


def test_a_finding_a_later_call_makes_is_marked_elsewhere():
    text = """import keras
from keras import layers

def block(x):
    return layers.Conv2D(8, 5)(x)

inputs = keras.Input((3, 3, 1))
outputs = block(inputs)
"""
    got, final = check(text, 6)
    errors = [d for d in final.diagnostics if d.severity == "error"]
    assert [(d.span.line, d.elsewhere) for d in errors] == [(4, True)]
    assert [d for d in got[0].diagnostics if d.severity == "error"] == []


def test_early_findings_with_a_restored_snapshot():
    text = "\n".join(["import keras", "from keras import layers", "inputs = keras.Input((3, 3, 1))",
                      "x = layers.Conv2D(8, 5)(inputs)", "y = layers.Dense(4)(x)", "z = layers.Dense(2)(y)", ""])
    session = Session()
    analyze(text, "prog.py", session=session)
    edited = text.replace("Dense(4)", "Dense(5)")
    analyze(edited, "prog.py", session=session)  # saves the state before the edited statement
    again = edited.replace("Dense(5)", "Dense(6)")
    got, final = check(again, 5, session)
    assert session.restored_from
    assert [d.span.line for d in got[0].diagnostics if d.severity == "error"] == [3]

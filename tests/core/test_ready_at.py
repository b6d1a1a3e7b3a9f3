"""analyze.ready_at: the cursor resting on a statement while idle makes the state before it, so
that the first edit there restores it instead of running everything from the last saved state
(the place edited before) -- with the same result as a fresh analysis."""

from __future__ import annotations

import dataclasses

import pytest

from shapelens.core import incremental
from shapelens.core.analyze import analyze, ready_at
from shapelens.core.incremental import Session

PROG = '''import keras
from keras import layers

UNITS = 8


def build(depth):
    x = inputs = keras.Input((16,))
    for _ in range(depth):
        x = layers.Dense(UNITS, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(3)(x))


model = build(60)
model.compile(optimizer="adam", loss="mse")
summary_units = UNITS * 2
head = layers.Dense(4)(keras.Input((summary_units,)))
'''
LINES = PROG.split("\n")
UNITS_LINE = LINES.index("UNITS = 8") + 1
SUMMARY_LINE = LINES.index("summary_units = UNITS * 2") + 1
SUMMARY_INDEX = 6  # its top-level statement


def fingerprint(result) -> str:
    return repr(dataclasses.asdict(result))


def edited(line: int, old: str, new: str) -> str:
    lines = list(LINES)
    lines[line - 1] = lines[line - 1].replace(old, new)
    return "\n".join(lines)


def session_edited_above() -> Session:
    """A session whose last edit was on UNITS (its state is saved before that statement)."""
    session = Session()
    analyze(PROG, "/p.py", session=session)
    session.prepare()
    for text in (edited(UNITS_LINE, "8", "81"), edited(UNITS_LINE, "8", "9"), PROG):
        analyze(text, "/p.py", session=session)
        session.prepare()
    assert session.snapshot is not None and session.snapshot.index == 2
    return session


@pytest.fixture
def cheap(monkeypatch):
    """The model built between counts as long to evaluate (it is 500 steps here)."""
    monkeypatch.setattr(incremental, "READY_MIN_STEPS", 100)


def test_the_first_edit_at_the_cursor_restores_the_state_made_while_idle(cheap):
    session = session_edited_above()
    assert ready_at(session, SUMMARY_LINE)
    assert session.snapshot.index == SUMMARY_INDEX and session.stats["saved"] == 2
    text = edited(SUMMARY_LINE, "2", "3")
    result = analyze(text, "/p.py", session=session)
    assert session.restored_from == SUMMARY_INDEX  # the model is not built again
    assert fingerprint(result) == fingerprint(analyze(text, "/p.py"))
    assert [layer.input_shape for layer in result.layers if layer.kind == "Dense"][-1] == (None, 24)


def test_without_it_the_first_edit_runs_from_the_place_edited_before(cheap):
    session = session_edited_above()
    text = edited(SUMMARY_LINE, "2", "3")
    result = analyze(text, "/p.py", session=session)
    assert session.restored_from == 2  # (what ready_at saves the first edit)
    assert fingerprint(result) == fingerprint(analyze(text, "/p.py"))


def test_nothing_is_made_when_it_would_not_save_time_or_is_there():
    session = session_edited_above()
    assert not ready_at(session, SUMMARY_LINE)  # 500 steps between: the edit there is quick anyway
    incremental.READY_MIN_STEPS, keep = 100, incremental.READY_MIN_STEPS
    try:
        assert not ready_at(session, 1)  # the first statement: nothing before it
        assert not ready_at(session, len(LINES) + 5)  # past the last statement
        assert ready_at(session, SUMMARY_LINE)
        assert not ready_at(session, SUMMARY_LINE)  # already saved there
        broken = Session()
        analyze(PROG + "x = (\n", "/p.py", session=broken)
        assert not ready_at(broken, SUMMARY_LINE)  # the text does not parse as it is
    finally:
        incremental.READY_MIN_STEPS = keep


def test_it_gives_way_to_an_analysis(cheap):
    session = session_edited_above()
    assert not ready_at(session, SUMMARY_LINE, stop=lambda: True)
    assert session.snapshot.index == 2

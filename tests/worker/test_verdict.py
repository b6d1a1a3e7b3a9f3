"""Verdicts: TensorFlow's report read against the engine's analysis.

The engine is right on every fixture (test_rebuild.py), so disagreements are seeded: a rule
of the layer table is broken on purpose, in this process, for one test (monkeypatch).
"""

from __future__ import annotations

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.rules import LAYERS
from shapelens.core.rules.base import LayerError
from shapelens.worker import protocol
from shapelens.dryrun.verdict import (
    TF_DISAGREES,
    TF_RAISES,
    CallCheck,
    ModelCheck,
    call_text,
    compare,
    model_text,
)

pytestmark = pytest.mark.tf

FLAT = """\
import keras
from keras import layers

inputs = keras.Input(shape=(7, 7, 64))
x = layers.Flatten()(inputs)
x = layers.Dense(10)(x)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
"""


def dry_run(worker, text: str):
    analysis = analyze(text, "t.py", with_spec=True)
    report = worker.build(protocol.payload(analysis.spec), 60)
    return analysis, compare(analysis, report, worker.info.short_version)


def lines(verdict, code: str) -> list[int]:
    return [d.span.line + 1 for d in verdict.diagnostics if d.code == code]


def seed(monkeypatch, kind: str, wrap) -> None:
    rule = LAYERS[kind]
    monkeypatch.setattr(rule, "fn", wrap(rule.fn))


def test_agreement_confirms_every_call(worker):
    _, verdict = dry_run(worker, FLAT)
    assert verdict.diagnostics == []
    assert {c.status for c in verdict.calls.values()} == {"confirmed"}
    assert [m.status for m in verdict.models.values()] == ["confirmed"]
    assert verdict.summary() == f"TensorFlow {worker.info.short_version} confirms 4 of 4 layer calls"


def test_seeded_wrong_output_shape_is_one_disagreement_with_both_answers(worker, monkeypatch):
    def wrong(fn):
        def rule(args, inputs, call):
            out = fn(args, inputs, call)
            out.shape = (*out.shape[:-1], out.shape[-1] + 1)
            return out
        return rule

    seed(monkeypatch, "Flatten", wrong)
    analysis, verdict = dry_run(worker, FLAT)
    assert [d.code for d in analysis.diagnostics] == []  # the engine is wrong without knowing it
    found = [d for d in verdict.diagnostics if d.code == TF_DISAGREES]
    assert len(found) == 1, [d.message for d in verdict.diagnostics]
    assert found[0].span.line + 1 == 5 and found[0].severity == "warning"
    assert "TensorFlow 2." in found[0].message and "(None, 3136)" in found[0].message
    assert "(None, 3137)" in found[0].message
    statuses = [c.status for c in sorted(verdict.calls.values(), key=lambda c: c.order)]
    assert statuses == ["confirmed", "disagrees", "diverged", "confirmed"]  # Dense(10) re-converges
    assert verdict.models[0].status == "disagrees"  # its count follows, and is not reported twice


def test_seeded_wrong_parameter_count(worker, monkeypatch):
    def wrong(fn):
        def rule(args, inputs, call):
            out = fn(args, inputs, call)
            out.params += 1
            return out
        return rule

    seed(monkeypatch, "Dense", wrong)
    _, verdict = dry_run(worker, FLAT)
    messages = [d.message for d in verdict.diagnostics if d.code == TF_DISAGREES]
    assert any("counts 31,370 parameters in this Dense, shapelens 31,371" in m for m in messages), messages
    assert set(lines(verdict, TF_DISAGREES)) >= {6, 7}


def test_seeded_missed_error_gets_keras_message_and_disagreement(worker, monkeypatch):
    text = FLAT.replace("layers.Dense(2)(x)", "layers.Reshape((3, 3))(x)")
    assert "SL105" in [d.code for d in analyze(text).diagnostics]

    def silent(fn):
        def rule(args, inputs, call):
            try:
                return fn(args, inputs, call)
            except LayerError:
                return fn(args, (None, 9), call)  # pretend the sizes matched
        return rule

    seed(monkeypatch, "Reshape", silent)
    _, verdict = dry_run(worker, text)
    assert lines(verdict, TF_RAISES) == [7] and lines(verdict, TF_DISAGREES) == [7]
    raised = next(d for d in verdict.diagnostics if d.code == TF_RAISES)
    assert "The total size of the tensor must be unchanged" in raised.message


def test_seeded_false_error(worker, monkeypatch):
    def loud(fn):
        def rule(args, inputs, call):
            if isinstance(inputs, tuple):  # a call (the constructor probe passes no shape)
                raise LayerError("SL103", "seeded: Dense refuses every input")
            return fn(args, inputs, call)
        return rule

    seed(monkeypatch, "Dense", loud)
    _, verdict = dry_run(worker, FLAT)
    found = [d for d in verdict.diagnostics if d.code == TF_DISAGREES]
    assert [d.span.line + 1 for d in found] == [6]
    assert "TensorFlow 2." in found[0].message and "builds it (output (None, 10))" in found[0].message
    assert not lines(verdict, TF_RAISES)


@pytest.mark.parametrize("text, line, words", [
    (FLAT.replace("layers.Dense(2)(x)", "layers.Concatenate()([x, inputs])"),
     7, "A `Concatenate` layer requires inputs with matching shapes"),
    (FLAT.replace("layers.Flatten()(inputs)", "layers.Conv2D(8, 3, padding=\"causal\")(inputs)"),
     5, "The `padding` argument must be a list/tuple or one of"),
    (FLAT.replace("layers.Flatten()(inputs)", "layers.LSTM(4)(inputs)"),
     5, "expected ndim=3, found ndim=4"),
], ids=["merge", "constructor", "rank"])
def test_tensorflow_error_text_lands_on_its_layer(worker, text, line, words):
    analysis, verdict = dry_run(worker, text)
    raised = [d for d in verdict.diagnostics if d.code == TF_RAISES]
    assert [d.span.line + 1 for d in raised] == [line], [(d.span.line, d.message) for d in verdict.diagnostics]
    assert words in raised[0].message and raised[0].severity == "error"
    assert raised[0].message.startswith(f"TensorFlow {worker.info.short_version} raises ")
    # the engine saw the same error on the same line: no disagreement
    assert line in {(d.raise_span or d.span).line + 1 for d in analysis.diagnostics if d.severity == "error"}
    assert not lines(verdict, TF_DISAGREES)


def test_unknowns_are_built_only_as_far_as_known(worker):
    text = FLAT.replace("layers.Flatten()(inputs)", "layers.Lambda(lambda t: t)(inputs)") \
               .replace("Dense(10)", "Dense(UNITS)")
    _, verdict = dry_run(worker, text)
    by_kind = {c.kind: c for c in verdict.calls.values()}
    assert by_kind["InputLayer"].status == "confirmed"
    assert by_kind["Lambda"].status == "unchecked" and by_kind["Lambda"].reason
    assert by_kind["Dense"].status == "unchecked" and "not known statically" in by_kind["Dense"].reason
    assert verdict.diagnostics == []


def test_hover_texts():
    v = "2.21"
    assert call_text(CallCheck(1, 2, "Dense", "confirmed"), v) == "✓ confirmed by TensorFlow 2.21"
    assert "given shapelens's input shape" in call_text(CallCheck(1, 2, "Dense", "confirmed", assumed=True), v)
    assert call_text(CallCheck(1, 2, "Dense", "filled", tensorflow=(None, 4)), v) == \
        "TensorFlow 2.21: `(None, 4)` (shapelens could not tell)"
    assert call_text(CallCheck(1, 2, "Dense", "raises", error="ValueError: no"), v) == \
        "TensorFlow 2.21 raises too: ValueError: no"
    assert call_text(CallCheck(1, 2, "Dense", "unchecked", reason="why"), v) == "not checked by TensorFlow 2.21: why"
    assert model_text(ModelCheck("confirmed", params=1234), v) == "✓ confirmed by TensorFlow 2.21: 1,234 params"


SEQ2SEQ = """\
import keras
from keras import layers

enc_in = keras.Input(shape=(None, 30))
_, h, c = layers.LSTM(64, return_state=True)(enc_in)
dec_in = keras.Input(shape=(None, 40))
seq, _, _ = layers.LSTM(64, return_sequences=True, return_state=True)(dec_in, initial_state=[h, c])
model = keras.Model([enc_in, dec_in], layers.Dense(40)(seq))
"""


def test_keyword_tensors_do_not_fake_a_parameter_disagreement(worker):
    """initial_state= is not in the specification: the model is not counted, rather than
    counted without its encoder."""
    _, verdict = dry_run(worker, SEQ2SEQ)
    assert verdict.diagnostics == []
    assert verdict.models[0].status == "unchecked" and "by keyword" in verdict.models[0].reason
    assert {c.status for c in verdict.calls.values()} == {"confirmed"}


NESTED_ERROR = """\
import keras
from keras import layers

head = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4), layers.Dense(1)])
z = keras.Input(shape=(6,))
model = keras.Model(z, head(z))
"""


def test_a_model_used_as_a_layer_reports_on_its_own_layers(worker):
    analysis, verdict = dry_run(worker, NESTED_ERROR)
    assert [(d.code, d.span.line + 1) for d in analysis.diagnostics] == [("SL103", 6)]
    assert [(d.code, d.span.line + 1) for d in verdict.diagnostics] == [(TF_RAISES, 6)]
    model_call = next(c for c in verdict.calls.values() if c.kind == "Sequential")
    assert model_call.status in ("raises", "filled") and model_call.error

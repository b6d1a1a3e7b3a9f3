"""Keras 2 against tf-keras, Keras 3 against Keras 3: the programs of tests/fixtures/keras2/ run
under real Keras (tests/oracle/keras_runner.py; Keras 2 = tf-keras with TF_USE_LEGACY_KERAS=1 under
the same TensorFlow) and the analysis for the same target must agree: where (whether) the program
raises, each model's parameter count, each layer's output shape and parameters, and the declared
warnings (`# keras2-expect: SLxxx` / `# keras3-expect: SLxxx`).

Every program is valid Keras 2 that Keras 3 rejects or reads differently (Input(784), tf.* on Keras
tensors, fit_generator, batch_input_shape=, Embedding(input_length=), build() of a subclassed
model); the ones importing tf_keras run under Keras 2 only.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from tests.oracle.client import require_tensorflow
from tests.oracle.keras_runner import run

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = sorted((ROOT / "tests/fixtures/keras2").glob("*.py"))
RUNNER = ROOT / "tests/oracle/keras_runner.py"
CACHE = ROOT / ".pytest_cache" / "shapelens-keras2"


def _targets(program: Path) -> list[str]:
    return ["2"] if "tf_keras" in program.read_text() else ["2", "3"]


CASES = [pytest.param(p, k, id=f"{p.name}-keras{k}") for p in PROGRAMS for k in _targets(p)]


def require_tf_keras() -> None:
    require_tensorflow()
    if importlib.util.find_spec("tf_keras") is None:
        message = "tf-keras is not installed (scripts/setup-e2e.sh installs it with --no-deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def oracle(program: Path, keras: str) -> dict:
    key = hashlib.sha256(program.read_bytes() + RUNNER.read_bytes() + keras.encode()).hexdigest()[:24]
    cached = CACHE / f"{program.stem}-{key}.json"
    if cached.exists() and not os.environ.get("CI"):
        return json.loads(cached.read_text())
    report = run(program, keras)
    assert report["keras"] == keras, report
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(report))
    return report


def _as_lists(shape):
    """An engine shape (a tuple, or a list of them) as the runner's JSON gives it."""
    if isinstance(shape, list):
        return [list(s) if s is not None else None for s in shape]
    return list(shape) if shape is not None else None


def _engine_layers(model) -> list:
    return [(info.output_shape, info.params) for info in model.layers if info.kind != "InputLayer"]


@pytest.mark.tf
@pytest.mark.parametrize("program,keras", CASES)
def test_program_matches_keras(program: Path, keras: str):
    require_tf_keras()
    report = oracle(program, keras)
    analysis = analyze(program.read_text(), str(program), keras=keras)
    assert analysis.keras == keras
    problems = []

    # 1. where the program stops: the first error the engine finds is where Keras raises
    errors = sorted((d for d in analysis.diagnostics if d.severity == "error"), key=lambda d: d.order)
    engine_line = (errors[0].raise_span or errors[0].span).line + 1 if errors else None
    keras_line = report["error"]["line"] if report["error"] else None
    if engine_line != keras_line:
        problems.append(f"raises: engine line {engine_line} {[d.message for d in errors[:1]]}, "
                        f"Keras line {keras_line} ({report['error']})")

    # 2. the models the program leaves behind (when it runs to the end)
    engine_models = {m.name: m for m in analysis.models}
    for name, rec in report["models"].items():
        model = engine_models.get(name)
        if model is None:
            problems.append(f"engine has no model `{name}`")
            continue
        if rec["params"] != model.params and not (rec["params"] == 0 and model.params in (0, None)):
            problems.append(f"{name}: params engine {model.params} vs Keras {rec['params']}")
        theirs = [(l["outputs"], l["params"]) for l in rec["layers"] if l["class"] != "InputLayer"]
        ours = _engine_layers(model)
        if any(out is not None for out, _ in theirs):
            if len(theirs) != len(ours):
                problems.append(f"{name}: {len(ours)} layers in the engine, {len(theirs)} in Keras")
            for i, ((t_out, t_params), (e_out, e_params)) in enumerate(zip(theirs, ours)):
                if t_out is not None and _as_lists(e_out) != (t_out[0] if len(t_out) == 1 else t_out):
                    problems.append(f"{name} layer {i}: output engine {e_out} vs Keras {t_out}")
                if t_params is not None and e_params != t_params:
                    problems.append(f"{name} layer {i}: params engine {e_params} vs Keras {t_params}")

    # 3. warnings declared for this target
    expected = set(re.findall(rf"#\s*keras{keras}-expect:\s*(SL\d{{3}})", program.read_text()))
    got = {d.code for d in analysis.diagnostics if d.severity == "warning" and not d.migration}
    if expected != got:
        problems.append(f"warnings: expected {sorted(expected)}, engine {sorted(got)}")

    assert not problems, f"{program.name} under Keras {keras}:\n  " + "\n  ".join(problems)


def test_keras2_programs_exist():
    assert len(PROGRAMS) >= 6
    assert any(_targets(p) == ["2"] for p in PROGRAMS) and any(len(_targets(p)) == 2 for p in PROGRAMS)


def test_auto_target_of_a_tf_keras_program():
    """No setting: a program importing tf_keras is analysed for Keras 2."""
    program = ROOT / "tests/fixtures/keras2/tf_keras_import.py"
    analysis = analyze(program.read_text(), str(program))
    assert (analysis.keras, analysis.keras_reason) == ("2", "the file imports tf_keras")
    assert [d.code for d in analysis.diagnostics] == []

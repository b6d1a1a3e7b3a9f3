"""Precision on paths that may not run: code under an ``if`` whose condition shapelens does not
know. Each program below runs under TensorFlow twice (the condition replaced by True and by
False): when Keras raises on one path only, shapelens must report no error (at most a warning);
the path that runs is not known statically."""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from tests.oracle.client import require_tensorflow
from tests.oracle.program_runner import run_program

PROGRAMS = {
    # Sequential.add under an unknown if: the later layers' input depends on the branch
    "sequential_add_if": '''
import sys
import keras
from keras import layers

flag = COND
model = keras.Sequential([keras.Input(shape=(8, 8, 3)), layers.Conv2D(4, 3)])
if flag:
    model.add(layers.Flatten())
model.add(layers.Dense(2))
model.add(layers.Reshape((6, 6, 2)))
''',
    # the same with an else branch adding a different layer
    "sequential_add_if_else": '''
import sys
import keras
from keras import layers

flag = COND
model = keras.Sequential()
model.add(keras.Input(shape=(16,)))
if flag:
    model.add(layers.Reshape((4, 4)))
else:
    model.add(layers.Dense(16))
model.add(layers.Conv1D(2, 3))
''',
}

UNKNOWN = "len(sys.argv) > 5"


@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_one_path_raises_no_error(name: str, tmp_path: Path):
    require_tensorflow()
    template = PROGRAMS[name]
    raised = {}
    for cond in ("True", "False"):
        path = tmp_path / f"{name}_{cond}.py"
        path.write_text(template.replace("COND", cond))
        report = run_program(path, timeout=120)
        raised[cond] = report["error"] is not None
    # the program is only interesting when exactly one path raises under Keras
    assert raised["True"] != raised["False"], f"{name}: Keras raises on {raised}"
    analysis = analyze(template.replace("COND", UNKNOWN), f"{name}.py")
    errors = [(d.code, d.span.line + 1, d.message) for d in analysis.diagnostics if d.severity == "error"]
    assert errors == [], f"{name}: an error on a path that may not run: {errors}"
    # the model after the if is not claimed: its output shape is not known
    assert len(analysis.models) == 1
    assert analysis.models[0].output_shape is None and analysis.models[0].params is None

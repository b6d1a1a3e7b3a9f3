"""Keras's constructor signatures: the generated table is current, and the engine rejects
exactly the keywords Keras 3 rejects."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.core.analyze import analyze
from shapelens.core.rules import LAYERS, signature
from tests.oracle.client import require_tensorflow
from tests.core.rules.harness import check

ROOT = Path(__file__).resolve().parents[3]

MINIMAL = {
    "Dense": {"units": 3}, "Conv2D": {"filters": 2, "kernel_size": 3}, "Conv1D": {"filters": 2, "kernel_size": 3},
    "LSTM": {"units": 2}, "GRU": {"units": 2}, "Embedding": {"input_dim": 10, "output_dim": 2},
    "MaxPooling2D": {}, "Flatten": {}, "Dropout": {"rate": 0.1}, "BatchNormalization": {},
    "Concatenate": {}, "Reshape": {"target_shape": (4,)}, "Activation": {"activation": "relu"},
    "LayerNormalization": {}, "GlobalAveragePooling2D": {},
}
INPUTS = {"Conv1D": [[None, 8, 3]], "LSTM": [[None, 5, 4]], "GRU": [[None, 5, 4]], "Embedding": [[None, 5]],
          "MaxPooling2D": [[None, 8, 8, 3]], "Conv2D": [[None, 8, 8, 3]], "GlobalAveragePooling2D": [[None, 8, 8, 3]]}
WRONG = ["activaton", "input_lenght", "batch_input_shape", "kernal_size", "filter", "unit", "padding_mode",
         "return_sequence", "init", "W_regularizer", "border_mode", "nb_filter", "output_dim", "dim_ordering"]


@pytest.mark.tf
def test_signature_table_is_current():
    require_tensorflow()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts/gen_signatures.py"), "--check"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]


def test_every_rule_signature_is_a_prefix_of_keras():
    for name, rule in LAYERS.items():
        sig = signature(name)
        if sig is None:
            continue
        assert tuple(sig["positional"][: len(rule.signature)]) == rule.signature, name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(MINIMAL)), bad=st.sampled_from(WRONG))
def test_unknown_keywords_match_keras(layer_oracle, kind, bad):
    cfg = dict(MINIMAL[kind])
    cfg[bad] = 1
    inputs = INPUTS.get(kind, [[None, 4]])
    if kind == "Concatenate":
        return
    check(layer_oracle, kind, cfg, inputs)


def test_typo_message_suggests_the_keyword():
    a = analyze("from keras import layers\nd = layers.Dense(10, activaton='relu')\n")
    (d,) = [d for d in a.diagnostics if d.code == "SL201"]
    assert "`activaton`" in d.message and "did you mean `activation`" in d.message
    assert (d.span.line, d.span.col) == (1, 4)


def test_keras2_spellings_flagged():
    text = "from keras import layers\nx = layers.Conv2D(nb_filter=3, kernel_size=3)\n"
    codes = [d.code for d in analyze(text).diagnostics]
    assert codes == ["SL201"]


@pytest.mark.tf
def test_keras_public_api_table_is_current():
    require_tensorflow()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts/gen_keras_api.py"), "--check"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]

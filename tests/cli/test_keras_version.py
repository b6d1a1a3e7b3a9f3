"""`shapelens check` / `summary` and the Keras target: --keras-version, `keras-version` in the
configuration, the per-file auto decision (tf_keras imports, project pins), the JSON `keras`
entry and the total line. The Keras 2 answers themselves are checked against tf-keras in
tests/core/test_keras2_diff.py."""

from __future__ import annotations

import json

import pytest

from shapelens.cli import main
from tests.cli.test_check import check, codes

# Valid Keras 2 (tf-keras runs it), two errors under Keras 3: Input(784) and tf.reshape on a Keras tensor.
BODY = """inp = keras.Input(784)
x = tf.reshape(inp, (-1, 28, 28, 1))
model = keras.Model(inp, keras.layers.Conv2D(4, 3)(x))
"""
LEGACY = "import tensorflow as tf\nfrom tensorflow import keras\n" + BODY
TF_KERAS = "import tensorflow as tf\nimport tf_keras as keras\n" + BODY


@pytest.fixture
def files(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()  # the project root: pins are not searched above it
    (tmp_path / "legacy.py").write_text(LEGACY)
    (tmp_path / "tfk.py").write_text(TF_KERAS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    return tmp_path


def keras_of(out: str) -> dict[str, dict]:
    return {f["path"]: f["keras"] for f in json.loads(out)["files"]}


def test_auto_decides_per_file(files, capsys):
    code, out, _ = check(capsys, "legacy.py", "tfk.py", "--interpreter", "/nonexistent/python")
    assert code == 1
    assert codes(out) == ["SL201", "SL107"]  # legacy.py only: tfk.py imports tf_keras
    # after its errors legacy.py goes on as fixed (shape=(784,), keras.ops.reshape): 3 layers, as tfk.py
    assert out.splitlines()[-1] == "2 files, 2 models, 6 layers: 2 errors, 0 warnings (Keras 2: 1 of 2 files)"
    code, out, _ = check(capsys, "legacy.py", "tfk.py", "--format", "json", "--interpreter", "/nonexistent/python")
    assert keras_of(out) == {
        "legacy.py": {"version": "3", "reason": "default (Keras 3 ships with TensorFlow 2.16+)"},
        "tfk.py": {"version": "2", "reason": "the file imports tf_keras"},
    }


def test_flag_overrides_the_decision(files, capsys):
    code, out, _ = check(capsys, "legacy.py", "tfk.py", "--keras-version", "2")
    assert (code, codes(out)) == (0, [])
    assert out.splitlines()[-1] == "2 files, 2 models, 6 layers: 0 errors, 0 warnings (Keras 2)"
    code, out, _ = check(capsys, "tfk.py", "--keras-version", "3", "--format", "json")
    assert code == 1
    assert keras_of(out) == {"tfk.py": {"version": "3", "reason": 'keras-version = "3" in the settings'}}
    assert [d["code"] for d in json.loads(out)["files"][0]["diagnostics"]] == ["SL201", "SL107"]


def test_project_pins_decide(files, capsys):
    (files / "requirements.txt").write_text("numpy\ntensorflow==2.15.1  # the last with Keras 2\n")
    code, out, _ = check(capsys, "legacy.py", "--format", "json")
    assert code == 0
    assert keras_of(out) == {"legacy.py": {"version": "2", "reason": "a Keras 2 pin in requirements.txt"}}


def test_configuration_file_and_migration_warnings(files, capsys):
    (files / "pyproject.toml").write_text("[tool.shapelens]\nkeras-version = 2\n\n[tool.shapelens.checks]\n"
                                          "keras3-migration = true\n")
    (files / "old.py").write_text(LEGACY + "from keras.utils.np_utils import to_categorical\n"
                                           "model.fit_generator(batches)\n")
    code, out, err = check(capsys, "old.py")
    assert err == "" and code == 0
    lines = out.splitlines()
    assert codes(out) == ["SL401", "SL402"]
    assert all("[warning] migrating to Keras 3: " in line for line in lines[:2])
    assert lines[-1] == "1 file, 1 model, 3 layers: 0 errors, 2 warnings (Keras 2)"
    # the flag wins over the file
    code, out, _ = check(capsys, "old.py", "--keras-version", "3")
    assert code == 1 and codes(out) == ["SL201", "SL107", "SL401", "SL402"]


def test_invalid_setting_is_reported_and_auto_used(files, capsys):
    (files / "shapelens.toml").write_text('keras-version = "4"\n')
    code, out, err = check(capsys, "tfk.py")
    assert code == 0
    assert 'invalid value "4" for `kerasVersion` (one of "auto", "3", "2"); using "auto"' in err
    assert out.splitlines()[-1].endswith("(Keras 2)")


def test_summary_says_keras_2(files, capsys):
    assert main(["summary", "tfk.py"]) == 0
    out = capsys.readouterr().out
    assert "(None, 26, 26, 4)" in out
    assert out.splitlines()[-1] == "Shapes for Keras 2 (the file imports tf_keras)."
    assert main(["summary", "legacy.py", "--keras-version", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == 'Shapes for Keras 2 (keras-version = "2" in the settings).'

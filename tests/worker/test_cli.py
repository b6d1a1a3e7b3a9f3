"""`shapelens check --confirm`: the dry run from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.oracle.client import require_tensorflow
from tests.worker.conftest import ROOT

KERNEL = ROOT / "examples/mistake_kernel_too_big.py"
MNIST = ROOT / "examples/mnist_cnn.py"


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shapelens", "check", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


@pytest.mark.tf
def test_confirm_prints_verdicts_and_never_runs_the_file(tmp_path: Path):
    require_tensorflow()
    marker = tmp_path / "executed.txt"
    program = tmp_path / "side_effects.py"
    program.write_text(f"open({str(marker)!r}, 'w').write('ran')\n"
                       "import keras\n"
                       "from keras import layers\n"
                       "inputs = keras.Input(shape=(4,))\n"
                       "model = keras.Model(inputs, layers.Dense(2)(inputs))\n"
                       "raise SystemExit('the program stops here')\n")
    proc = check("--confirm", "--no-info", str(KERNEL), str(program))
    assert proc.returncode == 1, proc.stderr  # the Conv2D raises
    lines = proc.stdout.splitlines()
    tf = [x for x in lines if x.endswith("(tensorflow)")]
    assert len(tf) == 1 and tf[0].startswith(f"{KERNEL}:23:")
    assert "SL901 [error] TensorFlow 2." in tf[0] and "Computed output size would be zero or negative" in tf[0]
    assert any(x.startswith(f"{KERNEL}: TensorFlow 2.") and x.endswith(
        "confirms 5 of 6 layer calls (1 raising as shapelens says)") for x in lines)
    assert any(x.startswith(f"{program}: TensorFlow 2.") and x.endswith("confirms 2 of 2 layer calls")
               for x in lines)
    assert "0 disagreements" in lines[-1]
    assert not marker.exists()


@pytest.mark.tf
def test_confirm_json():
    require_tensorflow()
    proc = check("--confirm", "--format", "json", str(MNIST))
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stdout)["files"][0]["tensorflow"]
    assert entry["counts"]["confirmed"] == 8 and entry["diagnostics"] == []
    assert entry["summary"].startswith("TensorFlow 2.")


def test_confirm_without_tensorflow_says_how_to_install(python_without_tensorflow):
    proc = check("--confirm", "--interpreter", python_without_tensorflow, str(MNIST))
    assert proc.returncode == 2
    assert "TensorFlow is not installed for" in proc.stderr and "pip install 'shapelens[tf]'" in proc.stderr
    assert "1 file, 1 model, 7 layers: 0 errors" in proc.stdout  # the static check still ran


def test_confirm_with_missing_interpreter():
    proc = check("--confirm", "--interpreter", "/nonexistent/python", str(MNIST))
    assert proc.returncode == 2 and "/nonexistent/python does not exist" in proc.stderr

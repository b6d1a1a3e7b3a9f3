"""`python -m shapelens` never imports a project's own modules that shadow the standard
library (the server is started from editors whose working directory may be the project)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
SHADOWS = ["typing", "logging", "json", "random", "queue", "inspect", "string", "uuid", "platform",
           "tokenize", "argparse", "enum", "dataclasses", "re", "ast"]


def test_python_m_shapelens_ignores_stdlib_shadowing_files_in_the_working_directory(tmp_path):
    marker = tmp_path / "RAN"
    for name in SHADOWS:
        (tmp_path / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r})\nraise SystemExit('user code ran: {name}')\n")
    (tmp_path / "model.py").write_text("import keras\nm = keras.Sequential([keras.Input(shape=(3,)), "
                                       "keras.layers.Dense(2)])\nm(keras.ops.ones((1, 4)))\n")
    env = {**os.environ, "PYTHONPATH": str(SERVER)}
    out = subprocess.run([sys.executable, "-m", "shapelens", "check", "model.py"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert not marker.exists(), marker.read_text()
    assert "user code ran" not in out.stderr
    assert "model.py" in out.stdout

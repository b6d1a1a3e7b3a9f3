"""Helpers for the `shapelens check` tests: a project on disk and the CLI run as users run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# SL101 (a 5x5 kernel on a 4x4 input) on line 6, SL120 (an ignored input_shape=) on line 7.
BOTH = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(4, 4, 1)),
    layers.Conv2D(8, 5),{c1}
    layers.Dense(3, input_shape=(9,)),{c2}
])
"""
CLEAN = """\
import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4), layers.Dense(2)])
"""


def program(c1: str = "", c2: str = "") -> str:
    return BOTH.format(c1=c1, c2=c2)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "pre_commit: runs the real pre-commit, which builds a virtualenv and pip-installs shapelens "
                   "(about a minute; needs a package index or a local mirror)")


def run(*args: str, cwd: Path | None = None, stdin: str | None = None, env: dict | None = None,
        encoding: str | None = None) -> subprocess.CompletedProcess:
    """`python -m shapelens ...` in a subprocess (PYTHONPATH points at this checkout)."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = str(ROOT / "server") + os.pathsep + environ.get("PYTHONPATH", "")
    environ.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "shapelens", *args], cwd=cwd, input=stdin.encode() if stdin else None,
                          capture_output=True, env=environ, timeout=300)
    out = proc.stdout.decode(encoding or "utf-8", errors="strict")
    err = proc.stderr.decode(encoding or "utf-8", errors="backslashreplace")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with one file of two findings (model.py) and a clean one (clean.py)."""
    (tmp_path / "model.py").write_text(program(), encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path

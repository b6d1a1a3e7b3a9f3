"""Fixtures of the TensorFlow dry-run tests: one warm worker for the whole session, and an
interpreter without TensorFlow.

Every test that needs TensorFlow calls ``require_tensorflow()`` (through these fixtures), so
the suite skips without it, except in CI where that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shapelens.dryrun.client import WorkerClient
from tests.oracle.client import require_tensorflow

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = sorted(
    list((ROOT / "tests/fixtures/programs").glob("*.py"))
    + list((ROOT / "tests/fixtures/seeds").glob("*.py"))
    + list((ROOT / "examples").glob("*.py"))
)


@pytest.fixture(scope="session")
def worker():
    """The worker every pure test shares (TensorFlow is imported once)."""
    require_tensorflow()
    client = WorkerClient()
    client.start(120)
    yield client
    client.close()


@pytest.fixture(scope="session")
def python_without_tensorflow(tmp_path_factory) -> str:
    """A venv of this Python without TensorFlow (and without shapelens): what a user's
    project interpreter looks like before `pip install 'shapelens[tf]'`."""
    venv = tmp_path_factory.mktemp("venv-no-tf")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    exe = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    assert exe.exists()
    return str(exe)

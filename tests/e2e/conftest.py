"""Fixtures of the end-to-end editor tests; see support.py for the set-up they need."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.support import OUTPUT


@pytest.fixture
def output_dir(request) -> Path:
    """A fresh tests/output/e2e/<test name>/ for this test's logs and screenshots."""
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    path = OUTPUT / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path

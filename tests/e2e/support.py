"""Paths, set-up checks and the fixture facts shared by the editor end-to-end tests.

scripts/setup-e2e.sh installs the editors and tools under $SHAPELENS_E2E_HOME (default
~/.cache/shapelens-e2e). When something is missing these tests skip with the reason, except
under CI (CI=true), where they fail: CI must never pass by silently not testing the editors.
Outputs (logs, screenshots, result JSON) go to tests/output/e2e/<test>/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_HOME = Path(os.environ.get("SHAPELENS_E2E_HOME") or Path.home() / ".cache" / "shapelens-e2e")
FIXTURES = Path(__file__).parent / "fixtures"
OUTPUT = ROOT / "tests" / "output" / "e2e"
SETUP_HINT = "run `bash scripts/setup-e2e.sh` first"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(ok: bool, what: str) -> None:
    """Skip (locally) or fail (under CI) when a piece of the e2e set-up is missing."""
    if ok:
        return
    message = f"e2e set-up missing: {what}; {SETUP_HINT}"
    if in_ci():
        pytest.fail(message + " (CI=true: e2e tests must run, not skip)", pytrace=False)
    pytest.skip(message)


class Fixture:
    """An e2e fixture file and the positions the tests check, found from its text."""

    def __init__(self, name: str) -> None:
        self.path = FIXTURES / name
        self.text = self.path.read_text(encoding="utf-8")
        self.lines = self.text.splitlines()

    def find(self, needle: str) -> tuple[int, int]:
        """(line, column) of the first occurrence, 0-based (ASCII fixtures: bytes = UTF-16)."""
        for n, line in enumerate(self.lines):
            if needle in line:
                return n, line.index(needle)
        raise AssertionError(f"{needle!r} not in {self.path.name}")


# The known bug in fixtures/kernel_too_big.py and what the editors must show for it.
BUG_FILE = "kernel_too_big.py"
BUG_CODE = "SL101"
BUG_CALL = 'layers.Conv2D(128, 7, activation="relu")'
BUG_FIX_TITLE = 'Use padding="same" in Conv2D'
HOVER_CALL = "layers.Conv2D(32, 5"  # the first convolution: 32x32x3 -> 28x28x32
HOVER_SHAPE = "(None, 28, 28, 32)"
HINT_LABELS = ["→ (None, 28, 28, 32)", "→ (None, 14, 14, 32)", "→ (None, 10, 10, 64)"]

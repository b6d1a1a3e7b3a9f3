"""`shapelens check` paths that are not plain files: every fault is named, the other paths are
still checked, and nothing blocks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli.conftest import CLEAN

BAD = "import keras\nm = keras.Sequential([keras.Input((8, 3)), keras.layers.Conv1D(4, 9)])\n"


def _check(cwd, *paths: str) -> subprocess.CompletedProcess:
    # a subprocess with a timeout: a blocking read must fail the test, not hang the suite
    return subprocess.run([sys.executable, "-m", "shapelens", "check", *paths], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_py_is_skipped_in_a_directory_and_named_when_given(tmp_path):
    (tmp_path / "model.py").write_text(BAD)
    os.mkfifo(tmp_path / "pipe.py")
    walked = _check(tmp_path, ".")
    assert walked.returncode == 1 and "model.py:2:" in walked.stdout and "SL101" in walked.stdout
    assert walked.stdout.splitlines()[-1].startswith("1 file,")
    given = _check(tmp_path, "pipe.py", "model.py")
    assert given.returncode == 2
    assert "not checked: pipe.py: not a regular file" in given.stderr
    assert "SL101" in given.stdout  # the other path is still checked


def test_an_empty_path_is_refused_not_read_as_the_current_directory(tmp_path):
    (tmp_path / "model.py").write_text(BAD)
    result = _check(tmp_path, "")
    assert result.returncode == 2 and "SL101" not in result.stdout
    assert "'': an empty path (use . for the current directory)" in result.stderr


def test_a_missing_path_does_not_skip_the_others(tmp_path):
    (tmp_path / "model.py").write_text(BAD)
    (tmp_path / "clean.py").write_text(CLEAN)
    result = _check(tmp_path, "missing.py", "model.py", "clean.py")
    assert result.returncode == 2
    assert "not checked: missing.py: no such file or directory" in result.stderr
    assert "model.py:2:" in result.stdout and result.stdout.splitlines()[-1].startswith("2 files,")

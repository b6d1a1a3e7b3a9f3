"""Output encoding: whatever the stream's encoding, `check` prints and its exit status means findings.

issue 14: `PYTHONIOENCODING=cp1252 shapelens check --shapes` crashed on `→` (and on `×` with ascii)
and exited 1, the code for "errors found".
"""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import CLEAN, program, run

UNICODE_NAMES = """\
import keras
from keras import layers

entrée = keras.Input(shape=(4, 4, 1))
sortie = layers.Conv2D(8, 5)(entrée)
modèle = keras.Model(entrée, sortie)
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "bad.py").write_text(program(), encoding="utf-8")
    (tmp_path / "clean.py").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "unicodé.py").write_text(UNICODE_NAMES, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_a_narrow_stream_gets_ascii_symbols_and_the_right_exit_code(files, encoding):
    env = {"PYTHONIOENCODING": encoding}
    clean = run("check", "--shapes", "clean.py", cwd=files, env=env, encoding=encoding)
    assert clean.returncode == 0, clean.stderr
    assert "Traceback" not in clean.stderr and clean.stderr == ""
    assert "(None, 8) -> (None, 2)" in clean.stdout  # the arrow of the model title
    assert "| Sequential |" in clean.stdout and "------" in clean.stdout
    bad = run("check", "--shapes", "bad.py", cwd=files, env=env, encoding=encoding)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "Conv2D kernel 5x5 does not fit the 4x4 input" in bad.stdout
    # names the encoding cannot show are escaped, never a crash
    odd = run("check", "--shapes", "unicodé.py", cwd=files, env=env, encoding=encoding)
    assert odd.returncode == 1 and "Traceback" not in odd.stderr, odd.stderr
    assert "SL101" in odd.stdout
    if encoding == "ascii":
        assert "unicod\\xe9.py" in odd.stdout and "mod\\xe8le | Functional" in odd.stdout


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_machine_formats_do_not_depend_on_the_stream(files, encoding):
    env = {"PYTHONIOENCODING": encoding}
    for fmt in ("json", "sarif"):
        proc = run("check", "--format", fmt, "unicodé.py", cwd=files, env=env, encoding=encoding)
        assert proc.returncode == 1, proc.stderr
        json.loads(proc.stdout)  # ASCII JSON with \\u escapes
    proc = run("check", "--format", "github", "bad.py", cwd=files, env=env, encoding=encoding)
    assert proc.returncode == 1 and "title=SL101::Conv2D kernel 5x5" in proc.stdout


def test_a_missing_file_with_a_non_ascii_name_is_a_usage_error(files):
    proc = run("check", "absént.py", cwd=files, env={"PYTHONIOENCODING": "ascii"}, encoding="ascii")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "abs\\xe9nt.py" in proc.stderr or "abs\\udcc3" in proc.stderr


def test_utf8_keeps_the_symbols(files):
    proc = run("check", "--shapes", "clean.py", cwd=files, env={"PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 0 and "(None, 8) → (None, 2)" in proc.stdout and "─" in proc.stdout

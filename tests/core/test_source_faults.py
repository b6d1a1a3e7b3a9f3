"""Input faults of the parser: BOM, UTF-16 text, SyntaxWarnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shapelens.core.analyze import analyze

PROGRAM = ("import keras\nfrom keras import layers\ninputs = keras.Input(shape=(8,))\n"
           "x = layers.Dense(4)(inputs)\nm = keras.Model(inputs, x)\n")


def test_utf8_bom_is_not_a_syntax_error_and_keeps_the_model():
    plain, bom = analyze(PROGRAM), analyze("\ufeff" + PROGRAM)
    assert bom.parsed and not [d for d in bom.diagnostics if d.code == "SL001"]
    assert [m.output_shape for m in bom.models] == [m.output_shape for m in plain.models] == [(None, 4)]


def test_utf8_bom_keeps_line_zero_columns_in_code_points():
    result = analyze("\ufeffx = keras.Input(shape=(8,))\nimport keras\n")
    assert result.parsed


def test_utf16_text_is_named_as_such():
    text = PROGRAM.encode("utf-16").decode("utf-8", errors="replace")
    messages = [d.message for d in analyze(text).diagnostics if d.code == "SL001"]
    assert messages and "UTF-16" in messages[0]


def test_syntax_warnings_do_not_reach_stderr(tmp_path):
    server = Path(__file__).resolve().parents[2] / "server"
    program = tmp_path / "warns.py"
    program.write_text('import re\nx = re.compile("\\d\\s")\nassert (1, 2)\nif x is 1:\n    pass\n')
    code = f"from shapelens.core.analyze import analyze\nanalyze({program.read_text()!r})\n"
    out = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(server)})
    assert out.returncode == 0, out.stderr
    # SyntaxWarning on Python 3.12+, DeprecationWarning ("invalid escape sequence") on 3.11
    assert "Warning" not in out.stderr, out.stderr


MODELS = ("import keras\n"
          "a = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n"
          "{typing}"
          "b = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])\n"
          "def head(x):\n"
          "    y = keras.layers.Dense(7)(x)\n"
          "    {inner}"
          "    return y\n"
          "c = head(keras.Input((6,)))\n")


@pytest.mark.parametrize("typing, inner", [
    ("x = keras.layers.Dense(\n", ""),                 # a call being typed at top level
    ("x = keras.layers.Conv2D(8, (3,\n", ""),          # nested brackets left open
    ("", "z = keras.layers.Dense(\n"),                 # inside a function body
    ("for i in range(3\n", ""),                        # an unfinished loop header
])
def test_statements_after_a_half_typed_line_keep_their_shapes(typing, inner):
    """While a line is half-typed, what comes after it is still analysed (no flicker of the models
    and hints below the cursor)."""
    whole = analyze(MODELS.format(typing="", inner=""))
    typed = analyze(MODELS.format(typing=typing, inner=inner))
    assert [d.code for d in typed.diagnostics if d.code == "SL001"] == ["SL001"]
    shapes = [(m.output_shape) for m in whole.models]
    assert shapes == [(None, 3), (None, 2)]
    assert [m.output_shape for m in typed.models] == shapes
    assert any(i.output_shape == (None, 7) for i in typed.layers)

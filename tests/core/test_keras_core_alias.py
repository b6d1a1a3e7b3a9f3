"""`keras_core` (the Keras 3 preview package many published examples still import) is Keras 3:
every fixture program -- each checked against TensorFlow by tests/test_programs_diff.py --
gives the same layers, shapes, parameters and diagnostics when it imports keras_core instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.shapes import Unknown

PROGRAMS = Path(__file__).resolve().parents[1] / "fixtures" / "programs"
KERAS_IMPORTS = re.compile(r"^(import keras\b|from keras(?=[ .]))", re.MULTILINE)
CASES = sorted(p for p in PROGRAMS.glob("*.py") if KERAS_IMPORTS.search(p.read_text())
               and "tensorflow" not in p.read_text() and "tf_keras" not in p.read_text())


def _as_keras_core(text: str) -> str:
    text = re.sub(r"^import keras$", "import keras_core as keras", text, flags=re.MULTILINE)
    text = re.sub(r"^import keras\.", "import keras_core.", text, flags=re.MULTILINE)
    return re.sub(r"^from keras(?=[ .])", "from keras_core", text, flags=re.MULTILINE)


def _shown(shape):
    """Unknown sizes as "?" (two analyses create distinct Unknown objects)."""
    if isinstance(shape, list):
        return [_shown(s) for s in shape]
    if isinstance(shape, tuple):
        return tuple("?" if isinstance(d, Unknown) else d for d in shape)
    return shape


def _facts(text: str) -> tuple:
    a = analyze(text, "program.py")
    return ([(i.kind, i.span, _shown(i.input_shape), _shown(i.output_shape), i.params) for i in a.layers],
            [(m.kind, _shown(m.output_shape), m.params) for m in a.models],
            sorted((d.code, d.span, d.message) for d in a.diagnostics))


def test_there_are_programs_to_compare():
    assert len(CASES) >= 20


@pytest.mark.parametrize("program", CASES, ids=lambda p: p.name)
def test_keras_core_is_keras_3(program: Path):
    text = program.read_text()
    converted = _as_keras_core(text)
    assert converted != text
    original = _facts(text)
    assert original[0], "the program builds layers"
    assert _facts(converted) == original

"""The memos that outlive one layer call (rules/symbolic.py: plain_memo, the constructor probe;
data/dispatch.py: an op's shapes) never change an answer: every fixture program analysed with
the memos empty and again with them full gives the same layers, models and diagnostics, and an
error is reported at every call that raises, not only the first."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shapelens.core import builtins_model
from shapelens.core.analyze import analyze
from shapelens.core.rules import symbolic

PROGRAMS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "programs").glob("*.py"))


def _shape(shape):
    """A shape with its unknown sizes written out (an unknown size is a fresh object per analysis)."""
    if isinstance(shape, (list, tuple)):
        return tuple(_shape(d) for d in shape)
    return shape if shape is None or isinstance(shape, int) else str(shape)


def _digest(result) -> tuple:
    layers = [(i.kind, i.span, i.call_span, _shape(i.input_shape), _shape(i.output_shape), i.params, i.note)
              for i in result.layers]
    models = [(m.span, m.params) for m in result.models] if result.models else []
    diags = [(d.code, d.severity, d.message, d.span) for d in result.diagnostics]
    return layers, models, diags


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda p: p.name)
def test_memos_empty_or_full_give_the_same_analysis(path):
    text = path.read_text()
    symbolic._MEMO.clear()
    cold = _digest(analyze(text, str(path)))
    warm = _digest(analyze(text, str(path)))  # (the memo now holds this text's answers)
    assert warm == cold


def test_every_call_that_raises_reports_its_error():
    text = (
        "import keras\n"
        "from keras import layers\n"
        "a = layers.Dense(-3)\n"
        "b = layers.Dense(-3)\n"
        "x = keras.Input((3, 3, 1))\n"
        "y = layers.Conv2D(8, 5)(x)\n"
        "z = layers.Conv2D(8, 5)(x)\n"
        "ok = layers.Conv2D(8, 3)(x)\n"
        "ok2 = layers.Conv2D(8, 3)(x)\n"
    )
    for _ in range(2):
        result = analyze(text)
        errors = sorted(d.span.line + 1 for d in result.diagnostics if d.severity == "error")
        assert errors == [3, 4, 6, 7]
        shapes = [i.output_shape for i in result.layers if i.kind == "Conv2D" and i.output_shape]
        assert shapes == [(None, 1, 1, 8), (None, 1, 1, 8)]


def test_the_same_layer_on_other_shapes_is_not_answered_from_the_memo():
    text = (
        "import keras\n"
        "from keras import layers\n"
        "x = keras.Input((32, 32, 3))\n"
        "a = layers.Conv2D(8, 3, strides=2)(x)\n"
        "b = layers.Conv2D(8, 3, strides=2)(a)\n"
        "c = layers.Conv2D(8, 3, strides=2)(b)\n"
    )
    result = analyze(text)
    assert [i.output_shape for i in result.layers if i.kind == "Conv2D"] == [
        (None, 15, 15, 8), (None, 7, 7, 8), (None, 3, 3, 8)]
    assert [i.params for i in result.layers if i.kind == "Conv2D"] == [224, 584, 584]


def test_inside_finds_a_node_by_descending_the_class_only():
    source = (
        "class A:\n"
        "    def f(self, g=lambda: super()):\n"
        "        return [super() for _ in range(2)]\n"
        "class B:\n"
        "    pass\n"
    )
    tree = ast.parse(source)
    cls_a, cls_b = tree.body
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "super"]
    assert len(calls) == 2
    for call in calls:
        assert builtins_model._inside(call, cls_a)
        assert not builtins_model._inside(call, cls_b)
    # the same lines in another tree (a base class from another file): not inside
    other = ast.parse(source).body[0]
    assert not builtins_model._inside(calls[0], other)


def test_a_long_argument_is_not_kept_in_a_memo_key():
    """A vocabulary of 300 words written out, given to StringLookup: answered, and no memo entry
    holds it (a memo of up to 4,096 entries of such keys would hold every vocabulary typed)."""
    words = ", ".join(f"'w{i}'" for i in range(300))
    text = (
        "import keras\n"
        "from keras import layers\n"
        f"vocab = [{words}]\n"
        "lookup = layers.StringLookup(vocabulary=vocab)\n"
        "x = keras.Input((4,), dtype='string')\n"
        "y = lookup(x)\n"
    )
    symbolic._MEMO.clear()
    result = analyze(text)
    assert [i.output_shape for i in result.layers if i.kind == "StringLookup"] == [(None, 4)]
    assert all(len(repr(key)) < 1000 for key in symbolic._MEMO)

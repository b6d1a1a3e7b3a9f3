"""shapelens.core.fixes without a server: every fixer is applied and the text re-analysed.

(The module is core; these tests live under tests/lsp/ with the rest of issue 4's tests.)
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from shapelens.core import fixes
from shapelens.core.results import Analysis, Diagnostic
from shapelens.core.analyze import analyze
from shapelens.core.source import Span
from shapelens.core.fixes import TextEdit, apply_edits, candidates, fixes_for, map_position

HEAD = "import keras\nfrom keras import layers\n\n"


def only(text: str, code: str) -> tuple[Analysis, Diagnostic]:
    a = analyze(text)
    (d,) = [d for d in a.diagnostics if d.code == code]
    return a, d


def fixed_texts(text: str, code: str) -> dict[str, str]:
    a, d = only(text, code)
    out = {}
    for f in fixes_for(text, a, d):
        new = apply_edits(text, f.edits)
        assert code not in [x.code for x in analyze(new).diagnostics]  # re-analysed: gone
        out[f.title] = new
    return out


# --------------------------------------------------------------------------- text edits


def test_apply_edits_and_map_position():
    text = "ab😀cd\nef\n"
    edits = [TextEdit(Span(0, 2, 0, 3), "XYZ"), TextEdit(Span(1, 0, 1, 0), "--\n")]
    assert apply_edits(text, edits) == "abXYZcd\n--\nef\n"
    assert map_position(text, edits, 0, 3) == (0, 5)  # just after the replaced emoji
    assert map_position(text, edits, 0, 2) == (0, 2)  # start of the replaced region
    assert map_position(text, edits, 1, 1) == (2, 1)  # a line was inserted before
    with pytest.raises(ValueError):
        apply_edits(text, [TextEdit(Span(0, 0, 0, 3), ""), TextEdit(Span(0, 2, 0, 4), "")])


# --------------------------------------------------------------------------- SL101


CONV = HEAD + """model = keras.Sequential([
    keras.Input(shape=(5, 5, 8)),
    layers.Conv2D(
        16,
        7,
        padding='valid',
    ),
])
"""


def test_padding_same_replaces_an_existing_padding_and_keeps_quotes():
    got = fixed_texts(CONV, "SL101")
    assert got["Use padding='same' in Conv2D"] == CONV.replace("padding='valid'", "padding='same'")
    assert got["Shrink the kernel of Conv2D to 5×5 so it fits the 5×5 input"] == CONV.replace("        7,", "        5,")


def test_padding_given_positionally():
    text = HEAD + 'inp = keras.Input(shape=(4, 4, 1))\nout = layers.Conv2D(2, (5, 3), 1, "valid")(inp)\n'
    got = fixed_texts(text, "SL101")
    assert got == {
        'Use padding="same" in Conv2D': text.replace('"valid"', '"same"'),
        "Shrink the kernel of Conv2D to 4×3 so it fits the 4×4 input": text.replace("(5, 3)", "(4, 3)"),
    }


def test_dilated_kernel_and_channels_first():
    text = HEAD + ('inp = keras.Input(shape=(3, 9, 9))\n'
                   'out = layers.Conv2D(2, kernel_size=6, dilation_rate=2, data_format="channels_first")(inp)\n')
    got = fixed_texts(text, "SL101")  # 2 * (6 - 1) + 1 = 11 > 9; 2 * (5 - 1) + 1 = 9 fits
    assert got == {
        "Shrink the kernel of Conv2D to 5×5 so it fits the 9×9 input": text.replace("kernel_size=6", "kernel_size=5"),
        'Use padding="same" in Conv2D': text.replace('"channels_first")', '"channels_first", padding="same")'),
    }


def test_pool_window_default_size_is_added_as_keyword():
    text = HEAD + "inp = keras.Input(shape=(1, 1, 3))\nout = layers.MaxPooling2D()(inp)\n"
    a, d = only(text, "SL101")
    titles = {f.title: apply_edits(text, f.edits) for f in fixes_for(text, a, d)}
    assert titles["Shrink the pool window of MaxPooling2D to 1×1 so it fits the 1×1 input"] == text.replace(
        "MaxPooling2D()", "MaxPooling2D(pool_size=1)")
    assert titles['Use padding="same" in MaxPooling2D'] == text.replace("MaxPooling2D()", 'MaxPooling2D(padding="same")')


def test_fix_that_does_not_remove_the_diagnostic_is_not_offered():
    # padding='same' cannot help a stride/size problem that is not SL101; and a fixer
    # whose candidate leaves the diagnostic in place is filtered by re-analysis.
    text = CONV
    a, d = only(text, "SL101")
    bogus = fixes.Fix("do nothing useful", "SL101", (TextEdit(Span(0, 0, 0, 0), "# hello\n"),))

    @fixes.fixer(codes=["SL101"])
    def _bogus(ctx, diag):
        yield bogus

    try:
        assert bogus in candidates(text, a, d)
        assert "do nothing useful" not in [f.title for f in fixes_for(text, a, d)]
    finally:
        fixes._BY_CODE["SL101"].remove(_bogus)


def test_fix_that_breaks_the_syntax_is_not_offered():
    text = CONV
    a, d = only(text, "SL101")
    broken = fixes.Fix("break it", "SL101", (TextEdit(Span(6, 4, 6, 5), "(("),))

    @fixes.fixer(codes=["SL101"])
    def _broken(ctx, diag):
        yield broken

    try:
        assert "break it" not in [f.title for f in fixes_for(text, a, d)]
    finally:
        fixes._BY_CODE["SL101"].remove(_broken)


def test_preferred_is_the_fix_leaving_fewest_errors():
    text = HEAD + """model = keras.Sequential([
    keras.Input(shape=(5, 5, 8)),
    layers.Conv2D(16, 7),
    layers.Conv2D(16, 4),
])
"""
    a = analyze(text)
    d = [d for d in a.diagnostics if d.code == "SL101"][0]
    got = fixes_for(text, a, d)
    by_title = {f.title: f for f in got}
    # shrinking to 5x5 leaves a 1x1 map for the next 4x4 kernel (a new error); 'same' keeps 5x5
    assert by_title['Use padding="same" in Conv2D'].preferred
    assert by_title['Use padding="same" in Conv2D'].errors_after == 0
    assert by_title["Shrink the kernel of Conv2D to 5×5 so it fits the 5×5 input"].errors_after == 1
    assert sum(f.preferred for f in got) == 1


# --------------------------------------------------------------------------- SL120


@pytest.mark.parametrize("args, expected", [
    ("10, input_shape=(5,)", "10"),
    ("input_shape=(5,), units=10", "units=10"),
    ("10,\n        input_shape=(5,),\n    ", "10,\n    "),
    ("\n        input_shape=(5,),\n        units=3,\n    ", "\n        units=3,\n    "),
])
def test_remove_input_shape(args, expected):
    text = HEAD + f"model = keras.Sequential([\n    keras.Input(shape=(3,)),\n    layers.Dense({args}),\n])\n"
    got = fixed_texts(text, "SL120")
    assert got == {"Remove the ignored input_shape=": text.replace(f"layers.Dense({args})", f"layers.Dense({expected})")}


# --------------------------------------------------------------------------- Flatten before Dense


SEQ_FM = HEAD + """model = keras.Sequential([
    keras.Input(shape=(8, 8, 3)),
    layers.Conv2D(4, 3),
    layers.Dense(10),
])
model.fit(x, y)
"""


def with_label_check(text: str, path: str = "<buffer>") -> Analysis:
    """analyze() plus a stand-in for the SL3xx data check another engineer is adding:
    labels of shape (N, 10) against the model output."""
    a = analyze(text, path)
    for m in a.models:
        if isinstance(m.output_shape, tuple) and len(m.output_shape) != 2:
            line = text.splitlines().index("model.fit(x, y)")
            a.diagnostics.append(Diagnostic("SL301", "error", "labels (N, 10) vs output", Span(line, 0, line, 15)))
    return a


def fit_diag(text: str) -> tuple[Analysis, Diagnostic]:
    a = with_label_check(text)
    (d,) = [d for d in a.diagnostics if d.code == "SL301"]
    return a, d


def test_flatten_in_a_sequential_list_plugs_in_for_data_codes():
    a, d = fit_diag(SEQ_FM)
    got = {f.title: apply_edits(SEQ_FM, f.edits) for f in fixes_for(SEQ_FM, a, d, analyze_fn=with_label_check)}
    assert got == {
        "Insert Flatten() before Dense (line 7), which receives a 4-D feature map":
            SEQ_FM.replace("    layers.Dense(10),", "    layers.Flatten(),\n    layers.Dense(10),"),
        "Insert GlobalAveragePooling2D() before Dense (line 7), which receives a 4-D feature map":
            SEQ_FM.replace("    layers.Dense(10),", "    layers.GlobalAveragePooling2D(),\n    layers.Dense(10),"),
    }


def test_flatten_with_model_add_and_a_bare_import():
    text = """import keras
from keras.layers import Conv2D, Dense

model = keras.Sequential()
model.add(keras.Input(shape=(8, 8, 3)))
model.add(Conv2D(4, 3))
model.add(Dense(10))
model.fit(x, y)
"""
    a, d = fit_diag(text)
    got = {f.title: apply_edits(text, f.edits) for f in fixes_for(text, a, d, analyze_fn=with_label_check)}
    title = "Insert Flatten() before Dense (line 7), which receives a 4-D feature map"
    assert got[title] == text.replace("Conv2D, Dense", "Conv2D, Dense, Flatten").replace(
        "model.add(Dense(10))", "model.add(Flatten())\nmodel.add(Dense(10))")


def test_flatten_is_not_offered_when_it_does_not_help():
    # Dense already receives a flat input: no Dense on a feature map, no candidate
    text = SEQ_FM.replace("layers.Conv2D(4, 3),", "layers.Flatten(),")
    a = analyze(text)
    d = Diagnostic("SL301", "error", "something else", Span(8, 0, 8, 15))
    assert candidates(text, a, d) == []


# --------------------------------------------------------------------------- SL3xx fix kinds


DATA = HEAD + """import numpy as np
model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10)])
x = np.zeros((100, 28, 28, 1))
model.fit(x, y)
"""


def test_set_input_shape_kind():
    line = DATA.splitlines()[4]
    start = line.index("(28, 28)")
    target = {"line": 4, "col": start, "end_line": 4, "end_col": start + len("(28, 28)")}
    d = Diagnostic("SL302", "error", "input (None, 28, 28) but x is (100, 28, 28, 1)", Span(6, 0, 6, 15),
                   fix={"kind": "set_input_shape", "target": target, "shape": [28, 28, 1]})
    a = analyze(DATA)
    (f,) = candidates(DATA, a, d)
    assert f.title == "Change the input shape to (28, 28, 1)"
    assert apply_edits(DATA, f.edits) == DATA.replace("shape=(28, 28)", "shape=(28, 28, 1)")

    def check(text, path="<buffer>"):
        out = analyze(text, path)
        if "shape=(28, 28))" in text:
            out.diagnostics.append(replace(d))
        return out

    assert [x.title for x in fixes_for(DATA, a, d, analyze_fn=check)] == ["Change the input shape to (28, 28, 1)"]


def test_add_data_axis_kind():
    text = DATA.replace("np.zeros((100, 28, 28, 1))", "np.zeros((100, 28, 28))").replace(
        "shape=(28, 28)", "shape=(28, 28, 1)")
    line = text.splitlines().index("model.fit(x, y)")
    d = Diagnostic("SL303", "error", "x lacks the channel axis", Span(line, 0, line, 15),
                   fix={"kind": "add_data_axis", "data": {"line": line, "col": 10, "end_line": line, "end_col": 11},
                        "axis": -1})
    (f,) = candidates(text, analyze(text), d)
    assert apply_edits(text, f.edits).endswith("model.fit(np.expand_dims(x, -1), y)\n")
    no_numpy = text.replace("import numpy as np\n", "")
    d2 = replace(d, span=Span(line - 1, 0, line - 1, 15),
                 fix={**d.fix, "data": {"line": line - 1, "col": 10, "end_line": line - 1, "end_col": 11}, "axis": 0})
    (f2,) = candidates(no_numpy, analyze(no_numpy), d2)
    assert apply_edits(no_numpy, f2.edits).endswith("model.fit(x[None, ...], y)\n")
    assert f2.title == "Add a batch axis to x: x[None, ...]"


def test_replace_kind_and_malformed_fix_data():
    d = Diagnostic("SL399", "error", "m", Span(0, 0, 0, 1), fix={
        "kind": "replace", "title": "Rename", "edits": [{"span": {"line": 0, "col": 0, "end_line": 0, "end_col": 6},
                                                          "new_text": "import"}]})
    (f,) = candidates(HEAD, analyze(HEAD), d)
    assert f.title == "Rename" and f.edits == (TextEdit(Span(0, 0, 0, 6), "import"),)
    bad = replace(d, fix={"kind": "replace", "edits": [{"span": "nowhere"}]})
    assert candidates(HEAD, analyze(HEAD), bad) == []
    unknown = replace(d, fix={"kind": "no_such_kind"})
    assert candidates(HEAD, analyze(HEAD), unknown) == []


def test_core_fixes_stays_pure():
    code = ("import sys, shapelens.core.fixes; "
            "bad = [m for m in ('pygls', 'lsprotocol', 'tensorflow') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)

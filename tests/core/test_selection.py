"""core/selection.py and core/suppressions.py: which findings are reported, with which severity."""

from __future__ import annotations

import pytest

from shapelens.config import Options, load
from shapelens.core.analyze import analyze
from shapelens.core.selection import matches, selected
from shapelens.core.suppressions import scan

# SL101 (kernel larger than its input) on line 6, SL120 (ignored input_shape=) on line 7.
BOTH = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(4, 4, 1)),
    layers.Conv2D(8, 5){c1}
    layers.Dense(3, input_shape=(9,)){c2}
])
"""


def program(c1: str = ",", c2: str = ",") -> str:
    return BOTH.format(c1=c1, c2=c2)


def codes(text: str, **config) -> list[str]:
    options, problems = load(config)
    assert problems == []
    return sorted(d.code for d in analyze(text, "model.py", options).diagnostics)


def test_without_options_every_finding_is_returned():
    assert sorted(d.code for d in analyze(program(), "model.py").diagnostics) == ["SL101", "SL120"]
    assert codes(program()) == ["SL101", "SL120"]


@pytest.mark.parametrize("config, expected", [
    ({"select": ["SL1"]}, ["SL101", "SL120"]),
    ({"select": ["SL10"]}, ["SL101"]),
    ({"select": ["SL2"]}, []),
    ({"select": ["SL2"], "extend-select": ["SL120"]}, ["SL120"]),
    ({"ignore": ["SL101"]}, ["SL120"]),
    ({"ignore": ["SL1"]}, []),
    ({"ignore": ["SL1"], "select": ["SL101"]}, ["SL101"]),  # the more specific entry wins
    ({"ignore": ["SL101"], "select": ["SL101"]}, []),  # on a tie, ignore wins
    ({"select": ["ALL"], "ignore": ["ALL"]}, []),
    ({"per-file-ignores": {"*.py": ["SL120"]}}, ["SL101"]),
    ({"per-file-ignores": {"other.py": ["SL120"]}}, ["SL101", "SL120"]),
    ({"checks": {"data-shapes": False}}, ["SL101", "SL120"]),
    ({"diagnostics": {"warning": False}}, ["SL101"]),
])
def test_selection(config, expected):
    assert codes(program(), **config) == expected


def test_severity_overrides_then_the_severity_switches():
    options, _ = load({"severity": {"SL120": "error", "SL1": "hint"}})
    by_code = {d.code: d.severity for d in analyze(program(), "model.py", options).diagnostics}
    assert by_code == {"SL101": "hint", "SL120": "error"}  # longest prefix wins
    options, _ = load({"severity": {"SL120": "information"}, "diagnostics": {"information": False}})
    assert [d.code for d in analyze(program(), "model.py", options).diagnostics] == ["SL101"]


def test_unknown_codes_are_reported_and_the_rest_kept():
    options, problems = load({"select": ["SL1", "SL999", 3], "ignore": "SL120,XYZ",
                              "per-file-ignores": {"a.py": ["SL7"]}},
                             sources=("pyproject.toml [tool.shapelens]",))
    assert options.select == ["SL1"] and options.ignore == ["SL120"]
    assert problems == [
        'pyproject.toml [tool.shapelens]: unknown code "SL999" in `select` ignored',
        "pyproject.toml [tool.shapelens]: unknown code 3 in `select` ignored",
        'pyproject.toml [tool.shapelens]: unknown code "XYZ" in `ignore` ignored',
        'pyproject.toml [tool.shapelens]: unknown code "SL7" in `perFileIgnores.a.py` ignored',
    ]


def test_per_file_globs_are_anchored_at_the_config_file(tmp_path):
    options, _ = load({"per-file-ignores": {"tests/*.py": ["SL1"]}}, bases=(tmp_path,))
    (glob,) = options.per_file_ignores
    assert glob == tmp_path.resolve().as_posix() + "/tests/*.py"
    assert not selected("SL101", options, str(tmp_path / "tests" / "t.py"))
    assert selected("SL101", options, str(tmp_path / "src" / "t.py"))
    assert selected("SL101", options, "/elsewhere/tests/t.py")
    assert matches("/a/b/tests/x.py", "tests/*.py")  # unanchored: at any depth
    assert matches("/a/b/x_test.py", "*_test.py")


@pytest.mark.parametrize("comment, expected", [
    ("  # shapelens: ignore[SL101]", ["SL120"]),
    ("  # shapelens: ignore[SL101, SL120]", ["SL120"]),  # SL120 is on the next line
    ("  # shapelens: ignore", ["SL120"]),
    ("  # noqa: SL101", ["SL120"]),
    ("  # noqa: E501, SL101", ["SL120"]),
    ("  # NOQA:sl101", ["SL120"]),
    ("  # shapelens: ignore[SL120]", ["SL101", "SL120"]),
    ("  # noqa", ["SL101", "SL120"]),  # a bare noqa is for other tools
])
def test_inline_suppressions(comment, expected):
    assert codes(program(c1="," + comment)) == expected


def test_a_multi_line_call_is_suppressed_on_its_first_line():
    text = """\
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(4, 4, 1)),
    layers.Conv2D(  # shapelens: ignore[SL101]
        8,
        5,
    ),
])
"""
    assert sorted(d.code for d in analyze(text, "m.py").diagnostics) == ["SL101"]
    assert codes(text) == []


def test_unused_suppressions_are_reported_on_request():
    text = program(c1=",  # shapelens: ignore[SL101, SL102]", c2=",  # shapelens: ignore")
    text += "x = 1  # noqa: SL301\n"
    assert codes(text) == []  # the bare ignore on line 7 suppresses SL120
    options, _ = load({"report-unused-suppressions": True})
    found = [(d.code, d.span.line, d.message) for d in analyze(text, "m.py", options).diagnostics]
    assert found == [
        ("SL004", 5, "unused suppression: no SL102 finding on this line"),
        ("SL004", 8, "unused suppression: no SL301 finding on this line"),
    ]
    options, _ = load({"report-unused-suppressions": True, "ignore": ["SL004"]})
    assert analyze(text, "m.py", options).diagnostics == []


def test_unknown_code_in_a_suppression_is_always_reported():
    found = analyze(program(c1=",  # shapelens: ignore[SL101, SL999]"), "m.py", Options()).diagnostics
    assert sorted(d.code for d in found) == ["SL004", "SL120"]
    (d,) = [d for d in found if d.code == "SL004"]
    assert d.span.line == 5 and "`SL999`" in d.message and "not a shapelens code" in d.message


def test_scan_counts_lines_as_python_does():
    text = "a = 1\r\nb = 2\rc = 3  # shapelens: ignore[SL101]\n\x0cd = 4  # noqa: SL102\n"
    found = scan(text)
    assert sorted(found) == [2, 3]
    assert found[2].codes == ("SL101",) and found[2].span.col == 7
    assert found[3].codes == ("SL102",)
    assert scan("x = 1\n") == {}


def test_the_same_analysis_reported_twice_gives_the_same_answer():
    from shapelens.core.selection import reported

    a = analyze(program(c1=",  # shapelens: ignore[SL101, SL102]"), "m.py")
    options, _ = load({"report-unused-suppressions": True})
    first = reported(a, options)
    assert [d.code for d in first] == ["SL120", "SL004"]
    assert reported(a, options) == first

"""Robustness: analyze() never raises, never hangs, never runs user code, and says so when
it gives up.

* Every prefix of every fixture program and example (cut at every line boundary and at
  30 seeded random character offsets) is analysed within a time bound, with no internal
  exception swallowed by the evaluator, with well-formed diagnostics, and with the shapes
  of the top-level statements before the cut equal to those of the whole program.
* Adversarial inputs (absurd nesting, huge values, endless loops and recursion, odd line
  endings, non-ASCII text, code that would have side effects if it ran) each assert that
  the call is bounded and something specific about the result: the analysis says it is
  incomplete, the shapes before the problem are still found, columns are code points, no
  file appears.
* Inputs that could hang the test process or exhaust its memory run in a child process
  with CPU and address-space limits.

The time bounds are hang guards, not benchmarks: CPU_BOUND of CPU time per analyze() call
(ISOLATED_CPU_BOUND for the few-line isolated programs), and a much larger wall-clock bound
(time.perf_counter) because test machines are shared.

Cases marked xfail(strict=True) are engine bugs found by these tests; each reason says
what is wrong. When a fix lands, the test passes, strict xfail turns that into a failure,
and the mark is removed.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import random
import re
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from shapelens.core import evaluate
from shapelens.core.results import Analysis
from shapelens.core.analyze import analyze
from shapelens.core.codes import CODES

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted(set((ROOT / "tests/fixtures").rglob("*.py")) | set((ROOT / "examples").glob("*.py")))
RANDOM_CUTS = 30
CPU_BOUND = 2.0  # seconds of CPU per analyze() call
WALL_BOUND = 20.0  # seconds of wall-clock time per call (shared machines)
MEMORY_BOUND = 100 * 2**20  # bytes an isolated analysis may add to its peak RSS
SEVERITIES = {"error", "warning", "information", "hint"}
FALLBACK = "shapelens could not analyse this file"
_NEWLINE = re.compile(r"\r\n|\r|\n")  # where Python (and LSP) end lines

H = "import keras\nfrom keras import layers\n\n"
BEFORE = H + "inputs = keras.Input(shape=(8,))\nbefore = layers.Dense(4)(inputs)\n"
AFTER = "after = layers.Dense(2)(inputs)\n"


# ---------------------------------------------------------------------- running one analysis


@dataclass
class Run:
    text: str
    analysis: Analysis
    cpu: float
    wall: float
    swallowed: list[str] = field(default_factory=list)  # internal exceptions the evaluator hid

    def codes(self) -> list[str]:
        return [d.code for d in self.analysis.diagnostics]

    def shapes(self, kind: str) -> list:
        return [_norm(i.output_shape) for i in self.analysis.layers if i.kind == kind]

    def shape_of(self, var: str):
        """The shape of the tensor last assigned to ``var`` (what the editor shows)."""
        found = [_norm(v.shape) for v in self.analysis.values if v.name == var]
        return found[-1] if found else None


@contextlib.contextmanager
def _spy_on_swallowed(sink: list[str]):
    """Record the exceptions Evaluator.exec_stmt turns into unknown values: on real
    programs an internal error or a RecursionError there is a bug that would otherwise go
    unseen (the analysis just shows fewer shapes)."""
    original = getattr(evaluate.Evaluator, "_forget_targets", None)
    if original is None:  # the evaluator changed; the other checks still apply
        yield
        return

    def spy(self, stmt, scope, reason):
        if str(reason) == "a statement shapelens could not follow" or "nests too deeply" in str(reason):
            sink.append(f"line {getattr(stmt, 'lineno', '?')}: {reason}\n{traceback.format_exc(limit=-6)}")
        return original(self, stmt, scope, reason)

    evaluate.Evaluator._forget_targets = spy
    try:
        yield
    finally:
        evaluate.Evaluator._forget_targets = original


def run(text: str, path: str = "<robustness>") -> Run:
    swallowed: list[str] = []
    with _spy_on_swallowed(swallowed):
        c0, w0 = time.process_time(), time.perf_counter()
        analysis = analyze(text, path)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return Run(text, analysis, cpu, wall, swallowed)


def _norm(shape):
    """Shapes with unknown dimensions made comparable ('?')."""
    if shape is None:
        return None
    if isinstance(shape, list):
        return [_norm(s) for s in shape]
    if isinstance(shape, tuple):
        return tuple(d if d is None or (isinstance(d, int) and not isinstance(d, bool)) else "?" for d in shape)
    return "?"


def problems_of(r: Run) -> list[str]:
    """What is wrong with any analysis, whatever the input."""
    out = []
    if r.cpu > CPU_BOUND:
        out.append(f"took {r.cpu:.2f} s of CPU (bound {CPU_BOUND} s)")
    if r.wall > WALL_BOUND:
        out.append(f"took {r.wall:.2f} s (bound {WALL_BOUND} s)")
    out.extend(f"evaluator swallowed: {s}" for s in r.swallowed)
    lines = _NEWLINE.split(r.text)
    for d in r.analysis.diagnostics:
        if d.message.startswith(FALLBACK):
            out.append(f"analyze() fell back after an internal error: {d.message}")
        if d.code not in CODES:
            out.append(f"unknown code {d.code}")
        if d.severity not in SEVERITIES:
            out.append(f"{d.code}: severity {d.severity!r}")
        out.extend(f"{d.code} {p}" for p in _span_problems(d.span, lines))
    for info in r.analysis.layers:
        for span in (info.span, info.call_span):
            if span is not None:
                out.extend(f"layer {info.kind} {p}" for p in _span_problems(span, lines))
    return out


def _span_problems(span, lines: list[str]) -> list[str]:
    if not (0 <= span.line <= span.end_line < len(lines)):
        return [f"span {span} outside the {len(lines)} lines"]
    if not (0 <= span.col <= len(lines[span.line]) and 0 <= span.end_col <= len(lines[span.end_line])):
        return [f"span {span} outside its line"]
    if span.line == span.end_line and span.col > span.end_col:
        return [f"span {span} ends before it starts"]
    return []


def assert_sound(r: Run) -> None:
    problems = problems_of(r)
    assert not problems, "\n".join(problems)


def span_text(r: Run, span) -> str:
    lines = _NEWLINE.split(r.text)
    assert span.line == span.end_line
    return lines[span.line][span.col:span.end_col]


# ---------------------------------------------------------------------- every prefix of every program


def _cuts(text: str, seed: str) -> list[int]:
    cuts = {0, len(text)}
    for m in _NEWLINE.finditer(text):
        cuts.add(m.end())
    rnd = random.Random(seed)
    cuts.update(rnd.randrange(len(text) + 1) for _ in range(RANDOM_CUTS))
    return sorted(cuts)


def _top_level_end_lines(text: str) -> list[int] | None:
    try:
        return [s.end_lineno - 1 for s in ast.parse(text).body]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_prefix(program: Path):
    text = program.read_text(encoding="utf-8")
    rel = str(program.relative_to(ROOT))
    full = run(text, rel)
    problems = [f"whole file: {p}" for p in problems_of(full)]
    full_shapes: dict = {}
    for info in full.analysis.layers:
        full_shapes.setdefault((info.kind, info.span, info.call_span), set()).add(repr(_norm(info.output_shape)))
    ends = _top_level_end_lines(text)

    for cut in _cuts(text, rel):
        prefix = text[:cut]
        r = run(prefix, rel)
        where = f"cut at {cut} (line {prefix.count(chr(10)) + 1})"
        problems.extend(f"{where}: {p}" for p in problems_of(r))
        if ends is None:
            continue
        # Top-level statements that end before the cut's line run exactly as in the whole
        # program, so the shapes they produce must be the same.
        cut_line = len(_NEWLINE.split(prefix)) - 1
        complete_until = max((e for e in ends if e < cut_line), default=-1)
        for info in r.analysis.layers:
            if info.output_shape is None or (info.call_span or info.span).end_line > complete_until:
                continue
            expected = full_shapes.get((info.kind, info.span, info.call_span), set())
            if repr(_norm(info.output_shape)) not in expected:
                problems.append(f"{where}: {info.kind} on line {info.span.line + 1} has shape "
                                f"{_norm(info.output_shape)} in the prefix, {sorted(expected)} in the whole file")
        if len(problems) > 20:
            break
    assert not problems, f"{rel}:\n" + "\n".join(problems[:20])


# ---------------------------------------------------------------------- adversarial inputs, in process

DEEP_BRACKETS = {
    "parens-5000": "(" * 5000 + "\n",
    "brackets-100000": "[" * 100000 + "\n",
    "closed-parens-5000": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "indent-100": "".join("    " * i + "if x:\n" for i in range(100)) + "    " * 100 + "pass\n",
}


@pytest.mark.parametrize("name", DEEP_BRACKETS)
def test_deep_nesting_is_a_syntax_note(name):
    r = run(BEFORE + DEEP_BRACKETS[name])
    assert_sound(r)
    assert "SL001" in r.codes()
    assert r.analysis.complete is False
    assert r.shape_of("before") == (None, 4), "the shapes before the problem are lost"


# ast.parse itself gives up on these (RecursionError, MemoryError, ValueError) without a
# line number.
PARSER_LIMITS = {
    "sum-of-50000-ones": "x = " + "+".join(["1"] * 50000) + "\n",
    "attribute-chain-50000": "x = a" + ".b" * 50000 + "\n",
    "subscripts-50000": "x = a" + "[0]" * 50000 + "\n",
    "unary-minus-50000": "x = " + "-" * 50000 + "1\n",
    "nested-lambdas-5000": "x = " + "lambda: " * 5000 + "1\n",
    "nul-byte": "x = 1\x00\n",
    "lone-surrogate": "s = '\udcff'\n",
}


@pytest.mark.parametrize("name", PARSER_LIMITS)
def test_parser_limits_are_reported(name):
    r = run(BEFORE + PARSER_LIMITS[name] + AFTER)
    assert_sound(r)
    assert "SL001" in r.codes()
    assert r.analysis.complete is False


@pytest.mark.parametrize("name", PARSER_LIMITS)
def test_parser_limits_keep_the_shapes_before(name):
    r = run(BEFORE + PARSER_LIMITS[name] + AFTER)
    assert r.shape_of("before") == (None, 4)


def test_deep_expression_that_parses_keeps_later_shapes():
    """2,000 terms parse, but evaluating them overflows Python's recursion limit."""
    r = run(BEFORE + "x = " + "+".join(["1"] * 2000) + "\n" + AFTER)
    assert not problems_of(r) or all("nests too deeply" in p for p in problems_of(r))
    assert r.shape_of("before") == (None, 4)
    assert r.shape_of("after") == (None, 2)


def test_deep_expression_that_parses_is_reported():
    r = run(BEFORE + "x = " + "+".join(["1"] * 2000) + "\ny = layers.Dense(x)(inputs)\n")
    assert r.analysis.complete is False and "SL003" in r.codes()


def test_huge_literal_list():
    r = run(BEFORE + "x = [" + ",".join("0" for _ in range(100_000)) + "]\n"
            + "wide = layers.Dense(3)(keras.Input(shape=(len(x),)))\n" + AFTER)
    assert_sound(r)
    assert r.shape_of("wide") == (None, 3)
    assert (None, 100_000) in r.shapes("InputLayer")
    assert r.shape_of("after") == (None, 2)


def test_endless_while_loop_adding_layers():
    r = run(H + "model = keras.Sequential([keras.Input(shape=(4,))])\n"
            "while True:\n    model.add(layers.Dense(1))\n")
    assert_sound(r)
    assert "SL003" in r.codes() and r.analysis.complete is False
    assert (None, 1) in r.shapes("Dense")


def test_nested_layer_free_loops_are_summarised_within_the_budget():
    # 4 million iterations that build nothing: summarised (core/loops.py), not unrolled
    r = run(BEFORE + "for i in range(2000):\n    for j in range(2000):\n        k = i * j\n" + AFTER)
    assert_sound(r)
    assert "SL003" not in r.codes()
    assert r.shape_of("before") == (None, 4)
    assert r.shape_of("after") == (None, 2)


def test_unbounded_recursion():
    r = run(BEFORE + "def f(x):\n    return f(x)\n\ny = f(inputs)\n" + AFTER)
    assert_sound(r)
    assert "SL003" in r.codes() and r.analysis.complete is False
    assert r.shape_of("before") == (None, 4)
    assert r.shape_of("after") == (None, 2)


def test_exponential_recursion_is_bounded():
    r = run(BEFORE + "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nn = fib(40)\n")
    assert_sound(r)
    assert r.analysis.complete is False
    assert r.shape_of("before") == (None, 4)


def test_infinite_generator():
    r = run(BEFORE + "import itertools\n\n\ndef gen():\n    while True:\n        yield 1\n\n\n"
            "for v in gen():\n    x = keras.Input(shape=(v,))\n"
            "for w in itertools.count():\n    z = keras.Input(shape=(w,))\n" + AFTER)
    assert_sound(r)
    assert r.shape_of("before") == (None, 4)
    assert r.shape_of("after") == (None, 2)


def test_calling_a_generator_function_runs_nothing():
    r = run(H + "def batches():\n    while True:\n        for i in range(1000):\n"
            "            for j in range(1000):\n                yield i, j\n\n\n"
            "gen = batches()\ninputs = keras.Input(shape=(8,))\nafter = layers.Dense(2)(inputs)\n")
    assert r.shape_of("after") == (None, 2)
    assert "SL003" not in r.codes()


def test_three_thousand_line_file_is_analysed_completely():
    r = run(H + "x = keras.Input(shape=(8,))\n" + "x = layers.Dense(8)(x)\n" * 3_000)
    assert_sound(r)
    assert r.analysis.complete
    assert len(r.shapes("Dense")) == 3_000 and set(r.shapes("Dense")) == {(None, 8)}


def test_ten_thousand_line_file_is_complete_or_says_where_the_time_budget_stopped_it():
    # one analysis may use about 1 s of CPU (evaluate.MAX_SECONDS); on a slow or busy
    # machine a 10,000-line file can exceed it: then the prefix is right and a note says so
    r = run(H + "x = keras.Input(shape=(8,))\n" + "x = layers.Dense(8)(x)\n" * 10_000)
    assert_sound(r)
    assert set(r.shapes("Dense")) == {(None, 8)}
    if r.analysis.complete:
        assert len(r.shapes("Dense")) == 10_000
    else:
        assert any(d.code == "SL003" and "took more than" in d.message for d in r.analysis.diagnostics)


# ---------------------------------------------------------------------- line endings, columns, identifiers

CALL = "layers.Conv2D(8, 30)(inputs)"
IMAGE = H + "inputs = keras.Input(shape=(28, 28, 1))\n"


def _line_ending_cases():
    body = 'label = "Größe 😀"; x = ' + CALL + "\n"
    yield "lf", IMAGE + body
    yield "crlf", (IMAGE + body).replace("\n", "\r\n")
    yield "cr", (IMAGE + body).replace("\n", "\r")
    yield "form-feed", IMAGE + "\x0c\n\x0cy = 1\n" + body
    yield "u2028-in-comment", IMAGE + "# a\u2028b\n" + body
    yield "x85-in-string", IMAGE + "s = 'a\x85b'\n" + body
    yield "tab-indent", IMAGE + "if True:\n\t" + body
    yield "comment-before", IMAGE + "# Größe 😀\n" + body


LINE_ENDINGS = dict(_line_ending_cases())


@pytest.mark.parametrize("name", LINE_ENDINGS)
def test_line_endings_and_code_point_columns(name):
    """The SL101 span covers exactly the failing call, counted in code points (not UTF-8
    bytes, not UTF-16 units) after non-ASCII text on the same line."""
    r = run(LINE_ENDINGS[name])
    assert_sound(r)
    [d] = [d for d in r.analysis.diagnostics if d.code == "SL101"]
    assert span_text(r, d.span) == CALL
    line = _NEWLINE.split(r.text)[d.span.line]
    assert d.span.col == line.index(CALL) and d.span.end_col == line.index(CALL) + len(CALL)
    assert r.shapes("InputLayer") == [(None, 28, 28, 1)]


MIXED_TABS = BEFORE + "if True:\n\tx = 1\n        y = 2\n"


def test_mixed_tabs_and_spaces():
    r = run(MIXED_TABS)
    assert_sound(r)
    assert "SL001" in r.codes() and r.analysis.complete is False


def test_mixed_tabs_and_spaces_keeps_the_shapes_before():
    r = run(MIXED_TABS)
    assert r.shape_of("before") == (None, 4)


def test_non_ascii_identifiers():
    # größe, a Cyrillic "е" in "еingabe", and NFKC: "ﬁlters" is the identifier "filters".
    r = run(H + "größe = 8\nﬁlters = 4\n"
            "еingabe = keras.Input(shape=(größe, größe, 1))\n"
            "ausgabe = layers.Conv2D(filters, 3)(еingabe)\n"
            "zu_groß = layers.Conv2D(filters, 30)(еingabe)\n")
    assert_sound(r)
    assert r.shape_of("ausgabe") == (None, 6, 6, 4)
    [d] = [d for d in r.analysis.diagnostics if d.code == "SL101"]
    assert span_text(r, d.span) == "layers.Conv2D(filters, 30)(еingabe)"


# ---------------------------------------------------------------------- classes and objects


def test_class_redefined_from_itself_in_a_long_loop():
    r = run(BEFORE + "class A:\n    pass\n\n\nfor _ in range(5000):\n    class A(A):\n        pass\n\n\n"
            "a = A()\nv = a.missing\n" + AFTER)
    assert_sound(r)
    # a loop that builds no layer and would cost more than loops.SUMMARY_STEPS to finish is
    # summarised after its first iterations (it used to run into the budget: SL003)
    assert "SL003" not in r.codes() and r.analysis.complete is True
    assert r.shape_of("after") == (None, 2)


DEEP_CLASS_CHAIN = (BEFORE + "class M(keras.Model):\n    def call(self, x):\n        return layers.Dense(2)(x)\n\n\n"
                    "for _ in range(1500):\n    class M(M):\n        pass\n\n\nm = M()\ny = m(inputs)\n" + AFTER)


def test_deep_class_chain_keeps_later_shapes():
    r = run(DEEP_CLASS_CHAIN)
    assert all("nests too deeply" in p for p in problems_of(r))
    assert r.shape_of("before") == (None, 4)
    assert r.shape_of("after") == (None, 2)


def test_deep_class_chain_is_followed():
    """Was an engine bug: the recursive method lookup overflowed and `y` went unknown silently;
    lookup is iterative now, so the model is followed through all 1,500 subclasses."""
    r = run(DEEP_CLASS_CHAIN)
    assert r.shape_of("y") == (None, 2)


def test_objects_that_reference_themselves():
    r = run(H + "class M(keras.Model):\n    def __init__(self):\n        super().__init__()\n"
            "        self.me = self\n        self.d = layers.Dense(3)\n        self.ls = []\n"
            "        self.ls.append(self.ls)\n        self.ls.append(self)\n\n"
            "    def call(self, x):\n        return self.me.d(x)\n\n\n"
            "m = M()\ny = m(keras.Input(shape=(4,)))\nm.summary()\nz = m.ls == m.ls\n")
    assert_sound(r)
    assert (None, 3) in r.shapes("Dense")


def test_constructor_that_instantiates_itself():
    r = run(BEFORE + "class A(keras.layers.Layer):\n    def __init__(self):\n        super().__init__()\n"
            "        self.a = A()\n\n\na = A()\n" + AFTER)
    assert_sound(r)
    assert "SL003" in r.codes() and r.analysis.complete is False
    assert r.shape_of("after") == (None, 2)


def test_model_whose_call_calls_itself():
    r = run(BEFORE + "class M(keras.Model):\n    def call(self, x):\n        return self(x)\n\n\n"
            "y = M()(inputs)\n" + AFTER)
    assert_sound(r)
    assert "SL003" in r.codes() and r.analysis.complete is False
    assert r.shape_of("after") == (None, 2)


# ---------------------------------------------------------------------- user code never runs


def test_code_is_never_executed(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    module = tmp_path / "shapelens_sidefx_probe.py"
    module.write_text(f"open({str(marker / 'import')!r}, 'w').write('x')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    marker.mkdir()
    paths = {name: str(marker / name) for name in (
        "exec", "eval", "import", "dunder-import", "open", "os-system", "subprocess", "compile",
        "builtins", "importlib", "class-body", "default-arg", "decorator", "pathlib")}
    src = BEFORE + f"""
import os
import subprocess
import importlib
import builtins
import pathlib
import shapelens_sidefx_probe
exec("open({paths['exec']!r}, 'w').write('x')")
eval("open({paths['eval']!r}, 'w').write('x')")
__import__("os").system("touch {paths['dunder-import']}")
open({paths['open']!r}, "w").write("x")
os.system("touch {paths['os-system']}")
subprocess.run(["touch", {paths['subprocess']!r}])
exec(compile("open({paths['compile']!r}, 'w')", "<x>", "exec"))
getattr(builtins, "exec")("open({paths['builtins']!r}, 'w')")
importlib.import_module("shapelens_sidefx_probe")
pathlib.Path({paths['pathlib']!r}).write_text("x")


class Probe:
    side = open({paths['class-body']!r}, "w")


def f(x=open({paths['default-arg']!r}, "w")):
    return x


@exec
def g():
    pass


value = input()
breakpoint()
""" + AFTER
    sys.modules.pop("shapelens_sidefx_probe", None)
    r = run(src)
    assert_sound(r)
    assert sorted(p.name for p in marker.iterdir()) == [], "analysing the file ran its code"
    assert "shapelens_sidefx_probe" not in sys.modules, "analysing the file imported a module"
    assert r.shape_of("before") == (None, 4)
    assert r.shape_of("after") == (None, 2)


# ---------------------------------------------------------------------- isolated: hangs and memory

_CHILD = r"""
import json, resource, sys, time
cpu_limit, as_limit = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit + 1))
resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))
from shapelens.core.analyze import analyze
text = json.loads(sys.stdin.read())["text"]
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
c0, w0 = time.process_time(), time.perf_counter()
a = analyze(text, "<isolated>")
cpu, wall = time.process_time() - c0, time.perf_counter() - w0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"cpu": cpu, "wall": wall, "rss_growth": (rss1 - rss0) * 1024,
                  "complete": a.complete, "codes": [d.code for d in a.diagnostics],
                  "messages": [d.message[:200] for d in a.diagnostics]}))
"""

# name -> (program, xfail reason or None)
ISOLATED = {
    # guarded today: a regression would hang or exhaust memory, so they run isolated
    "list-times-10**12": ("x = [0] * 10**12\n", None),
    "str-times-10**12": ("x = 'ab' * 10**12\n", None),
    "power-tower": ("x = 2 ** 10 ** 10\n", None),
    "power-tower-10**10**10": ("x = 10 ** 10 ** 10\n", None),
    "nested-range": ("x = list(range(10**12))\n", None),
    "doubling-strings": ("s = 'ab'\nfor i in range(2000):\n    s = s + s\n", None),
    "doubling-lists": ("s = [0]\nfor i in range(2000):\n    s = s * 2\n", None),
    "squaring-ints": ("x = 3\nfor i in range(2000):\n    x = x * x\n", None),
    # engine bugs found by this file, fixed (each reason kept as a comment)
    # fixed: evaluate._safe_size bounds the shift amount of << but not the size of the result:  x grows by 4,096 bits per step, quadratic time (hang)
    "left-shift-growth": ("x = 1\nfor i in range(2000):\n    for j in range(2000):\n        x = x << 4096\n", None),
    # fixed: hashing a tuple built as t = (t, t) walks 2**200 paths: dict keys and set items are  hashed without a size bound (expr_Dict, expr_Set, set(), dict.get ...) (hang)
    "tuple-dag-as-dict-key": ("t = ()\nfor i in range(200):\n    t = (t, t)\nd = {t: 1}\n", None),
    # fixed: evaluate.plain() walks every element of nested lists with no budget: 10**10 visits (hang)
    "wide-nested-list": ("a = [0] * 100000\nb = [a] * 100000\nc = b + []\n", None),
    # fixed: the 400,000-step budget counts statements and expressions, not the size of the values  they touch: each comparison walks 2 x 100,000 elements (hang)
    "costly-steps": ("big = [0] * 100000\nfor i in range(2000):\n    for j in range(2000):\n        c = big == big\n", None),
    # fixed: str() of a plain list is computed whatever its length: 300 MB
    "str-of-big-list": ("s = 'a' * 100000\nt = str([s] * 3000)\n", None),
    # fixed: str.format runs with any width: 300 MB
    "format-width": ("s = '{:>300000000}'.format(1)\n", None),
    # fixed: the % operator on strings runs with any width: 300 MB
    "percent-width": ("s = '%300000000d' % 1\nt = '%*d' % (300000000, 1)\n", None),
    # fixed: str.replace is not size-checked: 300 MB
    "replace-growth": ("s = 'a' * 100000\nt = s.replace('a', 'a' * 3000)\n", None),
    # fixed: str.join is not size-checked: 600 MB
    "join-growth": ("s = 'a' * 100000\nt = s.join([s] * 3000)\n", None),
}
# The isolated programs are a few lines long: a sound engine answers in milliseconds, so
# their bound is tighter, and a child still busy after ISOLATED_CPU_LIMIT CPU seconds is
# killed (SIGXCPU): that is a hang.
ISOLATED_CPU_BOUND = 1.5  # the 1 s analysis budget plus one check interval and process start-up
ISOLATED_CPU_LIMIT = 2
ISOLATED_AS_LIMIT = 2 * 2**30


def _run_isolated(text: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "server"), os.environ.get("PYTHONPATH", "")]))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(ISOLATED_CPU_LIMIT), str(ISOLATED_AS_LIMIT)],
            input=json.dumps({"text": text}), capture_output=True, text=True, timeout=WALL_BOUND * 3, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {WALL_BOUND * 3:.0f} s"}
    if proc.returncode != 0:
        killed = {-24: "killed: CPU limit (SIGXCPU)", -9: "killed (SIGKILL)"}.get(proc.returncode)
        return {"error": killed or f"exit {proc.returncode}: {proc.stderr[-1500:]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def isolated_runs():
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = pool.map(_run_isolated, [program for program, _ in ISOLATED.values()])
        return dict(zip(ISOLATED, results))


def _isolated_params():
    for name, (_, bug) in ISOLATED.items():
        marks = [pytest.mark.xfail(strict=True, reason=f"engine bug: {bug}")] if bug else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_isolated_params()))
def test_isolated_bounded(name, isolated_runs):
    res = isolated_runs[name]
    assert "error" not in res, f"{name}: {res['error']}"
    assert res["cpu"] <= ISOLATED_CPU_BOUND, f"{name}: {res['cpu']:.2f} s of CPU"
    assert res["wall"] <= WALL_BOUND, f"{name}: {res['wall']:.2f} s"
    assert res["rss_growth"] <= MEMORY_BOUND, f"{name}: peak memory grew by {res['rss_growth'] / 2**20:.0f} MB"


# ---------------------------------------------------------------------- issue 13: bounded work (regressions)

_RECURSION = "def f(n):\n    if n <= 0:\n        return 1\n    return f(n - 1) + f(n - 1) + f(n - 2)\n\n\n"
PATHOLOGICAL = {
    "math_factorial": "import math\nbig = math.factorial(10000000)\n",
    "math_comb": "import math\nbig = math.comb(10**6, 5 * 10**5)\n",
    "pow_builtin": "big = pow(10, 10**8)\n",
    "shift": "big = 1 << 10**9\n",
    "str_repetition": "big = 'ab' * 10**9\n",
    "round_digits": "big = round(5, -10**8)\n",
    "range_loop": "for i in range(10**6):\n    big = layers.Dense(4)(inputs)\n",
    "deleted_yield": "def gen():\n    x = inputs\n    while True:\n        x = layers.Dense(8)(x)\n\n\n"
                     "for batch in gen():\n    pass\n",
    "branching_recursion": _RECURSION + "big = f(35)\n",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_input_is_bounded_and_keeps_the_statements_around_it(name):
    r = run(BEFORE + PATHOLOGICAL[name] + AFTER)
    assert_sound(r)
    assert r.shape_of("before") == (None, 4)
    assert r.shape_of("after") == (None, 2)


def test_long_functional_chain_is_linear_enough():
    # model_params compared layers with a list `in` (quadratic); 8,000 lines took 2.6 s of CPU
    r = run(H + "x = keras.Input(shape=(8,))\ninputs = x\n" + "x = layers.Dense(8)(x)\n" * 4_000
            + "model = keras.Model(inputs, x)\n")
    assert_sound(r)


def _mutate(text: str, rnd: random.Random) -> str:
    lines = text.split("\n")
    kind = rnd.randrange(6)
    i = rnd.randrange(len(lines))
    if kind == 0:  # delete a line
        del lines[i]
    elif kind == 1:  # duplicate a line
        lines.insert(i, lines[i])
    elif kind == 2 and lines[i]:  # delete a character
        j = rnd.randrange(len(lines[i]))
        lines[i] = lines[i][:j] + lines[i][j + 1:]
    elif kind == 3:  # insert a token
        tok = rnd.choice(["(", ")", ":", "while True:", "yield", "**", "10**9", "[", "'", "\ufeff", "\x00"])
        j = rnd.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:j] + tok + lines[i][j:]
    elif kind == 4:  # indent or dedent a line
        lines[i] = lines[i][4:] if lines[i].startswith("    ") else "    " + lines[i]
    else:  # swap two lines
        k = rnd.randrange(len(lines))
        lines[i], lines[k] = lines[k], lines[i]
    return "\n".join(lines)


FUZZ_SECONDS = 60.0  # wall-clock budget of the whole fuzz run (CI)


def test_seeded_random_mutation_fuzz():
    rnd = random.Random(13)
    programs = [p.read_text(encoding="utf-8", errors="replace") for p in PROGRAMS]
    programs = [t for t in programs if t.count("\n") < 400]
    assert programs
    deadline = time.perf_counter() + FUZZ_SECONDS
    done, failures = 0, []
    while time.perf_counter() < deadline:
        text = rnd.choice(programs)
        for _ in range(rnd.randrange(1, 4)):
            text = _mutate(text, rnd)
        r = run(text)
        problems = problems_of(r)
        if problems:
            failures.append((text, problems))
            if len(failures) >= 3:
                break
        done += 1
    assert done > 20
    assert not failures, "\n\n".join(f"{p}\n---\n{t[:2000]}" for t, p in failures)

"""Bounded work: big-operand builtins are refused, loops that are dropped say so, and one
analysis stops at its step/time budget (partially, with a note) instead of freezing."""

from __future__ import annotations

import time

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.builtins_model import TooLarge
from shapelens.core.evaluate import Evaluator
from shapelens.core.source import Source

H = "import keras, math\nfrom keras import layers\n"


def run(text: str, **kw) -> Evaluator:
    source = Source(text)
    module, _ = source.parse()
    ev = Evaluator(source, "<test>", **kw)
    ev.run(module)
    return ev


@pytest.mark.parametrize("expr", [
    "math.factorial(10000000)",
    "math.comb(10**6, 5*10**5)",
    "math.perm(10**6)",
    "math.perm(10**6, 10**5)",
    "pow(10, 10**8)",
    "10 ** 10**8",
    "1 << 10**9",
    "'ab' * 10**9",
    "[0] * 10**9",
    "(0,) * 10**9",
    "range(10**20)",
    "range(10**6)",
    "round(5, -10**8)",
    "math.lcm(2**2000 - 1, 2**2000 - 3, 2**2000 - 5)",
    "math.prod([2**2000, 2**2000, 2**2000])",
    "f\"{'x' * 90000}{'y' * 90000}\"",
    "math.factorial(2**5000)",
])
def test_big_operands_are_refused_quickly(expr):
    start = time.process_time()
    ev = run(H + f"x = {expr}\n")
    assert time.process_time() - start < 1.0
    value = ev.globals.vars["x"]
    assert isinstance(value, TooLarge), value
    assert value.reason.endswith("(too large)")


@pytest.mark.parametrize("expr, expected", [
    ("math.factorial(20)", 2432902008176640000),
    ("math.comb(10, 3)", 120),
    ("math.perm(5, 2)", 20),
    ("math.ceil(3.5)", 4),
    ("math.isqrt(10**100)", 10**50),
    ("math.prod([2, 3, 4])", 24),
    ("math.gcd(12, 18)", 6),
    ("round(1234, -2)", 1200),
    ("2 ** 100", 2**100),
    ("len(range(10**5))", 10**5),
])
def test_small_operands_are_computed(expr, expected):
    assert run(H + f"x = {expr}\n").globals.vars["x"] == expected


@pytest.mark.parametrize("name", ["system", "getenv", "remove"])
def test_math_names_outside_the_allow_list_are_not_called(name):
    value = run(H + f"x = math.{name}(1)\n").globals.vars["x"]
    assert not isinstance(value, (int, float))


def test_loop_over_a_huge_range_says_the_model_is_partial():
    text = H + ("model = keras.Sequential([keras.Input(shape=(3,))])\n"
                "for i in range(10**6):\n    model.add(layers.Dense(4))\n")
    result = analyze(text)
    assert not result.complete
    notes = [d for d in result.diagnostics if d.code == "SL003"]
    assert notes and "range" in notes[0].message and notes[0].span.line == 3


def test_endless_statement_does_not_hide_the_statements_after_it():
    text = H + (
        "def f(n):\n    if n <= 0:\n        return 1\n    return f(n - 1) + f(n - 1) + f(n - 2)\n"
        "x = f(35)\n"
        "model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4)])\n")
    start = time.process_time()
    result = analyze(text)
    assert time.process_time() - start < 2.0
    assert not result.complete
    assert [m.output_shape for m in result.models] == [(None, 4)]
    note = next(d for d in result.diagnostics if d.code == "SL003")
    assert note.span.line == 6  # x = f(35)


def test_time_budget_stops_the_analysis_with_a_reason():
    text = H + "x = keras.Input(shape=(8,))\n" + "x = layers.Dense(8)(x)\n" * 3000
    ev = run(text, max_seconds=0.0)
    assert not ev.complete
    assert any(d.code == "SL003" and "took more than" in d.message for d in ev.diags)


def test_cancel_flag_stops_the_analysis():
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return True

    text = H + "x = keras.Input(shape=(8,))\n" + "x = layers.Dense(8)(x)\n" * 3000
    start = time.process_time()
    result = analyze(text, cancelled=cancelled)
    assert calls and not result.complete
    assert len(result.layers) < 3000
    assert time.process_time() - start < 1.0


def test_step_budget_still_applies():
    text = H + "x = keras.Input(shape=(8,))\n" + "x = layers.Dense(8)(x)\n" * 3000
    ev = run(text, max_steps=5_000)
    assert not ev.complete
    assert any(d.code == "SL003" and "5,000 evaluation steps" in d.message for d in ev.diags)


RANDOM_WALK = H + """import numpy as np

grammar = [[("B", 1)], [("T", 2), ("P", 3)], [("S", 2), ("X", 4)], [("T", 3), ("V", 5)],
           [("X", 3), ("S", 6)], [("P", 4), ("V", 6)], [("E", None)]]
nested = [[("B", 1)], [(grammar, 2)], [("E", None)]]


def generate(g):
    state = 0
    out = []
    while state is not None:
        index = np.random.randint(len(g[state]))
        production, state = g[state][index]
        if isinstance(production, list):
            production = generate(g=production)
        out.append(production)
    return "".join(out)


for _ in range(25):
    print(generate(nested), end=" ")

inputs = keras.Input((8,))
outputs = layers.Dense(2)(inputs)
"""


def test_recursion_under_an_unknown_condition_is_not_followed():
    # a random walk that calls itself when a value it cannot know says so: following it would
    # branch at every level until the budget ran out (a notebook took 0.5 s and gave up there)
    start = time.process_time()
    a = analyze(RANDOM_WALK, "<test>")
    assert time.process_time() - start < 1.0
    assert a.complete and not [d for d in a.diagnostics if d.code == "SL003"]
    assert [layer.output_shape for layer in a.layers if layer.kind == "Dense"] == [(None, 2)]


def test_recursion_with_known_arguments_is_still_followed_inside_an_unknown_branch():
    text = H + """import random
def tower(depth, x):
    if depth == 0:
        return x
    return tower(depth - 1, layers.Dense(4 * depth)(x))

inputs = keras.Input((8,))
if random.random() > 0.5:
    out = tower(3, inputs)
"""
    a = analyze(text, "<test>")
    assert [layer.output_shape for layer in a.layers if layer.kind == "Dense"] == [(None, 12), (None, 8), (None, 4)]

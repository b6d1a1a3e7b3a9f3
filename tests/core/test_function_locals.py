"""interp.function_locals: the names local to a function, as Python decides them (a local read
before it is assigned is unknown, not the module's value of that name)."""

from __future__ import annotations

import ast

from shapelens.core.analyze import analyze
from shapelens.core.interp import function_locals

SOURCE = '''
def f(a, /, b, *args, c, **kw):
    global g
    x = 1
    y += 1
    for i, (j, k) in enumerate(a):
        pass
    with open(a) as fh:
        pass
    try:
        pass
    except ValueError as err:
        pass
    import os.path
    from math import pi as tau
    del z
    squares = [n * n for n in a if (w := n)]
    lam = lambda q: q
    g = 2

    def inner(p):
        r = p
        nonlocal x
        return r

    class Kind:
        attr = 3
    return kw
'''


def test_the_names_python_makes_local():
    fn = ast.parse(SOURCE).body[0]
    assert function_locals(fn) == {
        "a", "b", "args", "c", "kw", "x", "y", "i", "j", "k", "fh", "err", "os", "tau", "z",
        "squares", "w", "lam", "inner", "Kind",
    }  # not g (global), n (the comprehension's), q, p, r (their own functions'), attr (the class's)


def test_a_local_read_before_it_is_assigned_is_unknown_and_a_global_is_read():
    result = analyze('''import keras
from keras import layers

units = 8


def head(x):
    y = layers.Dense(units)(x)  # the module's units: not assigned here
    z = layers.Dense(size)(y)  # this function's size, assigned below: Python raises
    size = 4
    return z


size = 2
out = head(keras.Input(shape=(16,)))
''', "prog.py")
    dense = [info for info in result.layers if info.kind == "Dense"]
    assert dense[0].output_shape == (None, 8)
    assert dense[1].output_shape[:1] == (None,) and not isinstance(dense[1].output_shape[-1], int), dense[1]

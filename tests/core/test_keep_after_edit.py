"""Statements after an edit keep their last results when running them again would do the same
(core/depends.py, incremental.Session.keep): the result must equal a fresh analysis, field for
field, whatever the edit and whatever the statements after it do with what it binds."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.incremental import Session
from shapelens.core.source import Source


@pytest.fixture(autouse=True)
def _layout_edits_off(monkeypatch):
    """The states restored are tested with spaces typed as the edits: edits of layout only keep
    every result without restoring any (incremental.LAYOUT_EDITS); the tests of that turn it on."""
    from shapelens.core import incremental

    monkeypatch.setattr(incremental, "LAYOUT_EDITS", False)


sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from check_incremental import numbers_retyped  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROGRAMS = sorted((FIXTURES / "programs").glob("*.py")) + sorted((FIXTURES / "precision").glob("*.py"))


def same(a, b) -> bool:
    return repr(dataclasses.asdict(a)) == repr(dataclasses.asdict(b))


def numbers_edited(text: str, index: int) -> list[str]:
    """Texts where the user retypes the first number of top-level statement ``index``: the
    number with a digit more, with another digit, and back (bench/check_incremental.py); then
    lines added above and below it and taken away (the lines after them move), and statements
    making a layer typed above it and taken away (what follows is numbered anew)."""
    retyped = numbers_retyped(text, index)  # three number edits, a line making and calling a layer, back
    if not retyped:
        return []
    stmt = Source(text).parse()[0].body[index]
    lines = text.split("\n")
    added = "\n".join(lines[:stmt.lineno - 1] + ["# a new line"] + lines[stmt.lineno - 1:])
    inside = "\n".join(lines[:stmt.end_lineno] + ["", "# after it"] + lines[stmt.end_lineno:])
    layer = "\n".join(lines[:stmt.lineno - 1] + ["import keras as _k; _extra = _k.layers.Dense(2)"]
                      + lines[stmt.lineno - 1:])
    return retyped[:3] + [added, text, inside, text, layer, text] + retyped[3:] + [layer]


def check_program(text: str, path: str = "prog.py") -> int:
    """Edits a number in every top-level statement in turn; returns how many statements kept
    their results over all edits."""
    body = Source(text).parse()[0].body
    kept = 0
    for index in range(len(body)):
        edits = numbers_edited(text, index)
        if not edits:
            continue
        session = Session()
        analyze(text, path, session=session)
        for edited in edits:
            before = session.stats.get("kept", 0)
            incremental = analyze(edited, path, session=session)
            fresh = analyze(edited, path)
            assert same(incremental, fresh), f"statement {index}: {edited.splitlines()[body[index].lineno - 1]!r}"
            kept += session.stats.get("kept", 0) - before
    return kept


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_retyping_a_number_anywhere_gives_the_fresh_result(program):
    check_program(program.read_text())


MODEL_UNITS = '''
import keras
from keras import layers

UNITS = 8


def block(x, n=UNITS):
    x = layers.Dense(n)(x)
    return layers.Dense(n * 2)(x)


a_in = keras.Input(shape=(16,))
a = block(a_in)
a_out = layers.Dense(3)(a)
model_a = keras.Model(a_in, a_out)

b_in = keras.Input(shape=(32,))
b = layers.Dense(64)(b_in)
b = layers.Dense(10)(b)
model_b = keras.Model(b_in, b)
model_b.compile(optimizer="adam", loss="mse")
'''


def test_independent_models_keep_their_results():
    assert check_program(MODEL_UNITS) > 0


# Each program: statements after the edited one that touch what it binds, through an alias,
# a shared object, a function reading a global, a class attribute, a conditional binding.
TRICKY = {
    "shared layer called later": '''
import keras
from keras import layers
shared = layers.Dense(4)
x_in = keras.Input(shape=(3,))
y = shared(x_in)
z_in = keras.Input(shape=(3,))
z = shared(z_in)
model = keras.Model([x_in, z_in], [y, z])
''',
    "sequential grown by later statements": '''
import keras
from keras import layers
model = keras.Sequential()
model.add(keras.Input(shape=(8,)))
model.add(layers.Dense(16))
other = 5
model.add(layers.Dense(2))
model.summary()
''',
    "alias mutated": '''
import keras
from keras import layers
stack = []
alias = stack
alias.append(layers.Dense(3))
n = 7
stack.append(layers.Dense(n))
model = keras.Sequential([keras.Input(shape=(4,))] + stack)
''',
    "function reads a global": '''
import keras
from keras import layers
WIDTH = 12
def head(x):
    return layers.Dense(WIDTH)(x)
inp = keras.Input(shape=(5,))
out = head(inp)
model = keras.Model(inp, out)
''',
    "class attribute set later": '''
import keras
from keras import layers
class Cfg:
    units = 3
Cfg.units = 9
inp = keras.Input(shape=(5,))
out = layers.Dense(Cfg.units)(inp)
model = keras.Model(inp, out)
''',
    "conditional binding": '''
import keras
from keras import layers
import random
size = 10
if random.random() > 0.5:
    size = 20
inp = keras.Input(shape=(size,))
out = layers.Dense(2)(inp)
''',
    "error downstream": '''
import keras
from keras import layers
inp = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(8, 3)(inp)
x = layers.Conv2D(8, 30)(x)
y = layers.Dense(5)(keras.Input(shape=(3,)))
''',
    "fit with data sized by an earlier statement": '''
import numpy as np
import keras
from keras import layers
x = np.zeros((100, 20))
y = np.zeros((100, 1))
model = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=2)
''',
    "loop appends layers": '''
import keras
from keras import layers
blocks = []
for i in range(3):
    blocks.append(layers.Dense(4 * (i + 1)))
inp = keras.Input(shape=(6,))
x = inp
for b in blocks:
    x = b(x)
model = keras.Model(inp, x)
''',
    "model of earlier tensors trained later": '''
import numpy as np
import keras
from keras import layers
a = keras.Input((16,))
h = layers.Dense(8)(a)
o1 = layers.Dense(3)(h)
o2 = layers.Dense(1)(h)
multi = keras.Model(a, [o1, o2])
multi.fit(np.zeros((10, 16)), [np.zeros((10, 3)), np.zeros((10, 1))], epochs=1)
other = keras.Model(a, o2)
other.fit(np.zeros((10, 16)), np.zeros((10, 1)), epochs=1)
''',
    "function defined below the edit changes a global when called": '''
import keras
from keras import layers
stack = []
WIDTH = 4
def grow(n):
    stack.append(layers.Dense(n + WIDTH))
def head(x):
    return layers.Dense(WIDTH)(x)
grow(2)
grow(WIDTH)
inp = keras.Input(shape=(5,))
x = inp
for b in stack:
    x = b(x)
out = head(x)
''',
    "global configuration": '''
import keras
from keras import layers
inp = keras.Input(shape=(3, 32, 32))
keras.config.set_image_data_format("channels_first")
x = layers.Conv2D(4, 3)(inp)
''',
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_statements_that_touch_the_edited_one_run_again(name):
    check_program(TRICKY[name])


def test_the_5000_line_file_keeps_most_statements():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from common import generate_large

    text = generate_large(1500)
    lines = text.split("\n")
    at = [i for i, line in enumerate(lines) if "layers.Dense(64" in line][2]
    session = Session()
    analyze(text, "big.py", session=session)
    for n in (6, 65, 66):
        edited = "\n".join(lines[:at] + [lines[at].replace("Dense(64", f"Dense({n}")] + lines[at + 1:])
        before = session.stats.get("kept", 0)
        assert same(analyze(edited, "big.py", session=session), analyze(edited, "big.py"))
    assert session.stats.get("kept", 0) - before > 50  # the units after the edited one are not run again


def test_layer_and_model_ids_come_from_the_counters():
    """Kept statements advance KerasApi.layer_base/model_base: an id taken from len(layer_objs)
    would collide with theirs."""
    import re as _re

    core = Path(__file__).resolve().parents[2] / "server" / "shapelens" / "core"
    pattern = _re.compile(r"(LayerObj|FunctionalModel|SequentialModel)\(\s*(layer_id=)?len\(|model_id = len\(")
    offenders = [f"{p.relative_to(core)}:{n}" for p in core.rglob("*.py")
                 for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not offenders


@pytest.mark.parametrize("line, barrier", [
    ("image.set_shape([None, None, 3])", False),  # changes its receiver only: the names cover it
    ("model.set_weights(weights)", False),
    ("ax.set_title('loss')", False),
    ("keras.config.set_image_data_format('channels_first')", True),  # global state: analysed in full
    ("set_floatx('float16')", True),
    ("keras.mixed_precision.set_global_policy('mixed_float16')", True),
    ("globals()['x'] = 1", True),
    # global state no shape depends on: the analysis reads none of it
    ("tf.random.set_seed(1)", False),
    ("keras.backend.clear_session()", False),
    ("tf.config.run_functions_eagerly(True)", False),
])
def test_only_global_setters_turn_keeping_off(line, barrier):
    import ast

    from shapelens.core import depends

    assert depends.deps(ast.parse(line).body[0]).barrier is barrier
    in_function = depends.deps(ast.parse("def f(image, model, ax, f, weights):\n    " + line).body[0])
    assert in_function.barrier is barrier


FILLER = "".join(f"c{i} = {i}\n" for i in range(24))  # the edit lands far below the last saved state

CALLED_ABOVE = [
    # a layer made above the edit and called by the edited statement before the edit: not now
    ("import keras\nfrom keras import layers\n" + FILLER + "shared = layers.Dense(12)\n"
     "z = shared_in = keras.Input((12,))\nfor _ in range(3):\n    z = shared(z)\n",
     "    z = shared(z)", "    z = other(z)"),
    # a model built on data by the fit() that the edit takes away
    ("import numpy as np\nimport keras\nfrom keras import layers\n" + FILLER +
     "rnn = keras.Sequential([layers.LSTM(4), layers.Dense(1)])\nseq_x = np.zeros((20, 5, 3))\n"
     "y = np.zeros((20, 1))\nrnn.fit(seq_x, y, epochs=1, verbose=0)\nafter = 1\n",
     "rnn.fit(seq_x, y, epochs=1, verbose=0)", ""),
]


@pytest.mark.parametrize("text, old, new", CALLED_ABOVE, ids=["layer-called-by-the-edit", "fit-taken-away"])
def test_what_the_edited_statement_did_to_layers_above_it_is_undone(text, old, new):
    """The statements above an edit keep their results when the edit does not need them, but the
    rows of a layer or model made above and used by the edited statement *before* the edit are
    made again (found by random edits through a Session)."""
    session = Session()
    analyze(text, "prog.py", session=session)
    edited = text.replace(old, new)
    assert edited != text
    assert same(analyze(edited, "prog.py", session=session), analyze(edited, "prog.py"))
    assert session.stats.get("kept", 0) >= 20  # the filler above keeps its results


def test_a_model_above_an_edit_moves_the_layers_added_to_it_below():
    """A Sequential made above an edit keeps its results, but its layers added by statements
    below the edit moved with the line added: its table must show them where they are now
    (found by random edits through a Session)."""
    text = ("import keras\nfrom keras import layers\n" + FILLER + "model = keras.Sequential()\n"
            "model.add(keras.Input((8,)))\nmodel.add(layers.Dense(4))\nmodel.add(layers.Dense(2))\n")
    session = Session()
    analyze(text, "prog.py", session=session)
    edited = text.replace("model.add(layers.Dense(4))\n", "model.add(layers.Dense(4))\nimport keras\n")
    assert same(analyze(edited, "prog.py", session=session), analyze(edited, "prog.py"))


def check_sequence(texts: list[str], path: str = "prog.py") -> Session:
    """Types ``texts`` in turn (the server's idle work between them); each analysis must equal a
    fresh analysis of the same text."""
    session = Session()
    analyze(texts[0], path, session=session)
    session.prepare()
    for n, text in enumerate(texts[1:], 1):
        assert same(analyze(text, path, session=session), analyze(text, path)), f"text {n}"
        session.prepare()
    return session


MUTATED = ("import keras\nfrom keras import layers\ndims = [8]\n" + FILLER + "{mutate}\n{read}\n"
           "print('dims', dims)\ninp = keras.Input(shape=(dims[-1], n))\nout = layers.Dense(2)(inp)\n"
           "model = keras.Model(inp, out)\n")
# (the statement changing ``dims``, the one reading it, edits: old -> new): every text must
# give the fresh result
CHANGES = {
    # the edited statement changed the list before the edit, and not now: what reads it runs
    "a change taken away": ("dims.append(16)", "n = dims[0]",
                            [("dims.append(16)", "dims.append(17)"), ("dims.append(17)", "n = 1"),
                             ("n = 1", "print(dims)")]),
    # the edited statement reads the list without changing it; a statement changing it is kept
    "a reader after a kept change": ("dims.append(16)", "n = dims[0]",
                                     [("c0 = 0", "c0 = 1"), ("n = dims[0]", "n = dims[-1]"),
                                      ("n = dims[-1]", "n = dims[-1] + 1")]),
    # a file that binds ``print`` itself: calling it may change anything
    "print of the file": ("def print(*args):\n    dims.append(dims[-1] + len(args))", "n = 1",
                          [("n = 1", "print(dims)"), ("print(dims)", "print(dims, dims)")]),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_objects_changed_before_the_edit(name):
    """Objects bound before the restored state keep last time's contents until a statement that
    may change objects runs: statements that only read them (``print(...)``, ``n = dims[-1]``)
    need not run again, but whatever another statement did to them must be seen."""
    mutate, read, edits = CHANGES[name]
    texts = [MUTATED.format(mutate=mutate, read=read)]
    for old, new in edits:
        # typed with a space more in the statement, then without: the second analysis (and the
        # next pair's first) restores the state saved before the statement
        base = texts[-1]
        assert old in base
        at = min(i for i in (new.find("("), new.find("=")) if i >= 0) + 1
        texts += [base.replace(old, new[:at] + " " + new[at:], 1), base.replace(old, new, 1)]
    session = check_sequence(texts)
    assert session.stats["restored"] >= len(edits)


READS_ONLY = ("import keras\nfrom keras import layers\ndims = [8]\n" + FILLER + "def block(x):\n"
              "    return layers.Dense(4)(x)\nprint('dims', dims)\ninp = keras.Input(shape=(8,))\n"
              "out = block(inp)\nmodel = keras.Model(inp, out)\n")


def test_a_statement_that_only_reads_keeps_the_model_below():
    """Typing in ``print(...)`` runs that statement only: nothing it does can change the model
    built below by a function of the file (a function defined at module level is followed by the
    names it reads, not taken for a value that may change)."""
    texts = [READS_ONLY.replace("print('dims', dims)", f"print('dims{' ' * n}', dims)") for n in range(3)]
    session = check_sequence(texts[:2])
    before = session.stats.get("kept", 0)
    assert same(analyze(texts[2], "prog.py", session=session), analyze(texts[2], "prog.py"))
    assert session.stats["restored"] >= 1
    assert session.stats.get("kept", 0) - before >= 3  # inp, out, model


REBOUND = ("import keras\nfrom keras import layers\ninputs = keras.Input(shape=(8,))\n"
           "features = layers.Dense(4)(inputs)\n" + FILLER + "outputs = layers.Dense(10)(features)\n"
           "other_in = keras.Input(shape=(3,))\nfeatures = layers.Dense(5)(other_in)\n"
           "features = layers.Dense(6)(features)\nmodel2 = keras.Model(other_in, features)\n")


def test_a_name_bound_again_below_the_edit_no_longer_reaches_the_object_before():
    """``features`` names a tensor made before the restored state, but a kept statement binds it
    to another tensor before the next statement calls a layer on it: that call does not reach
    the tensor before, and keeps its results."""
    texts = [REBOUND.replace("Dense(10)", f"Dense({n})") for n in (10, 11, 12)]
    session = check_sequence(texts[:2])
    before = session.stats.get("kept", 0)
    assert same(analyze(texts[2], "prog.py", session=session), analyze(texts[2], "prog.py"))
    assert session.stats.get("kept", 0) - before >= 4  # the second model's four statements


MADE_AGAIN = ("import keras\nfrom keras import layers\nc_first = 1\nsizes = [4]\nsizes.append(8)\n" + FILLER
              + "n = sizes[-1] + 0\ninp = keras.Input(shape=(n,))\nout = layers.Dense(2)(inp)\n")


def test_data_made_again_sees_what_kept_statements_did_to_it():
    """Far below the saved state, the edit reads a list an unchanged statement makes again (the
    same list as last time); the statement that appends to it keeps its results until something
    that runs reads the list: then it runs too, or the edit would see ``[4]``."""
    texts = [MADE_AGAIN, MADE_AGAIN.replace("c_first = 1", "c_first = 2"),
             MADE_AGAIN.replace("c_first = 1", "c_first = 3")]  # the state is saved above the list
    texts += [texts[-1].replace("sizes[-1] + 0", "sizes[-1] + 1"), texts[-1].replace("sizes[-1] + 0", "sizes[-1] + 2")]
    session = check_sequence(texts)
    assert session.stats["restored"] >= 2


def test_data_made_again_keeps_what_reads_it_only():
    """An unchanged statement run again to reach the edit's state makes the same dataset as last
    time: the training below it, which nothing that runs reads, keeps its results."""
    text = ("import numpy as np\nimport keras\nfrom keras import layers\nc_first = 1\n"
            "data = np.zeros((8, 4))\n" + FILLER[:FILLER.index("c12 =")] + "print(data.shape)\n"
            "model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])\nmodel.compile(loss='mse')\n"
            "history = model.fit(data, np.zeros((8, 2)), epochs=1)\n")
    texts = [text, text.replace("c_first = 1", "c_first = 2"), text.replace("c_first = 1", "c_first = 3"),
             text.replace("c_first = 1", "c_first = 3").replace("print(data.shape)", "print(data.shape, 1)")]
    session = Session()
    analyze(texts[0], "prog.py", session=session)
    session.prepare()
    for t in texts[1:]:
        before = session.stats.get("kept", 0)
        assert same(analyze(t, "prog.py", session=session), analyze(t, "prog.py"))
        session.prepare()
    assert session.stats.get("kept", 0) - before >= 3  # the model below the print, and its training


CONFIG_LISTS = ("import keras\nfrom keras import layers\nwidths = [8, 16]\nhas_attention = [False, True]\n"
                "def build(widths, has_attention):\n    inp = keras.Input((4,))\n    x = inp\n"
                "    for w, a in zip(widths, has_attention):\n        x = layers.Dense(w)(x)\n"
                "    return keras.Model(inp, x)\n{holder}\"\"\"A docstring.\"\"\"\n"
                "network = build(widths, has_attention)\nema = build(widths, has_attention)\n"
                "{after}")


@pytest.mark.parametrize("holder, after, kept", [
    # lists of numbers bound before: a call they are passed to keeps its results
    ("", "", 2),
    # ... unless an object bound before that a statement below reaches holds them (changing it
    # may change them)
    ("class Holder:\n    pass\nholder = Holder()\nholder.layer = layers.Dense(2)\nholder.w = widths\n",
     "holder.w.append(1)\n", 0),
    # (an instance of a class of the file that holds only such data is data too)
    ("class Holder:\n    pass\nholder = Holder()\nholder.w = widths\n", "holder.w.append(1)\n", 3),
    # a kept statement that may change them runs when something that runs reads them
    ("", "widths.append(4)\n", 3),
])
def test_lists_of_numbers_bound_before_the_edit(holder, after, kept):
    text = CONFIG_LISTS.format(holder=holder, after=after)
    texts = [text.replace("A docstring.", f"A docstring{'.' * n}") for n in (1, 2, 3)]
    session = check_sequence(texts[:2])
    before = session.stats.get("kept", 0)
    assert same(analyze(texts[2], "prog.py", session=session), analyze(texts[2], "prog.py"))
    assert session.restored_from and session.stats.get("kept", 0) - before == kept


def test_a_list_bound_before_and_changed_by_a_kept_statement_is_seen_changed():
    """``widths.append(32)`` is kept (nothing that ran read the list before), but the edited
    statement below reads the list: the append runs first."""
    text = ("import keras\nfrom keras import layers\nwidths = [8, 16]\nc_first = 1\nwidths.append(32)\n"
            + FILLER + "inp = keras.Input((widths[-1],))\nout = layers.Dense(2)(inp)\n")
    texts = [text, text.replace("c_first = 1", "c_first = 2"), text.replace("c_first = 1", "c_first = 3")]
    base = texts[-1]
    texts += [base.replace("Dense(2)", "Dense(3)"), base.replace("Dense(2)", "Dense(4)"),
              base.replace("keras.Input((widths[-1],))", "keras.Input((widths[0],))")]
    check_sequence(texts)


@pytest.mark.parametrize("line, calls", [
    ("def f(x):\n    return g(x)", False),  # the body runs when f is called, not now
    ("f = lambda x: g(x)", False),
    ("class C:\n    def m(self):\n        return g()", False),
    ("def f(x=g()):\n    return x", True),  # a default is evaluated now
    ("@deco(1)\ndef f():\n    pass", True),
    ("class C:\n    size = g()", True),  # a class body runs now
    ("xs = [g(v) for v in range(3)]", True),  # a comprehension runs now
    ("xs = [lambda: g(v) for v in vs]", False),  # ... the lambdas in it later
    ("def f():\n    return print(1)", False),
])
def test_a_definition_does_not_call_what_its_body_calls(line, calls):
    """A statement defining a function calls nothing its body calls (StmtDeps.calls: a statement
    that calls may run any function of the file, and reaches every object they reach): the body
    runs when the function is called, by a statement that calls."""
    import ast

    from shapelens.core import depends

    d = depends.deps(ast.parse(line).body[0])
    assert d.calls is calls and (calls or not d.pure_calls)


def test_a_restored_state_that_would_run_most_of_the_file_is_not_restored():
    """A line of code added above a function and taken away again, with the idle work between
    (Session.prepare saves the state before the edit): restoring that state, every statement below
    that calls a function reaches the objects the file's functions reach (copies, in the restored
    state), and runs. The analysis plans again without it -- the statements above the edit keep
    their results -- and takes that plan when it runs under half as many statements; the next
    edits there skip the restored state. The result is the fresh one, field for field."""
    blocks = "\n".join(f"x = block(x, {n})" for n in range(2, 60))
    text = f'''import keras
from keras import layers
flip = layers.Dense(8)
def augment(x):
    return flip(x)
def block(x, n):
    return layers.Dense(n)(x)

def head(x):
    return layers.Dense(2)(x)
inputs = keras.Input(shape=(8,))
x = augment(inputs)
{blocks}
model = keras.Model(inputs, head(x))
'''
    lines = text.split("\n")
    added = "\n".join(lines[:7] + ["shapelens_edit = 1"] + lines[7:])
    session = Session()
    analyze(text, "prog.py", session=session)
    session.prepare()
    for edited in (added, text, added, text):
        result = analyze(edited, "prog.py", session=session)
        assert same(result, analyze(edited, "prog.py"))
        session.prepare()
    # the first edit restored the state saved before it and planned again without it; the next
    # edits at the same place plan without it at once (and no state is saved there again)
    assert session.stats["restored"] == 1 and session.stats["not_restored_runs"] == 1
    assert session.stats["restore_skipped"] == 2 and session.stats["saved"] == 1

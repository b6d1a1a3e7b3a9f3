"""Lookup.at with many layer records: the index gives the answer a full scan gives."""

import ast

from shapelens.core.analyze import analyze
from shapelens.core.lookup import Lookup, _inside, _size

PROGRAM = """\
import keras
from keras import layers

inputs = keras.Input(shape=(8,))
dense = layers.Dense(4)
head = layers.Dense(
    2,
)
x = inputs
for step in range(300):
    y = layers.Dense(4)(dense(inputs))
    z = head(layers.Dense(4)(y))
model = keras.Model(inputs, z)
"""


def _scan(lookup: Lookup, line: int, col: int):
    """The reference: every record, in analysis order (what Lookup.at did before its index)."""
    found = []
    layers = lookup.analysis.layers
    for info in layers:
        for span in (info.call_span, info.span):
            if span is not None and _inside(span, line, col):
                same = [i for i in layers if i.layer_id == info.layer_id]
                found.append((_size(span), [info] if span == info.call_span else same, span))
                break
    return min(found, key=lambda f: f[0]) if found else None


def test_layer_records_found_by_index_match_a_full_scan():
    analysis = analyze(PROGRAM, "many.py")
    assert len(analysis.layers) >= 600  # the loop makes 600 layers: a record each
    lookup = Lookup(PROGRAM, analysis)
    checked = 0
    for line, text in enumerate(PROGRAM.split("\n")):
        for col in range(len(text) + 1):
            expected = _scan(lookup, line, col)
            target = lookup.at(line, col)
            if expected is None or target is None or not target.layers or target.name is not None:
                continue
            assert target.span == expected[2]
            assert [id(i) for i in target.layers] == [id(i) for i in expected[1]]
            checked += 1
    assert checked > 20


CHUNKY = '''\
import keras
from keras import layers

DOC = """
model = keras.Sequential([layers.Dense(99)])
)
"""
if DOC:
    small = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
else:
    small = None
big = keras.Sequential([
keras.Input(shape=(5,)),
layers.Dense(7),
])
big.fit(DOC, DOC)
'''


def _whole_text_lookup(text: str, analysis) -> dict:
    """The reference: the same indexes from the whole text parsed at once."""
    from shapelens.core import lookup as module

    real = module._trees
    module._trees = lambda source: iter([(source._span, source.parse()[0], 0)])
    try:
        return Lookup(text, analysis)
    finally:
        module._trees = real


def _answers(lookup: Lookup, text: str) -> list:
    out = []
    for line, row in enumerate(text.split("\n")):
        for col in range(len(row) + 1):
            t = lookup.at(line, col)
            out.append(None if t is None else (t.span, t.name, [id(i) for i in t.layers], id(t.model), t.call
                                               and (t.call.method, t.call.receiver, [a.text for a in t.call.args])))
    return out


def test_the_text_read_a_statement_at_a_time_gives_the_whole_text_answers():
    # column-0 lines inside a string and inside brackets, an `else:` at column 0, and then a line
    # that does not parse (the rest is read whole, with the repairs)
    for text in (CHUNKY, CHUNKY + "x = (\n" + CHUNKY.split("\n", 3)[3], "\ufeff" + CHUNKY):
        analysis = analyze(text, "chunky.py")
        lookup = Lookup(text, analysis)
        assert _answers(lookup, text) == _answers(_whole_text_lookup(text, analysis), text)
    lookup = Lookup(CHUNKY, analyze(CHUNKY, "chunky.py"))
    assert lookup.at(4, 2) is None  # the model in the string is text
    assert lookup.at(15, 1).model.output_shape == (None, 7) and lookup.at(15, 1).name == "big"
    assert lookup.at(15, 5).call.method == "fit"


def test_building_the_index_gives_way_when_told():
    """The language server builds the index while idle (lsp/session.py, _prepare); a new analysis
    waiting stops it, and nothing half-built is returned."""
    import pytest

    from shapelens.core.analyze import analyze
    from shapelens.core.lookup import Lookup, Stopped

    text = "import keras\nx = keras.Input((4,))\ny = keras.layers.Dense(2)(x)\n"
    analysis = analyze(text, "prog.py")
    with pytest.raises(Stopped):
        Lookup(text, analysis, stop=lambda: True)
    assert Lookup(text, analysis, stop=lambda: False).at(2, 20).layers[0].kind == "Dense"


def test_the_index_from_the_analysis_parse_equals_the_one_from_the_text():
    """The language server hands Lookup the statements the analysis parsed (Session.statements):
    the index is the same as when Lookup parses the text itself, on every fixture program."""
    from pathlib import Path

    from shapelens.core.analyze import analyze
    from shapelens.core.incremental import Session
    from shapelens.core.lookup import Lookup

    programs = sorted((Path(__file__).resolve().parents[1] / "fixtures").rglob("*.py"))
    assert len(programs) > 50
    fields = ("_names", "_layer_spans", "_data_calls", "_model_bindings", "_layer_bindings", "_models", "_values")
    for program in programs:
        text = program.read_text(encoding="utf-8")
        session = Session()
        analysis = analyze(text, "prog.py", session=session)
        found = session.statements()
        if found is None:  # the text does not parse as it is
            continue
        assert found[0] is text
        given, parsed = Lookup(text, analysis, statements=found[1]), Lookup(text, analysis)
        for lookup in (given, parsed):  # the names' spans, made when a line is asked for
            for line in lookup._found_names:
                lookup.names_on(line)
        for name in fields:  # the same entries (their order across lines follows the chunks parsed)
            assert _entries(getattr(given, name)) == _entries(getattr(parsed, name)), (program.name, name)


def _entries(index: dict) -> dict:
    return {key: sorted(map(repr, value)) if isinstance(value, list) else repr(value) for key, value in index.items()}


def test_the_index_after_edits_reads_only_the_statements_the_edit_made():
    """What the index reads in a statement is kept on it (lookup._facts): after an edit, the
    statements the analysis took from the parse before (the same objects, or stand-ins for those
    moved by a line added above them) are not walked again, and the index is the one a fresh
    parse of the text gives, at every position."""
    from pathlib import Path

    from shapelens.core.incremental import Session
    from shapelens.core.lookup import FACTS

    programs = sorted((Path(__file__).resolve().parents[1] / "fixtures").rglob("*.py"))
    reused = checked = 0
    for program in programs[::3]:
        text = program.read_text(encoding="utf-8")
        session = Session()
        analysis = analyze(text, "prog.py", session=session)
        found = session.statements()
        if found is None or len(found[1]) < 4:
            continue
        Lookup(text, analysis, statements=found[1])
        lines = text.split("\n")
        at = found[1][len(found[1]) // 2].lineno - 1
        for added in ("# a comment", "marker = 1"):
            edited = "\n".join(lines[:at] + [added] + lines[at:])
            for version in (edited, text):  # the line added, then taken away again
                analysis = analyze(version, "prog.py", session=session)
                session.prepare()
                found = session.statements()
                assert found is not None and found[0] is version
                reused += sum(FACTS in stmt.__dict__ for stmt in found[1])
                given = Lookup(version, analysis, statements=found[1])
                assert _answers(given, version) == _answers(Lookup(version, analysis), version), program.name
                checked += 1
    assert checked >= 20 and reused > checked  # most statements were read once


def test_a_moved_stand_in_finds_what_was_read_in_the_statement_it_stands_in_for():
    """A stand-in made for a statement moved by an edit (core/incremental.py ``moved``) shares its
    children: what the index read in the one is the other's, whichever was read first."""
    import ast

    from shapelens.core.incremental import moved
    from shapelens.core.lookup import facts_of, read_before

    text = "import keras\nx = keras.Input((4,))\ny = keras.layers.Dense(2)(x)\n"
    body = ast.parse(text).body
    early = moved(body[1], 1, "x = keras.Input((4,))\n")  # made before anything was read
    assert not read_before(early) and not read_before(body[1])
    found = facts_of(body[1])
    assert read_before(early) and facts_of(early) is found
    later = moved(early, 2, "x = keras.Input((4,))\n")
    assert facts_of(later) is found
    other = moved(body[2], 1, "y = keras.layers.Dense(2)(x)\n")
    assert facts_of(other) is facts_of(body[2])  # read in the stand-in: kept on the statement too


NEVER_CALLED = '''import keras
from keras import layers


def conv_block(x, filters):
    x = layers.Conv2D(filters, 3, padding="same")(x)
    return layers.ReLU()(x)


def head(x):
    return layers.Dense(10)(x)


def callback_block(x):
    return layers.Dense(3)(x)


@keras.saving.register_keras_serializable()
def registered(x):
    return layers.Dense(4)(x)


class Block(layers.Layer):
    def make(self):
        return layers.Dense(5)


inputs = keras.Input((8,))
model = keras.Model(inputs, head(inputs))
blocks = [callback_block]
'''


def _at(needle: str, offset: int = 0) -> tuple[int, int]:
    lines = NEVER_CALLED.split("\n")
    line = next(i for i, text in enumerate(lines) if needle in text)
    return line, lines[line].index(needle) + offset


def test_a_layer_in_a_function_nothing_names_says_why_it_has_no_shapes():
    from shapelens.core.lookup import never_called

    body = ast.parse(NEVER_CALLED).body
    why = never_called(NEVER_CALLED, body, *_at("Conv2D", 2))
    assert why == "`conv_block` is not called anywhere in this file: its layers are never made"
    assert never_called(NEVER_CALLED, body, *_at("ReLU", 1)) == why
    assert never_called(NEVER_CALLED, body, *_at("Dense(10)", 1)) is None  # called
    assert never_called(NEVER_CALLED, body, *_at("Dense(3)", 1)) is None  # named: handed on
    assert never_called(NEVER_CALLED, body, *_at("Dense(4)", 1)) is None  # decorated
    assert never_called(NEVER_CALLED, body, *_at("Dense(5)", 1)) is None  # a method
    assert never_called(NEVER_CALLED, body, *_at("(filters, 3", 1)) is None  # not on the constructor's name
    assert never_called(NEVER_CALLED, None, *_at("Conv2D", 2)) is None  # no parse at hand
    # and the analysis indeed has no record there: the hover would be empty otherwise
    analysis = analyze(NEVER_CALLED, "prog.py")
    assert not any(info.kind == "Conv2D" for info in analysis.layers)


CLASSES = """\
import keras
from keras import layers


class Dense(layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.inner = layers.Dense(units)

    def call(self, x):
        return self.inner(x)


class Unused(layers.Layer):
    def call(self, x):
        return x


inputs = keras.Input(shape=(16,))
a = Dense(8)(inputs)
b = Dense(8)(a)
c = layers.Dense(4)(b)
d = Dense(
    2)(c)
"""


def test_a_class_header_shows_the_calls_of_its_instances_only():
    """Hover on a Layer subclass's header (its name or its bases): the records of the file's
    instances of it -- not those of Keras's layer of the same name."""
    from shapelens.lsp.render import hover_markdown

    analysis = analyze(CLASSES, "classes.py")
    lookup = Lookup(CLASSES, analysis)
    for line, col in ((4, 8), (4, 16), (4, 0)):  # the name, the base `layers.Layer`, `class`
        target = lookup.at(line, col)
        assert target is not None and target.cls == "Dense"
        assert [i.call_span.line + 1 for i in target.layers] == [20, 21, 23]
        assert [i.output_shape for i in target.layers] == [(None, 8), (None, 8), (None, 2)]
    text = hover_markdown(lookup.at(4, 16))
    assert text.startswith("**Dense** · 3 instances · 3 calls")
    assert "`(None, 16)` → `(None, 8)` · 136 params · 1 call (line 20)" in text
    assert "`(None, 8)` → `(None, 8)` · 72 params · 1 call (line 21)" in text
    assert "`(None, 4)` → `(None, 2)` · 10 params · 1 call (line 23)" in text
    assert lookup.at(4, 30) is None  # after the header
    unused = lookup.at(13, 8)
    assert unused is not None and unused.cls == "Unused" and unused.layers == []
    assert "No instance of `Unused` is called on a tensor" in hover_markdown(unused)


def test_a_class_header_moved_by_an_edit_is_found_where_it_is_now():
    from shapelens.core.incremental import Session

    session = Session()
    analyze(CLASSES, "classes.py", session=session)
    session.prepare()
    edited = "# a comment\n# another\n" + CLASSES
    analysis = analyze(edited, "classes.py", session=session)
    session.prepare()
    statements = session.statements()[1]
    for given in (statements, None):
        lookup = Lookup(edited, analysis, None, given)
        target = lookup.at(6, 16)
        assert target is not None and target.cls == "Dense" and len(target.layers) == 3
        assert lookup.at(4, 16) is None


def test_the_records_of_a_fixture_checked_against_keras_are_those_its_class_headers_show():
    """custom_layers_functional.py (compared with Keras by tests/test_programs_diff.py): each
    class header lists exactly the records of that class."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "custom_layers_functional.py").read_text()
    analysis = analyze(text, "custom_layers_functional.py")
    lookup = Lookup(text, analysis)
    lines = text.splitlines()
    for name in ("Block", "Scale", "Project"):
        line = next(i for i, t in enumerate(lines) if t.startswith(f"class {name}("))
        target = lookup.at(line, len(f"class {name}(") + 2)
        assert target is not None and target.cls == name
        assert target.layers == [i for i in analysis.layers if i.kind == name]
        assert len(target.layers) == 1 and target.layers[0].output_shape is not None

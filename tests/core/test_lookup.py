"""Lookup.at with many layer records: the index gives the answer a full scan gives."""

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
    y = dense(inputs)
    z = head(y)
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
    assert len(analysis.layers) >= 600  # the loop leaves a record per call
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

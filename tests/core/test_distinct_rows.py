"""analyze._distinct: one record per layer, call site and shapes -- the reprs of the shapes are
compared only where one layer has two records at one call site; the result is the same as
comparing every row's full key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shapelens.core.analyze import _distinct
from shapelens.core.results import LayerInfo
from shapelens.core.shapes import Unknown
from shapelens.core.source import Span

UNK = Unknown("x")
shapes = st.sampled_from([None, (None, 4), (None, 4), (1, 4), (None, UNK), (None, Unknown("y")), [(None, 4), (None, 2)]])
rows = st.lists(st.builds(
    LayerInfo, layer_id=st.integers(0, 3), kind=st.just("Dense"), span=st.just(Span(0, 0, 0, 5)),
    call_span=st.sampled_from([None, Span(1, 0, 1, 4), Span(2, 0, 2, 4)]), input_shape=shapes, output_shape=shapes,
    params=st.sampled_from([None, 20]), note=st.sampled_from([None, "n"]), order=st.integers(0, 50),
    raised=st.booleans()), max_size=25)


def reference(rows: list[LayerInfo]) -> list[LayerInfo]:
    seen: set = set()
    out = []
    for r in rows:
        if r.call_span is not None:
            key = (r.layer_id, r.call_span, repr(r.input_shape), repr(r.output_shape), r.params, r.note, r.raised)
            if key in seen:
                continue
            seen.add(key)
        out.append(r)
    return out


@given(rows)
def test_the_same_records_as_comparing_every_full_key(rs):
    got = _distinct(rs)
    assert [id(r) for r in got] == [id(r) for r in reference(rs)]


def test_a_layer_called_again_at_one_place_with_the_same_shapes_is_one_record():
    a = LayerInfo(1, "Dense", Span(0, 0, 0, 5), Span(3, 0, 3, 9), (None, 8), (None, 4), 36, order=1)
    b = LayerInfo(1, "Dense", Span(0, 0, 0, 5), Span(3, 0, 3, 9), (None, 8), (None, 4), 36, order=2)
    c = LayerInfo(1, "Dense", Span(0, 0, 0, 5), Span(3, 0, 3, 9), (None, 6), (None, 4), 28, order=3)
    d = LayerInfo(2, "Dense", Span(0, 0, 0, 5), Span(3, 0, 3, 9), (None, 8), (None, 4), 36, order=4)
    assert _distinct([a, b, c, d]) == [a, c, d]

"""Results kept after an edit, renumbered (core/incremental.py): the statements before them made
more or fewer layers, models or order numbers than last time (a line making a layer added or taken
away above them). Pure: results objects only."""

from __future__ import annotations

import bisect
from typing import Any, Callable

from shapelens.core.incremental import Kept, Misaligned, Replay
from shapelens.core.line_shift import clone


def renumber(replay: Replay, kept_at: list[tuple[int, Kept, tuple]]) -> dict[int, Any]:
    """The results kept by an analysis whose statements before them made more or fewer layers,
    models or order numbers than last time, renumbered as a run gives them: ``kept_at`` holds each
    kept statement's index, last results and where it began this time (Evaluator._keep). Every
    layer id, model id and order number in the kept results (and in those of ``replay.before``) is
    moved by the shift of the statement that made it: a row of a layer made by one kept statement
    and called by another (a model built, then called on data) gets its id from the first and its
    order from the second. Raises Misaligned when a number comes from a statement that ran again
    (the first edited statement on): a run gives it anew. Returns id(old diagnostic) -> its
    renumbered copy (the evaluator's list holds the old ones)."""
    if replay.fixed is None:
        raise Misaligned()
    tables: list[list[tuple[int, int, int]]] = [[], [], []]
    for _, out, start in kept_at:
        for d, n in enumerate((out.n_layers, out.n_models, out.n_order)):
            if n:
                tables[d].append((out.start[d], out.start[d] + n, start[d] - out.start[d]))

    def mover(d: int) -> Callable[[int], int]:
        table = sorted(tables[d])
        lows = [t[0] for t in table]
        fixed = replay.fixed[d]
        order = d == 2  # a statement's order numbers are (start, start + n]; ids [start, start + n)

        def move(v: int) -> int:
            key = v - 1 if order else v
            if key < fixed:
                return v
            k = bisect.bisect_right(lows, key) - 1
            if k < 0 or key >= table[k][1]:
                raise Misaligned()
            return v + table[k][2]
        return move

    layer_id, model_id, order = mover(0), mover(1), mover(2)
    rows: dict[int, tuple[Any, Any]] = {}  # id(old row) -> (old row, new row)

    def row(r: Any) -> Any:
        hit = rows.get(id(r))
        if hit is None:
            lid, o = layer_id(r.layer_id), order(r.order)
            hit = rows[id(r)] = (r, r if (lid, o) == (r.layer_id, r.order) else clone(r, {"layer_id": lid, "order": o}))
        return hit[1]

    def model(m: Any) -> Any:
        mid, layers = model_id(m.model_id), [row(r) for r in m.layers]
        if mid == m.model_id and all(a is b for a, b in zip(layers, m.layers)):
            return m
        return clone(m, {"model_id": mid, "layers": layers})

    diags: dict[int, Any] = {}

    def diag(d: Any) -> Any:
        o = order(d.order) if d.order else d.order
        new = d if o == d.order else clone(d, {"order": o})
        diags[id(d)] = new
        return new

    def moved(out: Kept, start: tuple) -> Kept:
        return clone(out, {"start": tuple(start), "layers": [row(r) for r in out.layers],
                           "models": [model(m) for m in out.models], "diags": [diag(d) for d in out.diags]})

    for i, out, start in kept_at:
        if i in replay.kept:  # (not those after a statement that stopped the run: Evaluator._unreached)
            replay.kept[i] = moved(out, start)
    for p, out in list(replay.before.items()):
        replay.before[p] = moved(out, out.start)
    return diags

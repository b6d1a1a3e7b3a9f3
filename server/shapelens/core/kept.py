"""What one analysis leaves per top-level statement for the next (core/incremental.py): the
results a statement gave (Kept), those an analysis keeps (Replay), and how they are cut. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Kept:
    """What one top-level statement gave in the last analysis, to be used again when running it
    again would do exactly the same (core/depends.py decides)."""

    start: tuple  # (next layer id, next model id, order) when it began
    n_layers: int  # layers, models, order numbers and steps it used
    n_models: int
    n_order: int
    n_steps: int
    diags: list
    values: list
    layers: list  # the LayerInfo rows of the layers it made (with every call made on them)
    models: list  # the ModelInfo of the models it made


@dataclass
class Replay:
    """Statements after the edit whose last results are kept (Evaluator.run(kept=...))."""

    kept: dict  # statement index -> Kept
    before: dict = field(default_factory=dict)  # statements before the edit whose last tables stand
    # (next layer id, next model id, order) when the first edited statement began last time: the
    # numbers below it are the same in this analysis (renumber)
    fixed: tuple | None = None


def runs(replay: Replay | None, n: int, start: int) -> int:
    """How many of ``n`` statements from ``start`` on an analysis with this replay (None: none
    kept) runs; the others keep their last results."""
    return n - start - (sum(1 for i in replay.kept if i >= start) if replay is not None else 0)


def cut(ev: Any, n: int, infos: dict, models: dict, kept: dict | None) -> list[Kept] | None:
    """The results of an analysis of ``n`` top-level statements, per statement: ``infos`` the
    LayerInfo rows by layer id, ``models`` the ModelInfo by model id (of the layers and models
    this run made); ``kept``: the statements whose results were kept."""
    marks = ev.marks
    if len(marks) != n + 1 or not clean(ev):
        return None
    outs = []
    for i in range(n):
        if kept and i in kept:
            outs.append(kept[i])
            continue
        m0, m1 = marks[i], marks[i + 1]
        rows = [row for lid in range(m0[2], m1[2]) for row in infos.get(lid, ())]
        made = [models[mid] for mid in range(m0[3], m1[3]) if mid in models]
        diags = ev.diags[m0[0]:m1[0]]
        outs.append(Kept((m0[2], m0[3], m0[4]), m1[2] - m0[2], m1[3] - m0[3], m1[4] - m0[4], m1[5] - m0[5],
                         diags, ev.values[m0[1]:m1[1]], rows, made))
    return outs


def clean(ev: Any) -> bool:
    """No limit, no cut statement, nothing half-done: the state is what any run reaches here."""
    return (ev.complete and not ev._limit_reported and not ev._statement_notes and ev.depth == 0
            and not ev.speculative and ev.anchor is None and not ev.module_paths and not ev.loop_depth)

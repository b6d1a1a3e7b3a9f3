"""An analysis never depends on the analyses before it: the memos that outlive one (the rank-run
memo of rules/symbolic.py) must not hand out an answer for an object that died and whose id
another object took."""

from __future__ import annotations

from pathlib import Path

from shapelens.core.analyze import analyze
from shapelens.core.incremental import Session

PROGRAM = (Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "reshape_unknown_input.py").read_text()


def reshape_sizes(result) -> list:
    return [info.output_shape[1] for info in result.layers if info.kind == "ops.reshape"]


def test_analyses_after_many_others_give_the_same_shapes():
    """Edits of the power in NUM_PATCHES = (IMAGE // PATCH) ** 2, analysed through a session and
    fresh, over and over (a stale memo entry showed up after a few rounds: 64 for ** 3)."""
    assert "** 2\n" in PROGRAM
    texts = {n: PROGRAM.replace("** 2\n", f"** {n}\n") for n in (2, 3, 1, 21)}
    expected = {2: 64, 3: 512, 1: 8}
    for _ in range(8):
        session = Session()
        for n, text in texts.items():
            for result in (analyze(text, "prog.py", session=session), analyze(text, "prog.py")):
                sizes = reshape_sizes(result)
                if n in expected:  # (** 21: too large to follow)
                    assert sizes == [expected[n]], (n, sizes)

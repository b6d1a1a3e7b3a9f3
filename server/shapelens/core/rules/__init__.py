"""The layer table. Importing this package registers every family's rules."""

from __future__ import annotations

from typing import Any

from shapelens.core.rules.base import (
    LAYERS,
    signature,
    Args,
    LayerError,
    Out,
    Rule,
    Unresolved,
    expect_ndim,
)
from shapelens.core.shapes import Shape

# Each family module registers its rules on import; add new families here (family = module).
from shapelens.core.rules import (  # noqa: E402,F401  (imported for their registrations)
    core, conv, conv_variants, pooling, reshaping, recurrent,
    embedding, merging, attention, normalization, preprocessing,
)
from shapelens.core.rules import symbolic  # noqa: E402
from shapelens.core.rules import thirdparty  # noqa: E402,F401  (after the families: it reuses their rules)
from shapelens.core.codes import INCOMPATIBLE_MERGE_SHAPES, WRONG_INPUT_RANK

FAMILY_MODULES = (core, conv, conv_variants, pooling, reshaping, recurrent,
                  embedding, merging, attention, normalization, preprocessing)

def lookup(kind: str) -> Rule | None:
    return LAYERS.get(kind)


def apply(rule: Rule, args: Args, inputs: Any, call: dict[str, Any] | None = None) -> Out:
    """Run a rule on input shape(s). Raises LayerError (Keras raises) or Unresolved.

    Inputs or arguments with unknown sizes (or an unknown rank) go through
    :func:`symbolic.apply_partial`, which keeps what does not depend on them."""
    call = call or {}
    if symbolic.needs_specialising(args, inputs, call):
        return symbolic.apply_partial(_apply, rule, args, inputs, call)
    return symbolic.plain_memo(_apply, rule, args, inputs, call)


def _apply(rule: Rule, args: Args, inputs: Any, call: dict[str, Any]) -> Out:
    if rule.multi_input:
        if not isinstance(inputs, list):
            raise LayerError(
                INCOMPATIBLE_MERGE_SHAPES,
                INCOMPATIBLE_MERGE_SHAPES.single_tensor(kind=rule.kind, inputs=inputs),
            )
    else:
        if isinstance(inputs, list):
            if len(inputs) != 1:
                raise LayerError(
                    WRONG_INPUT_RANK,
                    WRONG_INPUT_RANK.list_given(kind=rule.kind, n_inputs=len(inputs)),
                )
            inputs = inputs[0]
        if rule.ndim is not None or rule.min_ndim is not None:
            expect_ndim(rule.kind, inputs, rule.ndim, rule.min_ndim)
    return rule.fn(args, inputs, call)


def families() -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    seen: set[str] = set()
    for name, rule in LAYERS.items():
        if rule.kind in seen:
            continue
        seen.add(rule.kind)
        out.setdefault(rule.family, []).append(rule)
    return out


__all__ = ["LAYERS", "Args", "LayerError", "Out", "Rule", "Unresolved", "apply", "lookup", "families", "signature", "Shape"]

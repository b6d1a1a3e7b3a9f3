"""Inlay hints: each layer's output shape at the end of its line."""

from __future__ import annotations

from lsprotocol import types

OPTIONS = types.InlayHintOptions(resolve_provider=False)


def _within(pos: types.Position, rng: types.Range) -> bool:
    return (rng.start.line, rng.start.character) <= (pos.line, pos.character) <= (rng.end.line, rng.end.character)


async def inlay_hints(ls, params: types.InlayHintParams) -> list[types.InlayHint]:
    if not ls.options.inlay_hints.enabled:
        return []
    result = await ls.result(params.text_document.uri)
    if result is None:
        return []
    from shapelens.lsp import render

    index = ls.index(result)
    hints = []
    lines = ls.derived(result, "inlay_hints", lambda: sorted(render.hint_lines(result.analysis).items()))
    first, last = params.range.start.line, params.range.end.line
    for line, label in lines:
        if not first <= line <= last:
            continue
        pos = index.end_of_line(line)
        if _within(pos, params.range):
            hints.append(types.InlayHint(position=pos, label=label, kind=types.InlayHintKind.Type,
                                         padding_left=True))
    return hints

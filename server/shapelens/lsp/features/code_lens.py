"""Code lens above each model: layers, parameters, input → output; click for the summary."""

from __future__ import annotations

from lsprotocol import types

from shapelens.core.source import Span
from shapelens.lsp.features.commands import SHOW_SUMMARY

OPTIONS = types.CodeLensOptions(resolve_provider=False)


async def code_lens(ls, params: types.CodeLensParams) -> list[types.CodeLens]:
    if not ls.options.code_lens.enabled:
        return []
    result = await ls.result(params.text_document.uri)
    if result is None:
        return []
    return ls.derived(result, f"code_lens.{ls.encoding}", lambda: _lenses(ls, result))


def _lenses(ls, result) -> list[types.CodeLens]:
    from shapelens.lsp import render

    index = ls.index(result)
    lenses = []
    for i, model in enumerate(result.analysis.models):
        at = Span(model.span.line, model.span.col, model.span.line, model.span.col)
        lenses.append(types.CodeLens(
            range=index.range(at),
            command=types.Command(title=render.code_lens_title(model), command=SHOW_SUMMARY,
                                  arguments=[result.uri, i, model.span.line])))
    return lenses

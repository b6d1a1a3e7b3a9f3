"""Document symbols: each model, with its layer stack and shapes as children."""

from __future__ import annotations

from lsprotocol import types

from shapelens.core.source import Span


def _union(spans: list[Span]) -> Span:
    start = min((s.line, s.col) for s in spans)
    end = max((s.end_line, s.end_col) for s in spans)
    return Span(start[0], start[1], end[0], end[1])


async def document_symbols(ls, params: types.DocumentSymbolParams):
    result = await ls.result(params.text_document.uri)
    if result is None:
        return []
    from shapelens.lsp import render
    from shapelens.report import layer_label

    index = ls.index(result)
    symbols = []
    for model in result.analysis.models:
        children = []
        for info in model.layers:
            rng = index.range(info.call_span or info.span)
            children.append(types.DocumentSymbol(name=layer_label(info), detail=render.symbol_detail(info),
                                                 kind=types.SymbolKind.Object, range=rng, selection_range=rng))
        full = _union([model.span] + [i.call_span or i.span for i in model.layers])
        symbols.append(types.DocumentSymbol(
            name=model.name or model.kind, detail=render.model_detail(model), kind=types.SymbolKind.Class,
            range=index.range(full), selection_range=index.range(model.span), children=children))
    if ls.supports(lambda c: c.text_document.document_symbol.hierarchical_document_symbol_support):
        return symbols
    return [types.SymbolInformation(name=s.name, kind=s.kind, location=types.Location(uri=result.uri, range=s.range),
                                    container_name=parent)
            for top in symbols for s, parent in [(top, None)] + [(c, top.name) for c in top.children or []]]

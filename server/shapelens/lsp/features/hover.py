"""Hover: a layer's shapes and arithmetic, a model's summary, a tensor's shape and origin."""

from __future__ import annotations

from lsprotocol import types


async def hover(ls, params: types.HoverParams) -> types.Hover | None:
    if not ls.asks_code_actions:
        # a client that asks no code actions at the cursor (Neovim): a hover is where it is --
        # K, then an edit of the number the hover showed (in VS Code the mouse hovers anywhere)
        ls.expect_edit(params.text_document.uri, params.position.line + 1)
    result = await ls.result(params.text_document.uri, urgent=True)
    if result is None:
        return None
    from shapelens.lsp import render  # with the first result, not at start

    index = ls.index(result)
    line, col = index.to_cp(params.position)
    target = (await ls.lookup_async(result)).at(line, col)
    text = render.hover_markdown(target) if target is not None else ""
    if not text:
        # a layer in a function nothing calls: why it has no shapes (the analysis's own parse)
        from shapelens.core.lookup import never_called

        why = never_called(result.text, ls._parse_of(result), line, col)
        if why is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value=f"*No shapes*: {why}."))
    if result.analysis.keras == "2":
        text += f"\n\n*Keras 2: {result.analysis.keras_reason}*"
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                       range=index.range(target.span))

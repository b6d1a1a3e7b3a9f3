"""workspace/executeCommand: shapelens.showSummary shows (and returns) a model's summary table."""

from __future__ import annotations

from lsprotocol import types

SHOW_SUMMARY = "shapelens.showSummary"


async def show_summary(ls, *args) -> str | None:
    """Arguments: the document URI, then optionally the model's index and its line."""
    from shapelens.lsp import render

    if not args or not isinstance(args[0], str):
        return None
    result = await ls.result(args[0], urgent=True)
    if result is None or not result.analysis.models:
        return None
    models = result.analysis.models
    index = args[1] if len(args) > 1 and isinstance(args[1], int) else 0
    if len(args) > 2 and isinstance(args[2], int):  # the document may have changed since the lens
        on_line = [i for i, m in enumerate(models) if m.span.line == args[2]]
        index = on_line[0] if on_line else index
    if not 0 <= index < len(models):
        return None
    text = render.summary_text(models[index])
    if result.analysis.keras == "2":
        text += f"\nShapes for Keras 2 ({result.analysis.keras_reason})."
    ls.show(text, types.MessageType.Info)
    return text

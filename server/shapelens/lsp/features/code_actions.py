"""Quick fixes: the verified fixes of shapelens.core.fixes as WorkspaceEdits."""

from __future__ import annotations

from lsprotocol import types

from shapelens.lsp import settings

OPTIONS = types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=False)


def _overlaps(a, b) -> bool:
    return (a.line, a.col) <= (b.end_line, b.end_col) and (b.line, b.col) <= (a.end_line, a.end_col)


async def code_actions(ls, params: types.CodeActionParams) -> list[types.CodeAction]:
    # where the cursor is: the next edit is likely there (VS Code asks at every cursor move)
    ls.asks_code_actions = True
    ls.expect_edit(params.text_document.uri, params.range.start.line + 1)
    only = params.context.only
    if only and not any(types.CodeActionKind.QuickFix.value.startswith(k) for k in only):
        return []
    uri = params.text_document.uri
    result = await ls.result(uri, urgent=True)
    if result is None:
        return []
    from shapelens.core.fixes import fixes_for
    from shapelens.lsp import convert

    index = ls.index(result)
    wanted = index.span(params.range)
    actions = []
    for n, diag in enumerate(convert.reported(result.analysis, settings.options_for(ls, uri))):
        if not _overlaps(diag.span, wanted):
            continue
        key = (uri, result.serial, n)
        if key not in ls.fix_cache:
            ls.fix_cache[key] = await ls.worker.run(fixes_for, result.text, result.analysis, diag, result.analysis.path)
        lsp_diag = convert.diagnostic(diag, uri, index)
        for fix in ls.fix_cache[key]:
            edits = [convert.text_edit(e, index) for e in fix.edits]
            actions.append(types.CodeAction(title=fix.title, kind=types.CodeActionKind.QuickFix,
                                            diagnostics=[lsp_diag], is_preferred=fix.preferred,
                                            edit=_workspace_edit(ls, uri, result.version, edits)))
    if ls.analyses.version(uri) != result.version:
        return []  # the document changed while the fixes were verified
    return actions


def _workspace_edit(ls, uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    if ls.supports(lambda c: c.workspace.workspace_edit.document_changes):
        doc = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=doc, edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})

"""Diagnostics: pushed after every fresh analysis, or pulled (textDocument/diagnostic).

Clients that can pull get nothing pushed. Push carries the document version the
analysis was computed for; results for older versions never get here (see analyses.py).
"""

from __future__ import annotations

from lsprotocol import types

from shapelens.lsp import settings
from shapelens.lsp.analyses import Result

OPTIONS = types.DiagnosticOptions(identifier="shapelens", inter_file_dependencies=False,
                                  workspace_diagnostics=False)


def publish(ls, result: Result) -> None:
    if ls.pull_diagnostics:
        return
    from shapelens.lsp import convert  # with the first result: the core is loaded by then

    items = convert.diagnostics(result.analysis, settings.options_for(ls, result.uri), result.uri, ls.index(result))
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=result.uri, diagnostics=items, version=result.version))


def clear(ls, uri: str) -> None:
    if not ls.pull_diagnostics:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def republish(ls) -> None:
    """Send every open document's diagnostics again (the options changed)."""
    for uri in ls.analyses.uris():
        result = ls.analyses.latest(uri)
        if result is not None and result.version == ls.analyses.version(uri):
            publish(ls, result)


def result_id(ls, result: Result) -> str:
    return f"{result.serial}.{ls.options_generation}"


async def pull(ls, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
    result = await ls.result(params.text_document.uri)
    if result is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[], result_id="none")
    rid = result_id(ls, result)
    if params.previous_result_id == rid:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
    from shapelens.lsp import convert

    items = convert.diagnostics(result.analysis, settings.options_for(ls, result.uri), result.uri, ls.index(result))
    return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=rid)

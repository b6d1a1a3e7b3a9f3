"""The TensorFlow dry run's handlers: the command, the save trigger, and what it adds to
diagnostics and hovers.

Each wraps the static feature of the same LSP method (documents.did_save, hover.hover,
diagnostics.pull, lifecycle.shutdown) and adds the dry run's part; lsp/dryrun_scheduler.py does the
work.
"""

from __future__ import annotations

import asyncio
import os

import attrs
from lsprotocol import types

from shapelens.lsp import settings
from shapelens.lsp.analyses import Result
from shapelens.lsp.features import diagnostics, documents, hover as static_hover, lifecycle
from shapelens.worker import protocol

CONFIRM = "shapelens.confirmWithTensorFlow"
TITLE = "shapelens: Confirm shapes with TensorFlow"


async def confirm(ls, *args) -> dict:
    """Arguments: the document URI (default: every open Python document).

    Returns what the run found per document (status, TensorFlow's version, a summary line,
    the counts of each verdict and the SL9xx findings) and shows the summary.
    """
    uris = [args[0]] if args and isinstance(args[0], str) else list(ls.analyses.uris())
    test = None
    if len(args) > 1 and isinstance(args[1], dict) and os.environ.get(protocol.ENV_TEST_HOOKS) == "1":
        test = args[1].get("test")
    if ls.options.dry_run.mode == "off":
        message = ("the TensorFlow dry run is off: set shapelens.dryRun.mode to \"onCommand\" or \"onSave\" "
                   "to confirm shapes with TensorFlow")
        ls.show(f"shapelens: {message}", types.MessageType.Info)
        return {"status": "off", "message": message, "documents": []}
    reports = []
    for uri in uris:
        task = ls.dry_runs.request(uri, explicit=True, test=test)
        await _settled(task)
        reports.append({"uri": uri, "status": "superseded"} if task.cancelled() else task.result())
    for report in reports:
        if report.get("summary"):
            ls.show(f"shapelens: {os.path.basename(report['uri'])}: {report['summary']}", types.MessageType.Info)
    if len(reports) == 1:
        return reports[0]
    return {"status": "done", "documents": reports}


async def _settled(task: asyncio.Task) -> None:
    """Wait for a task without taking its cancellation (a superseded run) as ours."""
    await asyncio.wait({task})


def did_save(ls, params: types.DidSaveTextDocumentParams) -> None:
    documents.did_save(ls, params)
    uri = params.text_document.uri
    if ls.options.dry_run.mode == "onSave" and uri in ls.python_uris:
        ls.dry_runs.request(uri)


async def hover(ls, params: types.HoverParams) -> types.Hover | None:
    answer = await static_hover.hover(ls, params)
    if answer is None:
        return None
    result: Result | None = await ls.result(params.text_document.uri, urgent=True)
    if result is None or ls.dry_runs.verdict(result) is None:
        return answer
    target = (await ls.lookup_async(result)).at(*ls.index(result).to_cp(params.position))
    lines = ls.dry_runs.hover_lines(result, target) if target is not None else []
    if not lines:
        return answer
    value = answer.contents.value + "\n\n" + "\n\n".join(f"_{line}_" for line in lines)
    return attrs.evolve(answer, contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value))


async def pull(ls, params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
    result = await ls.result(params.text_document.uri)
    if result is None:
        return await diagnostics.pull(ls, params)
    rid = f"{diagnostics.result_id(ls, result)}.{ls.dry_runs.tag(result)}"
    if params.previous_result_id == rid:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
    from shapelens.lsp import convert

    items = convert.diagnostics(result.analysis, settings.options_for(ls, result.uri), result.uri, ls.index(result))
    return types.RelatedFullDocumentDiagnosticReport(items=items + ls.dry_runs.for_pull(result), result_id=rid)


def on_result(ls, result: Result) -> None:
    ls.dry_runs.on_result(result)


def shutdown(ls, *args) -> None:
    lifecycle.shutdown(ls, *args)
    ls.dry_runs.close()

"""Notebooks: LSP 3.17 notebook sync, and cells opened as plain text documents.

A notebook is analysed as one program (core/notebook.py joins its code cells) under the
notebook's URI, with the debounce and stale-result rules of any document (analyses.py).
Each result is then shown per cell: diagnostics are published to every cell's URI (empty
for a cell without findings, so fixed and deleted cells are cleared), and the requests
made on a cell URI (hover, inlay hints, code lens, document symbols) read the part of the
analysis that lies in that cell, in the cell's own coordinates (:func:`cell_result`).
Quick fixes are computed on the joined program and offered only when every edit falls in
the cell of the diagnostic.

When an edit changed one cell's text only, that cell's diagnostics are published as soon as
the analysis has passed the cell (core ``analyze(..., early=...)``), before the cells below
it are analysed; the finished analysis publishes every cell as usual. Not when the last
analysis found something in that cell from a later cell (a function defined there and
called below: the early list would drop it and the finished one bring it back), nor when the
cell holds a suppression comment (whether it is used is known at the end).

Clients without notebook sync open cells as ``vscode-notebook-cell:`` text documents: the
cells whose URIs share a path are joined in the order they were opened. A JupyterLab
"virtual document" (jupyterlab-lsp joins the cells itself) is a plain Python document and
needs nothing here.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from lsprotocol import types
from pygls.uris import to_fs_path

from shapelens.lsp.analyses import Result
from shapelens.lsp.features import diagnostics
from shapelens.lsp.lazy import lazy_module
from shapelens.lsp.positions import LineIndex

# loaded with the first notebook, not at start
nb = lazy_module("shapelens.core.notebook")
results = lazy_module("shapelens.core.results")
fixes = lazy_module("shapelens.core.fixes")
convert = lazy_module("shapelens.lsp.convert")
suppressions = lazy_module("shapelens.core.suppressions")

log = logging.getLogger("shapelens.lsp")

CELL_SCHEME = "vscode-notebook-cell"
SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[types.NotebookDocumentFilterWithCells(
        notebook=types.NotebookDocumentFilterNotebookType(notebook_type="jupyter-notebook"),
        cells=[types.NotebookCellLanguage(language="python")])],
    save=True)
KEEP_JOINS = 4  # joined programs kept per notebook: a result may be for a slightly older text


@dataclass
class Book:
    uri: str  # the notebook (or, for loose cells, a group key)
    path: str
    synced: bool  # opened with notebookDocument/didOpen
    loose_cells: list[str] = field(default_factory=list)  # loose cells in the order they were opened
    version: int = 0
    joins: dict[str, nb.Joined] = field(default_factory=dict)  # joined text -> mapping
    published: set[str] = field(default_factory=set)  # cell URIs that may hold diagnostics
    last: list[tuple] | None = None  # (uri, kind, text) of every cell at the last refresh


class Notebooks:
    def __init__(self, ls) -> None:
        self.ls = ls
        self.books: dict[str, Book] = {}
        self.owner: dict[str, str] = {}  # cell URI -> book URI

    # -- building the program ----------------------------------------------------------
    def _sources(self, book: Book) -> tuple[list[nb.CellSource], str]:
        ws = self.ls.workspace
        if book.synced:
            doc = ws.get_notebook_document(notebook_uri=book.uri)
            cells = doc.cells if doc is not None else []
            uris = [(c.document, c.kind == types.NotebookCellKind.Code) for c in cells]
            language = nb.notebook_language(doc.metadata) if doc is not None and doc.metadata else "python"
        else:
            uris = [(u, True) for u in book.loose_cells]
            language = "python"
        out = []
        for uri, is_code in uris:
            text_doc = ws.text_documents.get(unquote(uri)) or ws.text_documents.get(uri)
            lang = getattr(text_doc, "language_id", None) or "python"
            code = is_code and text_doc is not None and lang == "python"
            out.append(nb.CellSource("code" if code else "markdown", text_doc.source if text_doc else "", uri))
        return out, language

    def refresh(self, book: Book, delay: float, edit: bool = False) -> None:
        """Analyse the notebook again after ``delay`` seconds; ``edit``: the client changed a
        cell's text (not a cell opened, closed or reordered)."""
        sources, language = self._sources(book)
        joined = nb.join(sources, language)
        current = {s.uri for s in sources}
        for uri in [u for u, b in self.owner.items() if b == book.uri and u not in current]:
            del self.owner[uri]
        for uri in current:
            self.owner[uri] = book.uri
        for gone in book.published - current:  # deleted cells lose their diagnostics now
            diagnostics.clear(self.ls, gone)
        book.published &= current
        book.joins[joined.text] = joined
        while len(book.joins) > KEEP_JOINS:
            book.joins.pop(next(iter(book.joins)))
        book.version += 1
        early = self._early(book, sources, joined) if edit else None
        book.last = [(c.uri, c.kind, c.text) for c in sources]
        self.ls.analyses.update(book.uri, book.path, book.version, joined.text, delay, early)

    def _early(self, book: Book, sources: list[nb.CellSource], joined: nb.Joined):
        """When one cell's text is all that changed: publish that cell's findings as soon as the
        analysis has passed it, before the cells below it are analysed (core ``analyze(...,
        early=...)``). Only when nothing further down can change them: the last analysis found
        nothing in this cell from a later cell (a function defined here and called below), and
        the cell holds no suppression comment (whether it is used is known at the end)."""
        prev = book.last
        if self.ls.pull_diagnostics or prev is None or len(prev) != len(sources) \
                or any((u, k) != (c.uri, c.kind) for (u, k, _), c in zip(prev, sources)):
            return None
        changed = [c for (_, _, t), c in zip(prev, sources) if t != c.text]
        # a suppression comment: whether it is used is known only once the whole notebook is analysed
        if len(changed) != 1 or changed[0].kind != "code" or suppressions.scan(changed[0].text):
            return None
        uri = changed[0].uri
        cell = joined.by_uri(uri)
        last = self.ls.analyses.latest(book.uri)
        last_joined = self.located(last) if last is not None else None
        if cell is None or last_joined is None:
            return None
        for d in last.analysis.diagnostics:
            located = last_joined.cell_span(d.span) if d.elsewhere else None
            if located is not None and located[0].uri == uri:
                return None
        loop = asyncio.get_running_loop()
        version, text = book.version, joined.text

        def found(part) -> None:  # on the analysis thread
            loop.call_soon_threadsafe(self._publish_early, book, version, text, uri, part)

        return cell.end, found

    def _publish_early(self, book: Book, version: int, text: str, uri: str, part) -> None:
        if self.books.get(book.uri) is not book or self.ls.analyses.version(book.uri) != version:
            return  # the notebook changed since: this is no longer its text
        joined = book.joins.get(text)
        if joined is None:
            return
        items = self.cell_diagnostics(Result(book.uri, version, text, part, 0), joined, only=uri).get(uri, [])
        publish(self.ls, book, uri, items)

    def close(self, book: Book) -> None:
        self.books.pop(book.uri, None)
        for uri in [u for u, b in self.owner.items() if b == book.uri]:
            del self.owner[uri]
        for uri in book.published:
            diagnostics.clear(self.ls, uri)
        self.ls.analyses.close(book.uri)
        self.ls.forget_incremental(book.path)

    # -- reading results -------------------------------------------------------------
    def located(self, result: Result) -> nb.Joined | None:
        book = self.books.get(result.uri)
        return book.joins.get(result.text) if book is not None else None

    async def cell(self, uri: str, urgent: bool = False) -> tuple[Result, nb.Joined, nb.Cell] | None:
        book_uri = self.owner.get(uri)
        if book_uri is None:
            return None
        result = await self.ls.analyses.current(book_uri, urgent)
        joined = self.located(result) if result is not None else None
        cell = joined.by_uri(uri) if joined is not None else None
        return None if cell is None else (result, joined, cell)

    def cell_diagnostics(self, result: Result, joined: nb.Joined,
                         only: str | None = None) -> dict[str, list[types.Diagnostic]]:
        """Every cell's diagnostics (``only``: that cell's)."""
        out: dict[str, list[types.Diagnostic]] = {c.uri: [] for c in joined.cells if c.uri}
        indexes = {c.uri: LineIndex("\n".join(c.lines), self.ls.encoding) for c in joined.cells
                   if only is None or c.uri == only}
        first = joined.cells[0] if joined.cells else None
        notes = results.Analysis(result.analysis.path, diagnostics=list(joined.notes))  # cells that do not parse
        for d in convert.reported(notes, self.ls.options) + convert.reported(result.analysis, self.ls.options):
            located = joined.cell_span(d.span)
            cell, span = located if located is not None else (first, d.span)
            if cell is None or cell.uri is None or (only is not None and cell.uri != only):
                continue
            main = results.Diagnostic(d.code, d.severity, nb.relabel(d.message, joined), span)
            item = convert.diagnostic(main, cell.uri, indexes[cell.uri])
            item.related_information = [
                types.DiagnosticRelatedInformation(
                    location=types.Location(uri=c.uri, range=_index(indexes, c, self.ls.encoding).range(s)),
                    message=nb.relabel(message, joined))
                for c, s, message in nb.located_related(d, joined) if c.uri
            ] or None
            out[cell.uri].append(item)
        return out


def _index(indexes: dict, cell: nb.Cell, encoding: str) -> LineIndex:
    if cell.uri not in indexes:
        indexes[cell.uri] = LineIndex("\n".join(cell.lines), encoding)
    return indexes[cell.uri]


def publish(ls, book: Book, uri: str, items: list[types.Diagnostic]) -> None:
    """Push one cell's diagnostics (an empty list only to a cell that may hold some)."""
    if items or uri in book.published:
        doc = ls.workspace.text_documents.get(unquote(uri))
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=items, version=getattr(doc, "version", None)))
    if items:
        book.published.add(uri)
    else:
        book.published.discard(uri)


def cell_result(result: Result, joined: nb.Joined, cell: nb.Cell) -> Result:
    """The part of a notebook's result that lies in one cell, as if the cell were a file."""
    return Result(cell.uri, None, "\n".join(cell.lines), nb.project(result.analysis, joined, cell), result.serial)


# -- handlers ---------------------------------------------------------------------------
def did_open(ls, params: types.DidOpenNotebookDocumentParams) -> None:
    doc = params.notebook_document
    book = Book(doc.uri, to_fs_path(doc.uri) or doc.uri, synced=True)
    ls.notebooks.books[doc.uri] = book
    ls.notebooks.refresh(book, 0.0)


def did_change(ls, params: types.DidChangeNotebookDocumentParams) -> None:
    book = ls.notebooks.books.get(params.notebook_document.uri)
    if book is not None:
        ls.notebooks.refresh(book, ls.options.diagnostics.debounce_ms / 1000, edit=True)


def did_save(ls, params: types.DidSaveNotebookDocumentParams) -> None:
    pass  # the analysis follows every change already


def did_close(ls, params: types.DidCloseNotebookDocumentParams) -> None:
    book = ls.notebooks.books.get(params.notebook_document.uri)
    if book is not None:
        ls.notebooks.close(book)


def on_result(ls, result: Result) -> None:
    joined = ls.notebooks.located(result)
    if joined is None or ls.pull_diagnostics:
        return
    book = ls.notebooks.books[result.uri]
    for uri, items in ls.notebooks.cell_diagnostics(result, joined).items():
        publish(ls, book, uri, items)


async def pull(ls, params: types.DocumentDiagnosticParams):
    found = await ls.notebooks.cell(params.text_document.uri)
    if found is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[], result_id="none")
    result, joined, cell = found
    rid = f"{result.serial}.{ls.options_generation}"
    if params.previous_result_id == rid:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
    items = ls.notebooks.cell_diagnostics(result, joined).get(cell.uri, [])
    return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=rid)


def _overlaps(a, b) -> bool:
    return (a.line, a.col) <= (b.end_line, b.end_col) and (b.line, b.col) <= (a.end_line, a.end_col)


async def code_actions(ls, params: types.CodeActionParams) -> list[types.CodeAction]:
    only = params.context.only
    if only and not any(types.CodeActionKind.QuickFix.value.startswith(k) for k in only):
        return []
    found = await ls.notebooks.cell(params.text_document.uri, urgent=True)
    if found is None:
        return []
    result, joined, cell = found
    index = LineIndex("\n".join(cell.lines), ls.encoding)
    wanted = joined.joined_span(cell, index.span(params.range))
    actions = []
    for n, diag in enumerate(convert.reported(result.analysis, ls.options)):
        located = joined.cell_span(diag.span)
        if located is None or located[0] is not cell or not _overlaps(diag.span, wanted):
            continue
        key = (result.uri, result.serial, n)
        if key not in ls.fix_cache:
            ls.fix_cache[key] = await ls.worker.run(fixes.fixes_for, result.text, result.analysis, diag, result.analysis.path)
        lsp_diag = convert.diagnostic(results.Diagnostic(diag.code, diag.severity, nb.relabel(diag.message, joined),
                                                    located[1]), cell.uri, index)
        for fix in ls.fix_cache[key]:
            spans = [joined.cell_span(e.span) for e in fix.edits]
            if any(s is None or s[0] is not cell for s in spans):
                continue  # a quick fix touches one cell only
            edits = [types.TextEdit(range=index.range(s[1]), new_text=e.new_text) for s, e in zip(spans, fix.edits)]
            actions.append(types.CodeAction(title=fix.title, kind=types.CodeActionKind.QuickFix,
                                            diagnostics=[lsp_diag], is_preferred=fix.preferred,
                                            edit=types.WorkspaceEdit(changes={cell.uri: edits})))
    if ls.analyses.version(result.uri) != result.version:
        return []  # the notebook changed while the fixes were verified
    return actions


# -- cells opened as plain text documents (no notebook sync) --------------------------------------
def _loose_key(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme != CELL_SCHEME:
        return None
    return f"{CELL_SCHEME}-group:{parts.path}"


def _loose_open(ls, params: types.DidOpenTextDocumentParams) -> bool:
    doc = params.text_document
    key = _loose_key(doc.uri)
    if key is None or doc.language_id != "python":
        return False
    if ls.workspace.get_notebook_document(cell_uri=doc.uri) is not None:
        return True  # the notebook sync has it already: one analysis per notebook
    book = ls.notebooks.books.get(key)
    if book is None:
        path = unquote(urlsplit(doc.uri).path)
        book = ls.notebooks.books[key] = Book(key, path, synced=False)
    if doc.uri not in book.loose_cells:
        book.loose_cells.append(doc.uri)
    ls.notebooks.refresh(book, 0.0)
    return True


def _loose_book(ls, uri: str) -> Book | None:
    book = ls.notebooks.books.get(ls.notebooks.owner.get(uri, ""))
    return book if book is not None and not book.synced else None


def _wrap_text_sync(ls) -> None:
    def did_open(params):
        if not _loose_open(ls, params):
            return old_open(params)

    def did_change(params):
        uri = params.text_document.uri
        book = _loose_book(ls, uri)
        if book is not None:
            ls.notebooks.refresh(book, ls.options.diagnostics.debounce_ms / 1000, edit=True)
        elif ls.notebooks.owner.get(uri) is None:
            return old_change(params)

    def did_close(params):
        uri = params.text_document.uri
        book = _loose_book(ls, uri)
        if book is None:
            if ls.notebooks.owner.get(uri) is None:
                return old_close(params)
            return None
        book.loose_cells = [u for u in book.loose_cells if u != uri]
        if book.loose_cells:
            ls.notebooks.refresh(book, 0.0)
        else:
            ls.notebooks.close(book)
        diagnostics.clear(ls, uri)

    fm = ls.protocol.fm
    old_open = fm.features[types.TEXT_DOCUMENT_DID_OPEN]
    old_change = fm.features[types.TEXT_DOCUMENT_DID_CHANGE]
    old_close = fm.features[types.TEXT_DOCUMENT_DID_CLOSE]
    fm._features[types.TEXT_DOCUMENT_DID_OPEN] = did_open
    fm._features[types.TEXT_DOCUMENT_DID_CHANGE] = did_change
    fm._features[types.TEXT_DOCUMENT_DID_CLOSE] = did_close


# -- registration ------------------------------------------------------------------------
def _cells_first(ls, method: str, handler) -> None:
    """Requests on a cell URI go to ``handler``; the others to what was registered before."""
    old = ls.protocol.fm.features[method]

    async def dispatch(params):
        if params.text_document.uri in ls.notebooks.owner:
            return await handler(ls, params)
        answer = old(params)
        return await answer if inspect.isawaitable(answer) else answer

    ls.protocol.fm._features[method] = dispatch


def register(ls) -> None:
    """Call after every other feature is registered (server.build)."""
    ls.notebooks = Notebooks(ls)
    ls._notebook_document_sync = SYNC
    feature = ls.feature
    feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)(did_open)
    feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)(did_change)
    feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)(did_save)
    feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)(did_close)
    _wrap_text_sync(ls)
    _cells_first(ls, types.TEXT_DOCUMENT_DIAGNOSTIC, pull)
    _cells_first(ls, types.TEXT_DOCUMENT_CODE_ACTION, code_actions)

    # Per-document listeners see only files; a notebook's result is shown per cell.
    others = list(ls.result_listeners)
    ls.result_listeners[:] = [lambda ls_, r, f=f: None if r.uri in ls.notebooks.books else f(ls_, r) for f in others]
    ls.result_listeners.append(on_result)

    # The other requests (hover, inlay hints, code lens, symbols) read a cell as if it were a file.
    file_result = ls.result

    async def result(uri: str, urgent: bool = False) -> Result | None:
        if uri in ls.notebooks.owner:
            found = await ls.notebooks.cell(uri, urgent)
            return None if found is None else cell_result(*found)
        return await file_result(uri, urgent)

    ls.result = result

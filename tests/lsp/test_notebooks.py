"""LSP 3.17 notebook sync end to end: cells added, removed, moved and edited; positions in
cells (UTF-16 / UTF-8); related information across cells; quick fixes in one cell; a
200-cell notebook; cells opened as plain text documents."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from lsprotocol import types

import pytest_lsp
from pytest_lsp import LanguageClient

from tests.lsp.conftest import CLIENTS, CONFIG, TIMEOUT, col, init_params, pulls, rng

pytestmark = pytest.mark.asyncio(loop_scope="module")
_ids = itertools.count()


@pytest_lsp.fixture(config=CONFIG, params=CLIENTS, scope="module")
async def client(lsp_client: LanguageClient, request):
    """VS Code's and Neovim's captured capabilities, plus LSP 3.17 notebook sync (VS Code >= 1.76)."""
    params = init_params(request.param)
    params.capabilities.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities())
    result = await lsp_client.initialize_session(params)
    assert result.capabilities.notebook_document_sync.notebook_selector[0].notebook.notebook_type == \
        "jupyter-notebook"
    lsp_client.init_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()

IMPORTS = "import keras\nfrom keras import layers"
START = 'model = keras.Sequential()\nmodel.add(keras.Input(shape=(32, 32, 3)))\n' \
        'model.add(layers.Conv2D(32, 5))\nmodel.add(layers.MaxPooling2D())'
MIDDLE = "model.add(layers.Conv2D(64, 5))\nmodel.add(layers.MaxPooling2D())"
BAD = "# é𝔘 before the layer\nmodel.add(layers.Conv2D(128, 7))  # 7x7 on 5x5\nmodel.add(layers.Flatten())"
GOOD = "# é𝔘 before the layer\nmodel.add(layers.Conv2D(128, 3))  # 3x3 on 5x5\nmodel.add(layers.Flatten())"


class Notebook:
    def __init__(self, client, cells: list[tuple[str, str]], scheme_path: str | None = None) -> None:
        self.client = client
        n = next(_ids)
        self.uri = f"file:///tmp/shapelens-nb-tests/nb_{n}.ipynb"
        self.version = 1
        self.cells: list[dict] = []
        for kind, text in cells:
            self.cells.append(self._new(kind, text))
        client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(uri=self.uri, notebook_type="jupyter-notebook", version=1,
                                                     cells=[self._cell(c) for c in self.cells]),
            cell_text_documents=[self._item(c) for c in self.cells]))

    def _new(self, kind: str, text: str) -> dict:
        return {"uri": f"vscode-notebook-cell:/tmp/shapelens-nb-tests/nb.ipynb#W{next(_ids)}s", "kind": kind,
                "text": text, "version": 1}

    @staticmethod
    def _cell(c: dict) -> types.NotebookCell:
        kind = types.NotebookCellKind.Code if c["kind"] == "code" else types.NotebookCellKind.Markup
        return types.NotebookCell(kind=kind, document=c["uri"])

    @staticmethod
    def _item(c: dict) -> types.TextDocumentItem:
        return types.TextDocumentItem(uri=c["uri"], language_id="python" if c["kind"] == "code" else "markdown",
                                      version=c["version"], text=c["text"])

    def _change(self, cells: types.NotebookDocumentCellChanges) -> None:
        self.version += 1
        self.client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=self.uri, version=self.version),
            change=types.NotebookDocumentChangeEvent(cells=cells)))

    def edit(self, i: int, text: str) -> None:
        c = self.cells[i]
        c["version"] += 1
        c["text"] = text
        self._change(types.NotebookDocumentCellChanges(text_content=[types.NotebookDocumentCellContentChanges(
            document=types.VersionedTextDocumentIdentifier(uri=c["uri"], version=c["version"]),
            changes=[types.TextDocumentContentChangeWholeDocument(text=text)])]))

    def insert(self, i: int, kind: str, text: str) -> dict:
        c = self._new(kind, text)
        self.cells.insert(i, c)
        self._change(types.NotebookDocumentCellChanges(structure=types.NotebookDocumentCellChangeStructure(
            array=types.NotebookCellArrayChange(start=i, delete_count=0, cells=[self._cell(c)]),
            did_open=[self._item(c)])))
        return c

    def remove(self, i: int) -> dict:
        c = self.cells.pop(i)
        self._change(types.NotebookDocumentCellChanges(structure=types.NotebookDocumentCellChangeStructure(
            array=types.NotebookCellArrayChange(start=i, delete_count=1),
            did_close=[types.TextDocumentIdentifier(uri=c["uri"])])))
        return c

    def move(self, i: int, j: int) -> None:
        lo, hi = min(i, j), max(i, j)
        c = self.cells.pop(i)
        self.cells.insert(j, c)
        self._change(types.NotebookDocumentCellChanges(structure=types.NotebookDocumentCellChangeStructure(
            array=types.NotebookCellArrayChange(start=lo, delete_count=hi - lo + 1,
                                                cells=[self._cell(x) for x in self.cells[lo:hi + 1]]))))

    def close(self) -> None:
        self.client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=self.uri),
            cell_text_documents=[types.TextDocumentIdentifier(uri=c["uri"]) for c in self.cells]))

    def uri_of(self, i: int) -> str:
        return self.cells[i]["uri"]


async def cell_diagnostics(client, uri: str, want=lambda items: True) -> list[types.Diagnostic]:
    """The cell's diagnostics once ``want`` holds (pulled, or the latest push)."""
    deadline = time.monotonic() + TIMEOUT
    items: list = []
    while time.monotonic() < deadline:
        if pulls(client):
            report = await client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
            items = list(report.items)
        else:
            pushed = [p for p in client.published if p.uri == uri]
            items = list(pushed[-1].diagnostics) if pushed else []
        if items is not None and want(items):
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"diagnostics of {uri} never satisfied the test: {items}")


def errors(items) -> list[str]:
    return [d.code for d in items if d.severity == types.DiagnosticSeverity.Error]


def notebook(client) -> Notebook:
    return Notebook(client, [("code", IMPORTS), ("code", START), ("markdown", "# more"), ("code", MIDDLE),
                             ("code", BAD)])


async def test_error_in_its_cell_with_utf16_range_and_related_cells(client):
    nb = notebook(client)
    items = await cell_diagnostics(client, nb.uri_of(4), lambda i: errors(i) == ["SL101"])
    [d] = [d for d in items if d.code == "SL101"]
    line = BAD.splitlines()[1]
    assert d.range.start.line == 1
    assert d.range.start.character == col(client, line, line.index("layers.Conv2D"))
    assert "(cell 4, line 2)" in d.message  # the MaxPooling2D, as the notebook numbers cells
    related = {(r.location.uri, r.location.range.start.line) for r in d.related_information}
    assert (nb.uri_of(3), 1) in related
    assert await cell_diagnostics(client, nb.uri_of(1), lambda i: True) == []
    nb.close()


async def test_hover_inlay_hints_code_lens_and_symbols_inside_cells(client):
    nb = notebook(client)
    await cell_diagnostics(client, nb.uri_of(4), lambda i: errors(i) == ["SL101"])
    ident = types.TextDocumentIdentifier(uri=nb.uri_of(3))
    line = MIDDLE.splitlines()[0]
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=ident, position=types.Position(line=0, character=col(client, line, line.index("Conv2D") + 2))))
    assert hover is not None and "(None, 10, 10, 64)" in hover.contents.value
    assert hover.range.start.line == 0
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=ident,
                                                                              range=rng(0, 0, 2, 0)))
    assert [(h.position.line, h.label) for h in hints] == [(0, "→ (None, 10, 10, 64)"), (1, "→ (None, 5, 5, 64)")]
    start = types.TextDocumentIdentifier(uri=nb.uri_of(1))
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=start))
    assert len(lenses) == 1 and lenses[0].range.start.line == 0 and "Sequential" in lenses[0].command.title
    assert not await client.text_document_code_lens_async(types.CodeLensParams(text_document=ident))
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=start))
    assert symbols and all(0 <= getattr(s, "range", getattr(s, "location", None) and s.location.range).start.line <= 3
                           for s in symbols)
    nb.close()


async def test_quick_fix_edits_only_the_cell_and_removes_the_error(client):
    nb = notebook(client)
    items = await cell_diagnostics(client, nb.uri_of(4), lambda i: errors(i) == ["SL101"])
    [d] = [d for d in items if d.code == "SL101"]
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=nb.uri_of(4)), range=d.range,
        context=types.CodeActionContext(diagnostics=[d])))
    assert actions
    fix = next(a for a in actions if a.is_preferred)
    assert list(fix.edit.changes) == [nb.uri_of(4)]
    # apply it (all edits are in the cell)
    lines = nb.cells[4]["text"].split("\n")
    for e in sorted(fix.edit.changes[nb.uri_of(4)], key=lambda e: (e.range.start.line, e.range.start.character),
                    reverse=True):
        assert e.range.start.line == e.range.end.line == 1
        text = lines[1]
        units = lambda s: len(s.encode("utf-16-le")) // 2 if col(client, "𝔘", 1) == 2 else len(s.encode()) if col(client, "é", 1) == 2 else len(s)  # noqa: E731,E501
        def cp(u):  # noqa: E306
            for i in range(len(text) + 1):
                if units(text[:i]) >= u:
                    return i
            return len(text)
        lines[1] = text[:cp(e.range.start.character)] + e.new_text + text[cp(e.range.end.character):]
    nb.edit(4, "\n".join(lines))
    assert errors(await cell_diagnostics(client, nb.uri_of(4), lambda i: errors(i) == [])) == []
    nb.close()


async def test_cells_edited_added_moved_and_removed(client):
    nb = notebook(client)
    bad = nb.uri_of(4)
    await cell_diagnostics(client, bad, lambda i: errors(i) == ["SL101"])
    nb.edit(4, GOOD)  # fixed: the diagnostics go
    await cell_diagnostics(client, bad, lambda i: errors(i) == [])
    nb.edit(4, BAD)
    await cell_diagnostics(client, bad, lambda i: errors(i) == ["SL101"])
    # a cell added before the bad one that shrinks the map further changes the message
    nb.insert(4, "code", "model.add(layers.Conv2D(64, 3))")
    await cell_diagnostics(client, bad, lambda i: any("3×3 input" in d.message for d in i if d.code == "SL101"))
    # moving the bad cell before the model exists: no model, no error there
    nb.move(5, 0)
    await cell_diagnostics(client, bad, lambda i: errors(i) == [])
    nb.move(0, 5)
    await cell_diagnostics(client, bad, lambda i: errors(i) == ["SL101"])
    # deleting the cell clears its diagnostics
    nb.remove(5)
    if not pulls(client):
        await cell_diagnostics(client, bad, lambda i: i == [])
    nb.close()


async def test_closing_the_notebook_clears_every_cell(client):
    nb = notebook(client)
    bad = nb.uri_of(4)
    await cell_diagnostics(client, bad, lambda i: errors(i) == ["SL101"])
    nb.close()
    if not pulls(client):
        await cell_diagnostics(client, bad, lambda i: i == [])
    else:
        assert await cell_diagnostics(client, bad, lambda i: True) == []


async def test_a_cell_that_does_not_parse_does_not_stop_the_others(client):
    nb = Notebook(client, [("code", IMPORTS), ("code", START), ("code", "def f(:\n  pass"), ("code", MIDDLE),
                           ("code", BAD)])
    await cell_diagnostics(client, nb.uri_of(4), lambda i: errors(i) == ["SL101"])
    notes = await cell_diagnostics(client, nb.uri_of(2), lambda i: [d.code for d in i] == ["SL001"])
    assert notes[0].range.start.line == 0
    nb.close()


async def test_a_200_cell_notebook(client):
    cells = [("code", IMPORTS), ("code", "x = keras.Input(shape=(8,))")]
    cells += [("code", f"x = layers.Dense({n + 1})(x)") if n % 2 == 0 else ("markdown", f"step {n}")
              for n in range(197)]
    cells += [("code", "y = layers.Conv2D(4, 3)(x)")]  # a Dense output is 2-D: Conv2D raises
    nb = Notebook(client, cells)
    assert len(nb.cells) == 200
    items = await cell_diagnostics(client, nb.uri_of(199), lambda i: bool(errors(i)))
    assert errors(items) and items[0].range.start.line == 0
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=nb.uri_of(198)), range=rng(0, 0, 1, 0)))
    assert [h.label for h in hints] == ["→ (None, 197)"]
    nb.close()


async def test_cells_opened_as_text_documents_are_joined_by_notebook_path(client):
    uris = [f"vscode-notebook-cell:/tmp/shapelens-nb-tests/loose_{next(_ids)}.ipynb#W{k}s" for k in range(3)]
    uris = [u.replace(u.split("#")[0], uris[0].split("#")[0]) for u in uris]
    for uri, text in zip(uris, [IMPORTS, START + "\n" + MIDDLE, BAD]):
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
    items = await cell_diagnostics(client, uris[2], lambda i: errors(i) == ["SL101"])
    assert items[0].range.start.line == 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uris[2], version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=GOOD)]))
    await cell_diagnostics(client, uris[2], lambda i: errors(i) == [])
    for uri in uris:
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))


# -- the edited cell's findings before the cells below are analysed -----------------------------
TAIL = ["x = inputs\n" + "\n".join(f"x = layers.Dense({8 + k % 5})(x)" for k in range(12)) for _ in range(40)]


def pushes(client, uri: str, version: int) -> list[list[str]]:
    return [[d.code for d in p.diagnostics] for p in client.published if p.uri == uri and p.version == version]


async def settled(client, nb: Notebook, i: int, want) -> list[str]:
    """Wait for the whole analysis of the cell's current version (its last cell published too)."""
    uri, version = nb.uri_of(i), nb.cells[i]["version"]
    await cell_diagnostics(client, uri, want)
    await asyncio.sleep(0.5)
    return pushes(client, uri, version)


async def test_an_edited_cell_gets_its_findings_first_and_they_stay(client):
    nb = Notebook(client, [("code", IMPORTS), ("code", "inputs = keras.Input((4, 4, 3))"),
                           ("code", "y = layers.Conv2D(2, 3)(inputs)"), *[("code", t) for t in TAIL]])
    await cell_diagnostics(client, nb.uri_of(len(nb.cells) - 1), lambda i: True)
    await asyncio.sleep(0.5)
    nb.edit(2, "y = layers.Conv2D(2, 5)(inputs)")  # 5x5 on 4x4
    got = await settled(client, nb, 2, lambda i: errors(i) == ["SL101"])
    if pulls(client):
        assert got == []  # a client that pulls diagnostics is never pushed any
    else:
        # published once the analysis passed the cell, then again with the whole notebook: the same
        assert got == [["SL101"], ["SL101"]]
    nb.edit(2, "y = layers.Conv2D(2, 3)(inputs)")
    got = await settled(client, nb, 2, lambda i: errors(i) == [])
    assert got == ([] if pulls(client) else [[]])  # cleared early; nothing left to clear at the end
    nb.close()


async def test_a_cell_whose_function_fails_further_down_waits_for_the_whole_notebook(client):
    # the error lies in cell 2 but a later cell's call finds it: an early publication of cell 2
    # would drop it and the finished analysis bring it back (a flicker); it is not published early
    nb = Notebook(client, [("code", IMPORTS), ("code", "def block(x):\n    return layers.Conv2D(2, 5)(x)\n"),
                           *[("code", t.replace("x = inputs", "x = keras.Input((6,))")) for t in TAIL[:10]],
                           ("code", "y = block(keras.Input((4, 4, 3)))")])
    await cell_diagnostics(client, nb.uri_of(1), lambda i: errors(i) == ["SL101"])
    await asyncio.sleep(0.5)
    nb.edit(1, "def block(x):\n    # a comment\n    return layers.Conv2D(2, 5)(x)\n")
    got = await settled(client, nb, 1, lambda i: errors(i) == ["SL101"])
    assert got == ([] if pulls(client) else [["SL101"]])
    nb.close()

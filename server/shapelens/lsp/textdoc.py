"""Documents whose lines break where LSP's do.

pygls splits a document with ``str.splitlines``, which also breaks at \\v, \\f, \\x1c-\\x1e,
\\x85, \\u2028 and \\u2029. LSP clients (and Python's tokenizer) break only at \\r\\n, \\r and
\\n, so after a form feed -- not rare in Python files -- pygls would apply incremental
edits to the wrong line and the server's text would drift from the editor's.
"""

from __future__ import annotations

from typing import Sequence

from lsprotocol import types
from pygls.workspace.text_document import TextDocument

from shapelens.core.lines import lines_with_breaks



class LspTextDocument(TextDocument):
    _split: tuple[str, tuple[str, ...]] | None = None  # (the source, its lines) of the last split

    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        split = self._split
        if split is None or split[0] is not source:
            split = self._split = (source, tuple(lines_with_breaks(source)))
        return split[1]

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        """pygls's edit, as offsets into the text: the same text as pygls builds line by line
        (tests/lsp/test_positions.py compares them), without a Python loop over every line."""
        lines = self.lines
        rng = self.position_codec.range_from_client_units(lines, change.range)
        start_line, end_line = rng.start.line, rng.end.line
        if start_line >= len(lines) or end_line < start_line:  # the end of the file, or an odd range
            super()._apply_incremental_change(change)
            return
        source = self.source
        start_of_line = sum(map(len, lines[:start_line]))
        start = start_of_line + min(max(rng.start.character, 0), len(lines[start_line]))
        if end_line >= len(lines):
            end = len(source)
        else:
            end_of_line = start_of_line + sum(map(len, lines[start_line:end_line]))
            end = end_of_line + min(max(rng.end.character, 0), len(lines[end_line]))
        self._source = source[:start] + change.text + source[end:]
        self._split = None  # the old text's lines: not kept


def install(workspace) -> bool:
    """Make ``workspace`` create LspTextDocuments (False if this pygls has no such hook)."""
    if not hasattr(workspace, "_create_text_document"):
        return False

    def create(doc_uri, source=None, version=None, language_id=None):
        return LspTextDocument(doc_uri, source=source, version=version, language_id=language_id,
                               sync_kind=workspace._sync_kind, position_codec=workspace.position_codec)

    workspace._create_text_document = create
    return True

"""Documents whose lines break where LSP's do.

pygls splits a document with ``str.splitlines``, which also breaks at \\v, \\f, \\x1c-\\x1e,
\\x85, \\u2028 and \\u2029. LSP clients (and Python's tokenizer) break only at \\r\\n, \\r and
\\n, so after a form feed -- not rare in Python files -- pygls would apply incremental
edits to the wrong line and the server's text would drift from the editor's.
"""

from __future__ import annotations

from typing import Sequence

from pygls.workspace.text_document import TextDocument

from shapelens.core.lines import lines_with_breaks



class LspTextDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return tuple(lines_with_breaks(self.source))


def install(workspace) -> bool:
    """Make ``workspace`` create LspTextDocuments (False if this pygls has no such hook)."""
    if not hasattr(workspace, "_create_text_document"):
        return False

    def create(doc_uri, source=None, version=None, language_id=None):
        return LspTextDocument(doc_uri, source=source, version=version, language_id=language_id,
                               sync_kind=workspace._sync_kind, position_codec=workspace.position_codec)

    workspace._create_text_document = create
    return True

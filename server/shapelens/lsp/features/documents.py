"""Document sync: every open or changed Python document is (re)analysed."""

from __future__ import annotations

from lsprotocol import types

from shapelens.lsp.features import diagnostics


def did_open(ls, params: types.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    if not ls.is_python(doc.uri, doc.language_id):
        return
    ls.python_uris.add(doc.uri)
    ls.track(doc.uri)


def did_change(ls, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if uri in ls.python_uris:
        ls.track(uri, delay=ls.options.diagnostics.debounce_ms / 1000)


def did_close(ls, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if uri in ls.python_uris:
        ls.untrack(uri)
        diagnostics.clear(ls, uri)


def did_save(ls, params: types.DidSaveTextDocumentParams) -> None:
    """Saving a configuration file (pyproject.toml, (.)shapelens.toml) re-reads the configuration;
    it and the other project files that pin a Keras (requirements*.txt, setup.cfg, ...) may change
    the Keras the documents target, so they are analysed again."""
    from shapelens.core.keras_target import PROJECT_FILES

    uri = params.text_document.uri
    name = uri.rsplit("/", 1)[-1]
    if uri.endswith(("/pyproject.toml", "/shapelens.toml", "/.shapelens.toml")):
        from shapelens.lsp import settings
        from shapelens.lsp.features.configuration import refresh

        settings.apply(ls, replace_client=False)
        ls.analyses.reanalyze()
        refresh(ls)
    elif name in PROJECT_FILES or (name.startswith("requirements") and name.endswith(".txt")):
        ls.analyses.reanalyze()

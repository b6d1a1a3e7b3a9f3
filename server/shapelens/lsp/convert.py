"""Core results -> lsprotocol types (diagnostics and text edits)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from shapelens.core.results import Analysis, Diagnostic, Related
from shapelens.core.codes import CODES
from shapelens.core.selection import reported
from shapelens.lsp.positions import LineIndex

if TYPE_CHECKING:
    from shapelens.config import Options
    from shapelens.core.fixes import TextEdit

SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}
SOURCE = "shapelens"
__all__ = ["reported", "diagnostic", "diagnostics", "text_edit"]  # reported: the core's, as the CLI uses it


RAISES_HERE = "Keras raises here, when this line runs"


def diagnostic(d: Diagnostic, uri: str, index: LineIndex) -> types.Diagnostic:
    code = CODES.get(d.code)
    related = list(d.related)
    if d.raise_span is not None and d.raise_span != d.span and all(r.span != d.raise_span for r in related):
        related.append(Related(d.raise_span, RAISES_HERE))
    return types.Diagnostic(
        range=index.range(d.span),
        message=d.message,
        severity=SEVERITY.get(d.severity, types.DiagnosticSeverity.Information),
        code=d.code,
        code_description=types.CodeDescription(href=code.url) if code else None,
        source=SOURCE,
        related_information=[
            types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri, range=index.range(r.span)), message=r.message)
            for r in related
        ] or None,
    )


def diagnostics(analysis: Analysis, options: Options, uri: str, index: LineIndex) -> list[types.Diagnostic]:
    return [diagnostic(d, uri, index) for d in reported(analysis, options)]


def text_edit(edit: TextEdit, index: LineIndex) -> types.TextEdit:
    return types.TextEdit(range=index.range(edit.span), new_text=edit.new_text)

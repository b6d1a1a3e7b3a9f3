"""Plain-text, JSON and GitHub-annotation renderings of an Analysis (CLI, LSP hovers and code
lenses share them). SARIF is in shapelens/sarif.py."""

from __future__ import annotations

from typing import Any, Sequence

from shapelens.core.results import Analysis, Diagnostic, LayerInfo, ModelInfo
from shapelens.core.shapes import Unknown, fmt_shape


def json_shape(shape: Any) -> Any:
    if shape is None or isinstance(shape, Unknown):
        return None
    if isinstance(shape, list):
        return [json_shape(s) for s in shape]
    return [d if isinstance(d, int) and not isinstance(d, bool) else None for d in shape]


def _has_unknown_axis(shape: Any) -> bool:
    if isinstance(shape, list):
        return any(_has_unknown_axis(s) for s in shape)
    return isinstance(shape, tuple) and any(isinstance(d, Unknown) for d in shape)


def _unknown_axes_text(shape: Any) -> dict:
    """JSON keeps null for Keras's None; an axis shapelens does not know (a size read from
    data or configuration) is null there too, so the shape is also given as text, "?" for it."""
    return {"output_shape_text": fmt_shape(shape)} if _has_unknown_axis(shape) else {}


def json_shapes(shape: Any) -> list:
    """A model's inputs or outputs as a list of shapes (one per tensor; [] when unknown)."""
    if shape is None or isinstance(shape, Unknown):
        return []
    return [json_shape(s) for s in shape] if isinstance(shape, list) else [json_shape(shape)]


def json_model_entry(model: ModelInfo) -> dict:
    return {
        "name": model.name,
        "kind": model.kind,
        "line": model.span.line + 1,
        "column": model.span.col + 1,
        "inputs": json_shapes(model.input_shape),
        "outputs": json_shapes(model.output_shape),
        "total_params": model.params,
        "layers": len(model.layers),
    }


def json_file_entry(path: str, analysis: Analysis, diagnostics: Sequence[Diagnostic] | None = None) -> dict:
    """``diagnostics``: the findings to list (the reported ones); default all of the analysis."""
    diagnostics = analysis.diagnostics if diagnostics is None else diagnostics
    return {
        "path": path,
        "layers": [
            {
                "line": info.span.line + 1,
                "column": info.span.col + 1,
                "kind": info.kind,
                "input_shape": json_shape(info.input_shape),
                "output_shape": json_shape(info.output_shape),
                "params": info.params,
                **_unknown_axes_text(info.output_shape),
            }
            for info in analysis.layers
        ],
        "diagnostics": [
            {
                "line": d.span.line + 1,
                "column": d.span.col + 1,
                "end_line": d.span.end_line + 1,
                "end_column": d.span.end_col + 1,
                "severity": d.severity,
                "code": d.code,
                "message": d.message,
            }
            for d in diagnostics
        ],
        "models": [json_model_entry(m) for m in analysis.models],
    }


def text_diagnostics(path: str, analysis: Analysis, show_info: bool = True,
                     diagnostics: Sequence[Diagnostic] | None = None) -> list[str]:
    lines = []
    diagnostics = analysis.diagnostics if diagnostics is None else diagnostics
    for d in sorted(diagnostics, key=lambda d: (d.span.line, d.span.col)):
        if d.severity in ("information", "hint") and not show_info:
            continue
        lines.append(f"{path}:{d.span.line + 1}:{d.span.col + 1}: {d.code} [{d.severity}] {d.message}")
    return lines


def fmt_params(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def layer_label(info: LayerInfo) -> str:
    return f"{info.var} ({info.kind})" if info.var else info.kind


def model_title(model: ModelInfo) -> str:
    name = model.name or model.kind
    return f"{name} · {model.kind} · {len(model.layers)} layer{'' if len(model.layers) == 1 else 's'} · {fmt_params(model.params)} params · " \
           f"{fmt_shape(model.input_shape)} → {fmt_shape(model.output_shape)}"


def model_table(model: ModelInfo) -> list[str]:
    rows = [(f"{layer_label(i)}", f"line {i.span.line + 1}", fmt_shape(i.output_shape), fmt_params(i.params))
            for i in model.layers]
    header = ("Layer (type)", "Line", "Output Shape", "Param #")
    widths = [max(len(r[k]) for r in rows + [header]) for k in range(4)]
    sep = "─" * (sum(widths) + 6)

    def fmt(r):
        return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"

    out = [fmt(header), sep] + [fmt(r) for r in rows] + [sep, f"Total params: {fmt_params(model.params)}"]
    if model.note:
        out.append(f"Note: {model.note}")
    return out


def text_model_tables(path: str, analysis: Analysis) -> list[str]:
    lines: list[str] = []
    for model in analysis.models:
        lines.append("")
        lines.append(f"{path}:{model.span.line + 1}: {model_title(model)}")
        lines.extend("  " + row for row in model_table(model))
    if lines:
        lines.append("")
    return lines


# --------------------------------------------------------------------------- GitHub Actions

GITHUB_COMMAND = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}


def _gh_data(text: str) -> str:
    """Escaping of a workflow command's message (actions/toolkit, command.ts escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    """Escaping of a workflow command's property value (escapeProperty)."""
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_lines(path: str, diagnostics: Sequence[Diagnostic], show_info: bool = True) -> list[str]:
    """``::error file=...,line=...::message`` workflow commands: annotations on the pull request."""
    out = []
    for d in sorted(diagnostics, key=lambda d: (d.span.line, d.span.col)):
        if d.severity in ("information", "hint") and not show_info:
            continue
        s = d.span
        props = (f"file={_gh_property(path)},line={s.line + 1},col={s.col + 1},"
                 f"endLine={s.end_line + 1},endColumn={s.end_col + 1},title={_gh_property(d.code)}")
        out.append(f"::{GITHUB_COMMAND.get(d.severity, 'notice')} {props}::{_gh_data(d.message)}")
    return out

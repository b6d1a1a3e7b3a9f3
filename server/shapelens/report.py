"""Plain-text and JSON renderings of an Analysis (CLI, LSP hovers and code lenses share them)."""

from __future__ import annotations

from typing import Any

from shapelens.core.analysis import Analysis, LayerInfo, ModelInfo
from shapelens.core.shapes import Unknown, fmt_shape


def json_shape(shape: Any) -> Any:
    if shape is None or isinstance(shape, Unknown):
        return None
    if isinstance(shape, list):
        return [json_shape(s) for s in shape]
    return [d if isinstance(d, int) and not isinstance(d, bool) else None for d in shape]


def json_file_entry(path: str, analysis: Analysis) -> dict:
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
            for d in analysis.diagnostics
        ],
    }


def text_diagnostics(path: str, analysis: Analysis, show_info: bool = True) -> list[str]:
    lines = []
    for d in sorted(analysis.diagnostics, key=lambda d: (d.span.line, d.span.col)):
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
    return f"{name} · {model.kind} · {len(model.layers)} layers · {fmt_params(model.params)} params · " \
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

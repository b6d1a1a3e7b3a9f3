"""The CLI's renderings of a notebook's analysis: report.py's, with positions in cells.

``file.ipynb:cell N:line:col`` -- N is the cell number the notebook editors show
(1-based, counting every cell, markdown included); line and column are within the cell,
1-based. JSON entries gain ``cell`` (the same N) and keep ``line`` within the cell.
"""

from __future__ import annotations

from shapelens import report
from shapelens.core.results import Analysis
from shapelens.core.notebook import Joined, relabel
from shapelens.core.shapes import fmt_shape


def _where(joined: Joined, span) -> tuple[int, object]:
    located = joined.cell_span(span)
    if located is None:  # a notebook without code cells: its notes go to the first cell
        return 1, span
    return located[0].number, located[1]


def text_diagnostics(path: str, analysis: Analysis, joined: Joined | None, show_info: bool = True,
                     diagnostics=None) -> list[str]:
    """``diagnostics``: the findings to list (the reported ones); default all of the analysis."""
    if joined is None:
        return report.text_diagnostics(path, analysis, show_info, diagnostics=diagnostics)
    diagnostics = analysis.diagnostics if diagnostics is None else diagnostics
    lines = []
    for d in sorted(diagnostics, key=lambda d: (d.span.line, d.span.col)):
        if d.severity in ("information", "hint") and not show_info:
            continue
        cell, span = _where(joined, d.span)
        lines.append(f"{path}:cell {cell}:{span.line + 1}:{span.col + 1}: {d.code} [{d.severity}] "
                     f"{relabel(d.message, joined)}")
    return lines


def json_file_entry(path: str, analysis: Analysis, joined: Joined | None, diagnostics=None) -> dict:
    diagnostics = analysis.diagnostics if diagnostics is None else diagnostics
    entry = report.json_file_entry(path, analysis, diagnostics)
    if joined is None:
        return entry
    for item, info in zip(entry["layers"], analysis.layers):
        cell, span = _where(joined, info.span)
        item.update(cell=cell, line=span.line + 1, column=span.col + 1)
    for item, d in zip(entry["diagnostics"], diagnostics):
        cell, span = _where(joined, d.span)
        item.update(cell=cell, line=span.line + 1, column=span.col + 1, end_line=span.end_line + 1,
                    end_column=span.end_col + 1, message=relabel(d.message, joined))
    return entry


def text_model_tables(path: str, analysis: Analysis, joined: Joined | None) -> list[str]:
    if joined is None:
        return report.text_model_tables(path, analysis)
    out: list[str] = []
    for model in analysis.models:
        cell, span = _where(joined, model.span)
        out += ["", f"{path}:cell {cell}:{span.line + 1}: {relabel(report.model_title(model), joined)}"]
        rows = []
        for i in model.layers:
            c, s = _where(joined, i.span)
            rows.append((report.layer_label(i), f"cell {c}, line {s.line + 1}", fmt_shape(i.output_shape),
                         report.fmt_params(i.params)))
        header = ("Layer (type)", "Where", "Output Shape", "Param #")
        widths = [max(len(r[k]) for r in rows + [header]) for k in range(4)]
        sep = "─" * (sum(widths) + 6)
        fmt = lambda r: f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"  # noqa: E731
        table = [fmt(header), sep] + [fmt(r) for r in rows] + [sep, f"Total params: {report.fmt_params(model.params)}"]
        if model.note:
            table.append(f"Note: {relabel(model.note, joined)}")
        out += ["  " + row for row in table]
    if out:
        out.append("")
    return out


def in_cells(diagnostics, joined: Joined | None) -> list:
    """Findings for formats that only know lines of a file (SARIF, GitHub annotations): in a
    notebook each message starts with its cell and line there, the position is the cell's
    first line counted in cells (the .ipynb file's own lines are JSON)."""
    if joined is None:
        return list(diagnostics)
    from dataclasses import replace

    from shapelens.core.source import Span

    out = []
    for d in diagnostics:
        cell, span = _where(joined, d.span)
        out.append(replace(d, message=f"cell {cell}, line {span.line + 1}: {relabel(d.message, joined)}",
                           span=Span(0, 0, 0, 0), related=[]))
    return out

"""Markdown and label renderings for hovers, inlay hints, code lenses and symbols.

Pure (no pygls/lsprotocol); the tables and titles come from shapelens.report, which the
CLI shares.
"""

from __future__ import annotations

from shapelens.core.analysis import Analysis, LayerInfo, ModelInfo, ValueInfo
from shapelens.core.shapes import fmt_shape
from shapelens.lsp.lookup import DataCall, Target
from shapelens.report import fmt_params, layer_label, model_table, model_title

_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def shape(s: object) -> str:
    return f"`{fmt_shape(s)}`"


def layer_markdown(infos: list[LayerInfo]) -> str:
    """Head line, then per call: shapes, the window arithmetic, why a shape is unknown."""
    if not infos:
        return ""
    first = infos[0]
    head = f"**{layer_label(first)}**"
    if first.params is not None:
        head += f" · {fmt_params(first.params)} params"
    blocks = [head]
    calls = [i for i in infos if i.input_shape is not None or i.output_shape is not None]
    for info in calls or infos[:1]:
        where = f" (call on line {info.call_span.line + 1})" if info.call_span is not None and len(infos) > 1 else ""
        if info.input_shape is not None or info.output_shape is not None:
            blocks.append(f"{shape(info.input_shape)} → {shape(info.output_shape)}{where}")
        if info.explain:
            names = _axis_names(info)
            width = max((len(n) for n in names), default=0)
            rows = [f"{n + ':':<{width + 1}} {e}" for n, e in zip(names, info.explain)] if names else info.explain
            blocks.append("\n".join(["```text", *rows, "```"]))
        if info.note:
            blocks.append(f"_{info.note}_")
    return "\n\n".join(blocks)


def _axis_names(info: LayerInfo) -> tuple[str, ...]:
    """Names for the per-axis arithmetic of windowed layers (conv, pool), else none."""
    from shapelens.core.rules import lookup

    rule = lookup(info.kind)
    if rule is None or rule.family not in ("convolution", "pooling") or not isinstance(info.input_shape, tuple):
        return ()
    rank = len(info.input_shape) - 2
    return _AXES.get(rank, ()) if len(info.explain) == rank else ()


def model_markdown(model: ModelInfo) -> str:
    return "\n".join([f"**{model_title(model)}**", "", "```text", *model_table(model), "```"])


def value_markdown(value: ValueInfo) -> str:
    return f"**{value.name}**: {shape(value.shape)}\n\nfrom {value.origin}"


def data_call_markdown(call: DataCall) -> str:
    head = f"**{call.receiver}.{call.method}()**"
    out = [head, ""]
    if call.model is not None:
        m = call.model
        out.append(f"model `{m.name or m.kind}` ({m.kind}): {shape(m.input_shape)} → {shape(m.output_shape)}")
    for arg in call.args:
        if arg.value is not None:
            out.append(f"- {arg.label} = `{arg.text}`: {shape(arg.value.shape)} from {arg.value.origin}")
        else:
            out.append(f"- {arg.label} = `{arg.text}`: shape not known")
    if call.result is not None:
        out.append(f"- returns {shape(call.result.shape)} (`{call.result.name}`)")
    return "\n".join(out)


def hover_markdown(target: Target) -> str:
    if target.model is not None:
        return model_markdown(target.model)
    if target.value is not None:
        return value_markdown(target.value)
    if target.layers:
        return layer_markdown(target.layers)
    if target.call is not None:
        return data_call_markdown(target.call)
    return ""


def summary_text(model: ModelInfo) -> str:
    return "\n".join([model_title(model), *model_table(model)])


def code_lens_title(model: ModelInfo) -> str:
    return model_title(model)


def hint_lines(analysis: Analysis) -> dict[int, str]:
    """line -> inlay hint label: the output shape(s) of the layers created or called there."""
    by_line: dict[int, list[LayerInfo]] = {}
    for info in sorted(analysis.layers, key=lambda i: i.order):
        if info.output_shape is None:
            continue
        span = info.call_span or info.span
        by_line.setdefault(span.end_line, []).append(info)
    return {line: " ".join(f"→ {fmt_shape(i.output_shape)}" for i in infos) for line, infos in by_line.items()}


def symbol_detail(info: LayerInfo) -> str:
    out = fmt_shape(info.output_shape)
    return out if info.params is None else f"{out} · {fmt_params(info.params)} params"


def model_detail(model: ModelInfo) -> str:
    return f"{model.kind} · {fmt_shape(model.input_shape)} → {fmt_shape(model.output_shape)}"

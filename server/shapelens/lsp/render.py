"""Markdown and label renderings for hovers, inlay hints, code lenses and symbols.

Pure (no pygls/lsprotocol); the tables and titles come from shapelens.report, which the
CLI shares.
"""

from __future__ import annotations

from shapelens.core.results import Analysis, LayerInfo, ModelInfo, ValueInfo
from shapelens.core.shapes import fmt_shape
from shapelens.core.lookup import DataCall, Target
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


CLASS_ROWS = 8  # the distinct calls a class header's hover lists


def class_markdown(name: str, records: list[LayerInfo]) -> str:
    """A class header: what the instances of the user's Layer/Model subclass were called on,
    one row per distinct input -> output and parameter count, with the lines of those calls."""
    if not records:
        return (f"**{name}**\n\n_No instance of `{name}` is called on a tensor shapelens follows "
                f"in this file: no shapes to show._")
    instances = len({r.layer_id for r in records})
    head = (f"**{name}** · {instances} instance{'' if instances == 1 else 's'} · "
            f"{len(records)} call{'' if len(records) == 1 else 's'}")
    rows: dict[tuple, list[int]] = {}
    notes: dict[tuple, str | None] = {}
    for r in records:
        key = (fmt_shape(r.input_shape), fmt_shape(r.output_shape), r.params)
        rows.setdefault(key, []).append((r.call_span or r.span).line + 1)
        notes.setdefault(key, r.note)
    blocks = [head]
    for (given, out, params), lines in list(rows.items())[:CLASS_ROWS]:
        seen = sorted(set(lines))
        where = ", ".join(str(n) for n in seen[:6]) + (", …" if len(seen) > 6 else "")
        row = f"`{given}` → `{out}` · {fmt_params(params)} params · " \
              f"{len(lines)} call{'' if len(lines) == 1 else 's'} (line{'' if len(seen) == 1 else 's'} {where})"
        note = notes[(given, out, params)]
        blocks.append(row + (f"\n\n_{note}_" if note and out == fmt_shape(None) else ""))
    if len(rows) > CLASS_ROWS:
        blocks.append(f"_… and {len(rows) - CLASS_ROWS} more_")
    return "\n\n".join(blocks)


def hover_markdown(target: Target) -> str:
    if target.cls is not None:
        return class_markdown(target.cls, target.layers)
    if target.model is not None:
        return model_markdown(target.model)
    if target.value is not None:
        return value_markdown(target.value)
    if target.layers:
        return layer_markdown(target.layers)
    if target.call is not None:
        return data_call_markdown(target.call)
    return ""


SUMMARY_WIDTH = 100  # a normal-width editor; the Param # column must always be visible
LABEL_MAX = 32


def _wrap_shape(text: str, width: int) -> list[str]:
    """A shape string cut after its commas into lines of at most ``width`` characters."""
    parts = text.split(", ")
    lines, line = [], parts[0]
    for k, part in enumerate(parts[1:], 2):
        comma = 1 if k < len(parts) else 0  # the "," that would end this line unless it is the last part
        if len(line) + 2 + len(part) + comma > width:
            lines.append(line + ",")
            line = "  " + part  # continuation lines are indented
        else:
            line += ", " + part
    lines.append(line)
    return [ln if len(ln) <= width else ln[:width - 1] + "…" for ln in lines]


def summary_table(model: ModelInfo, width: int = SUMMARY_WIDTH) -> list[str]:
    """model_table at most ``width`` columns wide: long layer names are abbreviated and long shapes
    wrap onto continuation lines; the Param # column is never cut."""
    rows = [(layer_label(i), f"line {i.span.line + 1}", fmt_shape(i.output_shape), fmt_params(i.params))
            for i in model.layers]
    header = ("Layer (type)", "Line", "Output Shape", "Param #")
    w = [max(len(r[k]) for r in rows + [header]) for k in range(4)]
    # The label column gives way first (down to its header), then the shape column wraps.
    cap = max(len(header[0]), min(LABEL_MAX, width - (w[1] + len(header[2]) + w[3] + 6)))
    rows = [(r[0] if len(r[0]) <= cap else r[0][:cap - 1] + "…", *r[1:]) for r in rows]
    w[0] = max(len(r[0]) for r in rows + [header])
    w[2] = max(len(header[2]), min(w[2], width - (w[0] + w[1] + w[3] + 6)))
    sep = "─" * (sum(w) + 6)

    def fmt(r):
        return f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]:>{w[3]}}"

    out = [fmt(header), sep]
    for r in rows:
        shape = _wrap_shape(r[2], w[2])
        out.append(fmt((r[0], r[1], shape[0], r[3])))
        out.extend(fmt(("", "", more, "")).rstrip() for more in shape[1:])
    out += [sep, f"Total params: {fmt_params(model.params)}"]
    if model.note:
        out.append(f"Note: {model.note}")
    return out


def summary_text(model: ModelInfo, width: int = SUMMARY_WIDTH) -> str:
    """The summary view: the title (split at its dots when it is wider than ``width``), then the table."""
    title = model_title(model)
    head = [title] if len(title) <= width else [
        wrapped for part in title.split(" · ") for wrapped in _wrap_shape(part.strip(), width)]
    return "\n".join([*head, *summary_table(model, width)])


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

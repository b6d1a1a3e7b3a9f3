"""Quick fixes: text edits that make a diagnostic go away, proven by re-analysis.

A *fixer* proposes candidate edits for one diagnostic from the buffer text and its
Analysis alone. :func:`fixes_for` applies each candidate to the text, runs ``analyze()``
on the result, and keeps the candidate only when the diagnostic (same code, same place)
is gone and the file still parses. Nothing here knows about LSP; spans are the core's
(0-based lines, code-point columns).

Fixers are registered by fix kind (``Diagnostic.fix["kind"]``, set by the engine) and/or
by diagnostic code or code prefix (``"SL3"`` matches every data-shape code), so a new
diagnostic gets quick fixes by naming a kind below or by registering a fixer.

Fix kinds understood (the ``fix`` dict of a Diagnostic; spans are dicts with line, col,
end_line, end_col):

``padding_same``        ``layer``: the constructor span. Sets ``padding="same"``.
``remove_input_shape``  ``layer``: the constructor span. Deletes the ``input_shape=`` keyword.
``set_input_shape``     ``target``: span of the shape expression to replace; ``shape``: the
                        new shape without the batch axis, e.g. ``[28, 28, 1]``.
``add_data_axis``       ``data``: span of the array expression given to fit/predict;
                        ``axis``: -1 (a channel axis) or 0 (a batch axis).
``replace``             ``edits``: ``[{"span": {...}, "new_text": "..."}]`` and ``title``:
                        edits the engine computed itself.

Fixers by code: SL101 also offers a smaller kernel / pool window; the shape-mismatch
codes (SL102-SL105) and every SL3xx code also try a Flatten() or
GlobalAveragePoolingND() before a Dense layer that receives a feature map.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator

from shapelens.core.lines import line_starts
from shapelens.core.results import Analysis, Diagnostic, LayerInfo
from shapelens.core.shapes import known
from shapelens.core.source import Source, Span
from shapelens.core.codes import (
    INCOMPATIBLE_INPUT_DIMENSION,
    INCOMPATIBLE_MERGE_SHAPES,
    OUTPUT_SIZE_NOT_POSITIVE,
    RESHAPE_SIZE_MISMATCH,
    WRONG_INPUT_RANK,
)

MAX_CANDIDATES = 8  # per diagnostic: each one costs a full re-analysis


@dataclass(frozen=True)
class TextEdit:
    span: Span
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    code: str
    edits: tuple[TextEdit, ...]
    preferred: bool = False
    errors_after: int | None = None  # errors left in the file once applied (set by fixes_for)


Fixer = Callable[["FixContext", Diagnostic], Iterable[Fix]]
_BY_KIND: dict[str, list[Fixer]] = {}
_BY_CODE: dict[str, list[Fixer]] = {}


def fixer(*, kinds: Iterable[str] = (), codes: Iterable[str] = ()) -> Callable[[Fixer], Fixer]:
    """Register a fixer for fix kinds and/or diagnostic codes (or code prefixes)."""

    def deco(fn: Fixer) -> Fixer:
        for k in kinds:
            _BY_KIND.setdefault(k, []).append(fn)
        for c in codes:
            _BY_CODE.setdefault(c, []).append(fn)
        return fn

    return deco


def _fixers(diag: Diagnostic) -> list[Fixer]:
    out: list[Fixer] = []
    kind = (diag.fix or {}).get("kind")
    if kind:
        out.extend(_BY_KIND.get(kind, []))
    for prefix, fns in _BY_CODE.items():
        if diag.code.startswith(prefix):
            out.extend(f for f in fns if f not in out)
    return out


# --------------------------------------------------------------------------- text


_line_starts = line_starts


class TextMap:
    """Offsets <-> (line, code-point column) for one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = _line_starts(text)

    def offset(self, line: int, col: int) -> int:
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return min(start + col, end)

    def position(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo, offset - self.starts[lo]

    def slice(self, span: Span) -> str:
        return self.text[self.offset(span.line, span.col):self.offset(span.end_line, span.end_col)]


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits (spans refer to the original text)."""
    tm = TextMap(text)
    ordered = sorted(edits, key=lambda e: (tm.offset(e.span.line, e.span.col), tm.offset(e.span.end_line, e.span.end_col)))
    out, pos = [], 0
    for e in ordered:
        start, end = tm.offset(e.span.line, e.span.col), tm.offset(e.span.end_line, e.span.end_col)
        if start < pos:
            raise ValueError("overlapping edits")
        out.append(text[pos:start])
        out.append(e.new_text)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def map_position(text: str, edits: Iterable[TextEdit], line: int, col: int) -> tuple[int, int]:
    """Where (line, col) of ``text`` ends up once ``edits`` are applied."""
    tm = TextMap(text)
    target = tm.offset(line, col)
    shift = 0
    for e in edits:
        start, end = tm.offset(e.span.line, e.span.col), tm.offset(e.span.end_line, e.span.end_col)
        if end <= target and not (start == end == target):
            shift += len(e.new_text) - (end - start)
        elif start < target < end:
            shift += start - target  # inside a replaced region: its start
    new_text = apply_edits(text, edits)
    return TextMap(new_text).position(target + shift)


def _span_of(d: Any) -> Span | None:
    if isinstance(d, Span):
        return d
    if isinstance(d, dict):
        try:
            return Span(int(d["line"]), int(d["col"]), int(d["end_line"]), int(d["end_col"]))
        except (KeyError, TypeError, ValueError):
            return None
    return None


# --------------------------------------------------------------------------- context


@dataclass
class FixContext:
    """What fixers read: the text, its Analysis and its syntax tree (lazily)."""

    text: str
    analysis: Analysis
    _tm: TextMap | None = field(default=None, repr=False)
    _source: Source | None = field(default=None, repr=False)
    _calls: dict[Span, ast.Call] | None = field(default=None, repr=False)
    _parents: dict[int, ast.AST] | None = field(default=None, repr=False)
    _module: ast.Module | None = field(default=None, repr=False)

    @property
    def tm(self) -> TextMap:
        if self._tm is None:
            self._tm = TextMap(self.text)
        return self._tm

    @property
    def source(self) -> Source:
        if self._source is None:
            self._source = Source(self.text)
        return self._source

    def _index(self) -> None:
        self._module, _ = self.source.parse()
        self._calls, self._parents = {}, {}
        for node in ast.walk(self._module):
            for child in ast.iter_child_nodes(node):
                self._parents[id(child)] = node
            if isinstance(node, ast.Call):
                self._calls.setdefault(self.span(node), node)

    @property
    def module(self) -> ast.Module:
        if self._module is None:
            self._index()
        return self._module  # type: ignore[return-value]

    def call_at(self, span: Span | None) -> ast.Call | None:
        if span is None:
            return None
        if self._calls is None:
            self._index()
        return self._calls.get(span)  # type: ignore[union-attr]

    def parent(self, node: ast.AST) -> ast.AST | None:
        if self._parents is None:
            self._index()
        return self._parents.get(id(node))  # type: ignore[union-attr]

    def span(self, node: ast.AST) -> Span:
        return self.source.span(node)

    def slice(self, span: Span) -> str:
        return self.tm.slice(span)

    def line_text(self, line: int) -> str:
        starts = self.tm.starts
        if line >= len(starts):
            return ""
        end = starts[line + 1] if line + 1 < len(starts) else len(self.text)
        return self.text[starts[line]:end].rstrip("\r\n")

    def layer(self, span: Span | None) -> LayerInfo | None:
        if span is None:
            return None
        for info in self.analysis.layers:
            if info.span == span:
                return info
        return None

    def quote(self, near: ast.AST | None = None) -> str:
        """The quote character the code already uses."""
        if near is not None:
            for node in ast.walk(near):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    first = self.slice(self.span(node))[:1]
                    if first in ("'", '"'):
                        return first
        return "'" if self.text.count("'") > self.text.count('"') else '"'


# --------------------------------------------------------------------------- call editing helpers


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def _argument(ctx: FixContext, call: ast.Call, kind: str, name: str) -> ast.expr | None:
    """The expression given for ``name``, by keyword or by position in the rule's signature."""
    kw = _keyword(call, name)
    if kw is not None:
        return kw.value
    from shapelens.core.rules import lookup

    rule = lookup(kind)
    if rule is not None and name in rule.signature:
        i = rule.signature.index(name)
        if i < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: i + 1]):
            return call.args[i]
    return None


def _set_argument(ctx: FixContext, call: ast.Call, kind: str, name: str, value: str) -> TextEdit:
    """Replace the argument ``name`` or add it as a keyword."""
    existing = _argument(ctx, call, kind, name)
    if existing is not None:
        return TextEdit(ctx.span(existing), value)
    items = list(call.args) + list(call.keywords)
    if items:
        last = max((ctx.span(n) for n in items), key=lambda s: (s.end_line, s.end_col))
        return TextEdit(Span(last.end_line, last.end_col, last.end_line, last.end_col), f", {name}={value}")
    end = ctx.span(call)
    at = Span(end.end_line, end.end_col - 1, end.end_line, end.end_col - 1)  # before the closing parenthesis
    return TextEdit(at, f"{name}={value}")


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _INVALID


_INVALID = object()


def _fmt_window(sizes: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in sizes)


# --------------------------------------------------------------------------- fixers


@fixer(kinds=["padding_same"])
def _padding_same(ctx: FixContext, diag: Diagnostic) -> Iterator[Fix]:
    layer = ctx.layer(_span_of((diag.fix or {}).get("layer")))
    call = ctx.call_at(layer.span if layer else None)
    if layer is None or call is None:
        return
    q = ctx.quote(call)
    yield Fix(f"Use padding={q}same{q} in {layer.kind}", diag.code,
              (_set_argument(ctx, call, layer.kind, "padding", f"{q}same{q}"),))


@fixer(codes=[OUTPUT_SIZE_NOT_POSITIVE])
def _shrink_window(ctx: FixContext, diag: Diagnostic) -> Iterator[Fix]:
    layer = ctx.layer(_span_of((diag.fix or {}).get("layer")))
    if layer is None:
        layer = next((i for i in ctx.analysis.layers if diag.span in (i.span, i.call_span)), None)
    call = ctx.call_at(layer.span if layer else None)
    if layer is None or call is None or not isinstance(layer.input_shape, tuple):
        return
    from shapelens.core.rules import lookup

    rule = lookup(layer.kind)
    if rule is None:
        return
    name = "kernel_size" if "kernel_size" in rule.signature else "pool_size" if "pool_size" in rule.signature else None
    if name is None:
        return
    rank = len(layer.input_shape) - 2
    if rank < 1:
        return
    fmt = _literal(_argument(ctx, call, layer.kind, "data_format"))
    axes = range(2, rank + 2) if fmt == "channels_first" else range(1, rank + 1)
    sizes = [layer.input_shape[a] for a in axes]
    node = _argument(ctx, call, layer.kind, name)
    value = _literal(node) if node is not None else (2 if name == "pool_size" else _INVALID)
    dil = _literal(_argument(ctx, call, layer.kind, "dilation_rate"))
    window, dilation = _as_tuple(value, rank), _as_tuple(1 if dil is None else dil, rank)
    if window is None or dilation is None or not all(known(s) and s >= 1 for s in sizes):
        return
    fitted = tuple(min(k, (s - 1) // d + 1) for k, s, d in zip(window, sizes, dilation))
    if fitted == window:
        return
    text = str(fitted[0]) if len(set(fitted)) == 1 and not isinstance(value, (tuple, list)) else \
        "(" + ", ".join(map(str, fitted)) + ("," if rank == 1 else "") + ")"
    what = "kernel" if name == "kernel_size" else "pool window"
    room = f"the input of length {sizes[0]}" if rank == 1 else f"the {_fmt_window(tuple(sizes))} input"
    yield Fix(f"Shrink the {what} of {layer.kind} to {_fmt_window(fitted)} so it fits {room}", diag.code,
              (_set_argument(ctx, call, layer.kind, name, text),))


def _as_tuple(value: Any, rank: int) -> tuple[int, ...] | None:
    if known(value) and value >= 1:
        return (value,) * rank
    if isinstance(value, (tuple, list)) and len(value) == rank and all(known(v) and v >= 1 for v in value):
        return tuple(value)
    return None


@fixer(kinds=["remove_input_shape"])
def _remove_input_shape(ctx: FixContext, diag: Diagnostic) -> Iterator[Fix]:
    span = _span_of((diag.fix or {}).get("layer"))
    call = ctx.call_at(span)
    kw = _keyword(call, "input_shape") if call is not None else None
    if call is None or kw is None:
        return
    items = sorted(list(call.args) + list(call.keywords), key=lambda n: (n.lineno, n.col_offset))
    i = next(k for k, n in enumerate(items) if n is kw)
    me = ctx.span(kw)
    if len(items) == 1:
        cut = me
    elif i > 0:
        prev = ctx.span(items[i - 1])
        cut = Span(prev.end_line, prev.end_col, me.end_line, me.end_col)
    else:
        nxt = ctx.span(items[1])
        cut = Span(me.line, me.col, nxt.line, nxt.col)
    yield Fix("Remove the ignored input_shape=", diag.code, (TextEdit(cut, ""),))


FEATURE_MAP_CODES = (WRONG_INPUT_RANK, INCOMPATIBLE_INPUT_DIMENSION, INCOMPATIBLE_MERGE_SHAPES, RESHAPE_SIZE_MISMATCH, "SL3")


@fixer(codes=FEATURE_MAP_CODES)
def _flatten_before_dense(ctx: FixContext, diag: Diagnostic) -> Iterator[Fix]:
    for dense in _feature_map_denses(ctx, diag)[:2]:
        rank = len(dense.input_shape) - 2
        options = ["Flatten"] + ([f"GlobalAveragePooling{rank}D"] if 1 <= rank <= 3 else [])
        for kind in options:
            edits = _insert_before_dense(ctx, dense, kind)
            if edits:
                yield Fix(f"Insert {kind}() before {dense.kind} (line {dense.span.line + 1}), which receives "
                          f"a {rank + 2}-D feature map", diag.code, tuple(edits))


def _feature_map_denses(ctx: FixContext, diag: Diagnostic) -> list[LayerInfo]:
    def is_fm(i: LayerInfo) -> bool:
        return i.kind == "Dense" and isinstance(i.input_shape, tuple) and len(i.input_shape) >= 3

    related = {r.span for r in diag.related}
    direct = [i for i in ctx.analysis.layers if is_fm(i) and (i.span in related or i.call_span in related)]
    at = next((i for i in ctx.analysis.layers if diag.span in (i.span, i.call_span)), None)
    limit = at.order if at is not None else None
    upstream = sorted((i for i in ctx.analysis.layers if is_fm(i) and i not in direct
                       and (limit is None or i.order < limit)), key=lambda i: -i.order)
    return direct + upstream


def _insert_before_dense(ctx: FixContext, dense: LayerInfo, kind: str) -> list[TextEdit] | None:
    ctor = ctx.call_at(dense.span)
    if ctor is None:
        return None
    naming = _layer_prefix(ctx, ctor, kind)
    if naming is None:
        return None
    prefix, import_edits = naming
    new = f"{prefix}{kind}()"
    if dense.call_span is not None:  # functional: Dense(...)(x) -> Dense(...)(Flatten()(x))
        call = ctx.call_at(dense.call_span)
        if call is None or len(call.args) != 1 or isinstance(call.args[0], ast.Starred):
            return None
        arg = ctx.span(call.args[0])
        return import_edits + [TextEdit(Span(arg.line, arg.col, arg.line, arg.col), f"{new}("),
                               TextEdit(Span(arg.end_line, arg.end_col, arg.end_line, arg.end_col), ")")]
    parent = ctx.parent(ctor)
    start = dense.span
    before = ctx.line_text(start.line)[: start.col]
    if isinstance(parent, (ast.List, ast.Tuple)):
        if before.strip() == "":
            text = f"{new},\n{before}"
        else:
            text = f"{new}, "
        return import_edits + [TextEdit(Span(start.line, start.col, start.line, start.col), text)]
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.attr == "add":
        stmt = ctx.parent(parent)
        if isinstance(stmt, ast.Expr):
            s = ctx.span(stmt)
            indent = ctx.line_text(s.line)[: s.col]
            receiver = ctx.slice(ctx.span(parent.func.value))
            return import_edits + [TextEdit(Span(s.line, s.col, s.line, s.col),
                                            f"{receiver}.add({new})\n{indent}")]
    return None


def _layer_prefix(ctx: FixContext, ctor: ast.Call, kind: str) -> tuple[str, list[TextEdit]] | None:
    """How to name layer ``kind`` the way the Dense next to it is named (adding an import if needed)."""
    if isinstance(ctor.func, ast.Attribute):
        return ctx.slice(ctx.span(ctor.func.value)) + ".", []
    if not isinstance(ctor.func, ast.Name):
        return None
    dense_import = None
    for node in ast.walk(ctx.module):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == kind and alias.asname is None:
                    return "", []
                if alias.asname is None and alias.name == ctor.func.id:
                    dense_import = alias
    if dense_import is None or not hasattr(dense_import, "end_lineno"):
        return None
    s = ctx.span(dense_import)
    return "", [TextEdit(Span(s.end_line, s.end_col, s.end_line, s.end_col), f", {kind}")]


@fixer(kinds=["set_input_shape"])
def _set_input_shape(ctx: FixContext, diag: Diagnostic) -> Iterator[Fix]:
    fix = diag.fix or {}
    target, shape = _span_of(fix.get("target")), fix.get("shape")
    if target is None or not isinstance(shape, (list, tuple)) or not all(known(d) or d is None for d in shape):
        return
    text = "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    yield Fix(f"Change the input shape to {text}", diag.code, (TextEdit(target, text),))


@fixer(kinds=["add_data_axis"])
def _add_data_axis(ctx: FixContext, diag: Diagnostic) -> Iterator[Fix]:
    fix = diag.fix or {}
    data, axis = _span_of(fix.get("data")), fix.get("axis", -1)
    if data is None or axis not in (0, -1):
        return
    expr = ctx.slice(data)
    np_alias = _numpy_alias(ctx)
    if np_alias:
        new = f"{np_alias}.expand_dims({expr}, {axis})"
    else:
        atom = re.fullmatch(r"[\w.]+(\[[^\]]*\]|\([^)]*\))?", expr.strip()) is not None
        base = expr if atom else f"({expr})"
        new = f"{base}[..., None]" if axis == -1 else f"{base}[None, ...]"
    what = "a channel axis" if axis == -1 else "a batch axis"
    yield Fix(f"Add {what} to {expr}: {new}", diag.code, (TextEdit(data, new),))


def _numpy_alias(ctx: FixContext) -> str | None:
    for node in ctx.module.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    return alias.asname or "numpy"
    return None


@fixer(kinds=["replace"])
def _replace(ctx: FixContext, diag: Diagnostic) -> Iterator[Fix]:
    fix = diag.fix or {}
    edits = []
    for e in fix.get("edits") or []:
        span = _span_of(e.get("span")) if isinstance(e, dict) else None
        if span is None or not isinstance(e.get("new_text"), str):
            return
        edits.append(TextEdit(span, e["new_text"]))
    if edits:
        yield Fix(str(fix.get("title") or "Apply the suggested fix"), diag.code, tuple(edits))


# --------------------------------------------------------------------------- entry points


def candidates(text: str, analysis: Analysis, diag: Diagnostic) -> list[Fix]:
    """Unverified candidate fixes for ``diag`` (duplicates removed, at most MAX_CANDIDATES)."""
    ctx = FixContext(text, analysis)
    out: list[Fix] = []
    seen = set()
    for fn in _fixers(diag):
        try:
            for fix in fn(ctx, diag):
                key = tuple(sorted((e.span, e.new_text) for e in fix.edits))
                if key not in seen and fix.edits:
                    seen.add(key)
                    out.append(fix)
        except Exception:  # noqa: BLE001 -- a broken fixer must cost one fix, not the editor
            continue
    return out[:MAX_CANDIDATES]


def still_present(text: str, diag: Diagnostic, fix: Fix, after: Analysis) -> bool:
    """Whether ``after`` (the analysis of the fixed text) still has ``diag``: same code, same place."""
    anchors = {map_position(text, fix.edits, diag.span.line, diag.span.col)}
    layer = _span_of((diag.fix or {}).get("layer"))
    layer_at = map_position(text, fix.edits, layer.line, layer.col) if layer else None
    for d in after.diagnostics:
        if d.code != diag.code:
            continue
        if (d.span.line, d.span.col) in anchors:
            return True
        other = _span_of((d.fix or {}).get("layer"))
        if layer_at is not None and other is not None and (other.line, other.col) == layer_at:
            return True
    return False


def fixes_for(text: str, analysis: Analysis, diag: Diagnostic, path: str = "<buffer>",
              analyze_fn: Callable[[str, str], Analysis] | None = None) -> list[Fix]:
    """The candidate fixes for ``diag`` that, applied to ``text``, make it go away.

    The one that leaves the fewest errors in the file is marked preferred.
    """
    if analyze_fn is None:
        from shapelens.core.analyze import analyze as analyze_fn
    kept: list[Fix] = []
    for fix in candidates(text, analysis, diag):
        try:
            new_text = apply_edits(text, fix.edits)
        except ValueError:
            continue
        after = analyze_fn(new_text, path)
        if analysis.parsed and not after.parsed:
            continue
        if still_present(text, diag, fix, after):
            continue
        errors = sum(1 for d in after.diagnostics if d.severity == "error")
        kept.append(replace(fix, errors_after=errors))
    if kept:
        best = min(range(len(kept)), key=lambda i: (kept[i].errors_after, i))
        kept[best] = replace(kept[best], preferred=True)
    return kept

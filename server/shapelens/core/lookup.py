"""What is at a position: a layer, a model, a tensor variable or a fit/predict call.

Pure (no pygls/lsprotocol): reads the Analysis and the syntax tree of the same text.
Variables are matched by name to their latest binding at or before the position, which
is what a reader of straight-line model code expects; it ignores scopes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from shapelens.core import depends
from shapelens.core.incremental import ORIGIN, Misaligned, real
from shapelens.core.results import Analysis, LayerInfo, ModelInfo, ValueInfo
from shapelens.core.source import Source, Span

_NAME = ast.Name
DATA_METHODS = ("fit", "predict", "evaluate", "train_on_batch", "test_on_batch", "predict_on_batch")


@dataclass
class DataArg:
    label: str  # "x", "y"
    text: str  # the expression as written
    value: ValueInfo | None


@dataclass
class DataCall:
    method: str
    receiver: str
    model: ModelInfo | None
    args: list[DataArg] = field(default_factory=list)
    result: ValueInfo | None = None  # the variable the call's result is assigned to


@dataclass
class Target:
    span: Span
    layers: list[LayerInfo] = field(default_factory=list)
    model: ModelInfo | None = None
    value: ValueInfo | None = None
    call: DataCall | None = None
    name: str | None = None
    cls: str | None = None  # a class header: ``layers`` are the records of its instances


def _inside(span: Span, line: int, col: int) -> bool:
    """Half-open: a position names the character after it, as a hover position does."""
    return (span.line, span.col) <= (line, col) < (span.end_line, span.end_col)


def _size(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_col - span.col if span.end_line == span.line else 10**9)


@dataclass(frozen=True)
class _CallSite:
    """A ``x.fit(...)``-like call as written, kept without its syntax tree."""

    method: str
    receiver: str  # the receiver as written
    receiver_name: str | None  # when the receiver is a plain name
    receiver_span: Span
    args: tuple[tuple[str, str, str | None, Span], ...]  # label, text, plain name or None, span
    results: tuple[tuple[str, Span], ...]  # the names the call's result is assigned to


def _by_line(index: dict[int, list], span: Span, item: object) -> None:
    for line in range(span.line, span.end_line + 1):
        index.setdefault(line, []).append(item)


# Lines that continue a statement rather than start one, even at column 0.
_CONTINUES = re.compile(r"(?:else|elif|except|finally)\b|[)\]}#]")


def _trees(source: Source) -> Iterator[tuple[Callable[[ast.AST], Span], ast.Module, int]]:
    """The syntax trees of the text, a few top-level statements at a time, each with the function
    giving its nodes' Spans in the whole text. Parsing a long file whole holds its entire tree
    and the parser's working memory at once (26 MiB for 5,000 lines) for indexes that keep a
    fraction of it; one top-level statement at a time holds one statement's. A chunk that does
    not parse (a string or brackets running on at column 0) takes in the next lines, twice as
    many each time; a text that does not parse to its end is parsed whole, with the repairs of
    Source.parse. Each with the number of lines its nodes' line numbers are moved by."""
    lines = source.lines
    starts = [i for i, line in enumerate(lines) if line[:1] not in ("", " ", "\t", "\f") and not _CONTINUES.match(line)]
    starts.append(len(lines))
    begin, k = 0, 0  # the next chunk starts at line ``begin``; starts[k] <= begin
    while begin < len(lines) and not source._bom:
        tree, step, j = None, 1, k + 1
        while True:
            end = starts[j] if j < len(starts) else len(lines)
            try:
                tree = ast.parse("\n".join(lines[begin:end]))
                break
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                if end >= len(lines):
                    break
                step *= 2
                j = min(j + step, len(starts))
        if tree is None:
            break
        yield _offset_span(source, begin), tree, begin
        begin, k = end, j
    if begin < len(lines) or source._bom:  # the rest does not parse as it is: whole, with the repairs
        module, _ = source.parse()
        module.body = [stmt for stmt in module.body if stmt.lineno - 1 >= begin]
        yield source._span, module, 0


def _given(source: Source, statements: list[ast.stmt]) -> Iterator[tuple[Callable[[ast.AST], Span], list, int]]:
    """The statements of an analysis's parse, a few at a time (as _trees yields them). A statement
    moved by an edit may be a stand-in (core/incremental.py ``moved``): its own position is moved,
    its children are those of an earlier parse, ``_sl_delta`` lines above where they are now (the
    same text, whole lines moved): their spans are moved by as much (only children are read).
    Each run as a list of statements (no Module made for it)."""
    run: list[ast.stmt] = []
    for stmt in statements:
        delta = stmt.__dict__.get("_sl_delta")
        if delta is None:
            run.append(stmt)
            if len(run) == 16:
                yield source._span, run, 0
                run = []
            continue
        if run:
            yield source._span, run, 0
            run = []
        yield _offset_span(source, delta), [stmt], delta
    if run:
        yield source._span, run, 0


def _offset_span(source: Source, first: int) -> Callable[[ast.AST], Span]:
    def span(node: ast.AST) -> Span:
        line, col, end_line, end_col = _coords(node)
        line, end_line = line + first, end_line + first
        return Span(line, source._to_cp(line, col), end_line, source._to_cp(end_line, end_col))
    return span


FACTS = "_sl_lookup"  # on a statement: what Lookup reads in it (_facts)


def _facts(stmt: ast.stmt) -> tuple[dict, tuple, tuple, tuple]:
    """What the index reads in a top-level statement, in its nodes' own coordinates (lines and byte
    columns as parsed: a moved stand-in's children are on their old lines): its names, by name,
    each with its places flat (0-based line, start and end column, ...: the index takes the names
    a hover can answer on with one set intersection per statement, not a test per name -- 93,000
    on the 5,000-line file, a fifth of the index's time); its assignments to names, flat too (the value's
    lines and columns, the name, the target's: nine items each); its ``x.fit(...)``-like calls;
    its class headers, flat (name, line, column of ``class``, end line and column of the
    bases, or of the name when there are none). Kept on the statement (as core/depends.py keeps
    what it finds there): a statement an edit did not change is the same object in the next
    analysis's parse (core/incremental.py reuses it), and is not walked again."""
    names: dict[str, list[int]] = {}
    assigned: list = []
    calls: list = []
    classes: list = []
    for node in depends.walk(stmt):
        t = type(node)  # (node classes with no subclasses: compared by type)
        if t is ast.ClassDef:
            # the header, from ``class`` to the bases' closing bracket; a moved stand-in's own
            # position is where it is now, its children's where they were: taken back to those
            line = node.lineno - 1 - node.__dict__.get("_sl_delta", 0)
            parts = [*node.bases, *node.keywords]
            if parts:
                last = max(parts, key=lambda p: (p.end_lineno or p.lineno, p.end_col_offset or 0))
                end = ((last.end_lineno or last.lineno) - 1, (last.end_col_offset or last.col_offset) + 1)
            else:
                end = (line, node.col_offset + len("class ") + len(node.name))
            classes += (node.name, line, node.col_offset, *end)
        elif t is _NAME:
            on = names.get(node.id)
            if on is None:
                names[node.id] = [node.lineno - 1, node.col_offset, node.end_col_offset or node.col_offset]
            else:
                on += (node.lineno - 1, node.col_offset, node.end_col_offset or node.col_offset)
        elif t is ast.Call:
            if type(node.func) is ast.Attribute and node.func.attr in DATA_METHODS:
                calls.append(node)
        elif (t is ast.Assign or t is ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    assigned += (*_coords(node.value), target.id, *_coords(target))
    return {name: tuple(found) for name, found in names.items()}, tuple(assigned), tuple(calls), tuple(classes)


def facts_of(stmt: ast.stmt) -> tuple[dict, tuple, tuple, tuple]:
    """_facts of a top-level statement, read once: kept on it, and on the statement a moved
    stand-in stands in for (core/incremental.py ``moved``: the same children, so the same facts),
    which the stand-ins made from it before or after find there."""
    d = stmt.__dict__
    found = d.get(FACTS)
    if found is None:
        origin = d.get(ORIGIN)
        found = origin.__dict__.get(FACTS) if origin is not None else None
        if found is None:
            found = _facts(stmt)
            if origin is not None:
                origin.__dict__[FACTS] = found
        d[FACTS] = found
    return found


def read_before(stmt: ast.stmt) -> bool:
    """Whether facts_of(stmt) is at hand without reading the statement."""
    d = stmt.__dict__
    if FACTS in d:
        return True
    origin = d.get(ORIGIN)
    return origin is not None and FACTS in origin.__dict__


def _coords(node: ast.AST) -> tuple[int, int, int, int]:
    """A node's 0-based lines and byte columns, as Source._span reads them."""
    end_col = getattr(node, "end_col_offset", None)
    return (node.lineno - 1, node.col_offset, (getattr(node, "end_lineno", None) or node.lineno) - 1,
            node.col_offset if end_col is None else end_col)


class Stopped(Exception):
    """The index was not built (Lookup's ``stop``)."""


class Lookup:
    """Position indexes over one analysis, built once per analysis so that a query costs
    O(what lies on the position's line), not O(file): names, layer records, data calls and
    models by line. The syntax tree is read once and not kept."""

    def __init__(self, text: str, analysis: Analysis, stop: Callable[[], bool] | None = None,
                 statements: list[ast.stmt] | None = None) -> None:
        """``stop()``: checked between parts of the text (a language server builds the index while
        idle and gives way to the next analysis); true raises Stopped and nothing is built.
        ``statements``: the text's top-level statements as the analysis parsed them (else the
        text is parsed here)."""
        self.analysis = analysis
        source = Source(text)
        self._lines = source.lines
        names: list[tuple[dict, int]] = []  # the statements' names (_facts), each with its line offset
        ascii_text = text.isascii()  # (then a byte column is the code point column)
        to_cp = source._to_cp
        assigned: dict[Span, list[tuple[str, Span]]] = {}  # value span -> (name, target span)
        # only the assignments of what the index answers for: a model, a layer, a data call's
        # result (a tuple equals and hashes as the Span of the same coordinates): 21,000 of the
        # 5,000-line file's assignments made Spans the index never read
        wanted = {m.span for m in analysis.models}
        wanted.update(i.span for i in analysis.layers)
        self._data_calls: dict[int, list[tuple[Span, _CallSite]]] = {}
        self._classes: dict[int, list[tuple[Span, str]]] = {}  # line -> class headers on it
        self._class_records: dict[str, list[LayerInfo]] = {}  # (class_records, by need)
        for span, tree, moved in (_trees(source) if statements is None else _given(source, statements)):
            if stop is not None and stop():
                raise Stopped()
            calls: list[tuple[Span, ast.Call]] = []
            # (reversed: the order a walk of the whole tree met them in)
            for stmt in reversed(tree if type(tree) is list else tree.body):
                stmt_names, stmt_assigned, stmt_calls, stmt_classes = facts_of(stmt)
                for k in range(0, len(stmt_classes), 5):
                    name, a, b, c, d = stmt_classes[k:k + 5]
                    a, c = a + moved, c + moved
                    if not ascii_text:
                        b, d = to_cp(a, b), to_cp(c, d)
                    header = Span(a, b, c, d)
                    _by_line(self._classes, header, (header, name))
                if stmt_names:
                    names.append((stmt_names, moved))
                for call in stmt_calls:
                    call_span = span(call)
                    calls.append((call_span, call))
                    wanted.add(call_span)
                for k in range(0, len(stmt_assigned), 9):
                    a, b, c, d, name, e, f, g, h = stmt_assigned[k:k + 9]
                    a, c = a + moved, c + moved
                    if not ascii_text:
                        b, d = to_cp(a, b), to_cp(c, d)
                    if (a, b, c, d) not in wanted:
                        continue
                    e, g = e + moved, g + moved
                    if not ascii_text:
                        f, h = to_cp(e, f), to_cp(g, h)
                    value_span = Span(a, b, c, d)
                    found_for = assigned.get(value_span)
                    if found_for is None:
                        assigned[value_span] = [(name, Span(e, f, g, h))]
                    else:
                        found_for.append((name, Span(e, f, g, h)))
            for call_span, call in calls:  # a call's assignment is in the same statement
                _by_line(self._data_calls, call_span, (call_span, self._call_site(call, call_span, span, assigned)))
        self._models: dict[int, list[ModelInfo]] = {}
        for model in analysis.models:
            _by_line(self._models, model.span, model)
        self._model_bindings = self._bindings(assigned, ((m.span, m) for m in analysis.models))
        # Indexes built once per analysis, so that a query costs O(records at the position):
        # a training loop leaves tens of thousands of records for a few dozen layers.
        self._same_layer: dict[int, list[LayerInfo]] = {}  # layer id -> its records, in analysis order
        # span -> the records using it (record index, record, is its call span), in analysis order;
        # a loop gives thousands of records the same few spans.
        by_span: dict[Span, list[tuple[int, LayerInfo, bool]]] = {}
        for index, info in enumerate(analysis.layers):
            self._same_layer.setdefault(info.layer_id, []).append(info)
            if info.call_span is not None:
                by_span.setdefault(info.call_span, []).append((index, info, True))
            by_span.setdefault(info.span, []).append((index, info, False))
        # a layer bound to a name: the records made by the constructor an assignment's value is
        # (from the assignments, fewer than the records: a loop makes many records of one span)
        self._layer_bindings = self._bindings(assigned, (
            (value_span, info) for value_span in assigned for _, info, is_call in by_span.get(value_span, ())
            if not is_call))
        self._layer_spans: dict[int, list[tuple[Span, list[tuple[int, LayerInfo, bool]]]]] = {}  # line -> spans
        layer_spans = self._layer_spans
        for s, records in by_span.items():
            if s.line == s.end_line:  # (most: _by_line inlined)
                on_line = layer_spans.get(s.line)
                if on_line is None:
                    layer_spans[s.line] = [(s, records)]
                else:
                    on_line.append((s, records))
            else:
                _by_line(layer_spans, s, (s, records))
        self._values: dict[str, list[ValueInfo]] = {}
        for v in analysis.values:
            self._values.setdefault(v.name, []).append(v)
        # line -> the names on it; only names a hover can answer on (bound to a model, a layer or
        # a value): most names of a file are not, and are not kept
        known = self._values.keys() | self._model_bindings.keys() | self._layer_bindings.keys()
        # (as found: their spans are made for a line when it is first asked for, names_on)
        self._to_cp = None if ascii_text else to_cp
        self._found_names: dict[int, list[tuple[str, int, int]]] = {}  # line -> name, byte columns
        found_names = self._found_names
        for by_name, moved in names:
            for name in by_name.keys() & known:
                found = by_name[name]
                for k in range(0, len(found), 3):
                    line, col, end = found[k] + moved, found[k + 1], found[k + 2]
                    on_line = found_names.get(line)
                    if on_line is None:
                        found_names[line] = [(name, col, end)]
                    else:
                        on_line.append((name, col, end))
        self._names: dict[int, list[tuple[Span, str]]] = {}

    def names_on(self, line: int) -> list[tuple[Span, str]]:
        """The names on a line that a hover can answer on, with their spans."""
        spans = self._names.get(line)
        if spans is None:
            to_cp = self._to_cp
            found = self._found_names.get(line, ())
            if to_cp is None:
                spans = [(Span(line, col, line, end), name) for name, col, end in found]
            else:
                spans = [(Span(line, to_cp(line, col), line, to_cp(line, end)), name) for name, col, end in found]
            self._names[line] = spans
        return spans

    def _call_site(self, call: ast.Call, call_span: Span, span, assigned) -> _CallSite:
        func = call.func
        assert isinstance(func, ast.Attribute)
        fspan = span(func.value)
        labels = ["x", "y"] if func.attr != "predict" and func.attr != "predict_on_batch" else ["x"]
        exprs: dict[str, ast.expr] = dict(zip(labels, call.args))
        for kw in call.keywords:
            if kw.arg in labels:
                exprs[kw.arg] = kw.value
        args = []
        for label in labels:
            if label in exprs:
                e = exprs[label]
                es = span(e)
                args.append((label, self._text(es), e.id if isinstance(e, ast.Name) else None, es))
        return _CallSite(func.attr, self._text(fspan), func.value.id if isinstance(func.value, ast.Name) else None,
                         fspan, tuple(args), tuple(assigned.get(call_span, ())))

    @staticmethod
    def _bindings(assigned, items) -> dict[str, list[tuple[Span, object]]]:
        out: dict[str, list[tuple[Span, object]]] = {}
        for span, obj in items:
            for name, target in assigned.get(span, []):
                out.setdefault(name, []).append((target, obj))
        for v in out.values():
            v.sort(key=lambda b: (b[0].line, b[0].col))
        return out

    @staticmethod
    def _latest(bindings: list[tuple[Span, object]] | None, line: int, col: int) -> object | None:
        if not bindings:
            return None
        before = [obj for span, obj in bindings if (span.line, span.col) <= (line, col)]
        return before[-1] if before else None

    def _value(self, name: str, line: int, col: int) -> ValueInfo | None:
        best = None
        for v in self._values.get(name, ()):
            if (v.span.line, v.span.col) <= (line, col):
                if best is None or (v.span.line, v.span.col) >= (best.span.line, best.span.col):
                    best = v
        return best

    def model_named(self, name: str, line: int, col: int) -> ModelInfo | None:
        return self._latest(self._model_bindings.get(name), line, col)  # type: ignore[return-value]

    # -------------------------------------------------------------------- the query
    def at(self, line: int, col: int) -> Target | None:
        for span, name in self.names_on(line):
            if _inside(span, line, col):
                target = self._name_target(span, name, line, col)
                if target is not None:
                    return target
        found: list[tuple[tuple[int, int], int, Target]] = []
        # The smallest layer span at the position; among equals, the first record in analysis
        # order. A record whose call span holds the position counts there, not at its construction.
        best: tuple[tuple[int, int], int, Span, LayerInfo] | None = None
        for span, records in self._layer_spans.get(line, ()):
            if not _inside(span, line, col):
                continue
            for index, info, is_call in records:
                if is_call or info.call_span is None or not _inside(info.call_span, line, col):
                    if best is None or (_size(span), index) < best[:2]:
                        best = (_size(span), index, span, info)
                    break
        if best is not None:
            size, _, span, info = best
            mine = [info] if span == info.call_span else list(self._same_layer[info.layer_id])
            found.append((size, 0, Target(span, layers=mine)))
        for span, site in self._data_calls.get(line, ()):
            if _inside(span, line, col):
                found.append((_size(span), 1, Target(span, call=self._data_call(site))))
        for model in self._models.get(line, ()):
            if _inside(model.span, line, col):
                found.append((_size(model.span), 2, Target(model.span, model=model)))
        if not found:
            for span, name in self._classes.get(line, ()):
                if _inside(span, line, col):
                    return Target(span, layers=self.class_records(name), name=name, cls=name)
            return None
        return min(found, key=lambda f: (f[0], f[1]))[2]

    def class_records(self, name: str) -> list[LayerInfo]:
        """The records of the instances of the file's class ``name`` (a Layer or Model subclass
        called like a layer), in analysis order."""
        found = self._class_records.get(name)
        if found is None:
            found = self._class_records[name] = [i for i in self.analysis.layers if i.custom and i.kind == name]
        return found

    def _name_target(self, span: Span, name: str, line: int, col: int) -> Target | None:
        model = self.model_named(name, line, col)
        if model is not None:
            return Target(span, model=model, name=name)
        value = self._value(name, line, col)
        if value is not None:
            return Target(span, value=value, name=name)
        layer = self._latest(self._layer_bindings.get(name), line, col)
        if isinstance(layer, LayerInfo):
            return Target(span, layers=list(self._same_layer[layer.layer_id]), name=name)
        return None

    def _data_call(self, site: _CallSite) -> DataCall:
        rspan = site.receiver_span
        model = self.model_named(site.receiver_name, rspan.line, rspan.col) if site.receiver_name else None
        out = DataCall(site.method, site.receiver, model)
        for label, text, name, es in site.args:
            value = self._value(name, es.line, es.col) if name is not None else None
            out.args.append(DataArg(label, text, value))
        for name, target in site.results:
            out.result = self._value(name, target.line, target.col)
        return out

    def _text(self, span: Span) -> str:
        lines = self._lines
        if span.line == span.end_line and span.line < len(lines):
            return lines[span.line][span.col:span.end_col]
        return "…"


def never_called(text: str, statements: list[ast.stmt] | None, line: int, col: int) -> str | None:
    """Why a layer's constructor at 0-based ``line``/``col`` has no record: it is in a function
    that nothing in the file names -- not called, not passed on (its name occurs once in the
    text: its ``def``) -- so no call of it ran. None otherwise (the function is decorated, a
    method, which Keras calls itself, or named somewhere: shapelens then says nothing)."""
    if statements is None:
        return None
    lineno = line + 1
    fn = None
    try:  # (a moved stand-in's children are on their old lines: parsed where it is now)
        nodes: list[ast.AST] = [real(s) for s in statements if s.lineno <= lineno <= (s.end_lineno or s.lineno)]
    except Misaligned:
        return None
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.ClassDef):
            continue  # a method: Keras calls call(), build(), __init__ ... itself
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fn = node
        nodes.extend(n for n in getattr(node, "body", ()) if isinstance(n, ast.stmt)
                     and n.lineno <= lineno <= (n.end_lineno or n.lineno))
        for part in ("orelse", "finalbody", "handlers"):
            nodes.extend(n for n in getattr(node, part, ()) if isinstance(n, ast.AST) and hasattr(n, "lineno")
                         and n.lineno <= lineno <= (n.end_lineno or n.lineno))
    if fn is None or fn.decorator_list:
        return None
    on_constructor = any(
        isinstance(n, ast.Call) and n.lineno == lineno and _layer_like(n.func)
        and _covers(n.func, lineno, col) for n in ast.walk(fn))
    if not on_constructor or len(re.findall(r"(?<![\w.])" + re.escape(fn.name) + r"\b", text)) != 1:
        return None
    return f"`{fn.name}` is not called anywhere in this file: its layers are never made"


def _layer_like(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name[:1].isupper()


def _covers(func: ast.expr, lineno: int, col: int) -> bool:
    """Whether the position is on the called name (``layers.Conv2D``), by the line's columns."""
    return func.lineno <= lineno <= (func.end_lineno or func.lineno) and \
        (func.col_offset <= col <= (func.end_col_offset or func.col_offset) or func.lineno != lineno)

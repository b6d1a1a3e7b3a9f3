"""Moving the results kept after an edit to the lines they are on now (core/incremental.py).

When an edit adds or removes lines, the results of the statements below it that keep their last
results (incremental.Kept) are copied with every line from the edit on moved: spans, the ``line``
of position dicts, the line numbers written in messages ("(line 12)"). Pure: no TensorFlow.
"""

from __future__ import annotations

import copy as _copy
import dataclasses
import re
from typing import Any

from shapelens.core.results import ValueInfo
from shapelens.core.shapes import Unknown
from shapelens.core.source import Span


_LINE_REF = re.compile(r"\b(lines? )(\d+)")


class Shift:
    """Moves every 0-based line from ``at`` on by ``delta`` in results (core/results.py types):
    spans, the ``line`` of position dicts, the line numbers written in messages ("(line 12)").
    Copies: the results of the last analysis may still be in use."""

    def __init__(self, at: int, delta: int) -> None:
        self.at, self.delta = at, delta
        self._texts: dict[str, str] = {}

    def span(self, span: Any) -> Any:
        if span is None or (span.line < self.at and span.end_line < self.at):
            return span
        d, at = self.delta, self.at
        return Span(span.line + d if span.line >= at else span.line, span.col,
                    span.end_line + d if span.end_line >= at else span.end_line, span.end_col)

    def text(self, text: Any) -> Any:
        if type(text) is not str or "line" not in text:
            return text
        out = self._texts.get(text)
        if out is None:
            at, d = self.at, self.delta
            out = self._texts[text] = _LINE_REF.sub(
                lambda m: m.group(1) + (str(int(m.group(2)) + d) if int(m.group(2)) - 1 >= at else m.group(2)), text)
        return out

    def any(self, value: Any, depth: int = 0) -> Any:
        """Shapes (tuples of sizes, some unknown with a reason), lists, dicts, strings."""
        t = type(value)
        if value is None or t is int or t is bool or t is float:
            return value
        if t is str:
            return self.text(value)
        if t is Span:
            return self.span(value)
        if depth > 8:
            return value
        if t is tuple:
            if all(type(v) is int or v is None for v in value):
                return value
            return tuple(self.any(v, depth + 1) for v in value)
        if t is list:
            return [self.any(v, depth + 1) for v in value]
        if t is dict:
            return {k: (v + self.delta if k in ("line", "end_line") and type(v) is int and v >= self.at
                        else self.any(v, depth + 1)) for k, v in value.items()}
        if isinstance(value, Unknown):
            reason = self.text(value.reason)
            if reason is value.reason or reason == value.reason:
                return value
            copy = _copy.copy(value)
            copy.reason = reason
            return copy
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return clone(value, {f.name: self.any(getattr(value, f.name), depth + 1)
                                  for f in dataclasses.fields(value)})
        return value

    def layer(self, row: Any) -> Any:
        if _spans_only(row):  # no line number in its shapes and texts
            span, call_span = self.span(row.span), self.span(row.call_span)
            if span is row.span and call_span is row.call_span:
                return row
            return clone(row, {"span": span, "call_span": call_span})
        return clone(row, {"span": self.span(row.span), "call_span": self.span(row.call_span),
                            "input_shape": self.any(row.input_shape), "output_shape": self.any(row.output_shape),
                            "explain": [self.text(e) for e in row.explain] if row.explain else row.explain,
                            "note": self.text(row.note)})

    def value(self, v: Any) -> Any:
        if _spans_only(v):
            span = self.span(v.span)
            return v if span is v.span else clone(v, {"span": span})
        return clone(v, {"span": self.span(v.span), "shape": self.any(v.shape), "origin": self.text(v.origin)})

    def kept(self, out: Any, after: bool = False) -> Any:
        """``out`` with its lines moved; ``after``: its statement is below the moved line (then
        something in it moves, no need to look first)."""
        last = out.__dict__.get("_last_line") if after else last_line(out)
        if last is not None and last < self.at:  # nothing in it is on a line that moved
            return out
        rows = {id(r): self.layer(r) for r in out.layers}
        models = []
        for m in out.models:
            layers = [rows.get(id(r)) or self.layer(r) for r in m.layers]
            models.append(clone(m, {"span": self.span(m.span), "layers": layers, "input_shape": self.any(m.input_shape),
                                     "output_shape": self.any(m.output_shape), "note": self.text(m.note)}))
        diags = [self.any(d) for d in out.diags]
        values = [self.value(v) for v in out.values]
        shifted = clone(out, {"diags": diags, "values": values, "layers": list(rows.values()), "models": models,
                               "_last_line": None if last is None else last + self.delta})
        if last is None:
            del shifted.__dict__["_last_line"]  # found when needed (last_line)
        return shifted


def last_line(out: Any) -> int:
    """The last (0-based) line anything in a statement's results names: its spans, the ``line`` of
    position dicts, the line numbers written in messages (what Shift moves). Found once per
    results (Session.prepare reads them between analyses) and carried by their shifted copies."""
    found = out.__dict__.get("_last_line")
    if found is None:
        found = -1
        for r in out.layers:
            named = _named_line(r)
            found = max(found, _span_line(r.span), _span_line(r.call_span), named)
        for m in out.models:
            found = max(found, _span_line(m.span), _lines_in(m.input_shape), _lines_in(m.output_shape),
                        _lines_in(m.note))
            for r in m.layers:  # (a model's layers may be made by statements below it: model.add)
                found = max(found, _span_line(r.span), _span_line(r.call_span), _named_line(r))
        for d in out.diags:
            found = max(found, _lines_in(d))
        for v in out.values:
            found = max(found, _span_line(v.span), _named_line(v))
        out.__dict__["_last_line"] = found
    return found


def _named_line(row: Any) -> int:
    """The last line the shapes and texts of a LayerInfo or ValueInfo name; whether they name none
    is kept with it (``_spans_only``: a row of the last results is read, never changed, and its
    shifted copies name no line either)."""
    if isinstance(row, ValueInfo):
        named = max(_lines_in(row.shape), _lines_in(row.origin))
    else:
        named = max(_lines_in(row.input_shape), _lines_in(row.output_shape), _lines_in(row.explain),
                    _lines_in(row.note))
    row.__dict__["_spans_only"] = named < 0
    return named


def _spans_only(row: Any) -> bool:
    found = row.__dict__.get("_spans_only")
    if found is None:
        _named_line(row)
        found = row.__dict__["_spans_only"]
    return found


def _span_line(span: Any) -> int:
    return -1 if span is None else max(span.line, span.end_line)


def _lines_in(value: Any, depth: int = 0) -> int:
    """The last line ``value`` names, as Shift.any walks it (-1: none)."""
    t = type(value)
    if value is None or t is int or t is bool or t is float:
        return -1
    if t is str:
        if "line" not in value:
            return -1
        return max((int(m.group(2)) - 1 for m in _LINE_REF.finditer(value)), default=-1)
    if t is Span:
        return _span_line(value)
    if depth > 8:
        return -1
    if t is tuple or t is list:
        return max((_lines_in(v, depth + 1) for v in value), default=-1)
    if t is dict:
        return max((v if k in ("line", "end_line") and type(v) is int else _lines_in(v, depth + 1)
                    for k, v in value.items()), default=-1)
    if isinstance(value, Unknown):
        return _lines_in(value.reason, depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return max((_lines_in(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)), default=-1)
    return -1


def clone(obj: Any, changes: dict) -> Any:
    """A copy of a results object (core/results.py) with ``changes`` to its fields."""
    new = object.__new__(type(obj))
    d = obj.__dict__.copy()
    d.update(changes)
    new.__dict__ = d
    return new


class NotAToken(Exception):
    """A position that is not the start or the end of a token of the code (Respan)."""


class Respan(Shift):
    """The results of an analysis of code whose statements on the 0-based lines ``lo..hi`` changed
    only in their spacing and comments (the same tokens, each on its line): every position on
    those lines moved to the column its token is at now (``starts``, ``ends``: (line, old column)
    -> new column, of the tokens' starts and ends: a start is a token's, an end another's, where
    two tokens touch); no line moved, no line number in a message changes. A position that is
    not a token's start (an end) raises NotAToken (then the statements run again)."""

    def __init__(self, lo: int, hi: int, starts: dict[tuple[int, int], int], ends: dict[tuple[int, int], int]) -> None:
        super().__init__(lo, 0)
        self.lo, self.hi, self.starts, self.ends = lo, hi, starts, ends

    def _col(self, line: int, col: int, cols: dict) -> int:
        if line < self.lo or line > self.hi:
            return col
        new = cols.get((line, col))
        if new is None:
            raise NotAToken()
        return new

    def span(self, span: Any) -> Any:
        if span is None or span.end_line < self.lo or span.line > self.hi:
            return span
        return Span(span.line, self._col(span.line, span.col, self.starts),
                    span.end_line, self._col(span.end_line, span.end_col, self.ends))

    def text(self, text: Any) -> Any:
        return text

    def any(self, value: Any, depth: int = 0) -> Any:
        if type(value) is dict and type(value.get("line")) is int and ("col" in value or "end_col" in value):
            out = dict(value)
            if type(value.get("col")) is int:
                out["col"] = self._col(value["line"], value["col"], self.starts)
            if type(value.get("end_line")) is int and type(value.get("end_col")) is int:
                out["end_col"] = self._col(value["end_line"], value["end_col"], self.ends)
            return {k: (v if k in ("line", "col", "end_line", "end_col") else self.any(v, depth + 1))
                    for k, v in out.items()}
        return super().any(value, depth)

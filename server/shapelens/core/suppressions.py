"""Inline suppression comments: ``# shapelens: ignore[SL101]``, ``# shapelens: ignore``, ``# noqa: SL101``.

A comment silences the findings whose reported span starts (or ends) on its line. Only
``SL`` codes count in a ``# noqa:`` list, so one comment can serve ruff and shapelens; a
bare ``# noqa`` is left to other tools.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from shapelens.core.source import Span

_COMMENT = re.compile(
    r"#\s*(?:shapelens\s*:\s*ignore(?P<bracket>\[(?P<codes>[^\]\n]*)\])?"
    r"|noqa\s*:\s*(?P<noqa>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))",
    re.IGNORECASE,
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line breaks Python's tokenizer counts


@dataclass
class Suppression:
    span: Span  # the comment
    codes: tuple[str, ...] | None  # None: every code
    unknown: tuple[str, ...] = ()  # SL-looking codes that are not shapelens codes

    def covers(self, code: str) -> bool:
        return self.codes is None or code in self.codes


def scan(text: str) -> dict[int, Suppression]:
    """The suppression comments of a buffer, by 0-based line."""
    if "shapelens" not in text and "noqa" not in text.lower():
        return {}
    from shapelens.core.codes import CODES

    starts: list[int] | None = None
    out: dict[int, Suppression] = {}
    for m in _COMMENT.finditer(text):
        if starts is None:
            starts = [0] + [b.end() for b in _LINE_BREAK.finditer(text)]
        line = bisect.bisect_right(starts, m.start()) - 1
        col = m.start() - starts[line]
        span = Span(line, col, line, col + len(m.group(0)))
        if m.group("noqa") is not None:
            raw = [c for c in re.split(r"[\s,]+", m.group("noqa")) if c.upper().startswith("SL")]
            if not raw:
                continue  # a noqa for other tools only
        elif m.group("bracket") is not None:
            raw = [c for c in re.split(r"[\s,]+", m.group("codes") or "") if c]
        else:
            out.setdefault(line, Suppression(span, None))
            continue
        codes = tuple(c.upper() for c in raw)
        known = tuple(c for c in codes if c in CODES)
        unknown = tuple(c for c in codes if c not in CODES)
        out[line] = Suppression(span, known, unknown)
    return out

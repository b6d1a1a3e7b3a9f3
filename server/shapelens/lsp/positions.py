"""The one place where code-point positions (the core's Span) meet LSP positions.

The core counts columns in Unicode code points. An LSP client counts in the units of the
negotiated ``positionEncoding``: UTF-16 code units by default, code points for
``utf-32``, bytes for ``utf-8``. Lines are split the way LSP (and Python's tokenizer)
split them: on ``\\r\\n``, ``\\r`` and ``\\n`` only.
"""

from __future__ import annotations


from lsprotocol import types

from shapelens.core.lines import split_lines
from shapelens.core.source import Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def encoding_name(encoding: object) -> str:
    """Normalise a PositionEncodingKind (or its string value, or None) to utf-8/16/32."""
    value = getattr(encoding, "value", encoding)
    return value if value in (UTF8, UTF16, UTF32) else UTF16


def units(text: str, encoding: str) -> int:
    """Length of ``text`` in the encoding's units."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", errors="surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def cp_to_units(line: str, col: int, encoding: str) -> int:
    """Code-point column -> encoding units on ``line`` (clamped to the line)."""
    col = max(0, min(col, len(line)))
    return units(line[:col], encoding)


def units_to_cp(line: str, offset: int, encoding: str) -> int:
    """Encoding units -> code-point column; an offset inside a character lands before it."""
    if offset <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(offset, len(line))
    used = 0
    for i, ch in enumerate(line):
        size = _char_units(ch, encoding)
        if used + size > offset:
            return i
        used += size
    return len(line)


def _char_units(ch: str, encoding: str) -> int:
    o = ord(ch)
    if encoding == UTF8:
        return 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return 2 if o > 0xFFFF else 1


class LineIndex:
    """Converts between Spans of one text and LSP positions in one encoding."""

    def __init__(self, text: str, encoding: object = UTF16) -> None:
        self._text = text
        self._lines: list[str] | None = None
        self.encoding = encoding_name(encoding)

    @property
    def lines(self) -> list[str]:
        """Split on first use: publishing no diagnostics converts no position."""
        if self._lines is None:
            self._lines = split_lines(self._text)
        return self._lines

    def line(self, n: int) -> str:
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def position(self, line: int, col: int) -> types.Position:
        if line >= len(self.lines):  # past the end: the end of the text
            line = len(self.lines) - 1
            col = len(self.lines[line])
        line = max(line, 0)
        return types.Position(line=line, character=cp_to_units(self.lines[line], col, self.encoding))

    def range(self, span: Span) -> types.Range:
        return types.Range(start=self.position(span.line, span.col), end=self.position(span.end_line, span.end_col))

    def end_of_line(self, line: int) -> types.Position:
        return self.position(line, len(self.line(line)))

    def to_cp(self, position: types.Position) -> tuple[int, int]:
        """An LSP position -> (line, code-point column)."""
        line = position.line
        if line >= len(self.lines):
            return len(self.lines) - 1, len(self.lines[-1])
        return line, units_to_cp(self.lines[line], position.character, self.encoding)

    def span(self, rng: types.Range) -> Span:
        start, end = self.to_cp(rng.start), self.to_cp(rng.end)
        return Span(start[0], start[1], end[0], end[1])

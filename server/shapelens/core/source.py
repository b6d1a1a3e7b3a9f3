"""Parse a buffer tolerantly and turn ast positions into code-point spans.

``ast`` reports columns as UTF-8 byte offsets. The core speaks in code points (Python
string indices); the LSP layer converts those to UTF-16 in exactly one place
(shapelens.lsp.positions).
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import NamedTuple

from shapelens.core.lines import split_lines


MAX_REPAIRS = 12


class Span(NamedTuple):
    """0-based lines, code-point columns, end exclusive. A named tuple, not a frozen dataclass: an
    analysis makes, hashes and compares tens of thousands of spans (the position index as many
    again), and a tuple does that in C -- ordered, equal and hashed as the dataclass was (by its
    fields in this order), and a little smaller."""

    line: int
    col: int
    end_line: int
    end_col: int

    def contains(self, line: int, col: int) -> bool:
        if (line, col) < (self.line, self.col):
            return False
        return (line, col) <= (self.end_line, self.end_col)


@dataclass
class SyntaxProblem:
    message: str
    span: Span


class Source:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = split_lines(text)
        self._byte_lines: dict[int, bytes] = {}
        self._spans: dict[int, tuple[ast.AST, Span]] = {}
        # A UTF-8 byte order mark read as text: Python ignores it in a file, ast.parse of a
        # str does not. It is parsed away and line 0's columns shifted back by one.
        self._bom = text.startswith("\ufeff")

    def _to_cp(self, line: int, byte_col: int) -> int:
        """UTF-8 byte offset -> code point column on 0-based ``line``."""
        if line >= len(self.lines):
            return byte_col
        s = self.lines[line]
        if line == 0 and self._bom:
            s = s[1:]
            if s.isascii():
                return byte_col + 1
            return len(s.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore")) + 1
        if s.isascii():
            return byte_col
        b = self._byte_lines.get(line)
        if b is None:
            b = self._byte_lines[line] = s.encode("utf-8")
        return len(b[:byte_col].decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> Span:
        # the same nodes are asked for again and again (calls in loops and functions): a node's
        # span is kept, with the node so that its id is not reused while the entry lives
        hit = self._spans.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        span = self._span(node)
        self._spans[id(node)] = (node, span)
        return span

    def _span(self, node: ast.AST) -> Span:
        line = node.lineno - 1
        end_line = (getattr(node, "end_lineno", None) or node.lineno) - 1
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = node.col_offset
        return Span(line, self._to_cp(line, node.col_offset), end_line, self._to_cp(end_line, end_col))

    def line_span(self, line: int) -> Span:
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        start = len(text) - len(text.lstrip())
        return Span(line, start, line, len(text))

    def parse(self) -> tuple[ast.Module, list[SyntaxProblem]]:
        """Parse, blanking out lines that do not parse (half-typed code) up to a bound.

        Returns the best module that could be built and the syntax problems found. The
        statements that parse keep their original positions.
        """
        problems: list[SyntaxProblem] = []
        lines = split_lines(self.text)
        if self._bom:
            lines[0] = lines[0][1:]
        for _ in range(MAX_REPAIRS):
            try:
                return _ast_parse("\n".join(lines)), problems
            except SyntaxError as e:
                msg = e.msg or "invalid syntax"
                if "null bytes" in msg:  # no position given: find the line and drop its text
                    lineno = _culprit_line(lines, e)
                    problems.append(SyntaxProblem(_nul_message(self.text), self.line_span(lineno)))
                    if lines[lineno] == "":
                        break
                    lines[lineno] = ""
                    continue
                lineno = min(max((e.lineno or 1) - 1, 0), len(lines) - 1)
                problems.append(SyntaxProblem(msg, self.line_span(min(lineno, max(len(self.lines) - 1, 0)))))
                if isinstance(e, IndentationError) and not msg.startswith("expected an indented block"):
                    # an indented `pass` would fail the same way: drop the line's text instead
                    if lines[lineno].strip():
                        lines[lineno] = ""
                        continue
                if not _blank_statement(lines, lineno):
                    break
            except (ValueError, RecursionError, MemoryError) as e:  # NUL bytes, surrogates, absurd nesting
                lineno = _culprit_line(lines, e)
                problems.append(SyntaxProblem(_limit_message(e), self.line_span(min(lineno, len(self.lines) - 1))))
                if lines[lineno] == "":
                    break
                lines[lineno] = ""
        # Could not repair: keep the longest prefix that parses.
        first_bad = problems[0].span.line if problems else len(lines)
        for cut in range(first_bad, -1, -1):
            try:
                return _ast_parse("\n".join(lines[:cut])), problems
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
        return ast.Module(body=[], type_ignores=[]), problems


def _nul_message(text: str) -> str:
    sample = text[:4000]
    if sample.count("\x00") * 4 > len(sample):  # every other byte NUL: UTF-16 read as UTF-8
        return "the file looks like UTF-16 text; shapelens reads Python files as UTF-8"
    return "the line contains a NUL byte"


def _ast_parse(text: str) -> ast.Module:
    # SyntaxWarnings ("invalid escape sequence" ...) are the user's business, not stderr's
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


def _limit_message(e: BaseException) -> str:
    if isinstance(e, RecursionError):
        return "the line nests too deeply for Python's parser"
    if isinstance(e, MemoryError):
        return "the line is too large for Python's parser"
    text = str(e)
    if "null" in text.lower():
        return "the line contains a NUL byte"
    if isinstance(e, UnicodeError):
        return "the line contains text that is not valid Unicode"
    return text or type(e).__name__


def _culprit_line(lines: list[str], e: BaseException) -> int:
    """Which line made ast.parse fail without a SyntaxError position."""
    for i, line in enumerate(lines):
        if "\x00" in line:
            return i
    if isinstance(e, UnicodeError):
        for i, line in enumerate(lines):
            try:
                line.encode("utf-8")
            except UnicodeError:
                return i
    # RecursionError / MemoryError: the shortest prefix of lines whose parse fails the same way
    lo, hi = 0, len(lines)
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            _ast_parse("\n".join(lines[: mid + 1]))
            failed = False
        except (RecursionError, MemoryError, ValueError):
            failed = True
        except SyntaxError:
            failed = False
        if failed:
            hi = mid
        else:
            lo = mid + 1
    return min(lo, len(lines) - 1)


def _blank_statement(lines: list[str], lineno: int) -> bool:
    """Replace the broken line with an equivalently indented ``pass``.

    Lines that open a bracket never closed make the parser point at the opener; the
    following lines are continuation lines and get blanked too, up to a dedent.
    """
    line = lines[lineno]
    indent = line[: len(line) - len(line.lstrip())]
    replacement = indent + "pass" if line.strip() else line
    if lines[lineno] == replacement:
        # already blanked once: the real culprit is an earlier open bracket or block
        return _blank_previous(lines, lineno)
    lines[lineno] = replacement
    if line.rstrip().endswith(":"):
        return True
    depth = _bracket_depth(line)
    j = lineno + 1
    while depth > 0 and j < len(lines):
        nxt = lines[j]
        if _starts_statement(nxt, len(indent)):
            # a bracket left open while typing: the next statement at the same indentation
            # or less is not part of it, so what follows keeps its shapes
            break
        depth += _bracket_depth(nxt)
        lines[j] = ""
        j += 1
    return True


def _starts_statement(line: str, indent: int) -> bool:
    """A line at ``indent`` columns or less that begins like a new statement (not a closing
    bracket, an operator or a string continuing the previous line)."""
    text = line.lstrip()
    if not text or text.startswith("#") or len(line) - len(text) > indent:
        return False
    return bool(_STATEMENT_START.match(text))


_STATEMENT_START = re.compile(
    r"(def|class|async|import|from|for|while|if|with|try|return|raise|assert|del|global|print)\b"
    r"|@\w"
    r"|[A-Za-z_][\w.]*(\[[^\]]*\])?\s*(=|\+=|-=|\*=|/=|:)(?!=)"
    r"|[A-Za-z_][\w.]*\s*\(")


def _blank_previous(lines: list[str], lineno: int) -> bool:
    for j in range(lineno - 1, -1, -1):
        if lines[j].strip() and lines[j].strip() != "pass":
            indent = lines[j][: len(lines[j]) - len(lines[j].lstrip())]
            lines[j] = indent + "pass"
            return True
    return False


def _bracket_depth(line: str) -> int:
    depth = 0
    quote = None
    for ch in line:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "#":
            break
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth

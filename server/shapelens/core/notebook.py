"""A notebook as one program: its code cells joined in document order, and the mapping
between positions in that program and (cell, line, column).

The core analyses the joined text like any file; only this module knows about cells.
Every code cell keeps its own lines in the joined program (no line is added, removed or
moved inside a cell), so the mapping is a list of line offsets. IPython syntax that is not
Python (``%magic``, ``%%cell magic``, ``!shell``, ``obj?`` help) is neutralised on its own
line: it becomes ``pass`` at the same indentation (or the cell becomes blank lines for a
cell magic whose body is not Python). A cell that still does not parse becomes blank lines
in the joined program, with an SL001 note in that cell, so that it cannot stop the
analysis of the others.

Document order is not execution order: cells are joined top to bottom, as "Run All" runs
them. Cells are numbered as the notebook editors show them (:attr:`Cell.number`, 1-based,
counting every cell, markdown and raw cells included).

Pure: no pygls, lsprotocol or TensorFlow. Reading an ``.ipynb`` never looks at outputs.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from shapelens.core.lines import split_lines
from shapelens.core.results import Analysis, Diagnostic, Related
from shapelens.core.source import Span
from shapelens.core.codes import ANALYSIS_LIMIT, SYNTAX_ERROR

# cell magics whose body is Python: keep the body, neutralise the magic line
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "tensorflow_version"}
_ASSIGN_MAGIC = re.compile(r"^(\s*)([A-Za-z_][\w.\[\], ]*?)\s*=\s*[!%]")
_HELP = re.compile(r"^\s*\??[A-Za-z_][\w.]*\?{1,2}\s*$")
_MAGIC_HINT = re.compile(r"^\s*[%!?]|\?\s*$|=\s*[!%]", re.M)  # may hold IPython syntax
PYTHON_LANGUAGES = {"python", "python3", "ipython", "ipython3", ""}


class NotebookError(ValueError):
    """The file is not a notebook shapelens can read (the message says why, for the user)."""


@dataclass
class CellSource:
    """One cell as the notebook holds it."""

    kind: str  # "code" | "markdown" | "raw"
    text: str
    uri: str | None = None  # the editor's cell document, when there is one


@dataclass
class Cell:
    """A code cell's place in the joined program."""

    index: int  # 0-based among all cells of the notebook
    start: int  # first line in the joined program
    lines: list[str]  # the cell's own lines, as the user wrote them
    uri: str | None = None

    @property
    def number(self) -> int:
        """The cell number the notebook editors show: 1-based, counting every cell."""
        return self.index + 1

    @property
    def end(self) -> int:
        return self.start + len(self.lines)


@dataclass
class Joined:
    """The joined program and the mapping back to cells."""

    text: str
    cells: list[Cell]
    notes: list[Diagnostic] = field(default_factory=list)  # in joined coordinates
    language: str = "python"
    skipped: bool = False  # a non-Python kernel: nothing analysed

    def cell_at(self, line: int) -> Cell | None:
        if not self.cells:
            return None
        i = bisect.bisect_right([c.start for c in self.cells], line) - 1
        return self.cells[max(i, 0)]

    def to_cell(self, line: int, col: int) -> tuple[Cell, int, int] | None:
        """A joined position -> (cell, line in the cell, column)."""
        cell = self.cell_at(line)
        if cell is None:
            return None
        rel = min(max(line - cell.start, 0), len(cell.lines) - 1)
        return cell, rel, col

    def to_joined(self, cell: Cell, line: int, col: int) -> tuple[int, int]:
        line = min(max(line, 0), len(cell.lines) - 1)
        return cell.start + line, col

    def cell_span(self, span: Span) -> tuple[Cell, Span] | None:
        """A joined span -> (its cell, the span within the cell).

        A span that runs past its cell's last line is cut at the end of that line, so a
        range never ends before it starts nor lands in another cell.
        """
        located = self.to_cell(span.line, span.col)
        if located is None:
            return None
        cell, line, col = located
        last = len(cell.lines) - 1
        end_line = span.end_line - cell.start
        end_col = span.end_col
        if end_line > last:
            end_line, end_col = last, len(cell.lines[last])
        if (end_line, end_col) < (line, col):
            end_line, end_col = line, col
        return cell, Span(line, col, end_line, end_col)

    def joined_span(self, cell: Cell, span: Span) -> Span:
        return Span(span.line + cell.start, span.col, span.end_line + cell.start, span.end_col)

    def by_uri(self, uri: str) -> Cell | None:
        return next((c for c in self.cells if c.uri == uri), None)


def _parses(text: str) -> bool:
    try:
        compile(text, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


_CELL_PARSES: dict[str, bool] = {}  # a cell's text -> whether it parses on its own (editing one
MAX_CACHED_CELLS = 4096             # cell of a notebook re-checks that cell only)


def _cell_parses(text: str) -> bool:
    known = _CELL_PARSES.get(text)
    if known is None:
        if len(_CELL_PARSES) >= MAX_CACHED_CELLS:
            _CELL_PARSES.clear()
        known = _CELL_PARSES[text] = _parses(text)
    return known


def _neutral(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    return indent + "pass"


def neutralise(lines: list[str]) -> list[str]:
    """IPython-only lines -> ``pass`` at the same indentation; line count unchanged."""
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(None, 1)
        if not magic or magic[0] not in PYTHON_CELL_MAGICS:
            return [""] * len(lines)  # %%bash, %%writefile, %%html ...: not Python
        lines = list(lines)
        lines[first] = ""
    out = []
    for ln in lines:
        s = ln.lstrip()
        if s.startswith(("%", "!")) or (s.startswith("?") and len(s) > 1) or _HELP.match(ln):
            out.append(_neutral(ln))
        elif _ASSIGN_MAGIC.match(ln):
            m = _ASSIGN_MAGIC.match(ln)
            out.append(f"{m.group(1)}{m.group(2)} = None")
        else:
            out.append(ln)
    return out


def join(cells: Iterable[CellSource], language: str = "python") -> Joined:
    """Join the code cells of a notebook; see the module docstring."""
    language = (language or "").lower()
    all_cells = list(cells)
    if language not in PYTHON_LANGUAGES:
        note = Diagnostic(ANALYSIS_LIMIT, "information",
                          ANALYSIS_LIMIT.not_a_python_notebook(language=language),
                          Span(0, 0, 0, 0))
        return Joined("", [], [note], language, skipped=True)
    code = [(index, src) for index, src in enumerate(all_cells) if src.kind == "code"]
    owns = [split_lines(src.text) for _, src in code]
    # Fast path: IPython lines neutralised, the whole program parses -- one compile, not one per cell.
    programs = [neutralise(own) if _MAGIC_HINT.search(src.text) and not _parses(src.text) else own
                for own, (_, src) in zip(owns, code)]
    whole = "\n".join(line for program in programs for line in program)
    # Cells that each parse on their own join into a program that parses, or that fails for a
    # reason no cell is blanked for (a `from __future__` import below the first cell): the
    # whole is compiled only when a cell does not parse on its own.
    careful = not all(_cell_parses("\n".join(program)) for program in programs) and not _parses(whole)
    out_lines: list[str] = []
    joined_cells: list[Cell] = []
    notes: list[Diagnostic] = []
    for (index, src), own, program in zip(code, owns, programs):
        if careful and not _parses("\n".join(program)):
            problem = _syntax_problem("\n".join(program))
            program = [""] * len(own)
            at = problem[1] if problem[1] < len(own) else 0
            notes.append(Diagnostic(
                SYNTAX_ERROR, "information",
                SYNTAX_ERROR.in_cell(problem=problem[0]),
                Span(len(out_lines) + at, 0, len(out_lines) + at, len(own[at]))))
        joined_cells.append(Cell(index, len(out_lines), own, src.uri))
        out_lines.extend(program)
    return Joined("\n".join(out_lines), joined_cells, notes, language or "python")


def _syntax_problem(text: str) -> tuple[str, int]:
    try:
        compile(text, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        return (exc.msg or "invalid syntax"), max((exc.lineno or 1) - 1, 0)
    except (ValueError, MemoryError, RecursionError):
        pass
    return "invalid syntax", 0


# -- .ipynb files -------------------------------------------------------------------------
def read_ipynb(text: str) -> tuple[list[CellSource], str]:
    """The cells and kernel language of an nbformat 4 notebook (outputs are not looked at)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"not a valid notebook: the JSON does not parse ({_json_reason(exc)})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a valid notebook: no list of cells")
    major = data.get("nbformat")
    if major != 4:
        raise NotebookError(f"unsupported notebook format {major!s}: shapelens reads nbformat 4")
    cells = []
    for n, raw in enumerate(data["cells"]):
        if not isinstance(raw, dict):
            raise NotebookError(f"not a valid notebook: cell {n + 1} is not an object")
        source = raw.get("source", "")
        if isinstance(source, list):
            if not all(isinstance(s, str) for s in source):
                raise NotebookError(f"not a valid notebook: cell {n + 1} has a malformed source")
            source = "".join(source)
        elif not isinstance(source, str):
            raise NotebookError(f"not a valid notebook: cell {n + 1} has a malformed source")
        cells.append(CellSource(str(raw.get("cell_type", "code")), source))
    return cells, notebook_language(data.get("metadata"))


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    return "nested too deeply"


def notebook_language(metadata: Any) -> str:
    if not isinstance(metadata, dict):
        return "python"
    info = metadata.get("language_info")
    if isinstance(info, dict) and isinstance(info.get("name"), str):
        return info["name"]
    spec = metadata.get("kernelspec")
    if isinstance(spec, dict) and isinstance(spec.get("language"), str):
        return spec["language"]
    return "python"


# -- analyses in cell coordinates ------------------------------------------------------------
def analyze_joined(joined: Joined, path: str, analyze_fn=None, **kwargs: Any) -> Analysis:
    """Analyse the joined program; the cells' own notes are added (joined coordinates)."""
    if analyze_fn is None:
        from shapelens.core.analyze import analyze as analyze_fn
    if joined.skipped:
        return Analysis(path, diagnostics=list(joined.notes), complete=False)
    analysis = analyze_fn(joined.text, path, **kwargs)
    analysis.diagnostics = list(joined.notes) + analysis.diagnostics
    return analysis


def _shift(span: Span | None, joined: Joined, cell: Cell) -> Span | None:
    if span is None:
        return None
    located = joined.cell_span(span)
    if located is None or located[0] is not cell:
        return None
    return located[1]


def project(analysis: Analysis, joined: Joined, cell: Cell) -> Analysis:
    """What of ``analysis`` (of the joined program) lies in ``cell``, in the cell's coordinates.

    Diagnostics keep related information only when it is in the same cell (the caller that
    can name other cells, e.g. the language server, uses :func:`located_related`).
    Layers of a model that live in other cells are placed at the model's own span.
    """
    mine = lambda s: s is not None and joined.cell_at(s.line) is cell  # noqa: E731
    out = Analysis(analysis.path, parsed=analysis.parsed, complete=analysis.complete)
    for d in analysis.diagnostics:
        if not mine(d.span):
            continue
        related = [Related(s, r.message) for r in d.related if (s := _shift(r.span, joined, cell)) is not None]
        out.diagnostics.append(replace(d, span=_shift(d.span, joined, cell), related=related,
                                       raise_span=_shift(d.raise_span, joined, cell),
                                       caught=_shift(d.caught, joined, cell)))
    for info in analysis.layers:
        where = info.call_span or info.span
        if mine(where):
            out.layers.append(_layer_in(info, joined, cell, None))
    for v in analysis.values:
        if mine(v.span):
            out.values.append(replace(v, span=_shift(v.span, joined, cell)))
    for m in analysis.models:
        if mine(m.span):
            span = _shift(m.span, joined, cell)
            out.models.append(replace(m, span=span, layers=[_layer_in(i, joined, cell, span) for i in m.layers]))
    return out


def _layer_in(info, joined: Joined, cell: Cell, fallback: Span | None):
    span = _shift(info.span, joined, cell)
    call = _shift(info.call_span, joined, cell) if info.call_span is not None else None
    if span is None:
        span = call or fallback or Span(0, 0, 0, 0)
    if info.call_span is not None and call is None:
        call = fallback
    return replace(info, span=span, call_span=call)


def located_related(d: Diagnostic, joined: Joined) -> list[tuple[Cell, Span, str]]:
    """A diagnostic's related information (and where Keras raises), each in its own cell."""
    items = list(d.related)
    if d.raise_span is not None and d.raise_span != d.span and all(r.span != d.raise_span for r in items):
        items.append(Related(d.raise_span, "Keras raises here, when this line runs"))
    out = []
    for r in items:
        located = joined.cell_span(r.span)
        if located is not None:
            out.append((located[0], located[1], r.message))
    return out


_LINE_REF = re.compile(r"\bline (\d+)\b")


def relabel(message: str, joined: Joined) -> str:
    """``line N`` of the joined program in a message -> ``cell C, line L`` as the user sees it."""
    def sub(m: re.Match) -> str:
        line = int(m.group(1)) - 1
        located = joined.to_cell(line, 0)
        if located is None or not (0 <= line < (joined.cells[-1].end if joined.cells else 0)):
            return m.group(0)
        cell, rel, _ = located
        return f"cell {cell.number}, line {rel + 1}"
    return _LINE_REF.sub(sub, message)


def load(path: str) -> tuple[Joined, str]:
    """Read an ``.ipynb`` file -> (joined program, kernel language). Raises NotebookError or OSError."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    cells, language = read_ipynb(text)
    return join(cells, language), language

"""core/notebook.py: joining cells, neutralising IPython syntax, mapping positions both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shapelens.core import notebook as nb
from shapelens.core.source import Span

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"


def _cells(*sources: str, kinds: str | None = None) -> list[nb.CellSource]:
    kinds = kinds or "c" * len(sources)
    return [nb.CellSource("code" if k == "c" else "markdown", s) for k, s in zip(kinds, sources)]


def test_code_cells_are_joined_in_document_order_and_markdown_is_skipped():
    j = nb.join(_cells("a = 1\nb = 2", "# title", "c = 3\n", kinds="cmc"))
    assert j.text == "a = 1\nb = 2\nc = 3\n"
    assert [(c.index, c.number, c.start, len(c.lines)) for c in j.cells] == [(0, 1, 0, 2), (2, 3, 2, 2)]


def test_positions_map_both_ways():
    j = nb.join(_cells("x = 1\ny = 2", "# md", "z = 3\nw = 4\nv = 5", kinds="cmc"))
    for cell in j.cells:
        for line in range(len(cell.lines)):
            jl, jc = j.to_joined(cell, line, 3)
            back = j.to_cell(jl, jc)
            assert back == (cell, line, 3)
    assert j.to_cell(3, 1)[0].number == 3 and j.to_cell(3, 1)[1:] == (1, 1)


def test_a_span_running_past_its_cell_is_cut_at_the_cell_end_never_reversed():
    j = nb.join(_cells("x = f(1,\n", "y = 2"))
    cell, span = j.cell_span(Span(0, 4, 2, 3))
    assert cell.number == 1 and span == Span(0, 4, 1, 0)
    cell, span = j.cell_span(Span(1, 5, 2, 0))  # starts at a cell's empty last line
    assert (span.end_line, span.end_col) >= (span.line, span.col)


@pytest.mark.parametrize("line, expected", [
    ("%matplotlib inline", "pass"),
    ("!pip install keras", "pass"),
    ("    !ls", "    pass"),
    ("files = !ls", "files = None"),
    ("t = %time f()", "t = None"),
    ("model.summary?", "pass"),
    ("?layers.Dense", "pass"),
    ("layers.Dense??", "pass"),
])
def test_ipython_lines_are_neutralised_in_place(line, expected):
    assert nb.neutralise([line]) == [expected]


def test_magics_keep_the_line_count_and_the_rest_of_the_cell():
    src = "import keras\n%load_ext tensorboard\nif True:\n    !echo hi\nx = 1"
    j = nb.join(_cells(src))
    assert j.text.splitlines() == ["import keras", "pass", "if True:", "    pass", "x = 1"]
    assert j.notes == []


def test_cell_magics():
    j = nb.join(_cells("%%bash\necho hi\nls", "%%time\nx = 1\n"))
    assert j.text.split("\n") == ["", "", "", "", "x = 1", ""]
    assert j.notes == []


def test_python_that_looks_like_a_magic_is_left_alone():
    src = 'x = (1\n     % 2)\ns = """\n!not a shell\n"""'
    assert nb.join(_cells(src)).text == src


def test_a_cell_that_does_not_parse_is_blank_and_the_others_are_analysed():
    j = nb.join(_cells("import keras\nx = keras.Input((4,))", "def f(:\n    pass", "y = keras.layers.Dense(3)(x)"))
    assert j.text.split("\n")[2:4] == ["", ""]
    assert [(d.code, j.cell_span(d.span)[0].number) for d in j.notes] == [("SL001", 2)]
    analysis = nb.analyze_joined(j, "nb.ipynb")
    assert [(i.kind, i.output_shape) for i in analysis.layers][-1] == ("Dense", (None, 3))


def test_non_python_kernels_are_skipped_with_a_note():
    cells, language = nb.read_ipynb((FIXTURES / "r_kernel.ipynb").read_text())
    j = nb.join(cells, language)
    assert j.skipped and j.text == ""
    analysis = nb.analyze_joined(j, "r.ipynb")
    assert [d.code for d in analysis.diagnostics] == ["SL003"] and "not Python" in analysis.diagnostics[0].message


@pytest.mark.parametrize("text, fragment", [
    ('{"nbformat": 4, "cells": [', "JSON does not parse"),
    ("[]", "no list of cells"),
    ('{"nbformat": 3, "worksheets": [], "cells": []}', "nbformat 4"),
    ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}', "cell 1"),
])
def test_malformed_notebooks_are_errors_that_say_why(text, fragment):
    with pytest.raises(nb.NotebookError, match=fragment):
        nb.read_ipynb(text)


def test_outputs_are_not_read_into_the_program():
    data = json.loads((FIXTURES / "cifar_kernel.ipynb").read_text())
    cells, _ = nb.read_ipynb(json.dumps(data))
    assert "x" * 100 not in nb.join(cells).text


def test_an_error_in_cell_7_from_a_model_in_cell_3_is_reported_in_cell_7_with_related_cells():
    j, _ = nb.load(str(FIXTURES / "cifar_kernel.ipynb"))
    analysis = nb.analyze_joined(j, "cifar_kernel.ipynb")
    errors = [d for d in analysis.diagnostics if d.severity == "error"]
    assert [d.code for d in errors] == ["SL101"]
    cell, span = j.cell_span(errors[0].span)
    assert cell.number == 7 and span.line == 0 and cell.lines[0][span.col:span.end_col].startswith("layers.Conv2D(128, 7")
    related = nb.located_related(errors[0], j)
    assert (5, 2) in [(c.number, s.line) for c, s, _ in related]  # the MaxPooling2D in cell 5, line 3
    assert "(cell 5, line 3)" in nb.relabel(errors[0].message, j)
    [model] = analysis.models
    assert j.cell_span(model.span)[0].number == 3
    # the projection of cell 7 holds the error in the cell's coordinates, cell 3 holds the model
    c7 = nb.project(analysis, j, cell)
    assert [d.code for d in c7.diagnostics] == ["SL101"] and c7.diagnostics[0].span == span
    c3 = nb.project(analysis, j, j.cells[1])
    assert [m.kind for m in c3.models] == ["Sequential"] and c3.diagnostics == []

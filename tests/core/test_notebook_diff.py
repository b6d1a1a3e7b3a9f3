"""Notebook fixtures against TensorFlow: the joined program runs under the program oracle
(tests/oracle/program_runner.py) and must give the shapes, parameters and error line that
shapelens reports for the notebook, mapped back to the same cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from shapelens.core import notebook as nb
from tests.oracle.client import require_tensorflow
from tests.oracle.program_runner import run_program

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
pytestmark = pytest.mark.tf


def _run(name: str, tmp_path: Path):
    require_tensorflow()
    joined, _ = nb.load(str(FIXTURES / name))
    program = tmp_path / (name.replace(".ipynb", "") + "_joined.py")
    program.write_text(joined.text)
    return joined, nb.analyze_joined(joined, str(program)), run_program(program)


def test_functional_notebook_shapes_match_tensorflow(tmp_path):
    joined, analysis, report = _run("functional_cells.ipynb", tmp_path)
    assert report["error"] is None
    tf = {(layer["line"], layer["kind"]): (layer["calls"][0]["output_shapes"][0], layer["params"])
          for layer in report["layers"] if not layer.get("op") and layer["calls"]}
    ours = {(i.span.line + 1, i.kind): (list(i.output_shape), i.params) for i in analysis.layers}
    assert ours == tf
    assert len(tf) == 9
    # and each lies in the cell the notebook shows it in
    cells = {kind: joined.cell_span(i.span)[0].number for i in analysis.layers for kind in [i.kind]}
    assert cells["GlobalAveragePooling2D"] == 4 and cells["Concatenate"] == 5


def test_kernel_error_is_where_tensorflow_raises(tmp_path):
    joined, analysis, report = _run("cifar_kernel.ipynb", tmp_path)
    assert report["error"] is not None and report["error"]["type"] == "ValueError"
    [error] = [d for d in analysis.diagnostics if d.severity == "error"]
    raise_line = (error.raise_span or error.span).line
    assert raise_line + 1 == report["error"]["line"]
    cell, span = joined.cell_span(error.span)
    assert cell.number == 7 and span.line == 0
    # the layers before the error have TensorFlow's shapes
    tf = {layer["line"]: layer["calls"][0]["output_shapes"][0] for layer in report["layers"]
          if layer["calls"] and layer["calls"][0]["output_shapes"]}
    for info in analysis.layers:
        if info.span.line + 1 in tf and info.output_shape is not None:
            assert list(info.output_shape) == tf[info.span.line + 1], info.kind

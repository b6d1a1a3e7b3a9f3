"""`shapelens check` / `summary` on Jupyter notebooks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from shapelens.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"


def test_check_reports_cell_line_and_column(capsys):
    assert main(["check", str(FIXTURES / "cifar_kernel.ipynb")]) == 1
    out = capsys.readouterr().out
    assert "cifar_kernel.ipynb:cell 7:1:11: SL101 [error]" in out
    assert "(cell 5, line 3)" in out
    assert "cifar_kernel.ipynb:cell 8:1:1: SL001" in out
    assert "1 file, 1 model, 7 layers: 1 error" in out


def test_json_adds_the_cell_and_keeps_lines_within_it(capsys):
    assert main(["check", "--format", "json", str(FIXTURES / "functional_cells.ipynb")]) == 0
    [entry] = json.loads(capsys.readouterr().out)["files"]
    by_kind = {layer["kind"]: layer for layer in entry["layers"]}
    assert (by_kind["GlobalAveragePooling2D"]["cell"], by_kind["GlobalAveragePooling2D"]["line"]) == (4, 4)
    assert by_kind["Concatenate"]["output_shape"] == [None, 40]
    assert all("cell" in layer for layer in entry["layers"])
    main(["check", "--format", "json", str(FIXTURES / "cifar_kernel.ipynb")])
    [entry] = json.loads(capsys.readouterr().out)["files"]
    assert [(d["code"], d["cell"], d["line"], d["column"]) for d in entry["diagnostics"]] == \
        [("SL001", 8, 1, 1), ("SL101", 7, 1, 11)]


def test_directories_include_notebooks_but_not_checkpoints(tmp_path, capsys):
    shutil.copy(FIXTURES / "functional_cells.ipynb", tmp_path / "a.ipynb")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    shutil.copy(FIXTURES / "cifar_kernel.ipynb", tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb")
    assert main(["check", str(tmp_path)]) == 0
    assert "1 file, 1 model, 9 layers: 0 errors" in capsys.readouterr().out


def test_summary_works_on_notebooks(capsys):
    assert main(["summary", str(FIXTURES / "functional_cells.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "functional_cells.ipynb:cell 5:5: model · Functional" in out
    assert "cell 4, line 4" in out


def test_a_malformed_notebook_is_an_error_never_zero_models(capsys):
    assert main(["check", str(FIXTURES / "broken.ipynb")]) == 2
    captured = capsys.readouterr()
    assert "not a valid notebook: the JSON does not parse" in captured.err
    assert main(["summary", str(FIXTURES / "broken.ipynb")]) == 2


def test_a_file_type_shapelens_cannot_read_is_an_error(tmp_path, capsys):
    weights = tmp_path / "model.h5"
    weights.write_bytes(b"\x89HDF\r\n")
    assert main(["check", str(weights)]) == 2
    assert "reads Python files (.py) and Jupyter notebooks (.ipynb)" in capsys.readouterr().err


def test_non_python_notebooks_are_noted_not_analysed(capsys):
    assert main(["check", str(FIXTURES / "r_kernel.ipynb")]) == 0
    assert "r_kernel.ipynb:cell 1:1:1: SL003 [information] this notebook's kernel language is r" in capsys.readouterr().out

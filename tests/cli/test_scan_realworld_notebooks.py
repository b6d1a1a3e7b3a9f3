"""bench/scan_realworld.py on notebooks: the model.summary() tables a notebook printed (Keras 3
rich tables as Jupyter display data, Keras 2 tables on stdout, wrapped and cut type names)
are compared with shapelens' models. The tables below are what Keras 3.15 and tf-keras 2.21
print for the models of the code cells."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import scan_realworld as scan  # noqa: E402

KERAS3_TABLE = """┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 4)              │            36 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 1)              │             5 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
"""

KERAS2_TABLE = """Model: "small"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 dense_2 (Dense)             (None, 4)                 36        
                                                                 
 batch_normalization (Batch  (None, 4)                 16        
 Normalization)                                                  
                                                                 
 dense_3 (Dense)             (None, 2)                 10        
                                                                 
=================================================================
Total params: 62 (248.00 Byte)
"""

# Keras 2.0 cuts the name column: one space before the shape, the type cut short
KERAS20_TABLE = """_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
conv2d_1 (Conv2D)            (None, 26, 26, 8)         80        
_________________________________________________________________
max_pooling2d_1 (MaxPooling2 (None, 13, 13, 8)         0         
=================================================================
Total params: 80
"""

CODE = [
    "import keras\nfrom keras import layers\n"
    "tiny = keras.Sequential([keras.Input((8,)), layers.Dense(4), layers.Dense(1)], name='tiny')\ntiny.summary()",
    "small = keras.Sequential([keras.Input((8,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(2)],"
    " name='small')\nsmall.summary()",
    "conv = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.MaxPooling2D()])\nconv.summary()",
]


def _html(text: str) -> str:
    body = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return f'<pre style="white-space:pre"><span style="font-weight: bold">{body}</span></pre>\n'


def _notebook(tmp_path: Path) -> Path:
    outputs = [
        [{"output_type": "display_data", "metadata": {}, "data": {"text/html": _html('Model: "tiny"\n')}},
         {"output_type": "display_data", "metadata": {}, "data": {"text/html": _html(KERAS3_TABLE)}}],
        [{"output_type": "stream", "name": "stdout", "text": KERAS2_TABLE.splitlines(keepends=True)}],
        [{"output_type": "stream", "name": "stdout", "text": KERAS20_TABLE}],
    ]
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# models"}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "source": src, "outputs": out}
              for src, out in zip(CODE, outputs)]
    path = tmp_path / "summaries.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    return path


def test_printed_tables_are_read_from_every_output_kind(tmp_path):
    tables = scan.parse_summaries(scan.notebook_outputs(_notebook(tmp_path)))
    assert [t["title"] for t in tables] == ["tiny", "small", ""]
    assert [(r["kind"], r["shape"], r["params"]) for r in tables[0]["rows"]] == [
        ("Dense", [None, 4], 36), ("Dense", [None, 1], 5)]
    assert [r["kind"] for r in tables[1]["rows"]] == ["Dense", "BatchNormalization", "Dense"]
    assert [(r["name"], r["kind"], r["kind_prefix"], r["shape"]) for r in tables[2]["rows"]] == [
        ("conv2d_1", "Conv2D", "", [None, 26, 26, 8]), ("max_pooling2d_1", "", "MaxPooling2", [None, 13, 13, 8])]


def test_rows_compared_with_the_models(tmp_path):
    path = _notebook(tmp_path)
    result = scan.analyse_one(str(path))
    assert result["diagnostics"] == []
    cmp = scan.compare_tables(scan.parse_summaries(scan.notebook_outputs(path)), result["models"],
                              scan.read_program(path))
    assert (cmp["tables"], cmp["tables_matched"], cmp["rows"]) == (3, 3, 7)
    assert (cmp["equal"], cmp["wrong"], cmp["unknown"]) == (7, 0, 0), cmp


def test_lines_are_given_in_cells(tmp_path):
    result = scan.analyse_one(str(_notebook(tmp_path)))
    assert {lr["where"] for m in result["models"] for lr in m["layers"]} >= {"cell 2:3", "cell 3:1", "cell 4:1"}


def test_shapes_as_keras_prints_them():
    assert scan._parse_shape("(None)") == [None]  # Keras 3's rich table: a 1-D shape (None,)
    assert scan._parse_shape("(None, 3)") == [None, 3]
    assert scan._parse_shape("[(None, 8)]") == [[None, 8]]
    assert scan._parse_shape("multiple") == "?"

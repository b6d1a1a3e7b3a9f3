"""keras.applications backbones: shapelens' table (core/rules/applications.json) against Keras.

Each case is one constructor call; Keras builds it with weights=None (nothing is
downloaded) in a subprocess, shapelens reads the same call statically. Output shape,
parameter count and "raises in the constructor" must agree. The cases use other sizes,
channels and classes than the ones the table was generated from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.rules import applications
from tests.oracle.client import require_tensorflow

CASES = [
    "ResNet50(weights=None, include_top=False, input_shape=(64, 80, 1))",
    "ResNet50(weights=None, include_top=False, input_shape=(97, 131, 3), pooling='max')",
    "ResNet50(weights=None, include_top=False, input_shape=(16, 16, 3))",
    "ResNet50(include_top=True, classes=10)",
    "ResNet50(include_top=False, input_shape=(64, 64, 1))",
    "ResNet50(input_shape=(64, 64, 3))",
    "VGG16(weights=None, include_top=True, input_shape=(64, 96, 3), classes=7)",
    "VGG19(weights=None, include_top=False, input_shape=(50, 51, 3))",
    "MobileNetV2(weights=None, include_top=False, input_shape=(96, 96, 3))",
    "MobileNetV2(weights=None, include_top=True, input_shape=(77, 77, 3), classes=4)",
    "EfficientNetB0(weights=None, include_top=False, input_shape=(100, 120, 3), pooling='avg')",
    "EfficientNetB3(weights=None, include_top=False, input_shape=(33, 65, 2))",
    "InceptionV3(weights=None, include_top=False, input_shape=(75, 139, 3))",
    "InceptionV3(weights=None, include_top=False, input_shape=(74, 139, 3))",
    "Xception(weights=None, include_top=True, input_shape=(101, 101, 3), classes=3)",
    "DenseNet121(weights=None, include_top=True, input_shape=(64, 64, 3), classes=10)",
    "NASNetMobile(weights=None, include_top=False, input_shape=(64, 72, 3))",
    "EfficientNetV2B0(weights=None, include_top=False, input_shape=(70, 70, 3))",
    "ConvNeXtTiny(weights=None, include_top=False, input_shape=(64, 96, 3))",
    "ResNet50V2(weights=None, include_top=True, input_shape=(48, 48, 3), classes=2)",
    "MobileNetV3Small(weights=None, include_top=False, input_shape=(64, 64, 3))",
    "InceptionResNetV2(weights=None, include_top=False, input_shape=(80, 90, 3))",
]

_RUNNER = r"""
import json, sys
import keras
out = []
for case in json.loads(sys.argv[1]):
    try:
        m = eval("keras.applications." + case)
    except Exception as exc:
        out.append({"raises": type(exc).__name__})
        continue
    out.append({"shape": list(m.output.shape), "params": int(m.count_params())})
    del m
    keras.backend.clear_session()
print(json.dumps(out))
"""


def _keras(cases: list[str]) -> list[dict]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(cases)], capture_output=True, text=True,
                          timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _static(case: str) -> dict:
    a = analyze(f"import keras\nm = keras.applications.{case}\n", "<case>")
    if any(d.severity == "error" for d in a.diagnostics):
        return {"raises": "ValueError"}
    model = next((m for m in a.models if m.span.line == 1), None)
    assert model is not None, [d.message for d in a.diagnostics]
    return {"shape": list(model.output_shape) if model.output_shape is not None else None, "params": model.params}


# constructors scripts/gen_applications.py cannot describe with its formula (it refuses them):
# shapelens says their output is unknown, never a shape or an error
NOT_IN_TABLE = {"NASNetMobile", "NASNetLarge"}


@pytest.mark.tf
def test_backbones_match_keras():
    require_tensorflow()
    cases = [c for c in CASES if c.split("(", 1)[0] in applications.table()]
    assert {c.split("(", 1)[0] for c in CASES if c not in cases} <= NOT_IN_TABLE, "constructors missing"
    expected = _keras(cases)
    problems = [f"{case}: shapelens {_static(case)}, Keras {want}"
                for case, want in zip(cases, expected) if _static(case) != want]
    assert not problems, "\n".join(problems)


def test_a_constructor_not_in_the_table_is_unknown_not_an_error():
    for name in sorted(NOT_IN_TABLE):
        a = analyze(f"import keras\nm = keras.applications.{name}(weights=None, include_top=False, "
                    "input_shape=(64, 72, 3))\n", "<case>")
        assert not [d for d in a.diagnostics if d.severity in ("error", "warning")]
        assert not [m for m in a.models if m.output_shape is not None]
        assert any("not in shapelens' backbone table" in d.message for d in a.diagnostics)


def test_every_constructor_in_the_table():
    names = set(applications.table())
    assert not names & NOT_IN_TABLE
    for name in ("ResNet50", "MobileNetV2", "EfficientNetB7", "VGG19", "InceptionV3", "DenseNet201",
                 "Xception", "ConvNeXtXLarge", "EfficientNetV2L", "MobileNetV3Large", "ResNet152V2"):
        assert name in names
        entry = applications.table()[name]
        assert entry["stride"] >= 1 and entry["min_size"] >= 1 and entry["features"] >= 1


def test_preprocess_input_keeps_the_shape_and_backbone_is_one_layer():
    text = (
        "import keras\nfrom keras import layers\n"
        "base = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(96, 96, 3))\n"
        "base.trainable = False\n"
        "inputs = keras.Input(shape=(96, 96, 3))\n"
        "x = keras.applications.resnet50.preprocess_input(inputs)\n"
        "x = base(x, training=False)\n"
        "outputs = layers.GlobalAveragePooling2D()(x)\n"
        "model = keras.Model(inputs, outputs)\n"
    )
    a = analyze(text, "<t>")
    model = [m for m in a.models if m.name == "model"][0]
    assert [li.kind for li in model.layers] == ["InputLayer", "Functional", "GlobalAveragePooling2D"]
    assert model.layers[1].output_shape == (None, 3, 3, 2048)
    assert model.output_shape == (None, 2048)
    assert model.params == 23587712


@pytest.mark.parametrize("line, what", [
    ("import tensorflow_hub as hub\nlayer = hub.KerasLayer('https://tfhub.dev/x')\n", "TensorFlow Hub"),
    ("import keras_hub\nm = keras_hub.models.BertBackbone.from_preset('bert_base_en')\n", "KerasHub"),
    ("from transformers import TFBertModel\nm = TFBertModel.from_pretrained('bert-base-uncased')\n", "Hugging Face"),
    ("import keras\nm = keras.applications.NoSuchNet(weights=None)\n", "backbone table"),
])
def test_hub_models_are_unknown_with_a_note(line, what):
    a = analyze(line, "<t>")
    notes = [d for d in a.diagnostics if d.code == "SL002"]
    assert notes and what in notes[0].message
    assert not any(d.severity == "error" for d in a.diagnostics)

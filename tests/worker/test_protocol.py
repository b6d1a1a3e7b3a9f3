"""The shared protocol module: lines, payloads and their keys (pure, no TensorFlow)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from shapelens.core.analyze import analyze
from shapelens.worker import protocol

WORKER = Path(protocol.__file__).parent

NESTED = """\
import keras
from keras import layers

inner_in = keras.Input(shape=(8,))
inner = keras.Model(inner_in, layers.Dense(4)(inner_in))
head = keras.Sequential([layers.Dense(2)])
x = keras.Input(shape=(8,))
model = keras.Model(x, head(inner(x)))
"""


def spec_of(text: str) -> dict:
    spec = analyze(text, "t.py", with_spec=True).spec
    assert spec is not None
    return spec


def test_lines_round_trip_and_stay_ascii():
    message = protocol.request(7, "build", {"spec": {"name": "ünïcode\nnewline"}})
    line = protocol.dumps(message)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    line.decode("ascii")
    assert protocol.loads(line) == message


def test_payload_has_no_positions_and_keeps_the_graph():
    spec = spec_of(NESTED)
    payload = protocol.payload(spec)
    text = json.dumps(payload)
    assert '"line"' not in text and '"col"' not in text
    assert [c["order"] for c in payload["calls"]] == [c["order"] for c in spec["calls"]]
    assert payload["tensors"][0]["shape"] == [None, 8]
    # the two models used as layers are tied to their entries in "models"
    kinds = {payload["layers"][int(k)]["kind"]: payload["models"][v]["kind"] for k, v in payload["nested"].items()}
    assert kinds == {"Functional": "Functional", "Sequential": "Sequential"}


def test_moving_code_keeps_the_key_changing_the_model_does_not():
    spec = spec_of(NESTED)
    moved = spec_of("# a comment\n\n\n" + NESTED.replace("model = ", "model  =  "))
    changed = spec_of(NESTED.replace("Dense(2)", "Dense(3)"))
    key = protocol.payload_key(protocol.payload(spec))
    assert protocol.payload_key(protocol.payload(moved)) == key
    assert protocol.payload_key(protocol.payload(changed)) != key


def test_has_work():
    assert protocol.has_work(protocol.payload(spec_of(NESTED)))
    assert not protocol.has_work(protocol.payload(spec_of("x = 1\n")))


def test_clean_message_drops_terminal_codes_and_argument_echo():
    raw = ("Exception encountered when calling Reshape.call().\n\n\x1b[1mThe total size of the tensor must "
           "be unchanged.\x1b[0m\n\nArguments received by Reshape.call():\n  • inputs=<KerasTensor>")
    assert protocol.clean_message(raw) == ("Exception encountered when calling Reshape.call(). The total size "
                                           "of the tensor must be unchanged.")
    assert len(protocol.clean_message("x" * 5000, limit=100)) == 100


def test_worker_side_imports_only_the_protocol():
    """main.py, rebuild.py and guard.py run under the user's interpreter without shapelens:
    they may import the standard library, TensorFlow/Keras and shapelens.worker.protocol/guard/rebuild."""
    allowed_own = {"shapelens.worker", "shapelens.worker.protocol", "shapelens.worker.guard",
                   "shapelens.worker.rebuild"}
    for name in ("main.py", "rebuild.py", "guard.py", "protocol.py", "__init__.py"):
        tree = ast.parse((WORKER / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("shapelens"):
                targets = {node.module} | {f"{node.module}.{a.name}" for a in node.names}
                assert targets & allowed_own and node.module in allowed_own, f"{name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("shapelens") or alias.name in allowed_own, name


def test_payload_is_plain_json_even_where_the_spec_is_not():
    """A Sequential whose input size comes from the environment: its shape holds unknown
    dimensions, which reach the worker as unknown, never as an encoding error."""
    spec = spec_of("import os\nimport keras\nfrom keras import layers\nN = int(os.environ['N'])\n"
                   "model = keras.Sequential([keras.Input(shape=(N,)), layers.Dense(2)])\n")
    payload = protocol.payload(spec)
    json.dumps(payload)
    assert payload["models"][0]["input_shape"][1] == {"__unknown__": True}
    protocol.payload_key(payload)

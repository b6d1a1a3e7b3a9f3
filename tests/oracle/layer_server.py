"""TensorFlow side of the layer oracle. Run as a subprocess; one JSON request per line.

Request:  {"kind": "Conv2D", "config": {...}, "inputs": [[null, 28, 28, 1]], "call": {...}}
          nested layers in config are {"__layer__": "LSTM", "config": {...}}
          "inputs" is a list of batch shapes; "as_list": true calls the layer on the list.
Response: {"ok": true, "output": shape | [shape, ...], "params": int, "cos": shape|null}
          {"ok": false, "stage": "init" | "call", "type": "ValueError", "error": "..."}
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import keras  # noqa: E402


def decode(value):
    if isinstance(value, dict) and "__layer__" in value:
        return getattr(keras.layers, value["__layer__"])(**decode(value.get("config", {})))
    if isinstance(value, dict) and "__tuple__" in value:
        return tuple(decode(v) for v in value["__tuple__"])
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def shape_of(t):
    if isinstance(t, (list, tuple)):
        return [shape_of(x) for x in t]
    return [None if d is None else int(d) for d in t.shape]


def handle(req):
    kind = req["kind"]
    try:
        layer = getattr(keras.layers, kind)(**decode(req.get("config", {})))
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "stage": "init", "type": type(e).__name__, "error": str(e)[:500]}
    try:
        ins = [keras.Input(batch_shape=tuple(s)) for s in req["inputs"]]
        call = {k: (keras.Input(batch_shape=tuple(v["__shape__"])) if isinstance(v, dict) and "__shape__" in v else v)
                for k, v in req.get("call", {}).items()}
        arg = ins if req.get("as_list") else ins[0]
        if req.get("positional"):
            out = layer(*ins, **call)
        else:
            out = layer(arg, **call)
        return {"ok": True, "output": shape_of(out), "params": int(layer.count_params())}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "stage": "call", "type": type(e).__name__, "error": str(e)[:500]}


def main():
    print(json.dumps({"ready": True, "tensorflow": __import__("tensorflow").__version__, "keras": keras.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            resp = handle(json.loads(line))
        except Exception as e:  # noqa: BLE001
            resp = {"ok": False, "stage": "harness", "type": type(e).__name__, "error": str(e)[:500]}
        print(json.dumps(resp), flush=True)


if __name__ == "__main__":
    main()

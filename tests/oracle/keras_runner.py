"""Run one program under Keras 2 (tf-keras, TF_USE_LEGACY_KERAS=1) or Keras 3 and report what
happened: where it raised, and every model left in its globals (parameters, each layer's output).

    python tests/oracle/keras_runner.py PROGRAM      (prints one JSON line)

The Keras is chosen by the caller's environment (:func:`run`): with TF_USE_LEGACY_KERAS=1,
`tf.keras` is tf-keras. Used by tests/core/test_keras2_diff.py; small on purpose: the full
instrumented runner (program_runner.py) hooks into Keras 3 internals.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import traceback
from pathlib import Path


def _shape(t) -> list | None:
    try:
        return [d if isinstance(d, int) else None for d in (tuple(t.shape.as_list()) if hasattr(t.shape, "as_list")
                                                                else tuple(t.shape))]
    except Exception:  # noqa: BLE001
        return None


def _layer_outputs(layer) -> list | None:
    try:
        out = layer.output
    except Exception:  # noqa: BLE001 -- not built, or called several times
        return None
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [_shape(o) for o in outs]


def _model(model) -> dict:
    try:
        params = int(model.count_params()) if model.built else None
    except Exception:  # noqa: BLE001
        params = None
    layers = []
    for layer in model.layers:
        layers.append({"class": type(layer).__name__, "outputs": _layer_outputs(layer),
                       "params": _count(layer)})
    return {"params": params, "layers": layers}


def _count(layer) -> int | None:
    try:
        return int(layer.count_params()) if layer.built else None
    except Exception:  # noqa: BLE001
        return None


def main(program: str) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf

    keras = tf.keras
    version = "2" if keras.__name__.startswith("tf_keras") or os.environ.get("TF_USE_LEGACY_KERAS") == "1" else "3"
    program = str(Path(program).resolve())
    error = None
    module_globals: dict = {}
    try:
        module_globals = runpy.run_path(program, run_name="__main__")
    except BaseException as e:  # noqa: BLE001
        line = None
        for frame, lineno in traceback.walk_tb(e.__traceback__):
            if os.path.realpath(frame.f_code.co_filename) == program:
                line = lineno
        error = {"type": type(e).__name__, "message": str(e)[:500], "line": line}
    models = {}
    for name, value in module_globals.items():
        if isinstance(value, keras.Model):
            models[name] = _model(value)
    return {"keras": version, "error": error, "models": models}


def run(program: Path, keras: str, timeout: float = 300) -> dict:
    """``program`` run under Keras ``keras`` ("2" or "3") in a fresh process."""
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    if keras == "2":
        env["TF_USE_LEGACY_KERAS"] = "1"
    proc = subprocess.run([sys.executable, __file__, str(program)], capture_output=True, text=True,
                          env=env, timeout=timeout, stdin=subprocess.DEVNULL)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"keras runner failed (rc={proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


if __name__ == "__main__":
    report = main(sys.argv[1])
    sys.stdout.flush()
    print(json.dumps(report))

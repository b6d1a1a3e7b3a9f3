"""Regenerate server/shapelens/core/keras_public_api.json from the installed Keras.

The public Keras 3 modules and the names each exports, so that the static engine can
flag Keras 2 import paths that no longer exist (`from keras.layers.core import Dense`
raises ModuleNotFoundError under Keras 3).

    python scripts/gen_keras_api.py          # rewrite the file
    python scripts/gen_keras_api.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
OUT = Path(__file__).resolve().parent.parent / "server/shapelens/core/keras_public_api.json"


def generate() -> dict:
    import keras

    modules: dict[str, list[str]] = {}

    def walk(name: str, public: str, depth: int = 0) -> None:
        """``name`` is the importable module, ``public`` how programs spell it."""
        if depth > 4 or public in modules:
            return
        try:
            mod = importlib.import_module(name)
        except Exception:  # noqa: BLE001
            return
        names = sorted(n for n in dir(mod) if not n.startswith("_"))
        modules[public] = names
        for attr in names:
            value = getattr(mod, attr, None)
            if type(value).__name__ == "module" and getattr(value, "__name__", "").startswith("keras") \
                    and attr != "src":
                walk(f"{name}.{attr}", f"{public}.{attr}", depth + 1)

    walk("keras", "keras")
    # tf.keras is Keras 3 with the legacy names kept (keras._tf_keras.keras)
    walk("keras._tf_keras.keras", "tensorflow.keras")
    return {"keras": keras.__version__, "modules": modules}


def main() -> int:
    data = generate()
    if "--check" in sys.argv:
        current = json.loads(OUT.read_text()) if OUT.exists() else {}
        if current.get("modules") != data["modules"]:
            print(f"{OUT} is out of date: run python scripts/gen_keras_api.py")
            return 1
        return 0
    OUT.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {OUT} ({len(data['modules'])} modules, keras {data['keras']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate server/shapelens/core/rules/signatures.json from the installed Keras.

For every layer the rule table knows, records the constructor's positional parameter
order and every keyword Keras accepts (named parameters along the class's MRO, the
base Layer's keywords, and the names an __init__ pops from **kwargs). The static engine
uses it to bind positional arguments and to flag keywords Keras 3 rejects
("Unrecognized keyword arguments passed to Dense").

    python scripts/gen_signatures.py          # rewrite the file
    python scripts/gen_signatures.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "server/shapelens/core/rules/signatures.json"
sys.path.insert(0, str(ROOT / "server"))

BASE_KWARGS = ["activity_regularizer", "trainable", "dtype", "autocast", "name", "input_shape", "input_dim"]
_POP = re.compile(r"""kwargs\.(?:pop|get)\(\s*["'](\w+)["']""")


def signature_of(cls) -> dict:
    positional: list[str] = []
    keywords: set[str] = set()
    open_kwargs = False
    first = True
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        if klass.__name__ in ("Layer", "Operation", "KerasSaveable", "object") or klass.__module__.startswith(
            ("tensorflow", "keras.src.backend")
        ):
            break
        try:
            sig = inspect.signature(init)
        except (TypeError, ValueError):
            continue
        has_var_kw = False
        for p in list(sig.parameters.values())[1:]:
            if p.kind == p.VAR_KEYWORD:
                has_var_kw = True
            elif p.kind == p.VAR_POSITIONAL:
                continue
            else:
                keywords.add(p.name)
                if first and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                    positional.append(p.name)
        try:
            keywords.update(_POP.findall(inspect.getsource(init)))
        except (OSError, TypeError):
            pass
        first = False
        if not has_var_kw:
            open_kwargs = False
            break
        open_kwargs = True
    if open_kwargs:
        keywords.update(BASE_KWARGS)
    return {"positional": positional, "keywords": sorted(keywords)}


def generate() -> dict:
    import keras

    from shapelens.core.rules import LAYERS

    out = {"keras": keras.__version__, "layers": {}}
    for name in sorted(LAYERS):
        cls = getattr(keras.layers, name, None)
        if cls is None:
            continue
        out["layers"][name] = signature_of(cls)
    return out


def main() -> int:
    data = generate()
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    if "--check" in sys.argv:
        current = OUT.read_text() if OUT.exists() else ""
        if json.loads(current or "{}").get("layers") != data["layers"]:
            print(f"{OUT} is out of date: run python scripts/gen_signatures.py")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT} ({len(data['layers'])} layers, keras {data['keras']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

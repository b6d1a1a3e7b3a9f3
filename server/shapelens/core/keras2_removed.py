"""Keras 2 spellings that Keras 3 rejects: import paths and model methods that are gone.

Old tutorials and answers are full of them, and under TensorFlow 2.16+ the program stops
at the first one -- before any shape is computed. The public module table comes from
Keras itself (scripts/gen_keras_api.py, checked by a test).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from shapelens.core.codes import REMOVED_IN_KERAS_3

# Removed from Keras 2 already (TensorFlow 2.6 / Keras 2.6): tf-keras raises for them too.
REMOVED_IN_KERAS2 = {"predict_classes", "predict_proba"}

REMOVED_MODEL_METHODS = {
    "fit_generator": "model.fit(generator, ...)",
    "evaluate_generator": "model.evaluate(generator, ...)",
    "predict_generator": "model.predict(generator, ...)",
    "predict_classes": "np.argmax(model.predict(x), axis=-1)",
    "predict_proba": "model.predict(x)",
}


@lru_cache(maxsize=1)
def _modules() -> dict[str, frozenset[str]]:
    try:
        data = json.loads((Path(__file__).parent / "keras_public_api.json").read_text())["modules"]
    except (OSError, ValueError, KeyError):
        return {}
    return {k: frozenset(v) for k, v in data.items()}


def exports(module: str) -> frozenset[str]:
    """The public names of a Keras 3 module (keras_public_api.json), empty when not known."""
    return _modules().get(module, frozenset())


def _checked(module: str) -> bool:
    if module.startswith(("keras.src", "keras._", "tensorflow.keras.src")):
        return False
    return module in ("keras", "tensorflow.keras") or module.startswith(("keras.", "tensorflow.keras."))


def _home(name: str, root: str) -> str | None:
    """A public module under ``root`` that exports ``name`` (for the fix)."""
    for module, names in sorted(_modules().items(), key=lambda kv: len(kv[0])):
        if module.startswith(root) and name in names:
            return module
    return None


def _elsewhere(name: str, root: str) -> str | None:
    other = "keras" if root == "tensorflow.keras" else "tensorflow.keras"
    home = _home(name, root)
    if home:
        return f"; it is in `{home}`"
    home = _home(name, other)
    if home:
        return f"; it is still in `{home}` (the tf.keras namespace)"
    import difflib

    candidates = sorted({n for m, ns in _modules().items() if m.startswith(root) for n in ns})
    same_letters = [c for c in candidates if c.lower() == name.lower()]
    close = same_letters or difflib.get_close_matches(name, candidates, n=1)
    return f"; did you mean `{close[0]}`?" if close else " (removed in Keras 3)"


def check_module(module: str, names: list[str] | None = None) -> str | None:
    """Why `import module` / `from module import names` fails under Keras 3, or None."""
    modules = _modules()
    if not modules or not _checked(module):
        return None
    root = "tensorflow.keras" if module.startswith("tensorflow.keras") else "keras"
    if module not in modules:
        parts = module.split(".")
        prefix = next((".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1) if ".".join(parts[:i]) in modules),
                      root)
        wanted = [n for n in (names or []) if n != "*"]
        homes = {n: _home(n, root) for n in wanted}
        segs = module.split(".")
        parent = segs[segs.index("experimental") - 1] if "experimental" in segs[1:] else None
        if module.endswith(".preprocessing.text"):
            # Tokenizer, one_hot, text_to_word_sequence: gone, not moved
            fix = (f"its Tokenizer is gone: use the `{root}.layers.TextVectorization` layer "
                   f"(`{root}.utils.pad_sequences` pads sequences)")
        elif parent is not None and parent not in ("layers", "keras") and not (wanted and all(homes.values())):
            # tf.keras.optimizers.experimental.AdamW -> keras.optimizers.AdamW
            fix = f"what it held is in `{prefix if prefix != root else root + '.' + parent}`"
        elif ("experimental" in segs and parent in (None, "layers", "keras")) or "preprocessing" in wanted:
            fix = f"the preprocessing layers are in `{root}.layers`"
        elif wanted and all(homes.values()):
            where = sorted(set(homes.values()))
            fix = f"import {', '.join(wanted)} from `{where[0]}`" if len(where) == 1 else \
                f"import them from {', '.join(f'`{w}`' for w in where)}"
        else:
            fix = f"import from `{prefix}`"
        return REMOVED_IN_KERAS_3.module_removed(module=module, fix=fix)
    missing = [n for n in (names or []) if n != "*" and n not in modules[module] and f"{module}.{n}" not in modules]
    if missing:
        name = missing[0]
        return REMOVED_IN_KERAS_3.name_removed(module=module, name=name, elsewhere=_elsewhere(name, root))
    return None

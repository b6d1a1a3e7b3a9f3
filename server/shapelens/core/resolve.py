"""Import statements -> canonical names.

jedi cannot see through TensorFlow's lazy loader (``tf.keras.layers.Conv2D`` infers to
nothing), so Keras names are resolved here from the import statements themselves:
every name bound by an import becomes a :class:`ModuleRef` holding the full dotted path,
attribute access extends it, and :func:`keras_name` maps any of the spellings people use
(``tf.keras.layers.Conv2D``, ``keras.src.layers...``, ``tensorflow.python.keras``) onto
one canonical Keras name.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
from functools import lru_cache

KERAS_ROOTS = (
    "keras",
    "tensorflow.keras",
    "tensorflow.python.keras",
    "tf_keras",
    "keras_core",  # the Keras 3 preview package (2023), still imported by many published examples
    "keras.api",
    "keras.src",
    "keras._tf_keras.keras",
    "tensorflow.compat.v2.keras",
    "tensorflow.compat.v1.keras",
)

# Sub-namespaces that only group names; the class name alone identifies the object.
_GROUPING = {
    "layers", "models", "src", "api", "engine", "convolutional", "core", "pooling",
    "reshaping", "rnn", "recurrent", "merging", "merge", "normalization", "attention",
    "preprocessing", "regularization", "activations", "input_layer", "sequential",
    "functional", "model", "training", "image_preprocessing", "advanced_activations",
    "legacy", "experimental", "_tf_keras", "wrappers", "python", "compat", "v2", "v1",
    "layer", "base_conv", "convolutional_recurrent", "dense_attention", "embeddings",
}


@dataclass(frozen=True)
class ModuleRef:
    """A module, or an attribute path inside one, that the file imported."""

    path: str

    def attr(self, name: str) -> "ModuleRef":
        return ModuleRef(f"{self.path}.{name}")

    @property
    def leaf(self) -> str:
        return self.path.rsplit(".", 1)[-1]


@lru_cache(maxsize=4096)
def _strip_keras_root(path: str) -> str | None:
    best = None
    for root in KERAS_ROOTS:
        if path == root or path.startswith(root + "."):
            if best is None or len(root) > len(best):
                best = root
    if best is None:
        return None
    return path[len(best) + 1:] if len(path) > len(best) else ""


@lru_cache(maxsize=4096)
def keras_name(path: str) -> str | None:
    """'tensorflow.keras.layers.Conv2D' -> 'Conv2D'; 'keras.utils.to_categorical' ->
    'utils.to_categorical'; None for paths outside Keras."""
    rest = _strip_keras_root(path)
    if rest is None or rest == "":
        return None
    parts = rest.split(".")
    # drop grouping namespaces and private module file names (keras.src.layers.convolutional.conv2d.Conv2D)
    kept = [p for p in parts[:-1] if p not in _GROUPING and not _looks_like_module_file(p)]
    return ".".join(kept + [parts[-1]])


def _looks_like_module_file(part: str) -> bool:
    return part.islower() and "_" in part or part in {"conv1d", "conv2d", "conv3d", "dense", "lstm", "gru"}


def is_keras_namespace(path: str) -> bool:
    """True for module-like Keras paths (``keras``, ``tf.keras.layers``) rather than objects."""
    rest = _strip_keras_root(path)
    if rest is None:
        return False
    return rest == "" or all(p in _GROUPING or p.islower() for p in rest.split("."))


def module_root(path: str) -> str:
    return path.split(".", 1)[0]


# ---------------------------------------------------------------------- the user's own modules

import sys as _sys  # noqa: E402
from pathlib import Path  # noqa: E402

LIBRARY_ROOTS = {
    "keras", "keras_core", "tensorflow", "tf_keras", "numpy", "pandas", "sklearn", "scipy", "matplotlib", "torch", "jax",
    "PIL", "cv2", "seaborn", "tqdm", "h5py", "tensorflow_datasets", "tensorflow_hub", "transformers",
}
MAX_MODULE_BYTES = 1_000_000


def _project_root(start: Path) -> Path:
    for parent in [start, *start.parents]:
        if any((parent / marker).exists() for marker in ("pyproject.toml", "setup.py", "setup.cfg", ".git")):
            return parent
    return start


def _candidates(base: Path, parts: list[str]) -> list[Path]:
    target = base.joinpath(*parts) if parts else base
    return [target.with_suffix(".py"), target / "__init__.py"] if parts else [base / "__init__.py"]


@lru_cache(maxsize=256)
def find_user_module(module: str, level: int, importer: str) -> str | None:
    """The file of a module the user wrote (next to the importing file, in its project or
    its src/ folder); None for libraries, the standard library and anything not found.

    Plain path search covers the usual layouts cheaply; jedi's import resolution (which
    knows sys.path, namespace packages and installed editable projects) is the fallback.
    """
    if not importer or importer.startswith("<"):
        return None
    here = Path(importer).resolve().parent
    parts = [p for p in module.split(".") if p] if module else []
    if level:
        base = here
        for _ in range(level - 1):
            base = base.parent
        for cand in _candidates(base, parts):
            if cand.is_file():
                return str(cand)
        return None
    if not parts or parts[0] in LIBRARY_ROOTS or parts[0] in getattr(_sys, "stdlib_module_names", ()):
        return None
    root = _project_root(here)
    for base in (here, root, root / "src"):
        for cand in _candidates(base, parts):
            if cand.is_file():
                return str(cand)
    names = _module_names_under(str(root))
    if names is not None and parts[0] not in names:
        return None  # nothing of that name in the project: jedi could only find it outside
    return _jedi_find(module, importer, str(root))


_WALK_SKIP = {"__pycache__", "node_modules", "site-packages", "dist-packages"}
WALK_ENTRIES = 5_000
WALK_DEPTH = 5


@lru_cache(maxsize=16)
def _module_names_under(root: str) -> frozenset[str] | None:
    """The names a module or package under ``root`` can have (file stems, folder names), from
    a bounded walk; None when the project is too big to list (then jedi decides). Jedi's
    answers are only used when they lie under the root, so a name found nowhere under it
    cannot resolve to a user module and the (costly) jedi start is skipped."""
    names: set[str] = set()
    seen = 0
    level = [Path(root)]
    for _ in range(WALK_DEPTH):
        nxt: list[Path] = []
        for folder in level:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > WALK_ENTRIES:
                    return None
                name = entry.name
                if name.startswith(".") or name in _WALK_SKIP:
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    names.add(name)
                    nxt.append(Path(entry.path))
                elif name.endswith((".py", ".pyi")) or ".cpython-" in name or name.endswith((".so", ".pyd")):
                    names.add(name.split(".", 1)[0])
        level = nxt
        if not level:
            return frozenset(names)
    return None if level else frozenset(names)


def _jedi_find(module: str, importer: str, root: str) -> str | None:
    try:
        import jedi

        code = f"import {module}\n"
        script = jedi.Script(code, path=importer, project=jedi.Project(root))
        for name in script.goto(1, len(code) - 2, follow_imports=True):
            path = name.module_path
            if path is not None and str(path).endswith(".py") and root in str(path):
                return str(path)
    except Exception:  # noqa: BLE001 -- jedi failing must never fail the analysis
        return None
    return None


def read_user_module(path: str) -> str | None:
    try:
        p = Path(path)
        if p.stat().st_size > MAX_MODULE_BYTES:
            return None
        return p.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None

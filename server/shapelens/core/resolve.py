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

KERAS_ROOTS = (
    "keras",
    "tensorflow.keras",
    "tensorflow.python.keras",
    "tf_keras",
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


def _strip_keras_root(path: str) -> str | None:
    best = None
    for root in KERAS_ROOTS:
        if path == root or path.startswith(root + "."):
            if best is None or len(root) > len(best):
                best = root
    if best is None:
        return None
    return path[len(best) + 1:] if len(path) > len(best) else ""


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

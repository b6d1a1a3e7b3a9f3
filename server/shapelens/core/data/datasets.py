"""``keras.datasets.<name>.load_data()``: the Keras dataset loaders whose shapes are facts.

``keras.datasets.<name>.load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` with
shapes documented by Keras (and fixed by the files it downloads). :func:`load_data` gives
them as :class:`Part` descriptions for the evaluator; :func:`stub_arrays` builds zero arrays
of the same shapes (with every class present in the labels) so that programs can run
offline under the test oracle (tests/oracle/program_runner.py). :func:`_load_dataset` is the
evaluator's handler, returning them as :class:`Array` values.

Numbers from keras/src/datasets/*.py (Keras 3.15): the train/test split of the datasets
that have a ``test_split`` argument is ``int(n * (1 - test_split))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapelens.core.shapes import UNK, Unknown
from shapelens.core.data.base import Array, _Ctx, _dtype_of


@dataclass(frozen=True)
class Part:
    shape: tuple  # an entry may be None: not known (e.g. after maxlen filtering)
    dtype: str  # numpy dtype name: "uint8", "int64", "float64", "object"
    classes: int | None = None  # integer labels, every value in range(classes) present
    sequences: bool = False  # an object array of lists of word indices (imdb, reuters)
    vocab: int | None = None  # word indices are < vocab (num_words)


Split = tuple[tuple[Part, Part], tuple[Part, Part]]

NAMES = ("mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
         "california_housing")


def _images(n_train: int, n_test: int, image: tuple, classes: int, label_shape: tuple = ()) -> Split:
    return (
        (Part((n_train, *image), "uint8"), Part((n_train, *label_shape), "uint8", classes)),
        (Part((n_test, *image), "uint8"), Part((n_test, *label_shape), "uint8", classes)),
    )


def _split(total: int, test_split: Any) -> tuple[int | None, int | None]:
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        return None, None
    n_train = int(total * (1 - test_split))
    return n_train, total - n_train


def _arg(kwargs: dict, args: list, index: int, name: str, default: Any) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def load_data(name: str, args: list | None = None, kwargs: dict | None = None) -> Split | None:
    """The four parts of ``keras.datasets.<name>.load_data(*args, **kwargs)``; None when the
    arguments are not known well enough."""
    args, kwargs = list(args or []), dict(kwargs or {})
    if name in ("mnist", "fashion_mnist"):
        return _images(60000, 10000, (28, 28), 10)
    if name == "cifar10":
        return _images(50000, 10000, (32, 32, 3), 10, (1,))
    if name == "cifar100":
        mode = _arg(kwargs, args, 0, "label_mode", "fine")
        if mode not in ("fine", "coarse"):
            return None
        return _images(50000, 10000, (32, 32, 3), 100 if mode == "fine" else 20, (1,))
    if name == "imdb":
        num_words = _arg(kwargs, args, 1, "num_words", None)
        maxlen = _arg(kwargs, args, 3, "maxlen", None)
        n = 25000 if not maxlen else None
        vocab = num_words if isinstance(num_words, int) and not isinstance(num_words, bool) else None
        x = Part((n,), "object", sequences=True, vocab=vocab)
        y = Part((n,), "int64", 2)
        return (x, y), (x, y)
    if name == "reuters":
        num_words = _arg(kwargs, args, 1, "num_words", None)
        maxlen = _arg(kwargs, args, 3, "maxlen", None)
        n_train, n_test = _split(11228, _arg(kwargs, args, 4, "test_split", 0.2))
        if maxlen:
            n_train = n_test = None
        vocab = num_words if isinstance(num_words, int) and not isinstance(num_words, bool) else None
        return ((Part((n_train,), "object", sequences=True, vocab=vocab), Part((n_train,), "int64", 46)),
                (Part((n_test,), "object", sequences=True, vocab=vocab), Part((n_test,), "int64", 46)))
    if name == "boston_housing":
        n_train, n_test = _split(506, _arg(kwargs, args, 1, "test_split", 0.2))
        return ((Part((n_train, 13), "float64"), Part((n_train,), "float64")),
                (Part((n_test, 13), "float64"), Part((n_test,), "float64")))
    if name == "california_housing":
        version = _arg(kwargs, args, 0, "version", "large")
        if version not in ("small", "large"):
            return None
        n_train, n_test = _split(600 if version == "small" else 20640, _arg(kwargs, args, 2, "test_split", 0.2))
        return ((Part((n_train, 8), "float64"), Part((n_train,), "float64")),
                (Part((n_test, 8), "float64"), Part((n_test,), "float64")))
    return None


def describe(name: str) -> str:
    return f"{name}.load_data()"


# ---------------------------------------------------------------------------- offline stand-ins


def stub_part(part: Part, np: Any) -> Any:
    """A zero array with the shape of ``part`` (labels cycle through every class)."""
    n = part.shape[0] if part.shape and part.shape[0] is not None else 100
    if part.sequences:
        vocab = part.vocab or 1000
        out = np.empty((n,), dtype="object")
        for i in range(n):
            out[i] = [(i + j) % vocab for j in range(5 + i % 40)]
        return out
    shape = (n, *part.shape[1:])
    if part.classes:
        return (np.arange(int(np.prod(shape))) % part.classes).astype(part.dtype).reshape(shape)
    return np.zeros(shape, dtype=part.dtype)


def stub_arrays(name: str, args: list | None = None, kwargs: dict | None = None) -> Any:
    """What the test oracle's stand-in ``load_data`` returns (numpy imported lazily)."""
    import numpy as np

    split = load_data(name, args, kwargs)
    if split is None:
        raise ValueError(f"shapelens has no stand-in for {name}.load_data({args}, {kwargs})")
    (xa, ya), (xb, yb) = split
    return (stub_part(xa, np), stub_part(ya, np)), (stub_part(xb, np), stub_part(yb, np))


def _load_dataset(ctx: _Ctx, name: str, args: list, kwargs: dict) -> Any:
    split = load_data(name, args, kwargs)
    if split is None:
        return Unknown(f"{name}.load_data() with arguments shapelens does not follow")
    what = f"{name}.load_data()"

    def part(p: Part, label: str) -> Array:
        shape = tuple(UNK if d is None else d for d in p.shape)
        dtype = "object" if p.sequences else _dtype_of(p.dtype)
        return Array(shape, f"{what} (line {ctx.line})", ctx.span, symbolic=False, dtype=dtype,
                     classes=p.classes, lib="numpy", sequences=p.sequences, upper=p.vocab)

    (xa, ya), (xb, yb) = split
    return (part(xa, "x_train"), part(ya, "y_train")), (part(xb, "x_test"), part(yb, "y_test"))

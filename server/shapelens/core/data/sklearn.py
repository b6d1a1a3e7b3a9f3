"""scikit-learn helpers followed for their shapes: ``train_test_split``, and the scalers and
encoders that keep their input's shape (``StandardScaler().fit_transform(x)`` is shaped like ``x``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
import math

from shapelens.core.shapes import UNK, Unknown, fmt_shape, known
from shapelens.core.values import Tensor
from shapelens.core.data.base import Array, _Ctx, _is_int, _related, _shape_of
from shapelens.core.codes import SAMPLE_COUNT_MISMATCH


def _train_test_split(ctx: _Ctx, args: list, kwargs: dict) -> Any:
    arrays = list(args)
    if not arrays:
        return Unknown("train_test_split() of nothing")
    shapes = [_shape_of(a) for a in arrays]
    if any(s is None or not s for s in shapes):
        return Unknown("train_test_split() of values not known")
    counts = {s[0] for s in shapes if known(s[0])}
    if len(counts) > 1:
        ctx.report(SAMPLE_COUNT_MISMATCH, SAMPLE_COUNT_MISMATCH.train_test_split(
            zip=", ".join(f"{fmt_shape(s)}" + (f" from {a.origin}" if isinstance(a, Tensor) else "")
                                        for a, s in zip(arrays[:3], shapes[:3]))), related=[r for a in arrays[:3] for r in _related(a)])
        return Unknown("train_test_split raises here")
    n = next(iter(counts)) if counts else UNK
    test, train = kwargs.get("test_size"), kwargs.get("train_size")
    n_test: Any = UNK
    n_train: Any = UNK
    if known(n):
        def count(v: Any, rounding) -> Any:
            if isinstance(v, float) and 0 < v < 1:
                return rounding(v * n)
            if _is_int(v):
                return v
            return None

        t = count(test, math.ceil) if test is not None else None
        r = count(train, math.floor) if train is not None else None
        if test is None and train is None:
            t = math.ceil(0.25 * n)
        if t is not None and r is None:
            n_test, n_train = t, n - t
        elif r is not None and t is None:
            n_train, n_test = r, n - r
        elif r is not None and t is not None:
            n_train, n_test = r, t
    out = []
    for a, s in zip(arrays, shapes):
        for rows, part in ((n_train, "train"), (n_test, "test")):
            out.append(Array((rows, *s[1:]), f"the {part} split of train_test_split(...) (line {ctx.line})", ctx.span,
                             symbolic=False, dtype=a.dtype if isinstance(a, Array) else None,
                             classes=None, upper=a.upper if isinstance(a, Array) else None))
    return out


# sklearn.preprocessing transformers whose transform keeps the input's shape (and gives floats;
# LabelEncoder maps a 1-D array of labels to as many integers)
SHAPE_KEEPING = frozenset({"StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "Normalizer",
                           "QuantileTransformer", "PowerTransformer", "LabelEncoder"})
_TRANSFORMS = frozenset({"fit_transform", "transform", "inverse_transform"})


@dataclass(eq=False)
class ShapeKeepingTransformer:
    """An instance of one of :data:`SHAPE_KEEPING`: only its shapes are followed."""

    name: str


def transformer_method(ev: Any, obj: ShapeKeepingTransformer, name: str, args: list, kwargs: dict,
                       node: Any) -> Any:
    ctx = _Ctx(ev, node, f"{obj.name}.{name}", "numpy")
    if name == "fit":
        return obj  # fit returns the estimator
    x = args[0] if args else kwargs.get("X", kwargs.get("y"))
    if name not in _TRANSFORMS or x is None:
        return Unknown(f"{obj.name}.{name}() is not followed")
    shape = _shape_of(x)
    if shape is None or (obj.name == "LabelEncoder" and len(shape) != 1):
        return Unknown(f"{obj.name}.{name}() of a value not known")
    if obj.name != "LabelEncoder" and len(shape) != 2:
        return Unknown(f"{obj.name}.{name}() of a {len(shape)}-D array (scikit-learn wants 2-D)")
    return Array(tuple(shape), f"{obj.name}.{name}(...) (line {ctx.line})", ctx.span, symbolic=False,
                 dtype="int64" if obj.name == "LabelEncoder" else "float64")


# sklearn.datasets loaders whose arrays have fixed shapes (scikit-learn's dataset docs; the
# bundled ones and California housing): name -> {field: (shape, dtype)}, ``images`` of
# load_sample_images being a list of two images
_DATASETS = {
    "fetch_california_housing": {"data": ((20640, 8), "float64"), "target": ((20640,), "float64")},
    "load_iris": {"data": ((150, 4), "float64"), "target": ((150,), "int64")},
    "load_digits": {"data": ((1797, 64), "float64"), "images": ((1797, 8, 8), "float64"),
                    "target": ((1797,), "int64")},
    "load_breast_cancer": {"data": ((569, 30), "float64"), "target": ((569,), "int64")},
    "load_wine": {"data": ((178, 13), "float64"), "target": ((178,), "int64")},
    "load_diabetes": {"data": ((442, 10), "float64"), "target": ((442,), "float64")},
}
_SAMPLE_IMAGE = ((427, 640, 3), "uint8")  # china.jpg and flower.jpg


@dataclass(eq=False)
class Bunch:
    """What a scikit-learn dataset loader returns: fields read as attributes or keys."""

    name: str
    fields: dict


def load_dataset(ctx: _Ctx, name: str, args: list, kwargs: dict) -> Any:
    """``sklearn.datasets.<name>(...)`` with the default arguments that fix its shapes."""
    def arr(spec: tuple, field: str) -> Array:
        return Array(spec[0], f"{name}().{field} (line {ctx.line})", ctx.span, symbolic=False, dtype=spec[1])

    if name == "load_sample_images":
        return Bunch(name, {"images": [arr(_SAMPLE_IMAGE, "images[0]"), arr(_SAMPLE_IMAGE, "images[1]")]})
    spec = _DATASETS.get(name)
    if spec is None or args or kwargs.get("as_frame") or any(
            k not in ("return_X_y", "as_frame", "data_home", "download_if_missing") for k in kwargs):
        return Unknown(f"{name}(...) is not followed")
    fields = {field: arr(v, field) for field, v in spec.items()}
    if kwargs.get("return_X_y"):
        return (fields["data"], fields["target"])
    return Bunch(name, fields)


def make_dataset(ctx: _Ctx, name: str, args: list, kwargs: dict) -> Any:
    """sklearn.datasets.make_moons / make_circles (n_samples, ...): (X of (n, 2), y of (n,)) --
    n_samples an int (a pair of per-class counts is not followed)."""
    n = _arg_at(args, kwargs, 0, "n_samples", 100)
    if not (isinstance(n, int) and not isinstance(n, bool)) or n < 0:
        return Unknown(f"{name}() of a sample count not known statically")
    def arr(shape: tuple, what: str, dtype: str) -> Array:
        return Array(shape, f"{name}()[{what}] (line {ctx.line})", ctx.span, symbolic=False, dtype=dtype)
    return (arr((n, 2), "0", "float64"), arr((n,), "1", "int64"))


def _arg_at(args: list, kwargs: dict, i: int, name: str, default: Any) -> Any:
    return kwargs[name] if name in kwargs else args[i] if len(args) > i else default


def bunch_field(obj: Bunch, key: Any) -> Any:
    return obj.fields[key] if key in obj.fields else Unknown(f"{obj.name}().{key} is not followed")

"""Pretrained backbones (``keras.applications.*``): output shape and parameter count.

The numbers come from ``applications.json``, generated from Keras itself by
``scripts/gen_applications.py`` (models built with ``weights=None``). A backbone is one
layer to shapelens: its feature map has ``floor((n + offset) / stride)`` rows and columns
for an input of ``n`` rows/columns (a formula fitted and checked on sampled sizes), and
its parameters are linear in the input channels and, with the classifier, in ``classes``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from shapelens.core.rules.base import Args, LayerError, Out, Rule, Unresolved
from shapelens.core.codes import INVALID_ARGUMENT

_TABLE = Path(__file__).with_name("applications.json")

# Keras 3 lower-cases the constructor for the model's default name (ResNet50 -> "resnet50")
PREPROCESS = ("preprocess_input",)


@lru_cache(maxsize=1)
def table() -> dict[str, dict]:
    try:
        return json.loads(_TABLE.read_text(encoding="utf-8")).get("constructors", {})
    except (OSError, ValueError):
        return {}


def constructor(name: str | None) -> str | None:
    """'applications.ResNet50' / 'applications.resnet50.ResNet50' -> 'ResNet50'."""
    if not name or not name.startswith("applications."):
        return None
    leaf = name.rsplit(".", 1)[-1]
    return leaf if leaf in table() else None


def is_preprocess(name: str | None) -> bool:
    return bool(name) and name.startswith("applications.") and name.rsplit(".", 1)[-1] in PREPROCESS


def spatial(entry: dict, n: Any) -> Any:
    if not isinstance(n, int):
        return None
    return (n + entry["offset"]) // entry["stride"]


def default_input(entry: dict, include_top: bool) -> tuple:
    """The input Keras builds when input_shape is not given."""
    if include_top and entry["default_size"] is not None:
        return (None, entry["default_size"], entry["default_size"], 3)
    return (None, None, None, 3)


def check_arguments(name: str, entry: dict, cfg: dict, input_shape: tuple | None) -> None:
    """The checks Keras's constructor makes before building (imagenet_utils.obtain_input_shape)."""
    pooling = cfg["pooling"]
    if pooling not in (None, "avg", "max") and isinstance(pooling, str):
        # Keras ignores other strings silently for most models; nothing to report
        pass
    weights = cfg["weights"]
    if weights == "imagenet" and cfg["include_top"] and isinstance(cfg["classes"], int) and cfg["classes"] != 1000:
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.application_classes_not_1000(name=name, classes=cfg['classes']))
    if input_shape is None:
        return
    if len(input_shape) != 3:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.application_input_shape_needs_3_values(
            name=name, n_input_shape=len(input_shape)))
    h, w, c = input_shape
    if weights == "imagenet" and isinstance(c, int) and c != 3:
        raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.application_channels_not_3(name=name, c=c))
    if weights == "imagenet" and cfg["include_top"] and entry["default_size"] is not None and all(isinstance(d, int) for d in (h, w)) and (
            (h, w) != (entry["default_size"], entry["default_size"])):
        size = entry["default_size"]
        raise LayerError(
            INVALID_ARGUMENT,
            INVALID_ARGUMENT.application_input_size_fixed(name=name, size=size, h=h, w=w, c=c))
    low = entry["min_size"]
    for d in (h, w):
        if isinstance(d, int) and d < low:
            raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.application_input_too_small(
                name=name, low=low, h=h, w=w))


def make_rule(name: str) -> Rule:
    return Rule(kind=name, fn=_apply, signature=(), family="applications", ndim=4, per_call=True)


def make_args(name: str, cfg: dict) -> Args:
    return Args(name, dict(cfg))


def _apply(args: Args, x: Any, call: dict) -> Out:
    name = args.kind
    entry = table()[name]
    cfg = args.values
    _, h, w, c = x
    if not isinstance(c, int):
        raise Unresolved(f"{name} needs a defined channel axis")
    fh, fw = spatial(entry, h), spatial(entry, w)
    for n, f in ((h, fh), (w, fw)):
        if isinstance(n, int) and (f is None or f < 1 or n < entry["min_size"]):
            raise Unresolved(f"{name} is called on {h}x{w} images, smaller than the {entry['min_size']}x"
                             f"{entry['min_size']} it accepts")
    params = entry["params_base"] + entry["params_per_channel"] * c
    explain = [f"{name}: feature map = floor((n + {entry['offset']}) / {entry['stride']}) per spatial axis, "
               f"{entry['features']} channels (table generated from Keras {_keras_version()})"]
    if cfg["include_top"]:
        classes = cfg["classes"]
        if not isinstance(classes, int):
            raise Unresolved(f"the number of classes of {name} is not known statically")
        head = entry["head_base"] + entry["head_per_class"] * classes
        if entry["head_flatten_units"]:
            if not (isinstance(fh, int) and isinstance(fw, int)):
                raise Unresolved(f"{name}'s classifier flattens the feature map, whose size is not known")
            head += entry["head_flatten_units"] * fh * fw * entry["features"]
        return Out((x[0], classes), params + head, explain)
    pooling = cfg["pooling"]
    if pooling in ("avg", "max"):
        return Out((x[0], entry["features"]), params, explain)
    if pooling is not None:
        raise Unresolved(f"pooling={pooling!s} is not followed")
    return Out((x[0], fh, fw, entry["features"]), params, explain)


@lru_cache(maxsize=1)
def _keras_version() -> str:
    try:
        return json.loads(_TABLE.read_text(encoding="utf-8")).get("keras_version", "?")
    except (OSError, ValueError):
        return "?"

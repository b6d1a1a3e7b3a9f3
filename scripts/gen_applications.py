"""Regenerate server/shapelens/core/rules/applications.json from the installed Keras.

For every ``keras.applications`` constructor (built with ``weights=None``: nothing is
downloaded) records what shapelens needs to give the backbone's output shape and
parameter count for any input shape, ``include_top``, ``pooling`` and ``classes``:

- ``default_size`` and ``min_size`` (Keras raises "Input size must be at least NxN" below it);
- ``features``: the channels of the last feature map;
- the spatial size of the feature map as ``floor((n + offset) / stride)`` of the input size
  ``n`` (each axis), fitted on sampled sizes and checked on all of them;
- ``params_base`` and ``params_per_channel``: the backbone's parameters (include_top=False)
  are ``params_base + params_per_channel * channels`` (only the first layers see the
  input channels; measured with 3 and 1 channels);
- the classifier head (include_top=True): ``head_base + head_per_class * classes``, plus
  ``head_flatten_units * (h * w * features)`` for heads that Flatten the feature map (VGG).

    python scripts/gen_applications.py          # rewrite the file
    python scripts/gen_applications.py --check  # exit 1 if it is out of date
    python scripts/gen_applications.py ResNet50 # only these (merged into the file)
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "server/shapelens/core/rules/applications.json"

# sizes sampled to fit and check the spatial formula (relative to min_size), as (h, w) pairs
_OFFSETS = [(0, 1), (5, 13), (17, 31), (32, 33), (100, 129)]


def _min_size(ctor) -> int:
    try:
        ctor(weights=None, include_top=False, input_shape=(1, 1, 3))
    except ValueError as exc:
        m = re.search(r"at least (\d+)x(\d+)", str(exc))
        if m:
            return int(m.group(1))
        raise
    return 1


def _fit(samples: list[tuple[int, int]]) -> tuple[int, int]:
    """(stride, offset) with out == (n + offset) // stride for every (n, out) sample."""
    for stride in (1, 2, 4, 8, 16, 32, 64):
        for offset in range(-8 * stride, 8 * stride + 1):
            if all((n + offset) // stride == out for n, out in samples):
                return stride, offset
    raise ValueError(f"no floor((n + a) / s) formula fits {samples}")


def signature_of(ctor) -> dict:
    """Positional order and the defaults shapelens compares against (alpha, include_preprocessing...)."""
    import inspect

    params = list(inspect.signature(ctor).parameters.values())
    return {
        "positional": [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD],
        "defaults": {p.name: p.default for p in params
                     if p.default is not p.empty and isinstance(p.default, (int, float, bool, str, type(None)))},
    }


def describe(name: str) -> dict:
    import keras

    ctor = getattr(keras.applications, name)
    min_size = _min_size(ctor)
    base3 = ctor(weights=None, include_top=False, input_shape=(None, None, 3))
    features = int(base3.output.shape[-1])
    p3 = int(base3.count_params())
    samples: list[tuple[int, int]] = []
    raises: list[int] = []
    for dh, dw in _OFFSETS:
        h, w = min_size + dh, min_size + dw
        # a model built for the size, not compute_output_shape on the (None, None) one: padding
        # that depends on the size (EfficientNet's correct_pad, NASNet's cropping) only shows there
        try:
            sized = ctor(weights=None, include_top=False, input_shape=(h, w, 3))
        except Exception:  # noqa: BLE001 -- record the sizes Keras rejects
            raises.extend([h, w])
            continue
        out = sized.output.shape
        if int(sized.count_params()) != p3:
            raise ValueError(f"{name}: the parameter count depends on the input size ({h}x{w})")
        del sized
        gc.collect()
        samples += [(h, int(out[1])), (w, int(out[2]))]
    if len(samples) < 6:
        raise ValueError(f"{name}: too few input sizes build ({raises})")
    stride, offset = _fit(samples)
    del base3
    gc.collect()
    base1 = ctor(weights=None, include_top=False, input_shape=(None, None, 1))
    p1 = int(base1.count_params())
    del base1
    gc.collect()
    top = ctor(weights=None, include_top=True)
    # MobileNetV3 builds include_top=True on any size: no default (None)
    default_size = int(top.input.shape[1]) if top.input.shape[1] is not None else None
    total = int(top.count_params())
    last = [layer for layer in top.layers if layer.weights][-1]
    per_class = int(last.weights[0].shape[-2]) + 1 if len(last.weights[0].shape) >= 2 else None
    flatten_units = 0
    names = [type(layer).__name__ for layer in top.layers]
    if "Flatten" in names:
        after = top.layers[names.index("Flatten") + 1:]
        flatten_units = next((int(layer.units) for layer in after if hasattr(layer, "units")), 0)
    h_feat = (default_size + offset) // stride if default_size is not None else 0
    head = total - p3
    head_base = head - per_class * 1000 - flatten_units * h_feat * h_feat * features
    del top
    gc.collect()
    keras.backend.clear_session()
    entry = {
        "default_size": default_size,
        "min_size": min_size,
        "features": features,
        "stride": stride,
        "offset": offset,
        "params_base": p3 - (p3 - p1) // 2 * 3,
        "params_per_channel": (p3 - p1) // 2,
        "head_base": head_base,
        "head_per_class": per_class,
        "head_flatten_units": flatten_units,
        "sizes_checked": sorted({n for n, _ in samples}),
    }
    entry.update(signature_of(ctor))
    if raises:
        entry["sizes_raising"] = sorted(set(raises))
    return entry


def _describe_in_subprocess(name: str) -> dict:
    """One constructor per process: the big models do not pile up in memory."""
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(names: list[str] | None) -> dict:
    import keras

    all_names = sorted(n for n in dir(keras.applications) if n[:1].isupper())
    old = json.loads(OUT.read_text()).get("constructors", {}) if OUT.exists() else {}
    constructors = {}
    for name in all_names:
        if names is None or name in names:
            print(name, file=sys.stderr, flush=True)
            try:
                constructors[name] = _describe_in_subprocess(name)
            except Exception as exc:  # noqa: BLE001 -- keep the others; the table test lists what is missing
                print(f"  failed: {exc}", file=sys.stderr, flush=True)
        elif name in old:
            constructors[name] = old[name]
    modules = sorted(m for m in dir(keras.applications) if m[:1].islower() and not m.startswith("_"))
    return {"keras_version": keras.__version__, "modules": modules, "constructors": constructors}


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--one"]:
        print(json.dumps(describe(args[1])))
        return 0
    check = "--check" in args
    names = [a for a in args if not a.startswith("--")] or None
    text = json.dumps(generate(names), indent=1, sort_keys=True) + "\n"
    if check:
        return 0 if OUT.exists() and OUT.read_text() == text else 1
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

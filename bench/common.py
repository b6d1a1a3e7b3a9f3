"""Shared by the benchmarks: the fixture files, the 5,000-line generator and statistics.

The 5,000-line file is generated (deterministically: same text on every run) rather
than committed: ``generate_large()`` repeats a cycle of realistic units (a helper block
with a functional model, a Sequential CNN built in a loop, an LSTM/GRU text model, a
subclassed model, plain data code) with varying sizes and names until it reaches the
requested number of lines.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "bench" / "fixtures"
REALISTIC = FIXTURES / "realistic_300.py"
RESULTS = ROOT / "bench" / "results"

if str(ROOT / "server") not in sys.path:
    sys.path.insert(0, str(ROOT / "server"))


def realistic_text() -> str:
    return REALISTIC.read_text(encoding="utf-8")


_HEADER = '''"""Generated benchmark file (bench/common.py: generate_large). Do not edit."""

import numpy as np
import keras
from keras import layers

SEED = 7
NUM_CLASSES = 10
VOCAB = 5000
'''


def _unit_functional(i: int) -> list[str]:
    f = 16 * (i % 4 + 1)
    size = 32 + 16 * (i % 3)
    return [
        f"FILTERS_{i} = {f}",
        f"SIZE_{i} = {size}",
        "",
        "",
        f"def block_{i}(x, filters=FILTERS_{i}, pool=True):",
        f'    """Conv-BN-ReLU twice, then pooling (unit {i})."""',
        "    x = layers.Conv2D(filters, 3, padding='same', use_bias=False)(x)",
        "    x = layers.BatchNormalization()(x)",
        "    x = layers.Activation('relu')(x)",
        "    x = layers.Conv2D(filters, 3, padding='same', use_bias=False)(x)",
        "    x = layers.BatchNormalization()(x)",
        "    x = layers.Activation('relu')(x)",
        "    if pool:",
        "        x = layers.MaxPooling2D(2)(x)",
        "    return x",
        "",
        "",
        f"inp_{i} = keras.Input(shape=(SIZE_{i}, SIZE_{i}, 3), name='image_{i}')",
        f"meta_{i} = keras.Input(shape=({4 + i % 8},), name='meta_{i}')",
        f"h_{i} = block_{i}(inp_{i})",
        f"h_{i} = block_{i}(h_{i}, FILTERS_{i} * 2)",
        f"h_{i} = block_{i}(h_{i}, FILTERS_{i} * 4, pool=False)",
        f"h_{i} = layers.GlobalAveragePooling2D()(h_{i})",
        f"m_{i} = layers.Dense(16, activation='relu')(meta_{i})",
        f"h_{i} = layers.Concatenate()([h_{i}, m_{i}])",
        f"h_{i} = layers.Dense(64, activation='relu')(h_{i})",
        f"h_{i} = layers.Dropout(0.2)(h_{i})",
        f"out_{i} = layers.Dense(NUM_CLASSES, activation='softmax')(h_{i})",
        f"model_{i} = keras.Model([inp_{i}, meta_{i}], out_{i}, name='functional_{i}')",
        f"model_{i}.compile(optimizer='adam', loss='sparse_categorical_crossentropy')",
        "",
    ]


def _unit_sequential(i: int) -> list[str]:
    widths = [16 * (1 + (i + k) % 3) for k in range(3)]
    return [
        "",
        f"def build_cnn_{i}(input_shape=({28 + 4 * (i % 3)}, {28 + 4 * (i % 3)}, 1), classes=NUM_CLASSES):",
        f"    model = keras.Sequential(name='cnn_{i}')",
        "    model.add(keras.Input(shape=input_shape))",
        f"    for filters in {widths}:",
        "        model.add(layers.Conv2D(filters, 3, padding='same', activation='relu'))",
        "        model.add(layers.MaxPooling2D(2))",
        "    model.add(layers.Flatten())",
        f"    model.add(layers.Dense({64 + 32 * (i % 3)}, activation='relu'))",
        "    model.add(layers.Dropout(0.5))",
        "    model.add(layers.Dense(classes, activation='softmax'))",
        "    return model",
        "",
        "",
        f"cnn_{i} = build_cnn_{i}()",
        f"cnn_{i}.compile(optimizer='adam', loss='categorical_crossentropy')",
        f"mlp_{i} = keras.Sequential([",
        f"    keras.Input(shape=({100 + i},)),",
        "    layers.Dense(128, activation='relu'),",
        "    layers.BatchNormalization(),",
        "    layers.Dense(64, activation='relu'),",
        "    layers.Dense(NUM_CLASSES),",
        f"], name='mlp_{i}')",
        "",
    ]


def _unit_text(i: int) -> list[str]:
    rnn = "LSTM" if i % 2 == 0 else "GRU"
    return [
        f"MAX_LEN_{i} = {50 + 10 * (i % 5)}",
        f"tokens_{i} = keras.Input(shape=(MAX_LEN_{i},), dtype='int32')",
        f"e_{i} = layers.Embedding(VOCAB, {32 + 16 * (i % 2)})(tokens_{i})",
        f"e_{i} = layers.Bidirectional(layers.{rnn}(32, return_sequences=True))(e_{i})",
        f"e_{i} = layers.Conv1D(32, 3, padding='same', activation='relu')(e_{i})",
        f"e_{i} = layers.{rnn}(16)(e_{i})",
        f"e_{i} = layers.Dense(1, activation='sigmoid')(e_{i})",
        f"text_{i} = keras.Model(tokens_{i}, e_{i}, name='text_{i}')",
        "",
    ]


def _unit_subclass(i: int) -> list[str]:
    return [
        "",
        f"class Net{i}(keras.Model):",
        "    def __init__(self, classes=NUM_CLASSES, **kwargs):",
        "        super().__init__(**kwargs)",
        f"        self.conv = layers.Conv2D({8 * (i % 4 + 1)}, 3, activation='relu')",
        "        self.pool = layers.MaxPooling2D()",
        "        self.flat = layers.Flatten()",
        "        self.head = layers.Dense(classes)",
        "",
        "    def call(self, inputs, training=False):",
        "        x = self.conv(inputs)",
        "        x = self.pool(x)",
        "        return self.head(self.flat(x))",
        "",
        "",
        f"net_{i} = Net{i}()",
        f"net_out_{i} = net_{i}(keras.Input(shape=(16, 16, 3)))",
        "",
    ]


def _unit_plain(i: int) -> list[str]:
    return [
        "",
        f"def batches_{i}(x, y, batch_size={16 * (i % 4 + 1)}):",
        "    out = []",
        "    for start in range(0, len(x), batch_size):",
        "        out.append((x[start:start + batch_size], y[start:start + batch_size]))",
        "    return out",
        "",
        "",
        f"def normalise_{i}(x):",
        "    mean = x.mean(axis=0)",
        "    std = x.std(axis=0) + 1e-6",
        "    return (x - mean) / std",
        "",
        "",
        f"CONFIG_{i} = {{'lr': {0.001 * (i % 5 + 1):.3f}, 'epochs': {i % 7 + 1}, 'name': 'run_{i}'}}",
        f"x_train_{i} = np.zeros(({64 + i}, 20))",
        f"y_train_{i} = np.zeros(({64 + i},))",
        f"steps_{i} = len(batches_{i}(x_train_{i}, y_train_{i}))",
        "",
    ]


_UNITS = (_unit_functional, _unit_sequential, _unit_text, _unit_subclass, _unit_plain)


def generate_large(lines: int = 5000) -> str:
    """A deterministic Python file of exactly ``lines`` lines, many models and helpers."""
    out = _HEADER.splitlines()
    i = 0
    while len(out) < lines:
        out += _UNITS[i % len(_UNITS)](i)
        i += 1
    out = out[:lines]
    # the cut may leave a unit unfinished: drop back to the last blank line at top level
    while out and out[-1].strip():
        out.pop()
    while len(out) < lines:
        out.append(f"# padding {len(out)}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- statistics


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; samples in any unit."""
    s = sorted(samples)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def stats_ms(samples_s: list[float]) -> dict[str, float]:
    """Median, p95, min of samples given in seconds, in milliseconds."""
    ms = [x * 1000 for x in samples_s]
    return {"p50_ms": statistics.median(ms), "p95_ms": pct(ms, 0.95), "min_ms": min(ms), "n": len(ms)}


def machine() -> dict:
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "loadavg": load}


def versions(*dists: str) -> dict[str, str | None]:
    from importlib import metadata

    out = {}
    for d in dists:
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            out[d] = None
    return out


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def rss_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB (Linux)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out

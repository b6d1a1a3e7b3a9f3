"""The data-op table: handler by the dotted name it models (``numpy.reshape``,
``tensorflow.nn.conv2d``, ``keras.ops.concatenate``), filled by one module per library family."""

from __future__ import annotations

from typing import Callable


HANDLERS: dict[str, Callable] = {}


def register(table: dict[str, Callable]) -> None:
    """Add a family's handlers; a name registered twice is a bug in the tables."""
    for name, fn in table.items():
        if name in HANDLERS:
            raise ValueError(f"data op {name} registered twice")
        HANDLERS[name] = fn

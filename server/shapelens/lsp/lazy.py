"""Modules loaded on first use, so that starting the server imports none of the core.

``initialize`` must be answered as fast as a bare pygls server answers it (issue 15): the
analysis core, the conversions and the renderings load with the first document instead
(tests/lsp/test_startup.py checks which modules a started server has imported).
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    """Stands for a module until an attribute is read; then imports it (once) and reads it."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name}>"


def lazy_module(name: str) -> LazyModule:
    return LazyModule(name)

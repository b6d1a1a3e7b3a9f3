"""jupyter-lsp's spec for shapelens: with jupyter-lsp (jupyterlab-lsp) installed, JupyterLab
starts ``python -m shapelens serve`` for Python notebooks and files, with no other setup.

Registered under the ``jupyter_lsp_spec_v1`` entry point group (pyproject.toml); jupyter-lsp
calls :func:`spec_v1` with its manager when the Jupyter server starts. Nothing here imports
Jupyter.
"""

from __future__ import annotations

import sys
from typing import Any

SPEC_VERSION = 2  # jupyter-lsp's spec schema version


def spec_v1(manager: Any = None) -> dict[str, dict[str, Any]]:
    return {
        "shapelens": {
            "version": SPEC_VERSION,
            "display_name": "shapelens",
            "argv": [sys.executable, "-m", "shapelens", "serve"],
            "languages": ["python"],
            "mime_types": ["text/python", "text/x-ipython"],
            "env": {"PYTHONUNBUFFERED": "1"},
            "install": {"pip": "pip install 'shapelens[jupyter]'"},
        }
    }

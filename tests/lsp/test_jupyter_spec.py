"""The jupyter-lsp spec: what JupyterLab starts, and that pyproject registers it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from shapelens.jupyter import spec_v1

ROOT = Path(__file__).parents[2]


def test_spec_starts_this_python_as_a_language_server():
    spec = spec_v1(None)["shapelens"]
    assert spec["argv"] == [sys.executable, "-m", "shapelens", "serve"]
    assert spec["version"] == 2 and spec["languages"] == ["python"]
    assert "text/x-ipython" in spec["mime_types"]


def test_the_entry_point_and_the_extra_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["jupyter_lsp_spec_v1"] == {"shapelens": "shapelens.jupyter:spec_v1"}
    assert any(r.startswith("jupyterlab-lsp") for r in project["optional-dependencies"]["jupyter"])


def test_the_spec_command_serves_lsp():
    """The argv of the spec answers an LSP initialize over stdio."""
    import json

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"processId": None, "rootUri": None, "capabilities": {}}})
    message = f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
    proc = subprocess.run(spec_v1()["shapelens"]["argv"], input=message, capture_output=True, timeout=60)
    assert b'"capabilities"' in proc.stdout

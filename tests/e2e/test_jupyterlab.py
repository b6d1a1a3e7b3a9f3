"""JupyterLab: a real Jupyter server with jupyter-lsp discovers shapelens through its
``jupyter_lsp_spec_v1`` entry point (no configuration), and jupyter-lsp's status lists it.

Needs jupyter-lsp in this Python, or SHAPELENS_JUPYTER_PYTHON pointing at a Python that has
JupyterLab + jupyterlab-lsp (``pip install 'shapelens[jupyter]'``). The package metadata of
this checkout (its entry point) is provided as a dist-info directory on PYTHONPATH, which is
what ``pip install`` writes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.support import OUTPUT, ROOT, require
from tests.e2e.test_vscode import free_port

pytestmark = pytest.mark.e2e


def jupyter_python() -> str | None:
    for python in (os.environ.get("SHAPELENS_JUPYTER_PYTHON"), sys.executable):
        if python and subprocess.run([python, "-c", "import jupyter_lsp, jupyter_server"],
                                     capture_output=True).returncode == 0:
            return python
    return None


def test_jupyter_lsp_discovers_shapelens(tmp_path: Path):
    _run(tmp_path, browser=False)


def test_jupyterlab_shows_the_diagnostic_in_its_cell(tmp_path: Path):
    """Real JupyterLab in headless Chromium: the SL101 underline in the 6th cell, on the call."""
    from tests.e2e.test_vscode import CHROMIUM, TOOLS

    require(shutil.which("node") is not None, "node")
    require((TOOLS / "node_modules" / "playwright-core").is_dir(), f"playwright-core in {TOOLS}")
    require(CHROMIUM.is_file(), f"Debian's chromium at {CHROMIUM}")
    result = _run(tmp_path, browser=True)
    assert "error" not in result, result["error"]
    assert result["per_cell"] == [0, 0, 0, 0, 0, 1], result
    assert result["diagnostics"] == ['layers.Conv2D(128, 7, activation="relu")'], result
    assert any("kernel 7×7 does not fit the 5×5 input" in t and "shapelens" in t for t in result["tooltip"]), result


def _run(tmp_path: Path, browser: bool) -> dict:
    from tests.e2e.support import FIXTURES
    from tests.e2e.test_vscode import CHROMIUM, TOOLS

    python = jupyter_python()
    require(python is not None, "jupyter-lsp (pip install 'shapelens[jupyter]' or SHAPELENS_JUPYTER_PYTHON)")
    meta = tmp_path / "site" / "shapelens_checkout-0.0.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: shapelens-checkout\nVersion: 0.0\n")
    import tomllib

    group = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["jupyter_lsp_spec_v1"]
    (meta / "entry_points.txt").write_text(
        "[jupyter_lsp_spec_v1]\n" + "".join(f"{k} = {v}\n" for k, v in group.items()))
    out = OUTPUT / ("jupyterlab-browser" if browser else "jupyterlab")
    shutil.copy(FIXTURES / "kernel_too_big.ipynb", tmp_path / "kernel_too_big.ipynb")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "server"), str(tmp_path / "site")]),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = (out / "jupyter-server.log").open("w")
    server = subprocess.Popen(
        [python, "-m", "jupyterlab" if browser else "jupyter_server", "--no-browser", f"--port={port}", "--ServerApp.token=",
         "--ServerApp.password=", "--allow-root", "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={tmp_path}",
         "--ServerApp.jpserver_extensions={'jupyter_lsp': True}"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lsp/status", timeout=5) as r:
                    status = json.loads(r.read())
                    break
            except OSError:
                assert server.poll() is None, f"the Jupyter server exited; see {out / 'jupyter-server.log'}"
                time.sleep(0.5)
        assert status is not None, "no /lsp/status from jupyter-lsp"
        (out / "status.json").write_text(json.dumps(status, indent=1))
        session = status["sessions"].get("shapelens")
        assert session is not None, sorted(status["sessions"])
        spec = session["spec"]
        # (the status hides argv and env; tests/lsp/test_jupyter_spec.py checks the command itself)
        assert spec["display_name"] == "shapelens" and spec["languages"] == ["python"]
        assert "text/x-ipython" in spec["mime_types"]
        if not browser:
            return status
        config = {"toolsDir": str(TOOLS), "chromium": str(CHROMIUM), "url": f"http://127.0.0.1:{port}",
                  "file": "kernel_too_big.ipynb", "outputDir": str(out), "result": str(out / "result.json"),
                  "profileDir": str(tmp_path / "chromium-profile"), "timeoutMs": 90_000}
        (out / "driver-config.json").write_text(json.dumps(config))
        subprocess.run(["node", str(Path(__file__).parent / "jupyterlab_driver.cjs"), str(out / "driver-config.json")],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        return json.loads((out / "result.json").read_text())
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

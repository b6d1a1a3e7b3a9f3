"""VS Code notebooks end to end: the packaged extension in the real workbench (code-server's
built-in notebook editor, no Jupyter extension, no kernel) on a real .ipynb.

Checks what a person sees: the squiggle in the cell that adds the bad layer (on the layer's
characters), inlay hints in the cells, a hover with the shape, a quick fix that edits only that
cell and removes the error. Screenshots land in tests/output/e2e/vscode-notebook/.
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

import pytest

from tests.e2e.support import BUG_FIX_TITLE, FIXTURES, HINT_LABELS, HOVER_SHAPE, OUTPUT, require
from tests.e2e.test_vscode import CHROMIUM, CODE_SERVER, EXTENSION, TOOLS, free_port, package_extension, run

pytestmark = pytest.mark.e2e

NOTEBOOK = "kernel_too_big.ipynb"
DRIVER = FIXTURES.parent / "vscode_notebook_driver.cjs"
BAD_CELL, HOVER_CELL = 5, 2  # 0-based indexes, as the workbench's cell list numbers them (cells 6 and 3)
BAD_CALL = 'layers.Conv2D(128, 7, activation="relu")'


def _cells() -> list[str]:
    return ["".join(c["source"]) for c in json.loads((FIXTURES / NOTEBOOK).read_text())["cells"]]


@pytest.fixture(scope="module")
def notebook():
    require(shutil.which("node") is not None, "node")
    require(CODE_SERVER.is_file(), f"code-server at {CODE_SERVER}")
    require((TOOLS / "node_modules" / "playwright-core").is_dir(), f"playwright-core in {TOOLS}")
    require(CHROMIUM.is_file(), f"Debian's chromium at {CHROMIUM}")
    require((EXTENSION / "node_modules" / "vscode-languageclient").is_dir(),
            "the extension's npm dependencies (editors/vscode/node_modules)")
    out = OUTPUT / "vscode-notebook"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    vsix = package_extension(out)
    workspace = out / "workspace"
    workspace.mkdir()
    shutil.copy(FIXTURES / NOTEBOOK, workspace / NOTEBOOK)
    user = out / "user-data"
    (user / "User").mkdir(parents=True)
    (user / "User" / "settings.json").write_text(json.dumps({
        "shapelens.interpreter": sys.executable,
        "editor.hover.delay": 200,
        "editor.minimap.enabled": False,
        "editor.inlayHints.enabled": "on",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "update.mode": "none",
        "chat.disableAIFeatures": True,
        "notebook.lineNumbers": "on",
    }, indent=1))
    extensions = out / "extensions"
    base = [str(CODE_SERVER), "--user-data-dir", str(user), "--extensions-dir", str(extensions)]
    run(base + ["--install-extension", str(vsix)], out / "install.log", 120)
    port = free_port()
    (out / "config.yaml").write_text("")
    server_log = (out / "code-server.log").open("w")
    server = subprocess.Popen(
        base + ["--config", str(out / "config.yaml"), "--auth", "none", "--bind-addr", f"127.0.0.1:{port}",
                "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
                "--disable-getting-started-override", str(workspace)],
        stdout=server_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "SHAPELENS_E2E": "1"})
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, f"code-server exited; see {out / 'code-server.log'}"
            assert time.monotonic() < deadline, "code-server not ready after 60 s"
            time.sleep(0.2)
        config = {
            "toolsDir": str(TOOLS), "chromium": str(CHROMIUM), "url": url, "workspace": str(workspace),
            "file": NOTEBOOK, "outputDir": str(out), "result": str(out / "result.json"),
            "profileDir": str(out / "chromium-profile"), "timeoutMs": 60_000,
            "hoverCell": HOVER_CELL, "hoverShape": HOVER_SHAPE, "errorCell": BAD_CELL,
            "hoverLine": 2, "hoverColumn": _cells()[HOVER_CELL].splitlines()[2].index("Conv2D") + 2,
            "errorColumn": _cells()[BAD_CELL].splitlines()[0].index("Conv2D") + 2,
            "hintLabel": HINT_LABELS[0], "fixTitle": BUG_FIX_TITLE, "cellCount": len(_cells()),
        }
        (out / "driver-config.json").write_text(json.dumps(config, indent=1))
        driver = subprocess.run(["node", str(DRIVER), str(out / "driver-config.json")], capture_output=True,
                                text=True, timeout=300, stdin=subprocess.DEVNULL)
        (out / "driver.log").write_text(driver.stdout + driver.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        server_log.close()
    result = json.loads((out / "result.json").read_text())
    assert "error" not in result, f"driver failed: {result['error']}\nsee {out} (failure.png)"
    return result


def test_squiggle_in_the_cell_that_adds_the_bad_layer(notebook):
    line = _cells()[BAD_CELL].splitlines()[0]
    col = line.index(BAD_CALL)
    assert {"cell": BAD_CELL, "line": 0, "startCol": col, "endCol": col + len(BAD_CALL)} in notebook["squiggles"], \
        notebook["squiggles"]
    assert all(s["cell"] == BAD_CELL for s in notebook["squiggles"]), notebook["squiggles"]


def test_inlay_hints_in_cells(notebook):
    hints = {(h["cell"], h["line"], h["text"].strip()) for h in notebook["inlay_hints"]}
    assert (HOVER_CELL, 2, HINT_LABELS[0]) in hints, notebook["inlay_hints"]
    assert (4, 0, HINT_LABELS[2]) in hints, notebook["inlay_hints"]


def test_hover_shows_the_shape(notebook):
    text = "\n".join(notebook["hover"])
    assert "Conv2D" in text and HOVER_SHAPE in text, notebook["hover"]


def test_quick_fix_edits_the_cell_and_removes_the_error(notebook):
    assert any(BUG_FIX_TITLE in row for row in notebook["fix_menu"]), notebook["fix_menu"]
    assert 'padding="same"' in notebook["fixed_cell"], notebook["fixed_cell"]
    assert notebook["squiggles_after_fix"] == [], notebook["squiggles_after_fix"]
    before = _cells()
    others = [t for i, t in enumerate(notebook["other_cells"]) if i != BAD_CELL and t is not None]
    assert others and all(t == before[i] for i, t in enumerate(notebook["other_cells"])
                          if i != BAD_CELL and t is not None), notebook["other_cells"]

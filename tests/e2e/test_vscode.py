"""VS Code end to end: the extension, built and packaged as a .vsix, in the real VS Code
workbench (code-server 4.100.3 = VS Code 1.100.3) shown in headless Chromium.

The test packages editors/vscode (`npm run package`: type check, esbuild bundle, vsce),
installs the .vsix into a fresh code-server profile, and runs vscode_driver.cjs, which opens
a fixture with a known bug the way a person would and reports what the workbench shows: the
error squiggle, the Problems entry, the hover, the inlay hints, the summary command, the log,
a quick fix. Screenshots land in tests/output/e2e/vscode/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.support import (
    BUG_CALL, BUG_CODE, BUG_FILE, BUG_FIX_TITLE, E2E_HOME, HINT_LABELS, HOVER_CALL, HOVER_SHAPE, OUTPUT, ROOT,
    Fixture, require,
)

pytestmark = pytest.mark.e2e

EXTENSION = ROOT / "editors" / "vscode"
TOOLS = E2E_HOME / "tools"
CODE_SERVER = TOOLS / "node_modules" / ".bin" / "code-server"
CHROMIUM = Path("/usr/lib/chromium/chromium")
DRIVER = ROOT / "tests" / "e2e" / "vscode_driver.cjs"
MODEL_NAME = "cifar_cnn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], log: Path, timeout: float, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    log.write_text(f"$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    assert proc.returncode == 0, f"{cmd[0]} failed ({proc.returncode}); see {log}\n{proc.stderr[-2000:]}"
    return proc


def package_extension(out: Path) -> Path:
    """npm run package: type check, bundle, .vsix (editors/vscode/dist/shapelens.vsix)."""
    vsix = EXTENSION / "dist" / "shapelens.vsix"
    vsix.unlink(missing_ok=True)
    run(["npm", "run", "package"], out / "package.log", 600, cwd=EXTENSION)
    assert vsix.is_file(), f"npm run package made no {vsix}"
    return vsix


@pytest.fixture(scope="module")
def vscode():
    require(shutil.which("node") is not None, "node")
    require(CODE_SERVER.is_file(), f"code-server at {CODE_SERVER}")
    require((TOOLS / "node_modules" / "playwright-core").is_dir(), f"playwright-core in {TOOLS}")
    require(CHROMIUM.is_file(), f"Debian's chromium at {CHROMIUM}")
    require((EXTENSION / "node_modules" / "vscode-languageclient").is_dir(),
            "the extension's npm dependencies (editors/vscode/node_modules)")
    out = OUTPUT / "vscode"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    timings: dict[str, float] = {}
    t = time.monotonic()
    vsix = package_extension(out)
    timings["package"] = time.monotonic() - t

    fixture = Fixture(BUG_FILE)
    workspace = out / "workspace"
    workspace.mkdir()
    (workspace / "pyproject.toml").write_text("[project]\nname = 'e2e'\n")
    shutil.copy(fixture.path, workspace / BUG_FILE)
    user = out / "user-data"
    (user / "User").mkdir(parents=True)
    (user / "User" / "settings.json").write_text(json.dumps({
        "shapelens.interpreter": sys.executable,
        "shapelens.dryRun.mode": "onCommand",
        "editor.hover.delay": 200,
        "editor.minimap.enabled": False,
        "editor.inlayHints.enabled": "on",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "update.mode": "none",
        "chat.disableAIFeatures": True,
        "window.commandCenter": False,
    }, indent=1))
    # A Python with nothing installed (not even pip): the bundled server must run on it.
    bare_python = out / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare_python)], check=True, timeout=60)
    extensions = out / "extensions"
    base = [str(CODE_SERVER), "--user-data-dir", str(user), "--extensions-dir", str(extensions)]
    t = time.monotonic()
    installed = run(base + ["--install-extension", str(vsix)], out / "install.log", 120)
    timings["install"] = time.monotonic() - t
    assert "successfully installed" in installed.stdout, installed.stdout

    port = free_port()
    (out / "config.yaml").write_text("")
    server_log = (out / "code-server.log").open("w")
    t = time.monotonic()
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
            assert server.poll() is None, f"code-server exited ({server.returncode}); see {out / 'code-server.log'}"
            assert time.monotonic() < deadline, f"code-server not ready after 60 s; see {out / 'code-server.log'}"
            time.sleep(0.2)
        timings["code-server ready"] = time.monotonic() - t

        error_line, error_col = fixture.find(BUG_CALL)
        hover_line, hover_col = fixture.find(HOVER_CALL)
        config = {
            "toolsDir": str(TOOLS), "chromium": str(CHROMIUM), "url": url, "workspace": str(workspace),
            "file": BUG_FILE, "outputDir": str(out), "result": str(out / "result.json"),
            "profileDir": str(out / "chromium-profile"), "timeoutMs": 60_000,
            # The workbench's "Go to Line" takes 1-based lines and columns.
            "hoverLine": hover_line + 1, "hoverColumn": hover_col + len("layers.") + 1, "hoverShape": HOVER_SHAPE,
            "errorLine": error_line + 1, "errorColumn": error_col + 1, "hintLabel": HINT_LABELS[0],
            "fixTitle": BUG_FIX_TITLE, "modelName": MODEL_NAME,
            "bareInterpreter": str(bare_python / "bin" / "python"),
            "userSettings": str(user / "User" / "settings.json"), "dryRunTimeoutMs": 180_000,
        }
        (out / "driver-config.json").write_text(json.dumps(config, indent=1))
        t = time.monotonic()
        driver = subprocess.run(["node", str(DRIVER), str(out / "driver-config.json")], capture_output=True, text=True,
                                timeout=300, stdin=subprocess.DEVNULL)
        timings["workbench session"] = time.monotonic() - t
        (out / "driver.log").write_text(driver.stdout + driver.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        server_log.close()
    result_path = out / "result.json"
    assert result_path.is_file(), f"the driver wrote no result ({driver.returncode}): {driver.stderr[-3000:]}"
    result = json.loads(result_path.read_text())
    logs = extension_logs(user)
    (out / "extension.log").write_text(logs)
    assert "error" not in result, (f"driver failed: {result['error']}\nsee {out} (failure.png, extension.log)\n"
                                   f"extension log:\n{logs[-3000:]}")
    result.update(fixture=fixture, timings=timings, out=out, logs=logs)
    return result


def extension_logs(user: Path) -> str:
    """The shapelens output channel as VS Code wrote it to disk (under the profile's logs/)."""
    return "\n".join(p.read_text(errors="replace") for p in sorted((user / "logs").rglob("*.log"))
                     if "shapelens" in p.name.lower() or "shapelens" in p.parent.name.lower())


def test_timings(vscode):
    steps = ", ".join(f"{s['name']}={s['at_ms']}" for s in vscode["steps"])
    print("vscode: " + ", ".join(f"{k} {v:.1f}s" for k, v in vscode["timings"].items()) + f"; steps (ms): {steps}")
    assert vscode["steps"][-1]["name"] == "done"


def test_error_squiggle_on_the_bug(vscode):
    line, col = vscode["fixture"].find(BUG_CALL)
    assert vscode["squiggles"], "no error squiggle"
    assert {"line": line + 1, "startCol": col, "endCol": col + len(BUG_CALL)} in vscode["squiggles"], vscode["squiggles"]


def test_problems_entry(vscode):
    line, col = vscode["fixture"].find(BUG_CALL)
    rows = [r for r in vscode["problems"] if BUG_CODE in r]
    assert rows, vscode["problems"]
    assert "kernel 7×7 does not fit the 5×5 input" in rows[0], rows[0]
    assert f"[Ln {line + 1}, Col {col + 1}]" in rows[0], rows[0]


def test_hover_shows_the_conv_output_shape(vscode):
    text = "\n".join(vscode["hover"])
    assert "Conv2D" in text and HOVER_SHAPE in text, vscode["hover"]


def test_inlay_hints(vscode):
    hints = {(h["line"], h["text"].strip()) for h in vscode["inlay_hints"]}
    first_conv = vscode["fixture"].find(HOVER_CALL)[0] + 1
    assert (first_conv, HINT_LABELS[0]) in hints, vscode["inlay_hints"]
    assert {label for _, label in hints} >= set(HINT_LABELS), vscode["inlay_hints"]


def test_show_model_summary_command(vscode):
    assert vscode["summary_text"] and "Layer (type)" in vscode["summary_text"], vscode["summary_tabs"]
    # The view beside the code may be narrower than the table: the editor soft-wraps its lines.
    unwrapped = re.sub(r"\s+", "", vscode["summary_text"])
    assert MODEL_NAME in unwrapped and re.sub(r"\s+", "", HOVER_SHAPE) in unwrapped, vscode["summary_text"]


def test_code_lens_opens_the_summary_without_a_toast(vscode):
    assert f"{MODEL_NAME} summary" in vscode["lens_summary_tabs"], vscode["lens_summary_tabs"]
    assert not any("Layer (type)" in t for t in vscode["toasts"]), vscode["toasts"]


def test_open_log_command_and_interpreter(vscode):
    # The output channel names the interpreter it started the server with (the setting).
    assert f"interpreter: {sys.executable} (from the shapelens.interpreter setting)" in vscode["logs"], vscode["logs"]
    assert "interpreter:" in vscode["log_text"], vscode["log_text"]


def test_quick_fix_removes_the_squiggle(vscode):
    assert any(BUG_FIX_TITLE in row for row in vscode["fix_menu"]), vscode["fix_menu"]
    assert 'padding="same"' in vscode["fixed_line"], vscode["fixed_line"]
    assert vscode["squiggles_after_fix"] == [], vscode["squiggles_after_fix"]


def server_commands() -> list[str]:
    """The commands this shapelens's server registers (what it announces to the editor)."""
    from shapelens.lsp.server import build

    return list(build().protocol.fm.commands)


def test_confirm_with_tensorflow(vscode):
    """With the server's dry run: the status bar item while TensorFlow loads, then its answer.
    Without it (an older server): the command says so."""
    toasts = "\n".join(vscode["dry_run_toasts"])
    if "shapelens.confirmWithTensorFlow" not in server_commands():
        assert "has no TensorFlow dry run" in toasts, vscode["dry_run_toasts"]
        return
    assert any("Loading TensorFlow" in s for s in vscode["dry_run_status"]), vscode["dry_run_status"]
    assert BUG_FILE in toasts or "TensorFlow" in toasts, vscode["dry_run_toasts"]
    assert "has no TensorFlow dry run" not in toasts


def test_summary_view_follows_the_edits(vscode):
    """The open summary is fetched again after each analysis: undoing the fix makes its total unknown."""
    before, after = vscode["live_summary_before"] or "", vscode["live_summary_after"] or ""
    assert "Total params: ?" not in before and "Total params:" in before, before
    assert "Total params: ?" in after, after


def test_bare_venv_runs_the_bundled_server(vscode):
    """An interpreter with nothing but Python (a fresh venv, no pip): the server bundled in the .vsix
    starts on it (isolated, bundled/libs on sys.path) and the bug is underlined again."""
    line, col = vscode["fixture"].find(BUG_CALL)
    assert {"line": line + 1, "startCol": col, "endCol": col + len(BUG_CALL)} in vscode["bare_squiggles"], \
        vscode["bare_squiggles"]
    bare = str(vscode["out"] / "bare-venv" / "bin" / "python")
    assert f"interpreter: {bare} (from the shapelens.interpreter setting)" in vscode["logs"], vscode["logs"][-3000:]
    assert "(bundled with the extension)" in vscode["logs"], vscode["logs"][-3000:]


def test_vsix_bundles_the_server(vscode):
    """The .vsix holds the launcher and the shapelens wheel's package with its pure-Python dependencies."""
    import zipfile

    vsix = EXTENSION / "dist" / "shapelens.vsix"
    assert vsix.is_file(), vsix
    names = set(zipfile.ZipFile(vsix).namelist())
    assert "extension/bundled/tool/launch.py" in names
    for package in ("shapelens", "pygls", "lsprotocol", "cattrs", "attrs", "jedi", "parso"):
        assert f"extension/bundled/libs/{package}/__init__.py" in names, package
    assert not any(n.endswith((".so", ".pyd", ".dylib")) or "__pycache__" in n for n in names)


def test_missing_shapelens_is_not_silent(vscode):
    """importStrategy fromEnvironment with an interpreter lacking shapelens: a message with a way out that
    works (the bundled server), never `pip install shapelens` (the package is not on PyPI)."""
    text = "\n".join(vscode["missing_notification"])
    assert "shapelens is not installed" in text and "pip install" not in text, vscode["missing_notification"]
    assert {"Use Bundled shapelens", "Select Interpreter"} <= set(vscode["missing_buttons"]), vscode["missing_buttons"]


def test_screenshots_saved(vscode):
    for key in ("screenshot_hover", "screenshot_workbench", "screenshot_summary", "screenshot_fixed",
                "screenshot_missing", "screenshot_dry_run", "screenshot_bare", "screenshot_live_summary"):
        path = Path(vscode[key])
        assert path.is_file() and path.stat().st_size > 10_000, path


def test_extension_unit_tests():
    """editors/vscode's own unit tests (node's test runner): options, dry-run command, status item."""
    require((EXTENSION / "node_modules" / "esbuild").is_dir(), "the extension's npm dependencies")
    proc = subprocess.run(["npm", "test"], cwd=EXTENSION, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"^# fail 0$", proc.stdout, re.M), proc.stdout[-2000:]

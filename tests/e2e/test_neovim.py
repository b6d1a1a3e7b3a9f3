"""Neovim end to end: a real, pinned Neovim (0.11.4, from scripts/setup-e2e.sh), headless.

nvim_driver.lua opens a fixture with a known bug through editors/nvim/lsp/shapelens.lua (and,
separately, through the documented 0.8-0.10 snippet) and reports what Neovim itself holds:
diagnostics, a hover, inlay hints, :ShapelensSummary's table, and the buffer after the quick
fix is applied. This module asserts on that report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.support import (
    BUG_CALL, BUG_CODE, BUG_FILE, BUG_FIX_TITLE, E2E_HOME, HINT_LABELS, HOVER_CALL, HOVER_SHAPE, OUTPUT, ROOT,
    Fixture,
    require,
)

pytestmark = pytest.mark.e2e

NVIM = E2E_HOME / "neovim" / "bin" / "nvim"
DRIVER = ROOT / "tests" / "e2e" / "nvim_driver.lua"
TIMEOUT_S = 90


def run_neovim(setup: str, output_dir: Path) -> dict:
    require(NVIM.is_file(), f"Neovim at {NVIM}")
    fixture = Fixture(BUG_FILE)
    work = output_dir / "project"
    work.mkdir()
    (work / "pyproject.toml").write_text("[project]\nname = 'e2e'\n")
    target = work / BUG_FILE
    shutil.copy(fixture.path, target)
    hover_line, hover_col = fixture.find(HOVER_CALL)
    result_path = output_dir / "result.json"
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(output_dir / "state"),  # lsp.log (with the server's stderr) lands here
        "XDG_CONFIG_HOME": str(output_dir / "config"),
        "XDG_DATA_HOME": str(output_dir / "data"),
        "SHAPELENS_E2E_SETUP": setup,
        "SHAPELENS_E2E_EDITORS": str(ROOT / "editors" / "nvim"),
        "SHAPELENS_E2E_PYTHON": sys.executable,
        "SHAPELENS_E2E_FILE": str(target),
        "SHAPELENS_E2E_RESULT": str(result_path),
        "SHAPELENS_E2E_HOVER_LINE": str(hover_line),
        "SHAPELENS_E2E_HOVER_COL": str(hover_col + len("layers.")),
        "SHAPELENS_E2E_FIX_CODE": BUG_CODE,
        "SHAPELENS_E2E_FIX_TITLE": BUG_FIX_TITLE,
    }
    start = time.monotonic()
    # A Lua error can leave headless Neovim waiting forever: the driver quits on errors, and the
    # timeout is the backstop.
    proc = subprocess.run(["timeout", "-k", "5", str(TIMEOUT_S), str(NVIM), "--headless", "--clean", "-l", str(DRIVER)],
                          cwd=work, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - start
    (output_dir / "nvim.stdout").write_text(proc.stdout)
    (output_dir / "nvim.stderr").write_text(proc.stderr)
    logs = "\n".join(p.read_text(errors="replace") for p in (output_dir / "state").rglob("lsp.log"))
    where = f"(outputs: {output_dir})"
    assert result_path.is_file(), (f"Neovim wrote no result (exit {proc.returncode} after {elapsed:.1f}s; "
                                   f"124 = timeout) {where}\nstderr: {proc.stderr[-2000:]}\nlsp.log: {logs[-2000:]}")
    result = json.loads(result_path.read_text())
    assert "error" not in result, f"driver failed: {result['error']} {where}\nlsp.log: {logs[-2000:]}"
    assert proc.returncode == 0, f"nvim exited {proc.returncode} {where}"
    result["elapsed_s"] = elapsed
    result["fixture"] = fixture
    return result


_RUNS: dict[str, dict] = {}


def _run_once(setup: str) -> tuple[str, dict]:
    if setup not in _RUNS:
        output_dir = OUTPUT / f"neovim_{setup}"
        shutil.rmtree(output_dir, ignore_errors=True)
        output_dir.mkdir(parents=True)
        _RUNS[setup] = run_neovim(setup, output_dir)
    return setup, _RUNS[setup]


@pytest.fixture(scope="module", params=["lsp", "legacy"])
def neovim(request):
    """One Neovim run per set-up: lsp/shapelens.lua (0.11+) and the 0.8-0.10 snippet."""
    return _run_once(request.param)


@pytest.fixture(scope="module")
def neovim_lsp():
    """The lsp/shapelens.lua run only (what the 0.8-0.10 snippet does not have: checkhealth and
    the missing-executable notice)."""
    return _run_once("lsp")


def test_runs_the_pinned_neovim(neovim):
    setup, result = neovim
    assert result["nvim"].startswith("0.11.4"), result["nvim"]
    assert result["filetype"] == "python"
    assert result["attached"]["name"] == "shapelens"
    print(f"neovim[{setup}]: whole run {result['elapsed_s']:.2f}s; steps (ms): "
          + ", ".join(f"{s['name']}={s['at_ms']}" for s in result["steps"]))


def test_diagnostic_code_and_range(neovim):
    _, result = neovim
    fixture = result["fixture"]
    line, col = fixture.find(BUG_CALL)
    errors = [d for d in result["diagnostics"] if d["code"] == BUG_CODE]
    assert len(errors) == 1, result["diagnostics"]
    d = errors[0]
    assert (d["lnum"], d["col"], d["end_lnum"], d["end_col"]) == (line, col, line, col + len(BUG_CALL)), d
    assert d["severity"] == 1, d  # vim.diagnostic.severity.ERROR
    assert "kernel 7×7 does not fit the 5×5 input" in d["message"], d["message"]


def test_hover_shows_the_conv_output_shape(neovim):
    _, result = neovim
    assert result["hover"], "no hover on the first Conv2D"
    assert "Conv2D" in result["hover"] and HOVER_SHAPE in result["hover"], result["hover"]


def test_inlay_hints_are_enabled_and_present(neovim):
    _, result = neovim
    assert result.get("inlay_hints_enabled") is True
    labels = [h["label"].strip() for h in result["inlay_hints"]]
    for label in HINT_LABELS:
        assert label in labels, labels
    fixture = result["fixture"]
    first_conv = fixture.find(HOVER_CALL)[0]
    assert {"line": first_conv, "label": HINT_LABELS[0]} in [
        {"line": h["line"], "label": h["label"].strip()} for h in result["inlay_hints"]]


def test_summary_command(neovim):
    setup, result = neovim
    assert result["summary_command"] is True
    if setup == "lsp":
        table = "\n".join(result["summary"])
        assert "cifar_cnn" in table and HOVER_SHAPE in table, table
        assert "Layer (type)" not in result["messages"], "the table was also shown as a message"


def test_quick_fix_removes_the_diagnostic(neovim):
    _, result = neovim
    assert BUG_FIX_TITLE in result["code_actions"], result["code_actions"]
    assert 'padding="same"' in result["fixed_line"], result["fixed_line"]
    assert BUG_CODE not in result["diagnostics_after_fix"], result["diagnostics_after_fix"]


def test_messages_are_shown_in_the_buffer(neovim):
    """0.11 shows only a sign by default: the set-up turns on virtual text for shapelens's diagnostics."""
    _, result = neovim
    line, _ = result["fixture"].find(BUG_CALL)
    texts = [v["text"] for v in result["virtual_text"] if v["line"] == line]
    assert any("kernel 7×7 does not fit the 5×5 input" in t for t in texts), result["virtual_text"]


def test_code_lenses_are_enabled(neovim):
    _, result = neovim
    titles = [lens["title"] or "" for lens in result["code_lenses"]]
    assert any("cifar_cnn" in t and "layers" in t for t in titles), result["code_lenses"]


def test_checkhealth(neovim_lsp):
    _, result = neovim_lsp
    report = "\n".join(result["checkhealth"])
    assert "shapelens: server command" in report, report
    assert f"{sys.executable}` is executable" in report, report
    assert "shapelens 0." in report, report  # `python -m shapelens version` ran
    assert "attached to 1 buffer" in report and "diagnostic messages are shown" in report, report
    assert "ERROR" not in report, report


def test_missing_executable_is_reported(neovim_lsp):
    _, result = neovim_lsp
    messages = [n["msg"] for n in result["notifications"]]
    assert any("shapelens-not-installed-here" in m and "not an executable" in m and "checkhealth" in m
               for m in messages), messages

"""shapelens.config without a server, and docs/configuration.md against the option tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from shapelens.config import (
    Options,
    camel,
    load,
    looks_like_options,
    markdown_reference,
    read_pyproject,
    reference,
    to_wire,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_defaults():
    o = Options()
    assert o.diagnostics.enabled and o.diagnostics.debounce_ms == 0
    assert o.inlay_hints.enabled and o.code_lens.enabled and o.checks.data_shapes
    assert o.dry_run.mode == "off" and o.dry_run.interpreter == "" and o.dry_run.timeout_ms == 30_000
    assert o.log_level == "warning"
    assert all(o.severity_enabled(s) for s in ("error", "warning", "information", "hint"))


def test_wire_names_are_camel_case():
    assert camel("debounce_ms") == "debounceMs" and camel("log_level") == "logLevel" and camel("mode") == "mode"
    wire = to_wire(Options())
    assert wire["diagnostics"]["debounceMs"] == 0
    assert wire["dryRun"]["startupTimeoutMs"] == 60_000
    assert wire["logLevel"] == "warning"
    assert load(wire) == (Options(), [])


def test_any_spelling_and_layering():
    o, problems = load({"inlay-hints": {"enabled": False}, "diagnostics": {"debounce_ms": 10}},
                       {"diagnostics": {"debounceMs": 20, "warning": False}, "logLevel": "DEBUG"})
    assert problems == []
    assert not o.inlay_hints.enabled  # from the first layer, untouched by the second
    assert o.diagnostics.debounce_ms == 20 and not o.diagnostics.warning
    assert o.log_level == "debug"  # choices are case-insensitive, stored canonically
    assert not o.severity_enabled("warning") and o.severity_enabled("error")
    off, _ = load({"diagnostics": {"enabled": False}})
    assert not off.severity_enabled("error")


def test_invalid_values_keep_the_earlier_value_and_are_reported():
    o, problems = load(
        {"diagnostics": {"debounceMs": 500}},
        {"diagnostics": {"debounceMs": -1, "error": "yes", "hint": 1}, "dryRun": {"mode": "always",
                                                                                 "timeoutMs": 1.5},
         "bogus": True, "codeLens": False},
        sources=("pyproject", "client"))
    assert o.diagnostics.debounce_ms == 500
    assert o.diagnostics.error and o.diagnostics.hint and o.dry_run.mode == "off" and o.code_lens.enabled
    text = "\n".join(problems)
    assert len(problems) == 7, text
    assert "client: invalid value -1 for `diagnostics.debounceMs` (an integer from 0 to 10000); using 500" in text
    assert 'client: invalid value "yes" for `diagnostics.error` (true or false)' in text
    assert '"always" for `dryRun.mode` (one of "off", "onSave", "onCommand")' in text
    assert "client: unknown option `bogus` ignored" in text
    assert "client: `codeLens` must be an object" in text
    _, bad = load(["not", "a", "dict"])
    assert bad == ["settings: expected an object of options, got list; ignored"]


def test_integral_floats_are_accepted():
    o, problems = load({"diagnostics": {"debounceMs": 250.0}})
    assert o.diagnostics.debounce_ms == 250 and problems == []


def test_looks_like_options():
    assert looks_like_options({"diagnostics": {}})
    assert looks_like_options({"log-level": "info"})
    assert not looks_like_options({"python": {"analysis": {}}})
    assert not looks_like_options(None)


def test_read_pyproject(tmp_path):
    assert read_pyproject(None) == (None, [])
    assert read_pyproject(tmp_path) == (None, [])
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    assert read_pyproject(tmp_path) == (None, [])
    (tmp_path / "pyproject.toml").write_text("[tool.shapelens]\nlog-level = 'info'\n[tool.shapelens.dry-run]\n"
                                             "mode = 'onSave'\n")
    table, problems = read_pyproject(tmp_path)
    assert problems == []
    o, problems = load(table)
    assert problems == [] and o.log_level == "info" and o.dry_run.mode == "onSave"
    (tmp_path / "pyproject.toml").write_text("[tool.shapelens\n")
    table, problems = read_pyproject(tmp_path)
    assert table is None and len(problems) == 1 and "not valid TOML" in problems[0]


def test_every_option_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    assert markdown_reference() in text, "docs/configuration.md is stale: paste `python -m shapelens.config`"
    for option in reference():
        assert f"`{option.path}`" in text
        assert option.doc


def test_importable_without_pygls():
    code = ("import sys, shapelens.config; "
            "bad = [m for m in ('pygls', 'lsprotocol') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)

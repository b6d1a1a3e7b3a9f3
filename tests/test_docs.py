"""The rule pages (docs/rules/<CODE>.md) and the generated docs cannot drift.

* every code of the registry (shapelens.core.codes.CODES) has a page with the right title,
  severity and sections, and no page exists for a code the registry does not know;
* docs/rules/README.md and docs/layers.md are exactly what shapelens.docs renders now;
* each page's Example makes the engine report that code and no other, and its
  Use instead makes it report no error or warning and not that code (pure, no TensorFlow);
* marked ``tf``: every Example and Use instead runs under real Keras 3 in one subprocess.
  An error code's Example must raise, on the line the engine reports; notes' and warnings'
  Examples and every Use instead must run without raising.

Pages of data-shape codes (SL3xx) are written by the data-shapes engineer; while one is
missing its tests are expected failures ("page pending").
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from shapelens.config import Options
from shapelens.core.analyze import analyze
from shapelens.core.codes import CODES
from shapelens.docs import (
    INDEX,
    RULES_DIR,
    SECTIONS,
    SEVERITY_LINE,
    generated,
    page_path,
    page_title,
    parse_page,
)
from tests.oracle.client import require_tensorflow

REGEN = "run `python -m shapelens.docs` and commit the result"
# Codes whose Example is a program Python cannot compile.
SYNTAX_ERROR_CODES = {"SL001"}
# Codes whose Example stops the analysis early (Analysis.complete is False).
INCOMPLETE_CODES = {"SL001", "SL003"}
# Codes whose whole point is an import or attribute Keras 3 no longer has.
EXPECTED_TYPES = {"SL401": {"ModuleNotFoundError", "ImportError"}, "SL402": {"AttributeError"}}
# Exceptions that mean the snippet itself is broken, not that Keras refused it.
BROKEN_SNIPPET = {"NameError", "ImportError", "ModuleNotFoundError", "AttributeError",
                  "SyntaxError", "IndentationError", "UnboundLocalError"}


# Every code has its page (no "page pending" exception): a missing page fails.
CODE_PARAMS = [pytest.param(code, id=code) for code in sorted(CODES)]
# Codes of the TensorFlow dry run: the engine never reports them, so their Examples are checked
# through the dry run instead (tests/worker/test_rule_pages.py).
DRY_RUN_CODES = {code for code in CODES if code.startswith("SL9")}
STATIC_CODE_PARAMS = [p for p in CODE_PARAMS if p.values[0] not in DRY_RUN_CODES]


def _page(code: str):
    path = page_path(code)
    assert path.exists(), f"{code} has no page: write docs/rules/{code}.md"
    return parse_page(path)


def _reported(source: str, path: str):
    # unused suppressions (SL004) are reported only on request
    analysis = analyze(source, path, Options(report_unused_suppressions=True))
    return analysis, [d.code for d in analysis.diagnostics]


# ---------------------------------------------------------------------- form of the pages


@pytest.mark.parametrize("code", CODE_PARAMS)
def test_page_form(code: str):
    info = CODES[code]
    page = _page(code)
    first_line = page.path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == f"# {page_title(info)}", f"first line of {code}.md"
    assert page.severity == info.severity, (
        f"{code}.md says severity {page.severity!r}, the registry {info.severity!r} "
        f"(write a line `Severity: **{info.severity}**`)")
    assert list(page.sections) == list(SECTIONS), f"{code}.md sections (in this order): {SECTIONS}"
    for name, body in page.sections.items():
        assert body.strip(), f"{code}.md: section {name!r} is empty"
    for name in ("Example", "Use instead"):
        snippet = page.code_block(name)
        assert snippet, f"{code}.md: {name!r} needs a ```python block"
        if not (name == "Example" and code in SYNTAX_ERROR_CODES):
            ast.parse(snippet)  # a snippet that does not parse would prove nothing
    assert page.example != page.use_instead
    fix = " ".join(page.sections["Fix"].split())
    assert len(fix) <= 400, f"{code}.md: Fix should say what to change in one or two sentences"


def test_no_page_without_a_code():
    pages = {p.stem for p in RULES_DIR.glob("*.md") if p.name != INDEX.name}
    unknown = sorted(pages - set(CODES))
    assert not unknown, f"pages for codes the registry does not know: {unknown}"


def test_severity_line_is_unique():
    """The severity is stated once per page, so the parser cannot read a stale one."""
    for path in RULES_DIR.glob("SL*.md"):
        assert len(SEVERITY_LINE.findall(path.read_text(encoding="utf-8"))) == 1, path.name


@pytest.mark.parametrize("path", list(generated()), ids=lambda p: p.name)
def test_generated_file_is_current(path: Path):
    expected = generated()[path]
    current = path.read_text(encoding="utf-8") if path.exists() else None
    assert current == expected, f"{path.relative_to(RULES_DIR.parents[1])} is stale: {REGEN}"


def test_index_lists_every_code_with_its_page():
    index = INDEX.read_text(encoding="utf-8")
    for code in CODES:
        assert f"[{code}.md]({code}.md)" in index, f"{code} missing from the index: {REGEN}"


# ---------------------------------------------------------------------- the engine agrees


@pytest.mark.parametrize("code", STATIC_CODE_PARAMS)
def test_example_reports_exactly_this_code(code: str):
    page = _page(code)
    analysis, codes = _reported(page.example, f"docs/rules/{code}.md#example")
    assert code in codes, f"{code}.md Example: the engine reports {codes}, not {code}"
    assert set(codes) == {code}, f"{code}.md Example should trigger only {code}, the engine reports {codes}"
    if code in INCOMPLETE_CODES:
        assert not analysis.complete, f"{code}.md Example: the analysis should say it is incomplete"


@pytest.mark.parametrize("code", CODE_PARAMS)
def test_use_instead_is_clean(code: str):
    page = _page(code)
    analysis, codes = _reported(page.use_instead, f"docs/rules/{code}.md#use-instead")
    assert code not in codes, f"{code}.md Use instead still triggers {code}"
    loud = [(d.code, d.message) for d in analysis.diagnostics if d.severity in ("error", "warning")]
    assert not loud, f"{code}.md Use instead: the engine reports {loud}"
    assert analysis.complete, f"{code}.md Use instead: the analysis is incomplete"


# ---------------------------------------------------------------------- TensorFlow agrees

_RUNNER = r'''
import contextlib, io, json, os, sys, traceback, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # imported once for every snippet
import keras

snippets = json.load(open(sys.argv[1]))
results = {}
for sid, source in snippets.items():
    filename = "<" + sid + ">"
    out = {"raised": False, "type": None, "message": None, "line": None}
    try:
        code = compile(source, filename, "exec")
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, {"__name__": "__main__", "__file__": filename})
    except BaseException as exc:  # noqa: BLE001 -- report everything, including SystemExit
        frames = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        line = frames[-1] if frames else getattr(exc, "lineno", None)
        text = str(exc).replace("\x1b[1m", "").replace("\x1b[0m", "").strip()
        out = {"raised": True, "type": type(exc).__name__, "line": line,
               "message": " ".join(text.split())[:400]}
    keras.backend.clear_session()
    results[sid] = out
json.dump({"tensorflow": tf.__version__, "keras": keras.__version__, "results": results},
          open(sys.argv[2], "w"))
'''


@pytest.fixture(scope="module")
def tensorflow_runs():
    """Run every page's Example and Use instead under TensorFlow, in one subprocess."""
    require_tensorflow()
    snippets = {}
    for code in sorted(CODES):
        if not page_path(code).exists():
            continue
        page = parse_page(page_path(code))
        if page.example:
            snippets[f"{code}-example"] = page.example
        if page.use_instead:
            snippets[f"{code}-use-instead"] = page.use_instead
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "snippets.json", Path(tmp) / "results.json"
        src.write_text(json.dumps(snippets))
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1")
        proc = subprocess.run([sys.executable, "-c", _RUNNER, str(src), str(dst)], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not dst.exists():
            pytest.fail(f"the TensorFlow snippet runner failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return json.loads(dst.read_text())["results"]


@pytest.mark.tf
@pytest.mark.parametrize("code", CODE_PARAMS)
def test_page_under_tensorflow(code: str, tensorflow_runs):
    info = CODES[code]
    page = _page(code)
    example = tensorflow_runs[f"{code}-example"]
    fixed = tensorflow_runs[f"{code}-use-instead"]

    assert not fixed["raised"], (
        f"{code}.md Use instead raises under Keras 3: {fixed['type']} on line {fixed['line']}: {fixed['message']}")

    if code in SYNTAX_ERROR_CODES:
        assert example["type"] == "SyntaxError", f"{code}.md Example should not compile: {example}"
        return
    if info.severity != "error":
        assert not example["raised"], (
            f"{code}.md Example ({info.severity}) must run under Keras 3, but raises "
            f"{example['type']} on line {example['line']}: {example['message']}")
        return

    assert example["raised"], f"{code}.md Example must raise under Keras 3 ({code} is an error), but runs"
    assert example["type"] not in BROKEN_SNIPPET - EXPECTED_TYPES.get(code, set()), (
        f"{code}.md Example is broken, not refused by Keras: {example['type']}: {example['message']}")
    if code in DRY_RUN_CODES:
        return  # the line is the dry run's to report: tests/worker/test_rule_pages.py
    diags = [d for d in analyze(page.example).diagnostics if d.code == code]
    engine_lines = sorted({(d.raise_span or d.span).line + 1 for d in diags})
    assert example["line"] in engine_lines, (
        f"{code}.md Example raises on line {example['line']} ({example['type']}: {example['message']}), "
        f"the engine reports {code} on line(s) {engine_lines}")

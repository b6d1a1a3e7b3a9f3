"""The SL9xx pages, checked through the dry run (tests/test_docs.py checks their form and
runs their snippets under Keras; the engine itself never reports these codes)."""

from __future__ import annotations

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.codes import CODES
from shapelens.core.rules import LAYERS
from shapelens.docs import page_path, parse_page
from shapelens.worker import protocol
from shapelens.dryrun.verdict import TF_DISAGREES, TF_RAISES, compare

pytestmark = pytest.mark.tf


def dry_run_codes(worker, text: str) -> list[tuple[str, int]]:
    analysis = analyze(text, "page.py", with_spec=True)
    verdict = compare(analysis, worker.build(protocol.payload(analysis.spec), 60), worker.info.short_version)
    return [(d.code, d.span.line + 1) for d in verdict.diagnostics]


def test_every_dry_run_code_is_tested_here():
    assert {c for c in CODES if c.startswith("SL9")} == {TF_RAISES, TF_DISAGREES}


def test_sl901_page(worker):
    page = parse_page(page_path(TF_RAISES))
    assert dry_run_codes(worker, page.example) == [(TF_RAISES, 7)]  # where Keras raises
    assert dry_run_codes(worker, page.use_instead) == []


def test_sl902_page(worker, monkeypatch):
    page = parse_page(page_path(TF_DISAGREES))
    assert dry_run_codes(worker, page.example) == []  # the engine's Flatten rule is right...
    rule = LAYERS["Flatten"]
    original = rule.fn

    def broken(args, inputs, call):
        out = original(args, inputs, call)
        out.shape = (*out.shape[:-1], out.shape[-1] // 2)
        return out

    monkeypatch.setattr(rule, "fn", broken)  # ...until it is broken, as the page says
    assert dry_run_codes(worker, page.example) == [(TF_DISAGREES, 5)]
    assert dry_run_codes(worker, page.use_instead) == []

"""shapelens.lsp.analyses without a server: debounce, staleness, urgency, close."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from shapelens.core.results import Analysis
from shapelens.lsp.analyses import DocumentAnalyses, Worker

pytestmark = pytest.mark.asyncio


class Recorder:
    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.calls: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, text: str, path: str) -> Analysis:
        self.calls.append(text)
        self.threads.add(threading.current_thread().name)
        time.sleep(self.seconds)
        return Analysis(path)


def make(seconds: float = 0.0):
    rec = Recorder(seconds)
    published = []
    worker = Worker()
    return rec, published, DocumentAnalyses(rec, worker, on_result=published.append), worker


async def test_runs_off_the_event_loop_and_publishes_the_version():
    rec, published, docs, worker = make()
    docs.update("u", "p", 1, "text 1")
    result = await docs.current("u")
    assert (result.version, result.text) == (1, "text 1")
    assert rec.threads == {"shapelens-analysis"}
    assert [(r.version, r.text) for r in published] == [(1, "text 1")]
    worker.stop()


async def test_debounce_coalesces_a_burst():
    rec, published, docs, worker = make()
    docs.update("u", "p", 0, "text 0")
    await docs.current("u")
    for v in range(1, 51):
        docs.update("u", "p", v, f"text {v}", delay=0.05)
    result = await docs.current("u")
    assert result.version == 50
    # the first edit after a pause starts at once (it may be cut short: text 1 is outdated before
    # it is read); the others of the burst wait for it to end, and only the newest is analysed
    assert rec.calls[0] == "text 0" and rec.calls[-1] == "text 50" and len(rec.calls) <= 3
    assert set(rec.calls) <= {"text 0", "text 1", "text 50"}
    assert [r.version for r in published] == [0, 50]
    worker.stop()


async def test_an_edit_that_finds_the_document_idle_is_not_delayed():
    rec, published, docs, worker = make()
    docs.update("u", "p", 1, "text 1")
    await docs.current("u")
    await asyncio.sleep(0.3)
    t = time.monotonic()
    docs.update("u", "p", 2, "text 2", delay=0.25)
    while not published or published[-1].version != 2:
        await asyncio.sleep(0.005)
    assert time.monotonic() - t < 0.2, "the debounce was waited out"
    # an edit while another waits is debounced (coalesced with what follows)
    docs.update("u", "p", 3, "text 3", delay=0.25)
    docs.update("u", "p", 4, "text 4", delay=0.25)
    result = await docs.current("u")
    assert result.version == 4 and "text 3" not in rec.calls
    worker.stop()


async def test_a_result_for_an_old_version_is_never_published():
    rec, published, docs, worker = make(seconds=0.2)
    docs.update("u", "p", 1, "old")
    await asyncio.sleep(0.05)  # version 1 is being analysed in the thread
    docs.update("u", "p", 2, "new")
    result = await docs.current("u")
    assert result.version == 2 and result.text == "new"
    await asyncio.sleep(0.3)
    assert [r.version for r in published] == [2]
    assert rec.calls == ["old", "new"]  # the old one ran to completion and was dropped
    worker.stop()


async def test_urgent_readers_cut_the_debounce_short():
    rec, published, docs, worker = make()
    docs.update("u", "p", 0, "text 0")
    docs.update("u", "p", 1, "text", delay=30)  # in a burst: debounced
    t0 = time.monotonic()
    result = await asyncio.wait_for(docs.current("u", urgent=True), 5)
    assert result.version == 1 and time.monotonic() - t0 < 5
    worker.stop()


async def test_patient_readers_wait_for_the_debounce():
    rec, published, docs, worker = make()
    docs.update("u", "p", 0, "text 0")
    t0 = time.monotonic()
    docs.update("u", "p", 1, "text", delay=0.3)  # in a burst: debounced
    result = await docs.current("u")
    assert result.version == 1 and time.monotonic() - t0 >= 0.25
    worker.stop()


async def test_close_wakes_readers_and_drops_results():
    rec, published, docs, worker = make(seconds=0.2)
    docs.update("u", "p", 1, "text")
    reader = asyncio.create_task(docs.current("u"))
    await asyncio.sleep(0.05)
    docs.close("u")
    assert await asyncio.wait_for(reader, 2) is None
    await asyncio.sleep(0.3)
    assert published == [] and docs.uris() == []
    assert await docs.current("u") is None
    worker.stop()


async def test_a_failing_analysis_degrades_to_an_empty_result():
    worker = Worker()

    def boom(text, path):
        raise RuntimeError("bug")

    docs = DocumentAnalyses(boom, worker)
    docs.update("u", "p", 1, "text")
    result = await asyncio.wait_for(docs.current("u"), 2)
    assert result.analysis.diagnostics == [] and not result.analysis.parsed
    worker.stop()


async def test_idle_work_follows_a_result_on_the_documents_thread():
    """After a result: the idle work (the next analysis's state, the hover index) runs with the
    document's latest result at hand, and is told to stop once another analysis waits."""
    rec = Recorder()
    seen = []

    def idle(uri: str, path: str, stop) -> None:
        latest = docs.latest(uri)
        seen.append((uri, path, latest.version if latest else None, stop(), threading.current_thread().name))

    worker = Worker()
    docs = DocumentAnalyses(rec, worker, idle=idle)
    docs.update("u", "p", 1, "text 1")
    await docs.current("u")
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.01)
    assert seen == [("u", "p", 1, False, "shapelens-analysis")]
    worker.stop()



@pytest.mark.parametrize("garbage", [True, False])
async def test_no_collection_between_an_analysis_and_its_result_but_none_skipped_for_long(garbage, monkeypatch):
    """The garbage collector is off from an analysis until the idle step after its result (the
    young objects it left are not collected before the result is published), back on in that
    step; in a burst of edits that leaves no idle moment, one analysis in MAX_UNCOLLECTED leaves
    it on when many objects were made since the last collection, so the cycles of a long burst do
    not pile up (200 edits back to back: 118 MiB before the analyses left no cycles); else it
    stays off (a collection walks the objects of every analysis in memory)."""
    import gc

    from shapelens.lsp import analyses

    monkeypatch.setattr(analyses, "GARBAGE_OBJECTS", -1 if garbage else 10**12)

    states = []

    def analyze(text: str, path: str) -> Analysis:
        states.append(gc.isenabled())
        return Analysis(path)

    worker = Worker()
    docs = DocumentAnalyses(analyze, worker, idle=lambda uri, path, stop: None)
    try:
        docs.update("u", "p", 0, "text 0")
        await docs.current("u")
        assert states == [False]
        for _ in range(100):  # the idle step turns it on again
            if gc.isenabled():
                break
            await asyncio.sleep(0.01)
        assert gc.isenabled()
        # what was alive then is frozen: not walked by the young collections that follow
        assert gc.get_freeze_count() > 0
        # a burst: analyses one after another with no idle step between them
        states.clear()
        n = analyses.MAX_UNCOLLECTED
        for v in range(2 * (n + 1)):
            docs._run(f"text {v}", "p", threading.Event())
        assert states == (([False] * n + [True]) * 2 if garbage else [False] * 2 * (n + 1))
    finally:
        worker.stop()
        gc.unfreeze()
        gc.enable()

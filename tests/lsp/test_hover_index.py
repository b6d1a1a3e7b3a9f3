"""The position index promised with each result (lsp/session.py): a hover that comes while the
document's thread builds it waits for that build instead of building its own (so does one that
comes before that build began, on a big file), and never waits for a promise that will not be
kept (a newer result, a closed document). On a small file, a hover that comes before the build
began builds the index itself (a few ms) instead of waiting for the idle work to reach it."""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import pytest

from shapelens.core.analyze import analyze
from shapelens.lsp.analyses import Result
from shapelens.lsp import session as session_module
from shapelens.lsp.session import INDEX_WAIT, ShapelensServer

pytestmark = pytest.mark.asyncio


@pytest.fixture
def big(monkeypatch):
    """Every result counts as big: its index is waited for."""
    monkeypatch.setattr(session_module, "BUILD_NOW_LINES", 0)

URI = "file:///work/prog.py"
TEXT = "import keras\nx = keras.Input((4,))\ny = keras.layers.Dense(2)(x)\n"


def server_with(results: list[Result]) -> ShapelensServer:
    ls = ShapelensServer()
    ls.analyses.latest = lambda uri: results[-1] if results else None  # type: ignore[method-assign]
    return ls


def announced(results: list[Result]) -> tuple[ShapelensServer, list[str]]:
    """A server with the first result announced, and the names of the threads that build an index."""
    ls = server_with(results)
    ls._announce(results[0])
    builds: list[str] = []
    real = ls.lookup
    ls.lookup = lambda result, stop=None, statements=None: builds.append(threading.current_thread().name) \
        or real(result, stop, statements)  # type: ignore[method-assign]
    return ls, builds


async def test_a_hover_waits_for_the_index_being_built_on_the_documents_thread(big):
    results = [Result(URI, 1, TEXT, analyze(TEXT, "/work/prog.py"), 1)]
    ls, builds = announced(results)
    idle = threading.Timer(0.1, ls._index, (URI, None))
    idle.start()
    t = time.monotonic()
    lookup = await ls.lookup_async(results[0])
    assert time.monotonic() - t < INDEX_WAIT
    assert builds == [idle.name]  # built once, by the idle work
    assert lookup is ls._lookups[URI][1] and lookup.at(2, 20).layers[0].kind == "Dense"
    assert URI not in ls._building


async def test_a_newer_result_or_closing_releases_the_wait(big):
    first = Result(URI, 1, TEXT, analyze(TEXT, "/work/prog.py"), 1)
    results = [first]
    ls = server_with(results)
    ls._announce(first)
    waiting = asyncio.create_task(ls.lookup_async(first))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    second = Result(URI, 2, TEXT + "\n", analyze(TEXT + "\n", "/work/prog.py"), 2)
    results.append(second)
    t = time.monotonic()
    ls._announce(second)  # the index promised for the first result will not be built
    lookup = await waiting
    assert time.monotonic() - t < INDEX_WAIT / 2 and lookup.at(2, 20).layers[0].kind == "Dense"
    waiting = asyncio.create_task(ls.lookup_async(second))
    await asyncio.sleep(0.05)
    t = time.monotonic()
    ls._keep_promise(URI, ls._building[URI])  # as untrack() does when the document closes
    await waiting
    assert time.monotonic() - t < INDEX_WAIT / 2


async def test_a_hover_on_a_small_file_builds_the_index_unless_its_build_began():
    results = [Result(URI, 1, TEXT, analyze(TEXT, "/work/prog.py"), 1)]
    ls, builds = announced(results)
    t = time.monotonic()
    lookup = await ls.lookup_async(results[0])  # the idle work has not reached it: built now
    assert time.monotonic() - t < 0.5
    assert builds == [threading.current_thread().name]
    assert lookup is ls._lookups[URI][1] and lookup.at(2, 20).layers[0].kind == "Dense"
    ls._index(URI, None)  # the idle work finds it built, and keeps the promise
    assert builds == [threading.current_thread().name] and URI not in ls._building
    # a build that began on the document's thread is waited for
    second = Result(URI, 2, TEXT + "\n", analyze(TEXT + "\n", "/work/prog.py"), 2)
    results.append(second)
    ls._announce(second)
    ls._index_begun[URI] = second.serial
    waiting = asyncio.create_task(ls.lookup_async(second))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    threading.Timer(0.05, ls._index, (URI, None)).start()
    lookup = await waiting
    assert lookup.at(2, 20).layers[0].kind == "Dense" and len(builds) == 2


async def test_a_hover_on_a_big_file_whose_statements_were_read_before_builds_the_index(monkeypatch):
    """Over BUILD_NOW_LINES, a hover that comes before the idle build began builds the index itself
    when the statements it would read anew -- those no index read before (core/lookup.py _facts):
    after an edit, the ones the edit made -- span fewer than BUILD_NOW_LINES lines; the idle work
    then waits for that build instead of making its own. Otherwise it waits for the idle build."""
    from shapelens.core.incremental import Session
    from shapelens.core.lookup import Lookup

    monkeypatch.setattr(session_module, "BUILD_NOW_LINES", 2)  # every text here is "big"
    session = Session()
    results = [Result(URI, 1, TEXT, analyze(TEXT, "/work/prog.py", session=session), 1)]
    ls, builds = announced(results)
    ls._incremental["/work/prog.py"] = (threading.Lock(), session)
    assert ls._parse_of(results[0]) is not None
    # no statement read yet: 3 lines to read, not fewer than 2 -- the hover waits for the idle build
    waiting = asyncio.create_task(ls.lookup_async(results[0]))
    await asyncio.sleep(0.05)
    assert not waiting.done() and builds == []
    threading.Timer(0.01, ls._index, (URI, None)).start()
    assert (await waiting).at(2, 20).layers[0].kind == "Dense" and len(builds) == 1
    # the next text: the statements above the edit are those the index read, one line is new
    edited = TEXT + "z = 1\n"
    results.append(Result(URI, 2, edited, analyze(edited, "/work/prog.py", session=session), 2))
    assert ls._parse_of(results[1]) is not None
    ls._announce(results[1])
    t = time.monotonic()
    lookup = await ls.lookup_async(results[1])  # built now, by the request
    assert time.monotonic() - t < 0.5 and builds[1:] == [threading.current_thread().name]
    assert lookup.at(2, 20).layers[0].kind == "Dense"
    ls._index(URI, None)  # the idle work finds it taken (and built): nothing more
    assert len(builds) == 2 and URI not in ls._building
    assert isinstance(ls._lookups[URI][1], Lookup) and ls._lookups[URI][0] == 2


async def test_the_idle_work_waits_while_a_request_builds_the_index():
    """The document's idle work (Session.prepare) asks ``stop()`` between its steps; while a request
    builds the position index of the latest result, it waits there (the two threads share one
    interpreter lock: working on, it would slow that build down), and it does not build its own."""
    results = [Result(URI, 1, TEXT, analyze(TEXT, "/work/prog.py"), 1)]
    ls, builds = announced(results)
    built = threading.Event()
    ls._index_taken[URI] = (1, built)
    steps: list[str] = []

    class Prepared:
        def prepare(self, stop, between):
            steps.append("started")
            assert not stop()
            steps.append("went on")
            between()

    ls._incremental["/work/prog.py"] = (threading.Lock(), Prepared())
    idle = threading.Thread(target=ls._prepare_now, args=(URI, "/work/prog.py", None))
    idle.start()
    await asyncio.sleep(0.1)
    assert steps == ["started"]
    built.set()
    idle.join(1)
    assert steps == ["started", "went on"] and builds == []  # (the request's build is the one)


async def test_the_first_hover_is_readied_while_idle(monkeypatch):
    """After a first result the idle work does once what the first hover of the process would do
    for the first time (the renderer's import, the converter's code for a hover request and its
    response); a failure there costs nothing but the warm-up."""
    import sys

    ls = ShapelensServer()
    ls._ready_hover()
    assert ls._hover_ready and "shapelens.lsp.render" in sys.modules

    class Broken:
        def structure(self, *args):
            raise RuntimeError("no converter")

    again = ShapelensServer()
    monkeypatch.setattr(again.protocol, "_converter", Broken())
    again._ready_hover()  # does not raise
    assert again._hover_ready


async def test_what_lives_until_the_next_edit_is_frozen_and_the_idle_collection_frees_it(monkeypatch):
    """The index a request builds lives until the next edit: it is frozen (gc.freeze) before the
    collector is on again, so the young collections that follow do not walk it (5 ms on the
    5,000-line file, a hover waiting). The idle collection leaves what is frozen frozen (walking
    every object took 43-133 ms on the 5,000-line file, and a hover sent then waited), until the
    frozen objects are half as many again as after the last collection of every object: then it
    unfreezes them and collects them all, frozen reference cycles included."""
    import gc
    import weakref

    monkeypatch.setattr(session_module, "_full_at", [0])
    results = [Result(URI, 1, TEXT, analyze(TEXT, "/work/prog.py"), 1)]
    ls, _ = announced(results)
    gc.unfreeze()
    try:
        lookup = await ls.lookup_async(results[0])
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0 and gc.is_tracked(lookup)
        assert not any(o is lookup for o in gc.get_objects())  # (the collector's generations)

        class Cycle:
            pass

        cycle = Cycle()
        cycle.me = cycle
        alive = weakref.ref(cycle)
        gc.freeze()
        del cycle
        gc.collect()
        assert alive() is not None  # a frozen cycle is not collected ...
        session_module._collect_all()  # (the first: the count to grow from)
        session_module._collect_all()
        frozen = gc.get_freeze_count()
        assert alive() is not None and frozen > 0  # ... nor by an idle collection while few more are frozen
        monkeypatch.setattr(session_module, "_full_at", [int(frozen / session_module.FULL_GROWTH)
                                                          - session_module.FULL_SLACK - 1])
        session_module._collect_all()  # half as many again: every object
        assert alive() is None
        assert session_module._full_at[0] == gc.get_freeze_count() > 0  # (frozen again at once)
    finally:
        gc.unfreeze()


async def test_the_idle_collection_gives_the_freed_heap_back_to_the_system(monkeypatch):
    """After the full collection, glibc's malloc_trim(0) is called: the memory the analyses
    freed leaves the server's resident set instead of staying in the C heap."""
    if not sys.platform.startswith("linux"):
        pytest.skip("malloc_trim is glibc's")
    session_module._trim()
    assert callable(session_module._malloc_trim)  # found in the C library
    calls = []
    monkeypatch.setattr(session_module, "_malloc_trim", lambda pad: calls.append(pad) or 1)
    session_module._collect_all()
    assert calls == [0]


async def _cursor_rest(monkeypatch, name: str, rest) -> tuple[ShapelensServer, str]:
    """The program of tests/core/test_ready_at.py edited until its state is saved at the edit of
    UNITS; ``await rest(ls, uri)`` then says where the cursor rests (at SUMMARY_LINE): the state
    before that statement must be made, and the first edit there restore it -- with the same
    result as a fresh analysis."""
    from pygls.workspace import Workspace

    from tests.core.test_ready_at import PROG, SUMMARY_INDEX, SUMMARY_LINE, UNITS_LINE, edited, fingerprint
    from shapelens.core import incremental

    monkeypatch.setattr(session_module, "READY_REST", 0.01)
    monkeypatch.setattr(incremental, "READY_MIN_STEPS", 100)
    ls = ShapelensServer()
    ls.protocol._workspace = Workspace(None)  # (as initialize makes it: UTF-16 positions)
    uri, path = f"file:///work/{name}.py", f"/work/{name}.py"
    ls.python_uris.add(uri)
    texts = [PROG, edited(UNITS_LINE, "8", "81"), edited(UNITS_LINE, "8", "9"), PROG]
    for version, text in enumerate(texts, 1):
        ls.analyses.update(uri, path, version, text)
        await asyncio.wait_for(ls.analyses.current(uri), 20)
    session = ls._incremental[path][1]
    deadline = time.monotonic() + 20
    while session.snapshot is None or session.snapshot.index != 2:  # (saved at the edit of UNITS)
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    await rest(ls, uri, SUMMARY_LINE)
    while session.snapshot.index != SUMMARY_INDEX:
        assert time.monotonic() < deadline, "the state at the cursor was not made"
        await asyncio.sleep(0.02)
    text = edited(SUMMARY_LINE, "2", "3")
    ls.analyses.update(uri, path, len(texts) + 1, text)
    result = await asyncio.wait_for(ls.analyses.current(uri), 20)
    assert session.restored_from == SUMMARY_INDEX
    assert fingerprint(result.analysis) == fingerprint(analyze(text, path, keras=ls.keras_target(text, path)))
    return ls, uri


async def test_a_code_action_where_the_cursor_rests_makes_the_state_before_that_statement(monkeypatch):
    """expect_edit (called by the code action handler, which VS Code asks at every cursor move):
    once the cursor rests, the document's thread saves the state before the statement there, and
    the first edit of it restores that state -- with the same result as a fresh analysis."""
    async def rest(ls, uri, line):
        ls.expect_edit(uri, line)

    ls, uri = await _cursor_rest(monkeypatch, "ready", rest)
    ls.untrack(uri)


async def test_a_hover_where_the_cursor_rests_makes_the_state_there_for_a_client_that_asks_no_code_actions(
        monkeypatch):
    """Neovim asks no code action at the cursor; its hover (K) is at the cursor: until the client
    has asked a code action, a hover does what a code action does (expect_edit). Once it has, a
    hover does not: VS Code's mouse hovers anywhere, its cursor is elsewhere."""
    from lsprotocol import types

    from shapelens.lsp.features.code_actions import code_actions
    from shapelens.lsp.features.hover import hover

    def hover_at(uri, line):
        return types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                 position=types.Position(line=line - 1, character=0))

    async def rest(ls, uri, line):
        await hover(ls, hover_at(uri, line))

    ls, uri = await _cursor_rest(monkeypatch, "ready_hover", rest)
    from tests.core.test_ready_at import SUMMARY_LINE

    asked: list[int] = []
    monkeypatch.setattr(ls, "expect_edit", lambda uri_, line: asked.append(line))
    await hover(ls, hover_at(uri, SUMMARY_LINE))
    assert asked == [SUMMARY_LINE]
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    await code_actions(ls, types.CodeActionParams(text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
                                                  context=types.CodeActionContext(diagnostics=[])))
    assert ls.asks_code_actions and asked == [SUMMARY_LINE, 1]
    await hover(ls, hover_at(uri, SUMMARY_LINE))
    assert asked == [SUMMARY_LINE, 1]  # the hover no longer says where the cursor is
    ls.untrack(uri)

"""The server object: options, the per-document analyses and small shared helpers.

Feature handlers receive this object; everything they share lives here so that each
features/ module stays a couple of dozen lines over the pure core.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import logging
import sys
import threading
from typing import TYPE_CHECKING, Callable

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from shapelens import __version__
from shapelens.config import Options
from shapelens.lsp.analyses import DocumentAnalyses, Result, Worker
from shapelens.lsp.dryrun_scheduler import DryRuns
from shapelens.lsp.positions import LineIndex, encoding_name
from shapelens.lsp.protocol import ShapelensProtocol

if TYPE_CHECKING:
    from shapelens.core.incremental import Session
    from shapelens.core.lookup import Lookup

log = logging.getLogger("shapelens.lsp")

PYTHON_SUFFIXES = (".py", ".pyi")
IDLE_COLLECT = 1.5  # seconds without a new result before the idle garbage collection (_collect_all)
INDEX_WAIT = 1.0  # longest wait of a request for the position index being built while idle
READY_REST = 0.4  # seconds the cursor rests on a statement before the state before it is made (expect_edit)
# A request finds the position index of a result this small not built yet, nor begun by the
# document's thread (which begins after IDLE_DELAY, once Session.prepare has collected the last
# analysis): it builds the index itself (a few ms). So it does on a bigger file (up to BUILD_NOW_MAX_LINES)
# when the statements it would read anew -- those not read for an index before, core/lookup.py
# read_before -- span fewer than BUILD_NOW_LINES lines: after an edit, the ones the edit made (the
# 5,000-line file: ~20 ms)
BUILD_NOW_LINES = 1_000
BUILD_NOW_LAYERS = 2_000
BUILD_NOW_MAX_LINES = 6_000
_CORE_LOCK = threading.Lock()


def core_analyze():
    """The engine's entry points, imported on first use: answering ``initialize`` loads none of the
    core (tests/lsp/test_startup.py). The first analysis imports it on its own thread; the lock
    makes the analysis threads of several documents opened at once import it one at a time."""
    with _CORE_LOCK:
        from shapelens.core import analyze

    return analyze


class ShapelensServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("shapelens", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=ShapelensProtocol)
        self.options = Options()
        self.options_generation = 0  # bumped on every configuration change
        self.client_settings: object = None  # initializationOptions / didChangeConfiguration
        self.cli_log_level = "warning"
        self.shutdown_requested = False
        self.worker = Worker()
        # self.worker runs the other blocking calls (fixes); analyses run on a thread per document
        self.analyses = DocumentAnalyses(self._analyze, on_result=self._announce, idle=self._prepare)
        self.dry_runs = DryRuns(self)
        self.result_listeners: list[Callable[[ShapelensServer, Result], None]] = []
        self.python_uris: set[str] = set()
        self.log_handler = None  # logs.ClientLogHandler once run() set logging up
        self.fix_cache: dict[tuple, list] = {}  # (uri, result serial, diagnostic index) -> verified fixes
        self._lookups: dict[str, tuple[int, Lookup]] = {}
        self._building: dict[str, tuple[int, concurrent.futures.Future]] = {}  # uri -> index being built (serial)
        self._index_begun: dict[str, int] = {}  # uri -> serial of the result whose index the document's thread builds
        # uri -> (serial of the result whose index a request builds, set when it is built)
        self._index_taken: dict[str, tuple[int, threading.Event]] = {}
        self._hover_ready = False  # (_ready_hover)
        self._indexes: dict[str, tuple[str, str, LineIndex]] = {}  # uri -> (text, encoding, its index)
        self._derived: dict[str, tuple[int, str, dict]] = {}  # uri -> (serial, text, {name: value})
        # per document path: the incremental state of its analyses (core/incremental.py)
        self._incremental: dict[str, tuple[threading.Lock, "Session"]] = {}
        self._idle_gc = None  # the full garbage collection planned for the next quiet moment
        self._ready_timers: dict[str, asyncio.TimerHandle] = {}  # uri -> expect_edit's timer
        # the client asks code actions (VS Code: at every cursor move); until one does, a hover
        # tells where the cursor is (Neovim's K hovers at the cursor, asks no code action itself)
        self.asks_code_actions = False

    # -- documents ---------------------------------------------------------------
    def is_python(self, uri: str, language_id: str | None = None) -> bool:
        if language_id is not None:
            return language_id == "python"
        return uri in self.python_uris or uri.lower().endswith(PYTHON_SUFFIXES)

    def track(self, uri: str, delay: float = 0.0) -> None:
        """Schedule an analysis of the document's current text."""
        doc = self.workspace.get_text_document(uri)
        self.analyses.update(uri, to_fs_path(uri) or uri, doc.version, doc.source, delay)

    def forget_incremental(self, path: str) -> None:
        """Drop a closed document's saved analysis state."""
        self._incremental.pop(path, None)

    def untrack(self, uri: str) -> None:
        timer = self._ready_timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self.forget_incremental(to_fs_path(uri) or uri)
        self.python_uris.discard(uri)
        self._lookups.pop(uri, None)
        self._index_begun.pop(uri, None)
        self._index_taken.pop(uri, None)
        promised = self._building.get(uri)
        if promised is not None:
            self._keep_promise(uri, promised)
        self._indexes.pop(uri, None)
        self._derived.pop(uri, None)
        self.fix_cache = {k: v for k, v in self.fix_cache.items() if k[0] != uri}
        self.analyses.close(uri)
        self.dry_runs.forget(uri)

    async def result(self, uri: str, urgent: bool = False) -> Result | None:
        """The analysis of the document's current text, or None for a document not tracked.

        ``urgent`` skips the rest of a pending debounce (see DocumentAnalyses.current).
        """
        return await self.analyses.current(uri, urgent)

    def _analyze(self, text: str, path: str, cancelled=None, early=None):
        # the TensorFlow dry run (lsp/dryrun_scheduler.py) reads the model specification of every result
        core = core_analyze()
        from shapelens.core.incremental import Session  # loaded with the core (core_analyze)

        lock, session = self._incremental.setdefault(path, (threading.Lock(), Session()))
        if not lock.acquire(blocking=False):
            session = None  # the same file analysed on two threads at once: the second starts afresh
        try:
            return core.analyze(text, path, with_spec=self.options.dry_run.mode != "off", cancelled=cancelled,
                                keras=self.keras_target(text, path), session=session, early=early)
        finally:
            if session is not None:
                lock.release()

    def expect_edit(self, uri: str, line: int) -> None:
        """The cursor is on (1-based) ``line``: a code action was asked there (VS Code asks at
        every cursor move). Once it rests there READY_REST seconds with the document's result
        current and no analysis running, the document's thread makes the state before that
        statement (core ``ready_at``), when the statements between the saved state and it took
        long: the first edit there restores it instead of running them again (a model built
        between). It gives way to any analysis."""
        if uri not in self.python_uris:
            return
        timer = self._ready_timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._ready_timers[uri] = loop.call_later(READY_REST, self._ready_place, uri, line)

    def _ready_place(self, uri: str, line: int) -> None:
        self._ready_timers.pop(uri, None)
        path = to_fs_path(uri) or uri
        if path in self._incremental:
            self.analyses.idle_work(uri, lambda stop: self._ready_now(path, line, stop))

    def _ready_now(self, path: str, line: int, stop) -> None:
        found = self._incremental.get(path)
        if found is None or not found[0].acquire(blocking=False):
            return
        try:
            with _collector_off():
                core_analyze().ready_at(found[1], line, stop)
        except Exception:  # noqa: BLE001 -- the first edit there runs what it needs itself
            log.debug("making the state at line %s of %s failed", line, path, exc_info=True)
        finally:
            found[0].release()

    def _prepare(self, uri: str, path: str, stop=None) -> None:
        """Between two analyses of a document (on the document's thread, after a result:
        analyses.py, DocumentAnalyses._after): prepare the state the next one restores, giving
        way when an analysis is waiting (``stop()``). Without garbage collections meanwhile, as
        during an analysis: a full one walks every object of the analyses in memory (tens of ms),
        and the idle collection (_collect_when_idle) follows. What it made (the index, the state
        for the next edit) is frozen before the collector is on again, as the analysis's objects
        are: a young collection would walk it (5 ms on the 5,000-line file, a hover waiting)."""
        with _collector_off():
            self._prepare_now(uri, path, stop)
            if not self._hover_ready and not (stop is not None and stop()):
                self._ready_hover()

    def _ready_hover(self) -> None:
        """Once, while idle after a first result: what the first hover of the process would do for
        the first time -- import the renderer, and have the protocol's converter make its code for
        a hover request and its response (cattrs generates it per type on first use) -- so that
        the first hover costs what the others do (it took 4-6 ms more)."""
        self._hover_ready = True
        try:
            from shapelens.lsp import render  # noqa: F401 -- imported for the first hover

            converter = self.protocol._converter
            converter.structure({"jsonrpc": "2.0", "id": 0, "method": types.TEXT_DOCUMENT_HOVER,
                                 "params": {"textDocument": {"uri": "file:///shapelens-warm-up.py"},
                                            "position": {"line": 0, "character": 0}}}, types.HoverRequest)
            converter.unstructure(types.HoverResponse(id=0, result=types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=""),
                range=types.Range(start=types.Position(line=0, character=0),
                                  end=types.Position(line=0, character=0)))))
        except Exception:  # noqa: BLE001 -- a warm-up only: the first hover then does it itself
            log.debug("readying the first hover failed", exc_info=True)

    def _prepare_now(self, uri: str, path: str, stop=None) -> None:
        found = self._incremental.get(path)

        def paused(stop=stop) -> bool:
            """``stop()``, asked between the steps: while a request builds the position index
            (lookup_async), the idle work waits for it there."""
            self._index_taken_wait(uri, stop)
            return stop is not None and stop()

        if found is not None and found[0].acquire(blocking=False):
            try:
                # the hover index first, then what the next edit reads and the state it restores
                found[1].prepare(paused, between=lambda: self._index(uri, stop))
            except Exception:  # noqa: BLE001 -- the next analysis restores it itself
                log.debug("preparing the next analysis of %s failed", path, exc_info=True)
            finally:
                found[0].release()
        self._index(uri, stop)  # (when prepare stopped before it, or there is no session)

    def _index(self, uri: str, stop) -> None:
        """Build the position index of the document's latest result (from the analysis's own parse
        when at hand), so that a hover is answered at once; a hover that comes before it is built
        waits for it (lookup_async: the result's announcement promised it, _announce)."""
        result = self.analyses.latest(uri)
        promised = self._building.get(uri)
        try:
            if result is None or (stop is not None and stop()):
                return
            cached = self._lookups.get(uri)
            if cached is not None and cached[0] == result.serial:
                return
            if self._index_taken_wait(uri, stop, result):
                return
            self._index_begun[uri] = result.serial
            self.lookup(result, stop, self._parse_of(result))
        except Exception:  # noqa: BLE001 -- stopped (Stopped), or built by the first hover
            pass
        finally:
            if promised is not None and (result is None or promised[0] == result.serial):
                self._keep_promise(uri, promised)

    def _index_taken_wait(self, uri: str, stop, result: Result | None = None) -> bool:
        """When a request builds the position index of the document's latest result (lookup_async),
        wait for that build (the idle work would slow it down: the two threads share one
        interpreter lock); whether one does."""
        result = result or self.analyses.latest(uri)
        taken = self._index_taken.get(uri)
        if result is None or taken is None or taken[0] != result.serial:
            return False
        while not taken[1].wait(0.005) and not (stop is not None and stop()):
            pass
        return True

    def _keep_promise(self, uri: str, promised: tuple) -> None:
        """The index promised for a result is built, or will not be: whoever waits for it goes on."""
        if self._building.get(uri) is promised:
            del self._building[uri]
        if not promised[1].done():
            promised[1].set_result(None)

    async def lookup_async(self, result: Result) -> Lookup:
        """The position index of a result for a request: the one built while idle (waited for
        when it is being built), else built now from the analysis's parse when at hand."""
        cached = self._lookups.get(result.uri)
        if cached is not None and cached[0] == result.serial:
            return cached[1]
        building = self._building.get(result.uri)
        statements = self._parse_of(result)
        if building is not None and building[0] == result.serial and (
                self._index_begun.get(result.uri) == result.serial or not _quick(result, statements)):
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(building[1])), INDEX_WAIT)
            except (asyncio.TimeoutError, concurrent.futures.CancelledError):
                pass
            cached = self._lookups.get(result.uri)
            if cached is not None and cached[0] == result.serial:
                return cached[1]
        taken = self._index_taken[result.uri] = (result.serial, threading.Event())  # (see _index)
        try:
            with _collector_off():  # (as the idle work builds it)
                return self.lookup(result, statements=statements)
        finally:
            taken[1].set()

    def _parse_of(self, result: Result) -> list | None:
        """The top-level statements the analysis of the result's text parsed, when they are at hand."""
        found = self._incremental.get(to_fs_path(result.uri) or result.uri)
        statements = found[1].statements() if found is not None else None
        return statements[1] if statements is not None and statements[0] is result.text else None

    def keras_target(self, text: str, path: str):
        """The Keras a document targets: its options' keras-version, else (auto) decided from the
        text, the project around it and the interpreter of the dry run (else this one)."""
        from shapelens.lsp import settings

        try:
            options = settings.options_for(self, from_fs_path(path) or path) if path else self.options
        except Exception:  # noqa: BLE001 -- a configuration problem must not cost the analysis
            options = self.options
        interpreter = options.dry_run.interpreter or sys.executable
        return core_analyze().target_for(text, path, options, interpreter=interpreter)

    def lookup(self, result: Result, stop: Callable[[], bool] | None = None, statements=None) -> Lookup:
        """The position index of a result, kept while the result is the document's latest (built
        when the document's thread is idle, or by the first request that needs it)."""
        cached = self._lookups.get(result.uri)
        if cached is None or cached[0] != result.serial:
            from shapelens.core.lookup import Lookup

            cached = (result.serial, Lookup(result.text, result.analysis, stop, statements))
            if stop is None or self.analyses.latest(result.uri) is result:  # (idle: not outdated meanwhile)
                self._lookups[result.uri] = cached
        return cached[1]

    def derived(self, result: Result, name: str, build: Callable[[], object]):
        """What a feature computes from one result (the inlay hint labels, the lenses), computed
        once and kept while the result is the document's latest: requests repeated on an
        unchanged document do not convert the whole analysis again. Only the document's latest
        result is kept (a notebook cell's view of its notebook's result is built per request)."""
        if self.analyses.latest(result.uri) is not result:
            return build()
        cached = self._derived.get(result.uri)
        if cached is None or cached[0] != result.serial or cached[1] is not result.text:
            cached = self._derived[result.uri] = (result.serial, result.text, {})
        values = cached[2]
        if name not in values:
            values[name] = build()
        return values[name]

    def _collect_when_idle(self) -> None:
        """Python's full garbage collection walks every live object (tens of milliseconds with a
        big notebook's analysis state in memory); run while someone types, it lands between an
        edit and its diagnostics. The server makes full collections rare (run()) and runs one
        itself once no document has changed for IDLE_COLLECT seconds, of the objects not frozen
        after the last result (analyses.py, DocumentAnalyses._after) -- of every object when the
        frozen ones grew by half (_collect_all)."""
        if self._idle_gc is not None:
            self._idle_gc.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._idle_gc = loop.call_later(IDLE_COLLECT, _collect_all)

    def _announce(self, result: Result) -> None:
        self._collect_when_idle()
        # the document's thread builds this result's position index when idle (_prepare)
        promised = self._building.get(result.uri)
        if promised is not None:
            self._keep_promise(result.uri, promised)
        self._building[result.uri] = (result.serial, concurrent.futures.Future())
        # what was kept for the previous text goes now, not when the next request replaces it
        for cache in (self._lookups, self._derived):
            if result.uri in cache and cache[result.uri][0] != result.serial:
                del cache[result.uri]
        if result.uri in self._indexes and self._indexes[result.uri][0] is not result.text:
            del self._indexes[result.uri]
        self.fix_cache = {k: v for k, v in self.fix_cache.items() if k[0] != result.uri}
        for listener in self.result_listeners:
            listener(self, result)

    # -- positions and client capabilities ----------------------------------------------
    @property
    def encoding(self) -> str:
        return encoding_name(self.workspace.position_encoding)

    def index(self, result: Result) -> LineIndex:
        """The line index of a result's text, kept per document while the text is the same object:
        a hover or a publish does not split the whole text again."""
        encoding = self.encoding
        if self.analyses.latest(result.uri) is not result:  # e.g. a notebook cell's view: not kept
            return LineIndex(result.text, encoding)
        cached = self._indexes.get(result.uri)
        if cached is not None and cached[0] is result.text and cached[1] == encoding:
            return cached[2]
        index = LineIndex(result.text, encoding)
        self._indexes[result.uri] = (result.text, encoding, index)
        return index

    @property
    def pull_diagnostics(self) -> bool:
        """Clients that pull diagnostics get no pushed ones."""
        td = self.client_capabilities.text_document
        return td is not None and td.diagnostic is not None

    def supports(self, check: Callable[[types.ClientCapabilities], object]) -> bool:
        try:
            return bool(check(self.client_capabilities))
        except AttributeError:
            return False

    def text_document_publish_diagnostics(self, params: types.PublishDiagnosticsParams) -> None:
        """Every push of a document's diagnostics also carries the TensorFlow dry run's findings
        for the same version (lsp/dryrun_scheduler.py), so that no path of publishing drops them."""
        extra = self.dry_runs.for_push(params.uri, params.version)
        if extra:
            params = types.PublishDiagnosticsParams(uri=params.uri, version=params.version,
                                                    diagnostics=[*params.diagnostics, *extra])
        super().text_document_publish_diagnostics(params)

    # -- messages ---------------------------------------------------------------------
    def show(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))


@contextlib.contextmanager
def _collector_off():
    """The garbage collector off while the work runs (a collection would walk every analysis in
    memory), then what it made frozen before the collector is on again: it lives until the next
    edit, and young collections do not walk it (see analyses.py, _after)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def _collect_all() -> None:
    """The idle collection. The objects frozen after each result (analyses.py) are left frozen,
    and only the others are collected: an analysis leaves no reference cycles
    (tests/core/test_no_cycles.py), so what it frees, reference counting frees, frozen or not.
    Every object, those frozen included, is collected only once the frozen ones are half as many
    again as after the last such collection (FULL_GROWTH, FULL_SLACK): that collection walks every
    live object -- 43-133 ms on the 5,000-line file, which a hover sent 1.5 s after the last edit
    waited for when every idle collection was one. The reference cycles of other code that were
    alive at a freeze are freed then."""
    frozen = gc.get_freeze_count()
    if _full_at[0] and frozen > FULL_GROWTH * _full_at[0] + FULL_SLACK:
        gc.unfreeze()
        gc.collect()
        gc.freeze()  # (what lives on until then is frozen again at once)
        _full_at[0] = gc.get_freeze_count()
    else:
        if not _full_at[0]:
            _full_at[0] = frozen  # (the first: after the first results, the count to grow from)
        gc.collect()  # (the objects not frozen only)
    _trim()


FULL_GROWTH = 1.5
FULL_SLACK = 50_000  # objects
_full_at = [0]  # objects frozen right after the last collection of every object


def _trim() -> None:
    """Give the C heap's free memory back to the system (glibc's malloc_trim): what the analyses
    freed stays in the process's resident memory otherwise."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = False
        try:
            import ctypes

            name = "libc.so.6" if sys.platform.startswith("linux") else None
            if name:
                _malloc_trim = ctypes.CDLL(name).malloc_trim
        except (OSError, AttributeError):
            pass
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


def _quick(result: Result, statements: list | None) -> bool:
    """Whether a request builds a result's position index itself rather than wait for the
    document's thread: a small file, or one whose statements were read for an index before but
    for a few lines (BUILD_NOW_MAX_LINES)."""
    if _small(result):
        return True
    if statements is None or not _within(result, BUILD_NOW_MAX_LINES, 2 * BUILD_NOW_LAYERS):
        return False
    from shapelens.core.lookup import read_before

    unread = 0
    for stmt in statements:
        if not read_before(stmt):
            unread += stmt.end_lineno - stmt.lineno + 1
            if unread >= BUILD_NOW_LINES:
                return False
    return True


def _small(result: Result) -> bool:
    """Whether a result's position index is quick to build (BUILD_NOW_LINES)."""
    return _within(result, BUILD_NOW_LINES, BUILD_NOW_LAYERS)


def _within(result: Result, lines: int, layers: int) -> bool:
    """A result's text has fewer than ``lines`` lines (of 80 characters at most on average) and its
    analysis at most ``layers`` layer rows."""
    text = result.text
    return len(result.analysis.layers) <= layers and len(text) <= lines * 80 and text.count("\n") < lines

"""Per-document analysis: debounced, off the event loop, and never stale.

Every open document has an entry holding the latest version the client sent and the
latest *result*: an Analysis together with the exact text and version it was computed
for. A result is stored (and announced) only if its version is still the document's
version when the analysis finishes; anything older is dropped. Readers that need the
analysis of the current text await :meth:`DocumentAnalyses.current`, which cuts a
pending debounce short instead of waiting it out.

Scheduling: each document is analysed on its own thread (a long analysis of one file never
delays another's), and a newer version of a document sets the cancel flag of the analysis
still running for the older text, which the evaluator polls with its budget.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import itertools
import logging
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # the core loads with the first analysis (on its thread), not at start
    from shapelens.core.results import Analysis

log = logging.getLogger("shapelens.lsp")
IDLE_DELAY = 0.005  # seconds between a result and the idle work that follows it
# Analyses in a row with the garbage collector off between them (edits that come faster than the
# idle step, _after): past this many, one is left to collect after it -- when the objects made since
# the last collection and still alive (gc.get_count()[0]) number more than GARBAGE_OBJECTS, so that
# a long burst of edits does not pile up reference cycles. An analysis leaves none now
# (tests/core/test_no_cycles.py): the 5,000-line file holds ~160,000 after dozens of edits, and a
# collection left on during an analysis walks them all (30-60 ms on one edit in nine).
MAX_UNCOLLECTED = 8
GARBAGE_OBJECTS = 400_000
_uncollected = [0]


class WorkerThread:
    """One daemon thread running blocking calls in submission order.

    A daemon thread (not a ThreadPoolExecutor) so that an analysis still running when the
    client says ``exit`` cannot hold the process up.
    """

    def __init__(self, name: str = "shapelens-analysis") -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._arrived = threading.Event()  # set by every submit (idle_wait)
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fut, fn, args = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 -- handed to the awaiting coroutine
                fut.set_exception(exc)

    def pending(self) -> bool:
        """Whether jobs are waiting behind the running one."""
        return not self._jobs.empty()

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        fut: concurrent.futures.Future = concurrent.futures.Future()
        self._jobs.put((fut, fn, args))
        self._arrived.set()
        return fut

    def idle_wait(self, seconds: float) -> bool:
        """On the thread, in a job: wait ``seconds`` unless another job is submitted meanwhile;
        True when none is waiting."""
        self._arrived.clear()
        if self.pending():  # (submitted before the clear)
            return False
        self._arrived.wait(seconds)
        return not self.pending()

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.wrap_future(self.submit(fn, *args))

    def stop(self) -> None:
        self._jobs.put(None)


Worker = WorkerThread  # the name other modules import


@dataclass(frozen=True)
class Result:
    uri: str
    version: int | None
    text: str
    analysis: Analysis
    serial: int  # increases with every stored result (pull diagnostics' result ids)


class _Entry:
    def __init__(self, uri: str, path: str) -> None:
        self.uri = uri
        self.path = path
        self.version: int | None = None
        self.text = ""
        self.result: Result | None = None
        self.task: asyncio.Task | None = None
        self.cancel = threading.Event()  # set: the running analysis is for an outdated text
        self.thread: WorkerThread | None = None
        self.go = asyncio.Event()  # set: skip the rest of the debounce
        self.changed = asyncio.Condition()
        self.closed = False

    @property
    def fresh(self) -> bool:
        return self.result is not None and self.result.version == self.version and self.result.text == self.text


class DocumentAnalyses:
    def __init__(self, analyze_fn: Callable[..., Analysis], worker: WorkerThread | None = None,
                 on_result: Callable[[Result], None] | None = None,
                 idle: Callable[[str], None] | None = None) -> None:
        """``analyze_fn(text, path, cancelled=...)``. ``worker``: one thread for every
        document (tests); None: a thread per open document. ``idle(path)`` runs on the
        document's thread after each of its analyses (work for the next one: it waits for it)."""
        self._analyze = analyze_fn
        self._worker = worker
        self._on_result = on_result
        self._idle = idle
        self._entries: dict[str, _Entry] = {}
        self._serial = itertools.count(1)

    # -- writers (the document sync handlers) -----------------------------------
    def update(self, uri: str, path: str, version: int | None, text: str, delay: float = 0.0,
               early: tuple[int, Callable[[Analysis], None]] | None = None) -> None:
        """The client has this text at this version: analyse it after ``delay`` seconds, the
        debounce -- which only a burst waits for: an update that finds no analysis of the
        document pending or running is analysed at once (a keystroke gets its diagnostics without
        waiting); updates that come while one is pending or running are coalesced, the newest
        analysed ``delay`` after the last of them (the running analysis of an older text stops).
        ``early``: handed to the analysis (core ``analyze(..., early=...)``; its callback runs
        on the analysis thread)."""
        entry = self._entries.get(uri)
        if entry is None or entry.closed:
            entry = self._entries[uri] = _Entry(uri, path)
        if delay > 0 and (entry.task is None or entry.task.done()):
            delay = 0.0
        entry.version, entry.text = version, text
        if entry.task is not None and not entry.task.done():
            entry.task.cancel()  # its result is dropped ...
        entry.cancel.set()  # ... and the analysis still running stops at its next budget check
        entry.cancel = threading.Event()
        entry.go = asyncio.Event()
        entry.task = asyncio.create_task(self._job(entry, version, text, delay, entry.go, early))

    def reanalyze(self) -> None:
        """Analyse every open document again (the options that shape the analysis changed);
        readers wait for the new results instead of getting the old ones."""
        for entry in list(self._entries.values()):
            if not entry.closed:
                entry.result = None
                self.update(entry.uri, entry.path, entry.version, entry.text)

    def close(self, uri: str) -> None:
        entry = self._entries.pop(uri, None)
        if entry is None:
            return
        entry.closed = True
        entry.cancel.set()
        if entry.task is not None:
            entry.task.cancel()
        if entry.thread is not None:
            entry.thread.stop()
            gc.enable()  # (its last analysis's idle step may never run: _after)
        asyncio.create_task(self._notify(entry))

    def idle_work(self, uri: str, fn: Callable[[Callable[[], bool]], None]) -> bool:
        """Run ``fn(stop)`` on the document's thread when its result is that of the current text
        and no analysis is pending or running; ``stop()``: an analysis waits (fn gives way).
        Returns whether it was queued."""
        entry = self._entries.get(uri)
        if entry is None or entry.closed or not entry.fresh or (entry.task is not None and not entry.task.done()):
            return False
        thread = self._worker or entry.thread
        if thread is None:
            return False
        text = entry.text

        def job() -> None:
            if not entry.closed and entry.text is text and not thread.pending():
                fn(thread.pending)

        thread.submit(job)
        return True

    # -- readers -------------------------------------------------------------------
    def uris(self) -> list[str]:
        return list(self._entries)

    def latest(self, uri: str) -> Result | None:
        """The newest result, which may be for an older version than the client has."""
        entry = self._entries.get(uri)
        return entry.result if entry else None

    def version(self, uri: str) -> int | None:
        entry = self._entries.get(uri)
        return entry.version if entry else None

    async def current(self, uri: str, urgent: bool = False) -> Result | None:
        """The result for the document's current text (None once it is closed or unknown).

        ``urgent`` (a hover, a code action) cuts a pending debounce short; other readers
        (inlay hints, pulled diagnostics, which clients request after every edit) wait it out
        so that a burst of typing still costs one analysis.
        """
        entry = self._entries.get(uri)
        if entry is None:
            return None
        async with entry.changed:
            while not (entry.closed or entry.fresh):
                if urgent:
                    entry.go.set()
                if entry.task is None or entry.task.done():  # e.g. the worker raised
                    entry.go = asyncio.Event()
                    entry.task = asyncio.create_task(self._job(entry, entry.version, entry.text, 0.0, entry.go))
                await entry.changed.wait()
        return None if entry.closed else entry.result

    # -- the job ---------------------------------------------------------------------
    async def _job(self, entry: _Entry, version: int | None, text: str, delay: float, go: asyncio.Event,
                   early: tuple[int, Callable[[Analysis], None]] | None = None) -> None:
        if delay > 0 and not go.is_set():
            try:
                await asyncio.wait_for(go.wait(), delay)
            except asyncio.TimeoutError:
                pass
        cancel = entry.cancel
        thread = self._worker
        if thread is None:
            if entry.thread is None:
                entry.thread = WorkerThread(f"shapelens-analysis-{len(self._entries)}")
            thread = entry.thread
        try:
            analysis = await thread.run(self._run, text, entry.path, cancel, early)
        except asyncio.CancelledError:
            self._idle_after(entry, thread)  # (the idle work still follows the analysis)
            raise
        except Exception:  # noqa: BLE001 -- analyze() never raises; belt and braces
            log.exception("analysis of %s failed", entry.uri)
            analysis = _unfinished(entry.path)
        try:
            if entry.closed or version != entry.version or text != entry.text:
                log.debug("dropping the analysis of %s version %s (now %s)", entry.uri, version, entry.version)
                return
            entry.result = Result(entry.uri, version, text, analysis, next(self._serial))
            if self._on_result is not None:
                try:
                    self._on_result(entry.result)
                except Exception:  # noqa: BLE001
                    log.exception("publishing the analysis of %s failed", entry.uri)
        finally:
            # the idle work follows the result's announcement (it builds what was announced)
            self._idle_after(entry, thread)
        await self._notify(entry)

    def _idle_after(self, entry: _Entry, thread: WorkerThread) -> None:
        thread.submit(self._after, entry, thread)

    def _after(self, entry: _Entry, thread: WorkerThread) -> None:
        """The idle work after an analysis (core state copied for the next one). It starts a few
        milliseconds late -- the result is being published on the event loop meanwhile, and pure
        Python work holding the GIL delayed that -- and not at all when the next analysis of the
        document is already waiting (one that comes during the wait starts at once).

        The garbage collector, off since the analysis began (_run), is switched on again here:
        the first allocation after that collects the young objects the analysis left (about 3 ms
        on a 5,000-line file), which must not land between the analysis and its publication.
        When the next analysis is already waiting it stays off: that one's idle step turns it on
        (or, in a long burst of edits, one analysis in MAX_UNCOLLECTED leaves it on).

        Before it is switched on, every object alive is frozen (gc.freeze: moved out of the
        collector's generations, at no cost): the analyses' states would otherwise be walked by the
        next young collections -- the first after an open, or a generation-1 one every tenth edit,
        30-80 ms on the 5,000-line file, holding the interpreter lock while a hover waited. An
        analysis leaves no reference cycles (tests/core/test_no_cycles.py): what it frees,
        reference counting frees, frozen or not. The idle collection (session.py,
        _collect_all), once the documents are quiet, collects the others, and every object when
        the frozen ones grew by half since it last did."""
        if not thread.idle_wait(IDLE_DELAY):
            return
        gc.freeze()
        gc.enable()
        _uncollected[0] = 0
        if self._idle is not None and not entry.closed:
            # stops between its steps when an analysis is waiting
            self._idle(entry.uri, entry.path, thread.pending)

    def _run(self, text: str, path: str, cancel: threading.Event,
             early: tuple[int, Callable[[Analysis], None]] | None = None) -> Analysis:
        if cancel.is_set():
            return _unfinished(path)  # outdated before it started
        if _uncollected[0] < MAX_UNCOLLECTED or gc.get_count()[0] <= GARBAGE_OBJECTS:
            gc.disable()  # until the idle step after the result (_after)
            _uncollected[0] = _uncollected[0] + 1 if _uncollected[0] < MAX_UNCOLLECTED else 0
        else:
            gc.enable()
            _uncollected[0] = 0
        try:
            if early is not None:
                return self._analyze(text, path, cancelled=cancel.is_set, early=early)
            return self._analyze(text, path, cancelled=cancel.is_set)
        except TypeError:  # an analyze_fn without the cancel flag (tests)
            return self._analyze(text, path)

    @staticmethod
    async def _notify(entry: _Entry) -> None:
        async with entry.changed:
            entry.changed.notify_all()


def _unfinished(path: str) -> Analysis:
    """The empty analysis of a text that was not (or could not be) analysed."""
    from shapelens.core.results import Analysis

    return Analysis(path, parsed=False, complete=False)

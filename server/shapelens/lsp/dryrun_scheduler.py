"""The TensorFlow dry run inside the language server: when it runs, where its answers go.

When: on didSave (``dryRun.mode`` "onSave") and on the command
``shapelens.confirmWithTensorFlow`` ("onSave" or "onCommand"); never on an edit. The
worker (shapelens.worker) starts the first time it is needed, with a cancellable
"Loading TensorFlow…" progress; every blocking call runs on this module's own thread, so
the event loop, and with it every static feature, never waits for TensorFlow. One run per
document at a time: a newer request for the document supersedes (cancels) the older one.

Reports are cached by the hash of the position-free payload (and the interpreter), and read
against the *current* analysis: as long as the model is the same, every new analysis of
the document (an edit elsewhere, a moved block) gets its TensorFlow findings at once,
without asking the worker. Findings reach the client

* merged into every push of the document's diagnostics (clients that do not pull);
* in pulled reports, followed by a diagnostic refresh (clients that pull and can refresh);
* as a push of their own (clients that pull but cannot be asked to pull again).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import os
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from shapelens.lsp.analyses import Result, Worker
from shapelens.worker import protocol
from shapelens.dryrun.client import (
    WorkerClient,
    WorkerCrashed,
    WorkerError,
    WorkerStopped,
    WorkerTimeout,
    WorkerUnavailable,
)

if TYPE_CHECKING:  # the verdicts, the core and the conversions load when a dry run is read, not at start
    from shapelens.core.lookup import Target
    from shapelens.dryrun.verdict import Verdict

log = logging.getLogger("shapelens.lsp")

SOURCE = "shapelens (tensorflow)"
LOADING = "Loading TensorFlow…"
CACHE_SIZE = 64
PROGRESS_CREATE_TIMEOUT = 5.0


class DryRuns:
    def __init__(self, ls: Any) -> None:
        self.ls = ls
        self.client: WorkerClient | None = None
        self.thread = Worker("shapelens-dryrun")
        self.reports: collections.OrderedDict[tuple, tuple[str, dict]] = collections.OrderedDict()
        self.tasks: dict[str, asyncio.Task] = {}
        self._verdicts: dict[str, tuple[int, tuple | None, Verdict | None]] = {}  # uri -> (serial, key, verdict)
        self._separate: set[str] = set()  # uris with a push of their own (pulling clients without refresh)
        self.unavailable: dict[str, str] = {}  # interpreter -> the message the user has seen
        self.builds = 0  # requests that reached the worker
        self._options: tuple | None = None
        self._tokens = itertools.count(1)

    # ------------------------------------------------------------------ options
    @property
    def mode(self) -> str:
        return self.ls.options.dry_run.mode

    def _sync_options(self) -> None:
        """Follow option changes: a new interpreter or "off" stops the worker."""
        o = self.ls.options.dry_run
        now = (o.mode, o.interpreter)
        if now == self._options:
            return
        before, self._options = self._options, now
        if before is not None and (now[0] == "off" or now[1] != before[1]):
            self._retire()
            self.unavailable.clear()

    def _retire(self) -> None:
        if self.client is not None:
            old, self.client = self.client, None
            old.stop()
            self.thread.submit(old.close, 1.0)

    def close(self) -> None:
        """The server shuts down: stop the worker now."""
        if self.client is not None:
            self.client.stop()
        self.thread.stop()

    # ------------------------------------------------------------------ reading findings
    def _key(self, payload: dict) -> tuple:
        return (self.ls.options.dry_run.interpreter, protocol.payload_key(payload))

    def verdict(self, result: Result | None) -> Verdict | None:
        """TensorFlow's verdict on a result, if the worker answered for its model."""
        self._sync_options()
        if result is None or self.mode == "off" or result.analysis.spec is None:
            return None
        cached = self._verdicts.get(result.uri)
        if cached is not None and cached[0] == result.serial:
            return cached[2]
        try:
            from shapelens.dryrun.verdict import compare

            key = self._key(protocol.payload(result.analysis.spec))
            entry = self.reports.get(key)
            verdict = compare(result.analysis, entry[1], entry[0]) if entry is not None else None
        except Exception:  # noqa: BLE001 -- the dry run must never cost the static features
            log.exception("reading the TensorFlow report for %s failed", result.uri)
            key, entry, verdict = None, None, None
        self._verdicts[result.uri] = (result.serial, key if entry is not None else None, verdict)
        return verdict

    def tag(self, result: Result) -> str:
        """Part of a pulled report's result id: changes when the findings do."""
        self.verdict(result)
        cached = self._verdicts.get(result.uri)
        return f"tf-{cached[1][1][:12]}" if cached and cached[1] else "tf-none"

    def lsp_diagnostics(self, result: Result) -> list[types.Diagnostic]:
        verdict = self.verdict(result)
        if verdict is None:
            return []
        from shapelens.lsp import convert

        index = self.ls.index(result)
        out = []
        for d in verdict.diagnostics:
            if not self.ls.options.severity_enabled(d.severity):
                continue
            item = convert.diagnostic(d, result.uri, index)
            item.source = SOURCE
            out.append(item)
        return out

    def delivery(self) -> str:
        """How findings reach this client: "merged" (push), "pulled" or "separate" (push of their own)."""
        if not self.ls.pull_diagnostics:
            return "merged"
        if self.ls.supports(lambda c: c.workspace.diagnostics.refresh_support):
            return "pulled"
        return "separate"

    def for_push(self, uri: str, version: int | None) -> list[types.Diagnostic]:
        """The findings to merge into a push of the document's diagnostics at this version."""
        result = self.ls.analyses.latest(uri)
        if result is None or result.version != version or self.delivery() != "merged":
            return []
        return self.lsp_diagnostics(result)

    def for_pull(self, result: Result) -> list[types.Diagnostic]:
        return self.lsp_diagnostics(result) if self.delivery() == "pulled" else []

    def on_result(self, result: Result) -> None:
        """A new analysis: clients that get a push of their own get it now (perhaps empty)."""
        if self.delivery() != "separate":
            return
        items = self.lsp_diagnostics(result)
        if items or result.uri in self._separate:
            self._push_separately(result.uri, result.version, items)

    def _push_separately(self, uri: str, version: int | None, items: list[types.Diagnostic]) -> None:
        if items:
            self._separate.add(uri)
        else:
            self._separate.discard(uri)
        self.ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version))

    def forget(self, uri: str) -> None:
        task = self.tasks.pop(uri, None)
        if task is not None and not task.done():
            task.cancel()
        self._verdicts.pop(uri, None)
        if uri in self._separate:
            self._push_separately(uri, None, [])

    def hover_lines(self, result: Result, target: Target) -> list[str]:
        verdict = self.verdict(result)
        if verdict is None:
            return []
        from shapelens.dryrun.verdict import call_text, model_text

        if target.model is not None:
            models = result.analysis.models
            index = next((i for i, m in enumerate(models) if m is target.model), None)
            check = verdict.models.get(index) if index is not None else None
            return [model_text(check, verdict.version)] if check is not None else []
        checks = [(info, verdict.calls.get(info.order)) for info in target.layers]
        checks = [(info, c) for info, c in checks if c is not None and c.layer_id == info.layer_id]
        texts = [call_text(c, verdict.version) for _, c in checks]
        if len(set(texts)) <= 1:
            return texts[:1]  # one call, or every call says the same
        return [text + (f" (call on line {info.call_span.line + 1})" if info.call_span is not None else "")
                for (info, _), text in zip(checks, texts)]

    # ------------------------------------------------------------------ running
    def request(self, uri: str, explicit: bool = False, test: dict | None = None) -> asyncio.Task:
        """Start a dry run of the document; a run still going for it is superseded."""
        old = self.tasks.get(uri)
        if old is not None and not old.done():
            old.cancel()
        task = asyncio.create_task(self._run(uri, explicit, test))
        self.tasks[uri] = task
        return task

    async def _run(self, uri: str, explicit: bool, test: dict | None) -> dict:
        name = os.path.basename(uri)
        result = await self.ls.result(uri, urgent=True)
        if result is not None and result.analysis.spec is None and self.mode != "off":
            self.ls.track(uri)  # analysed while the dry run was off: again, with the specification
            result = await self.ls.result(uri, urgent=True)
        if result is None or result.analysis.spec is None:
            return {"uri": uri, "status": "closed"}
        payload = protocol.payload(result.analysis.spec)
        if not protocol.has_work(payload):
            return {"uri": uri, "status": "empty", "message": f"no Keras layers to build in {name}"}
        key = self._key(payload)
        if key in self.reports:
            self.reports.move_to_end(key)
            self._announce(uri)
            return self._summary(uri, "cached")
        options = self.ls.options.dry_run
        interpreter = options.interpreter
        if interpreter in self.unavailable and not explicit:
            return {"uri": uri, "status": "unavailable", "message": self.unavailable[interpreter]}
        try:
            client = self._client()
            if not client.running:
                await self._start(client, options.startup_timeout_ms / 1000)
            version = client.info.short_version if client.info else "?"
            fut = self.thread.submit(client.build, payload, options.timeout_ms / 1000, test)
            self.builds += 1
            loop = asyncio.get_running_loop()
            fut.add_done_callback(lambda f: loop.call_soon_threadsafe(self._store, key, version, f))
            await asyncio.wrap_future(fut)
        except WorkerUnavailable as exc:
            self.unavailable[interpreter] = str(exc)  # said once; later saves skip quietly, the command retries
            return self._failed(uri, "unavailable", str(exc))
        except WorkerTimeout as exc:
            return self._failed(uri, "timeout", f"{exc} for {name}; the worker was stopped and starts again on "
                                                "the next dry run (shapelens.dryRun.timeoutMs).")
        except WorkerCrashed as exc:
            return self._failed(uri, "crashed", f"{exc}; it starts again on the next dry run.")
        except WorkerStopped:
            return {"uri": uri, "status": "cancelled"}
        except WorkerError as exc:
            log.error("the TensorFlow dry run of %s failed: %s", uri, exc)
            return self._failed(uri, "failed", f"the TensorFlow dry run of {name} failed: {exc}")
        self._announce(uri)
        return self._summary(uri, "done")

    def _failed(self, uri: str, status: str, message: str) -> dict:
        log.warning("%s", message)
        self.ls.show(f"shapelens: {message}", types.MessageType.Warning)
        return {"uri": uri, "status": status, "message": message}

    def _client(self) -> WorkerClient:
        self._sync_options()
        interpreter = self.ls.options.dry_run.interpreter
        if self.client is None or self.client.interpreter != interpreter:
            self._retire()
            self.client = WorkerClient(interpreter)
        return self.client

    async def _start(self, client: WorkerClient, timeout: float) -> None:
        """Start the worker with a cancellable "Loading TensorFlow…" progress, where the client shows one."""
        token = f"shapelens-tensorflow-{next(self._tokens)}"
        progress = self.ls.work_done_progress if self.ls.supports(lambda c: c.window.work_done_progress) else None
        if progress is not None:
            try:
                await asyncio.wait_for(progress.create_async(token), PROGRESS_CREATE_TIMEOUT)
            except Exception:  # noqa: BLE001 -- no progress bar is no reason not to start
                progress = None
        if progress is not None:
            progress.begin(token, types.WorkDoneProgressBegin(title="shapelens", message=LOADING, cancellable=True))
            cancel = progress.tokens.get(token)
            if cancel is not None:
                cancel.add_done_callback(lambda f: f.cancelled() and client.stop())
        done = "TensorFlow did not start"
        try:
            info = await asyncio.wrap_future(self.thread.submit(client.start, timeout))
            done = f"TensorFlow {info.tensorflow} ready ({info.load_seconds:.1f} s)"
        finally:
            if progress is not None:
                progress.end(token, types.WorkDoneProgressEnd(message=done))
                progress.tokens.pop(token, None)

    def _store(self, key: tuple, version: str, fut: Any) -> None:
        """A report arrived (also for a superseded request: the next save of that model is free)."""
        if fut.cancelled() or fut.exception() is not None:
            return
        self.reports[key] = (version, fut.result())
        self.reports.move_to_end(key)
        while len(self.reports) > CACHE_SIZE:
            self.reports.popitem(last=False)
        self._verdicts.clear()

    def _announce(self, uri: str) -> None:
        """Show the findings on the document's current analysis, if it is still current."""
        result = self.ls.analyses.latest(uri)
        if result is None or result.version != self.ls.analyses.version(uri):
            return  # the analysis on its way picks the report up itself
        how = self.delivery()
        if how == "merged":
            from shapelens.lsp.features import diagnostics

            diagnostics.publish(self.ls, result)
        elif how == "pulled":
            self.ls.workspace_diagnostic_refresh(None)
        else:
            self.on_result(result)

    def _summary(self, uri: str, status: str) -> dict:
        result = self.ls.analyses.latest(uri)
        verdict = self.verdict(result)
        out: dict[str, Any] = {"uri": uri, "status": status}
        if verdict is not None and result is not None:
            out.update(tensorflow=verdict.version, summary=verdict.summary(),
                       counts={s: verdict.count(s) for s in
                               ("confirmed", "filled", "raises", "disagrees", "diverged", "unchecked")},
                       diagnostics=[{"code": d.code, "line": d.span.line, "message": d.message}
                                    for d in verdict.diagnostics])
        return out

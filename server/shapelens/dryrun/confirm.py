"""Confirm a batch of analyses with TensorFlow, one warm worker for all: `shapelens check --confirm`.

Server side (blocking, no pygls). Models that are equal up to source positions are built once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shapelens.config import DryRunOptions
from shapelens.core.results import Analysis
from shapelens.worker import protocol
from shapelens.dryrun.client import WorkerClient, WorkerError, WorkerUnavailable
from shapelens.dryrun.verdict import Verdict, compare
from shapelens.core.codes import TENSORFLOW_DISAGREES


@dataclass
class Batch:
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # path -> verdict
    problems: dict[str, str] = field(default_factory=dict)  # path -> why it has none
    unavailable: str | None = None  # no worker at all: the one message to show
    tensorflow: str | None = None


def confirm(analyses: list[tuple[str, Analysis]], interpreter: str | None = None,
            options: DryRunOptions | None = None) -> Batch:
    options = options or DryRunOptions()
    batch = Batch()
    client = WorkerClient(interpreter or options.interpreter)
    reports: dict[str, dict] = {}
    try:
        for path, analysis in analyses:
            if analysis.spec is None:
                continue
            payload = protocol.payload(analysis.spec)
            if not protocol.has_work(payload):
                continue
            try:
                if not client.running:
                    batch.tensorflow = client.start(options.startup_timeout_ms / 1000).tensorflow
                key = protocol.payload_key(payload)
                if key not in reports:
                    reports[key] = client.build(payload, options.timeout_ms / 1000)
            except WorkerUnavailable as exc:
                batch.unavailable = str(exc)
                break
            except WorkerError as exc:  # a timeout or a crash: this file only; the next one restarts it
                batch.problems[path] = str(exc)
                continue
            version = ".".join((batch.tensorflow or "?").split(".")[:2])
            batch.verdicts[path] = compare(analysis, reports[key], version)
    finally:
        client.close()
    return batch


# --------------------------------------------------------------------------- renderings


def text_lines(batch: Batch, path: str) -> list[str]:
    """The dry run's lines for one file, after its static diagnostics."""
    if path in batch.problems:
        return [f"{path}: not confirmed: {batch.problems[path]}"]
    verdict = batch.verdicts.get(path)
    if verdict is None:
        return []
    lines = [f"{path}:{d.span.line + 1}:{d.span.col + 1}: {d.code} [{d.severity}] {d.message} (tensorflow)"
             for d in sorted(verdict.diagnostics, key=lambda d: (d.span.line, d.span.col))]
    return lines + [f"{path}: {verdict.summary()}"]


def json_entry(batch: Batch, path: str) -> dict | None:
    verdict = batch.verdicts.get(path)
    if verdict is None:
        problem = batch.problems.get(path) or batch.unavailable
        return {"error": problem} if problem else None
    return {
        "version": verdict.version,
        "summary": verdict.summary(),
        "counts": {s: verdict.count(s) for s in ("confirmed", "filled", "raises", "disagrees", "diverged",
                                                 "unchecked")},
        "diagnostics": [{"line": d.span.line + 1, "column": d.span.col + 1, "severity": d.severity, "code": d.code,
                         "message": d.message} for d in verdict.diagnostics],
    }


def total_line(batch: Batch) -> str:
    """The dry run's totals over every file, after the static ones."""
    def total(status: str) -> int:
        return sum(v.count(status) for v in batch.verdicts.values())

    calls = sum(len(v.calls) for v in batch.verdicts.values())
    version = next(iter(batch.verdicts.values())).version
    disagreements = sum(1 for v in batch.verdicts.values() for d in v.diagnostics if d.code == TENSORFLOW_DISAGREES)
    text = (f"TensorFlow {version}: {total('confirmed') + total('filled')} of {calls} layer calls confirmed, "
            f"{total('raises')} raising as shapelens says, {disagreements} disagreement"
            f"{'' if disagreements == 1 else 's'}, {total('unchecked')} not checked")
    if batch.problems:
        text += f"; {len(batch.problems)} file{'' if len(batch.problems) == 1 else 's'} not confirmed"
    return text

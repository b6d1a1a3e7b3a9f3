"""TensorFlow's answer against the engine's: what it confirms, and the SL9xx findings.

Server side and pure (no pygls, no TensorFlow): the language server and
``shapelens check --confirm`` share it. The report (protocol.py) names layers by id and
calls by evaluation order, so it is read against the Analysis of the current text, whose
spans say where each finding goes; a report cached for a payload therefore stays right
when the code around the model moves.

Each call gets one status:

* ``confirmed``: TensorFlow built it and its output equals the engine's;
* ``filled``: TensorFlow answered where the engine could not tell (a shape, or an error:
  SL901 without SL902); a model used as a layer, whose own layers carry its findings;
* ``raises``: TensorFlow raises, as the engine said it would (SL901 carries Keras's message);
* ``disagrees``: the two answers differ (SL902, with both answers: an engine bug);
* ``diverged``: TensorFlow's input already differed, after an earlier disagreement;
* ``unchecked``: TensorFlow could not rebuild it (the reason says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapelens.core.results import Analysis, Diagnostic, LayerInfo, Related
from shapelens.core.shapes import fmt_shape
from shapelens.core.source import Span
from shapelens.report import fmt_params
from shapelens.core.codes import TENSORFLOW_DISAGREES, TENSORFLOW_RAISES

TF_RAISES = TENSORFLOW_RAISES
TF_DISAGREES = TENSORFLOW_DISAGREES


@dataclass
class CallCheck:
    layer_id: int
    order: int
    kind: str
    status: str
    tensorflow: Any = None  # TensorFlow's output shape (a tuple, or a list of tuples)
    error: str | None = None  # "ValueError: ..." when TensorFlow raised
    reason: str | None = None  # why TensorFlow could not check it
    assumed: bool = False  # an input was the engine's shape standing in for TensorFlow's


@dataclass
class ModelCheck:
    status: str  # "confirmed" | "disagrees" | "raises" | "unchecked" | "filled"
    params: int | None = None
    error: str | None = None
    reason: str | None = None


@dataclass
class Verdict:
    version: str  # TensorFlow's major.minor, as hovers say it ("2.21")
    calls: dict[int, CallCheck] = field(default_factory=dict)  # by evaluation order
    params: dict[int, int] = field(default_factory=dict)  # TensorFlow's count per layer id
    models: dict[int, ModelCheck] = field(default_factory=dict)  # by index in Analysis.models
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for c in self.calls.values() if c.status == status)

    def summary(self) -> str:
        """One line: "TensorFlow 2.21 confirms 9 of 11 layer calls (1 raising as shapelens says, ...)"."""
        total = len(self.calls)
        text = (f"TensorFlow {self.version} confirms {self.count('confirmed') + self.count('filled')} of {total} "
                f"layer call{'' if total == 1 else 's'}")
        extras = [f"{self.count(status)} {words}" for status, words in (
            ("raises", "raising as shapelens says"), ("disagrees", "disagreeing"),
            ("diverged", "after a disagreement"), ("unchecked", "not checked")) if self.count(status)]
        return text + (f" ({', '.join(extras)})" if extras else "")

# --------------------------------------------------------------------------- shapes


def _as_shape(dims: Any) -> tuple | None:
    if dims is None:
        return None
    return tuple(d if d != "?" else None for d in dims)


def _show(shapes: list | None) -> Any:
    """Report shapes (lists) as the engine's renderings show them."""
    if shapes is None:
        return None
    tuples = [tuple(s) if s is not None else None for s in shapes]
    return tuples[0] if len(tuples) == 1 else tuples


def _dims_match(engine: Any, tf: Any) -> bool | None:
    """True/False when the engine's shape is known enough to compare; None when it is not."""
    if engine is None:
        return None
    if tf is None or len(engine) != len(tf):
        return False
    unknown = False
    for e, t in zip(engine, tf):
        if e == "?":
            unknown = True
        elif e != t:
            return False
    return None if unknown else True


def _all_match(engine_shapes: list, tf_shapes: list) -> bool | None:
    if len(engine_shapes) != len(tf_shapes):
        return False
    results = [_dims_match(e, t) for e, t in zip(engine_shapes, tf_shapes)]
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def _inputs_consistent(engine_shapes: list, tf_shapes: list) -> bool:
    if len(engine_shapes) != len(tf_shapes):
        return False
    return all(_dims_match(e, t) is not False for e, t in zip(engine_shapes, tf_shapes))


def _error(err: dict | None) -> str:
    err = err or {}
    return f"{err.get('type', 'Error')}: {err.get('message', '')}".strip()


# --------------------------------------------------------------------------- the comparison


class _Compare:
    def __init__(self, analysis: Analysis, report: dict, version: str) -> None:
        self.analysis = analysis
        self.spec = analysis.spec or {}
        self.report = report
        self.version = version
        self.verdict = Verdict(version)
        self.layers = {layer["id"]: layer for layer in self.spec.get("layers", [])}
        self.tensors = {t["id"]: t for t in self.spec.get("tensors", [])}
        self.infos: dict[tuple[int, int], LayerInfo] = {(i.layer_id, i.order): i for i in analysis.layers}
        self.sites: dict[int, Span] = {}
        self.engine_params: dict[int, int] = {}
        for info in analysis.layers:
            self.sites.setdefault(info.layer_id, info.span)
            if info.params is not None:
                self.engine_params.setdefault(info.layer_id, info.params)
        self.seen: set[tuple] = set()

    def run(self) -> Verdict:
        tf_calls = {c["order"]: c for c in self.report.get("calls", [])}
        first_checked: dict[int, CallCheck] = {}
        for call in sorted(self.spec.get("calls", []), key=lambda c: c["order"]):
            tf = tf_calls.get(call["order"])
            if tf is None:
                continue
            check = self._call(call, tf)
            self.verdict.calls[call["order"]] = check
            first_checked.setdefault(call["layer"], check)
        for entry in self.report.get("layers", []):
            self._layer(entry, first_checked.get(entry["id"]))
        self._models()
        return self.verdict

    # -- findings ----------------------------------------------------------------
    def _add(self, code: str, severity: str, message: str, span: Span, related: Span | None = None,
             related_message: str = "") -> None:
        key = (code, span, message)
        if key in self.seen:
            return
        self.seen.add(key)
        rel = [Related(related, related_message)] if related is not None and related != span else []
        self.verdict.diagnostics.append(Diagnostic(code, severity, message, span, rel, raise_span=span))

    def _call_span(self, layer_id: int, order: int) -> Span | None:
        info = self.infos.get((layer_id, order))
        if info is not None:
            return info.call_span or info.span
        return self.sites.get(layer_id)

    # -- calls -------------------------------------------------------------------
    def _call(self, call: dict, tf: dict) -> CallCheck:
        layer = self.layers.get(call["layer"], {})
        kind = layer.get("kind", "layer")
        check = CallCheck(call["layer"], call["order"], kind, "unchecked", assumed=bool(tf.get("assumed")),
                          reason=tf.get("reason"))
        if tf["status"] == "skipped":
            return check
        span = self._call_span(call["layer"], call["order"])
        site = self.sites.get(call["layer"])
        engine_in = [self.tensors.get(t, {}).get("shape") for t in call.get("inputs", [])]
        consistent = _inputs_consistent(engine_in, tf.get("inputs") or [])
        engine_out = [self.tensors.get(t, {}).get("shape") for t in call.get("outputs", [])]
        engine_show = self._engine_output(call)
        v = self.version
        nested = bool(layer.get("model"))
        if tf["status"] == "raised":
            check.error = _error(tf.get("error"))
            if call.get("failed"):
                check.status = "raises"
            elif not consistent:
                check.status = "diverged"
            elif nested or all(s is None for s in engine_out):
                check.status = "filled"  # shapelens could not tell (or says it on the model's layers)
            else:
                check.status = "disagrees"
            if span is not None and not nested:  # a model's own layers carry its error
                self._add(TENSORFLOW_RAISES, "error", TENSORFLOW_RAISES.on_call(version=v, error=check.error),
                          span, site, f"{kind} created here")
                if check.status == "disagrees":
                    self._add(TENSORFLOW_DISAGREES, "warning", TENSORFLOW_DISAGREES.raises_where_shapelens_builds(
                        version=v, kind=kind, expected=fmt_shape(engine_show)), span, site, f"{kind} created here")
            return check
        check.tensorflow = _show(tf.get("outputs"))
        if not consistent:
            check.status = "diverged"
            return check
        if call.get("failed"):
            check.status = "disagrees"
            if span is not None:
                self._add(TENSORFLOW_DISAGREES, "warning", TENSORFLOW_DISAGREES.builds_where_shapelens_raises(
                    kind=kind, version=v, output=fmt_shape(check.tensorflow)), span, site, f"{kind} created here")
            return check
        match = _all_match(engine_out, tf.get("outputs") or [])
        if match is False and any(s is not None for s in engine_out):
            check.status = "disagrees"
            if span is not None:
                self._add(TENSORFLOW_DISAGREES, "warning", TENSORFLOW_DISAGREES.output_differs(
                    version=v, kind=kind, tensorflow_output=fmt_shape(check.tensorflow),
                    shapelens_output=fmt_shape(engine_show)), span, site, f"{kind} created here")
            return check
        check.status = "confirmed" if match else "filled"
        return check

    def _engine_output(self, call: dict) -> Any:
        info = self.infos.get((call["layer"], call["order"]))
        if info is not None and info.output_shape is not None:
            return info.output_shape
        shapes = [_as_shape(self.tensors.get(t, {}).get("shape")) for t in call.get("outputs", [])]
        return shapes[0] if len(shapes) == 1 else shapes or None

    # -- layers (constructor and parameters) ----------------------------------------------
    def _layer(self, entry: dict, first: CallCheck | None) -> None:
        lid = entry["id"]
        layer = self.layers.get(lid, {})
        kind = layer.get("kind", "layer")
        site = self.sites.get(lid)
        v = self.version
        if entry.get("params") is not None:
            self.verdict.params[lid] = entry["params"]
        if site is None:
            return
        if entry["status"] == "raised":
            err = entry.get("error") or {}
            self._add(TENSORFLOW_RAISES, "error", TENSORFLOW_RAISES.on_constructor(
                version=v, error_type=err.get("type", "an error"), kind=kind, error_message=err.get("message", "")),
                site)
            if not layer.get("init_error"):
                self._add(TENSORFLOW_DISAGREES, "warning", TENSORFLOW_DISAGREES.rejects_arguments(version=v, kind=kind),
                          site)
            return
        if layer.get("init_error") and entry["status"] in ("constructed", "built"):
            self._add(TENSORFLOW_DISAGREES, "warning",
                      TENSORFLOW_DISAGREES.constructs_where_shapelens_raises(kind=kind, version=v), site)
            return
        ours, theirs = self.engine_params.get(lid), entry.get("params")
        comparable = first is not None and first.status in ("confirmed", "filled") and not layer.get("model")
        if comparable and ours is not None and theirs is not None and ours != theirs:
            self._add(TENSORFLOW_DISAGREES, "warning", TENSORFLOW_DISAGREES.layer_params_differ(
                version=v, tensorflow_params=fmt_params(theirs), kind=kind, shapelens_params=fmt_params(ours)), site)

    # -- models ----------------------------------------------------------------------------
    def _models(self) -> None:
        spec_models = self.spec.get("models", [])
        by_site = {(m.kind, m.span.line + 1): i for i, m in enumerate(self.analysis.models)}
        v = self.version
        for entry in self.report.get("models", []):
            index = entry.get("index")
            if index is None or index >= len(spec_models):
                continue
            spec_model = spec_models[index]
            mine = by_site.get((spec_model.get("kind"), spec_model.get("line")))
            if mine is None:
                continue
            model = self.analysis.models[mine]
            if entry["status"] == "skipped":
                self.verdict.models[mine] = ModelCheck("unchecked", reason=entry.get("reason"))
            elif entry["status"] == "raised":
                err = entry.get("error") or {}
                self.verdict.models[mine] = ModelCheck("raises", error=_error(err))
                self._add(TENSORFLOW_RAISES, "error", TENSORFLOW_RAISES.on_model_build(
                    version=v, error_type=err.get("type", "an error"), error_message=err.get("message", "")),
                    model.span)
                self._add(TENSORFLOW_DISAGREES, "warning",
                          TENSORFLOW_DISAGREES.model_fails_to_build(version=v), model.span)
            elif model.params is None:
                self.verdict.models[mine] = ModelCheck("filled", params=entry.get("params"))
            elif model.params != entry.get("params"):
                self.verdict.models[mine] = ModelCheck("disagrees", params=entry.get("params"))
                if any(c.status in ("disagrees", "diverged") for c in self.verdict.calls.values()):
                    continue  # follows from the disagreement already reported on its layer
                self._add(TENSORFLOW_DISAGREES, "warning", TENSORFLOW_DISAGREES.model_params_differ(
                    version=v, tensorflow_params=fmt_params(entry.get("params")),
                    shapelens_params=fmt_params(model.params)), model.span)
            else:
                self.verdict.models[mine] = ModelCheck("confirmed", params=entry.get("params"))


def compare(analysis: Analysis, report: dict, version: str) -> Verdict:
    """The verdict on one analysis (whose ``spec`` the report answers)."""
    return _Compare(analysis, report, version).run()


# --------------------------------------------------------------------------- renderings


def call_text(check: CallCheck, version: str) -> str:
    """One line for a hover: what TensorFlow says about this call."""
    v = version
    if check.status == "confirmed":
        note = " (given shapelens's input shape)" if check.assumed else ""
        return f"✓ confirmed by TensorFlow {v}{note}"
    if check.status == "filled":
        said = f"raises {check.error}" if check.error else f"`{fmt_shape(check.tensorflow)}`"
        return f"TensorFlow {v}: {said} (shapelens could not tell)"
    if check.status == "raises":
        return f"TensorFlow {v} raises too: {check.error}"
    if check.status == "disagrees":
        said = check.error if check.error else f"`{fmt_shape(check.tensorflow)}`"
        return f"⚠ TensorFlow {v} disagrees: {said}"
    if check.status == "diverged":
        said = check.error if check.error else f"`{fmt_shape(check.tensorflow)}`"
        return f"TensorFlow {v}: {said} (after an earlier disagreement)"
    return f"not checked by TensorFlow {v}: {check.reason or 'not rebuilt'}"


def model_text(check: ModelCheck, version: str) -> str:
    v = version
    if check.status == "confirmed":
        return f"✓ confirmed by TensorFlow {v}: {fmt_params(check.params)} params"
    if check.status == "filled":
        return f"TensorFlow {v}: {fmt_params(check.params)} params"
    if check.status == "disagrees":
        return f"⚠ TensorFlow {v} counts {fmt_params(check.params)} params"
    if check.status == "raises":
        return f"TensorFlow {v} raises: {check.error}"
    return f"not checked by TensorFlow {v}: {check.reason or 'not rebuilt'}"

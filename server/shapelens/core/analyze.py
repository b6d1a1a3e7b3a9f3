"""analyze(text, path, options) -> Analysis: the single entry point of the core."""

from __future__ import annotations

import ast
import gc
from typing import TYPE_CHECKING, Any, Callable

from shapelens.core import keras_target
from shapelens.core.keras_target import KerasTarget
from shapelens.core.results import Analysis, Diagnostic, LayerInfo, ModelInfo
from shapelens.core.evaluate import Evaluator
from shapelens.core.incremental import RESTORED_RUNS, Misaligned, Session, cut, has_moved, runs
from shapelens.core.renumber import renumber
from shapelens.core.keras_api import model_params
from shapelens.core.source import Source, Span
from shapelens.core.suppressions import scan
from shapelens.core.values import FunctionalModel, Instance, LayerObj, SequentialModel, Tensor
from shapelens.core.codes import ANALYSIS_LIMIT, SYNTAX_ERROR

if TYPE_CHECKING:
    from shapelens.config import Options

MAX_TEXT = 4_000_000  # characters


def analyze(text: str, path: str = "<buffer>", options: Options | None = None, *,
            with_spec: bool = False, cancelled: Callable[[], bool] | None = None,
            keras: str | KerasTarget | None = None, session: Session | None = None,
            early: tuple[int, Callable[[Analysis], None]] | None = None) -> Analysis:
    """Analyse one Python buffer without running it. Never raises.

    ``options`` (shapelens.config) select the findings reported and their severities
    (core/selection.py); without them every finding is returned, for callers that apply
    options later to the same analysis (the language server, where they change live).
    ``with_spec`` also returns the model specification the TensorFlow worker rebuilds.
    ``cancelled`` is polled during the analysis; once it returns true the analysis stops
    early and returns a partial result (complete=False) that the caller should discard.
    ``keras`` is the Keras the code targets: a decided ``KerasTarget`` (the CLI and the server
    decide it with the interpreter they know), or a setting "auto" | "3" | "2"; by default
    ``options.keras_version`` (else "auto"), decided from the text and the project around
    ``path`` (core/keras_target.py). ``result.keras`` / ``result.keras_reason`` say which.
    ``session`` (core/incremental.py, one per document) lets this analysis start from the
    saved state of the statements before the last edit; the result is the same.
    ``early = (line, fn)``: once every top-level statement that starts before ``line``
    (0-based) has run, ``fn`` gets an Analysis holding only the diagnostics found so far (no
    options applied), when statements are left after that line; the findings located before
    it are then final, except those a later statement finds there (``Diagnostic.elsewhere``).
    The language server publishes an edited notebook cell's findings this way.
    """
    target = target_for(text, path, options, keras)
    result = _guarded(text, path, with_spec, cancelled, target, session, early)
    if options is not None:
        from shapelens.core.selection import reported

        result.diagnostics = reported(result, options, path)
    return result


def target_for(text: str, path: str, options: Options | None = None,
               keras: str | KerasTarget | None = None, interpreter: str | None = None) -> KerasTarget:
    """The Keras target of one buffer (see :func:`analyze`). Never raises."""
    if isinstance(keras, KerasTarget):
        return keras
    setting = keras or (options.keras_version if options is not None else "auto")
    project = path if path and not path.startswith("<") and path != "-" else None
    try:
        return keras_target.decide(setting, text, project, interpreter)
    except Exception:  # noqa: BLE001 -- an unreadable project file must not cost the analysis
        return keras_target.KERAS3_DEFAULT


def _guarded(text: str, path: str, with_spec: bool,
             cancelled: Callable[[], bool] | None = None,
             target: KerasTarget = keras_target.KERAS3_DEFAULT, session: Session | None = None,
             early: tuple[int, Callable[[Analysis], None]] | None = None) -> Analysis:
    # The evaluation graph is full of reference cycles (tensors <-> the calls that made
    # them); collecting while it is being built costs a third of the time on big files,
    # and _teardown breaks the cycles afterwards so reference counting frees it.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(text, path, with_spec, cancelled, target, session, early)
    except Exception:  # noqa: BLE001 -- last line of defence: degrade, never crash
        if session is not None:
            session.snapshot = None  # whatever failed must not be restored
        result = Analysis(path, complete=False, keras=target.version, keras_reason=target.reason)
        result.diagnostics.append(
            Diagnostic(ANALYSIS_LIMIT, "information",
                       ANALYSIS_LIMIT.internal_failure(),
                       Span(0, 0, 0, 0))
        )
        return result
    finally:
        if was_enabled:
            gc.enable()


def _analyze(text: str, path: str, with_spec: bool = False,
             cancelled: Callable[[], bool] | None = None,
             target: KerasTarget = keras_target.KERAS3_DEFAULT, session: Session | None = None,
             early: tuple[int, Callable[[Analysis], None]] | None = None) -> Analysis:
    result = Analysis(path, keras=target.version, keras_reason=target.reason)
    if len(text) > MAX_TEXT:
        result.complete = False
        result.diagnostics.append(Diagnostic(
            ANALYSIS_LIMIT, "information",
            ANALYSIS_LIMIT.file_too_large(n_text=len(text), max_text=MAX_TEXT),
            Span(0, 0, 0, 0)))
        return result
    result.suppressions = scan(text)
    if session is not None:
        session.collect()  # the last analysis's objects, if nothing freed them since
    source = Source(text)
    key = (path, target.version, target.reason)
    module = session.parse_suffix(text, key) if session is not None else None
    module, problems = (module, []) if module is not None else source.parse()
    for p in problems[:1]:
        result.parsed = False
        result.diagnostics.append(Diagnostic(
            SYNTAX_ERROR, "information",
            SYNTAX_ERROR.in_file(message=p.message), p.span))
    start, save, save_at = 0, None, None
    if session is not None:
        lines = [p.span.line for p in problems]
        start = session.plan(text, module, key, lines)
        if session.want is not None:
            save_at = session.want
            save = lambda ev_, i: session.save(ev_, i, text, module, key, lines)  # noqa: E731
    # the state restored is the snapshot as planned: an evaluation that is started again (Misaligned
    # below) must not restore the one the first attempt saved meanwhile (it already ran statements
    # the restart runs again)
    planned = session.snapshot if session is not None else None

    def fresh() -> Evaluator:
        if start:
            return session.restore(source, cancelled, module, planned)
        return blank()

    def blank() -> Evaluator:
        ev_ = Evaluator(source, path, cancelled=cancelled, keras=target.version)
        # the quick fixes look calls up in it (else they parse the text again)
        ev_.data_state.module = None if has_moved(module.body) else module
        return ev_

    ev = fresh()
    replay = None
    if session is not None and not with_spec and not problems:
        replay = session.keep(text, module, key, start, ev.globals.vars)
        if start and runs(replay, len(module.body), start) > RESTORED_RUNS:
            alone = blank()
            instead = session.keep_instead(text, module, key, alone.globals.vars, replay, start)
            if instead is not None:
                _teardown(ev)
                ev, replay, start = alone, instead, 0
            else:
                _teardown(alone)  # (a fresh evaluator holds reference cycles: broken, not left to the collector)
    if replay is None and has_moved(module.body):
        # statements moved by an edit stand in for their parse while their results are kept
        # (incremental.moved): everything runs, so the text is parsed as it is
        module, problems = source.parse()
        ev.data_state.module = module
    checkpoint = None
    if early is not None:
        def provisional(ev_: Evaluator) -> None:
            part = Analysis(path, parsed=result.parsed, complete=False, keras=target.version,
                            keras_reason=target.reason)
            part.suppressions = result.suppressions
            part.diagnostics = _dedupe(result.diagnostics + ev_.diags)
            try:
                early[1](part)
            except Exception:  # noqa: BLE001 -- the caller's problem must not cost the analysis
                pass

        checkpoint = (early[0], provisional)
    if replay is None and save is not None and session.big:
        session.deferred = save_at  # a big state is copied between analyses
    if save_at is not None and session.deferred is not None:
        save = None  # (Session.prepare)
        if not session.refused:
            session.later = _save_later(session, source, path, target, module, key, start, save_at, lines)
    if replay is not None:
        if save_at is not None and any(i < save_at for i in replay.kept):
            save = None  # the state there lacks what the kept statements before it bound
        try:
            ev.run(module, start, save, save_at, checkpoint, kept=replay.kept)
            if ev.shifted:  # the statements before the kept ones made more or fewer layers
                moved = renumber(replay, ev.kept_at)
                ev.diags = [moved.get(id(d), d) for d in ev.diags]
        except Misaligned:  # an edit that made more or fewer layers: everything after it runs
            replay = None
            session.stats["misaligned"] = session.stats.get("misaligned", 0) + 1
            _teardown(ev)
            if has_moved(module.body):
                module, problems = source.parse()
            ev = fresh()
            result.diagnostics = [d for d in result.diagnostics if d.code == SYNTAX_ERROR]
    if replay is None:
        ev.run(module, start, save, save_at, checkpoint)
    if cancelled is not None and cancelled():
        # the text changed: the caller drops this result, so the layer tables are not built
        # (the next analysis, of the new text, is waiting for this thread)
        result.complete = False
        _teardown(ev)
        return result
    result.complete = ev.complete and result.parsed
    result.diagnostics.extend(ev.diags)
    result.values = ev.values
    kept = replay.kept if replay is not None else {}
    before = replay.before if replay is not None else {}
    layer_objs, model_objs = ev.keras.layer_objs, ev.keras.models
    if before:  # the layers and models of the statements before the edit that nothing reached
        old_layers = {lid for out in before.values() for lid in range(out.start[0], out.start[0] + out.n_layers)}
        old_models = {mid for out in before.values() for mid in range(out.start[1], out.start[1] + out.n_models)}
        layer_objs = [o for o in layer_objs if o.layer_id not in old_layers]
        model_objs = [m for m in model_objs if m.model_id not in old_models]
    called_on_unknown = _called_on_unknown(layer_objs)
    infos = _layer_infos(layer_objs, model_objs, called_on_unknown)
    models = {m.model_id: _model_info(m, infos, called_on_unknown) for m in model_objs}
    models = {k: m for k, m in models.items() if m is not None}
    rows = [i for infos_ in infos.values() for i in infos_]
    result.models = list(models.values())
    for out in (*before.values(), *kept.values()):
        rows.extend(out.layers)
        result.models.extend(out.models)
    result.layers = _distinct(sorted(rows, key=lambda i: i.order))
    if kept or before:
        result.models.sort(key=lambda m: m.model_id)
    result.diagnostics = _dedupe(result.diagnostics)
    if session is not None:
        session.remember(text, module, key, None if problems or with_spec else
                         cut(ev, len(module.body), infos, models, {**before, **kept}), clean=not problems)
    if with_spec:
        from shapelens.core.spec import build_spec

        result.spec = build_spec(ev.keras.layer_objs, ev.keras.models)
    if session is not None:
        session.defer(_teardown, ev)
    else:
        _teardown(ev)
    return result


def ready_at(session: Session, line: int, stop: Callable[[], bool] | None = None) -> bool:
    """While the document is idle and the cursor rests on (1-based) ``line``: make the state
    before the top-level statement there and save it (Session.save), so that the first edit of
    that statement restores it, as the edits after it do. Without it, the first edit at a new
    place runs everything from the last saved state (the place edited before) to there, and what
    depends on it: 87-105 ms on keras.io's MIRNet, whose model is built between; 11-15 ms with
    it. The statements before it run from the start (a fresh evaluator), the document's thread
    being idle; ``stop()`` cuts it short (nothing is saved) and skips the copy made ahead for the
    next analysis. Returns whether a state was saved."""
    place = session.place_for(line)
    if place is None or (stop is not None and stop()):
        return False
    text, key, body, at = place
    module = ast.Module(body=list(body), type_ignores=[])
    target = KerasTarget(version=key[1], reason=key[2])
    saved = session.stats["saved"]
    _save_later(session, Source(text), key[0], target, module, key, 0, at, [])(stop)
    if session.stats["saved"] == saved:
        return False
    if stop is None or not stop():
        session.copy_ahead()
    return True


def _save_later(session: Session, source: Source, path: str, target: KerasTarget, module: ast.Module,
                key: tuple, start: int, at: int, lines: list[int]) -> Callable[[Callable[[], bool] | None], None]:
    """``later(stop)``: runs the statements before statement ``at`` (from the restored state when
    ``start``) and saves the state there, as the analysis would have (Session.save; ``lines``: the
    text's syntax problems); ``stop()`` cuts it short and nothing is saved."""
    snap = session.snapshot

    def later(stop: Callable[[], bool] | None) -> None:
        if start and session.snapshot is not snap:
            return
        ev = None
        try:
            if start:
                ev = session.restore(source, stop, module)
            else:
                ev = Evaluator(source, path, cancelled=stop, keras=target.version)
                ev.data_state.module = None if has_moved(module.body) else module
            ev.run(ast.Module(body=module.body[:at], type_ignores=[]), start,
                   lambda ev_, i: session.save(ev_, i, source.text, module, key, lines), at)
        except Exception:  # noqa: BLE001 -- a state not saved is made again by the next analysis
            pass
        finally:
            if ev is not None:
                _teardown(ev)
    return later


def _teardown(ev: Evaluator) -> None:
    """Break the evaluator's reference cycles so its objects are freed at once (what is left
    for the garbage collector costs every analysis a collection: tests/core/test_no_cycles.py)."""
    calls = [c for layer in (*ev.keras.layer_objs, *ev.keras.dropped) for c in layer.calls]
    for call in (*calls, *ev.keras.dropped_calls):
        call.inputs = []
        call.outputs = []
        call.extra_inputs = []
    for layer in (*ev.keras.layer_objs, *ev.keras.dropped):
        layer.calls = []
        layer.first_call = None
        layer.model = None
        layer.owner = layer.wrapped_by = None  # (the instance, the wrapper hold their layers)
        layer.rule = None  # (a keras.ops pseudo-layer's rule holds the evaluator)
    for scope in ev.def_scopes.values():
        scope.vars.clear()
        scope.globals = None  # (a module's scope is its own globals)
    ev.def_scopes.clear()
    for inst in ev.instances:
        inst.attrs.clear()
    ev.instances = []
    ev.keras.layer_objs = []
    ev.keras.dropped = []
    ev.keras.dropped_calls = []
    ev.loop_memo = None
    ev.keras._model_layers.clear()
    ev.keras.models = []
    ev.globals.vars.clear()
    ev.globals.globals = None  # (a module's scope is its own globals)
    ev.modules.clear()
    ev.keras.ev = None


def _shape(tensors: list[Tensor]) -> Any:
    shapes = [t.shape if isinstance(t, Tensor) else None for t in tensors]
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else shapes


def _called_on_unknown(layers: list[LayerObj]) -> dict[int, str]:
    """Models used as layers that were called, but only on tensors of unknown shape: id(model) ->
    why (so their layers do not get the advice to add an Input they may not need)."""
    out: dict[int, str] = {}
    for layer in layers:
        if layer.model is None or not layer.calls:
            continue
        if any(isinstance(t, Tensor) and t.shape is not None for c in layer.calls for t in c.inputs):
            continue
        why = next((n for n in (_inherited_note(c, inputs_only=True) for c in layer.calls) if n), None)
        out[id(layer.model)] = "the model is called on a tensor of unknown shape" + (f" ({why})" if why else "")
    return out


def _layer_infos(layers: list[LayerObj], models: list[Any] = (),
                 called_on_unknown: dict[int, str] | None = None) -> dict[int, list[LayerInfo]]:
    out: dict[int, list[LayerInfo]] = {}
    seq_note = {id(layer): called_on_unknown[id(m)] for m in models if isinstance(m, SequentialModel)
                and id(m) in (called_on_unknown or {}) for layer in m.layers}
    for layer in layers:
        infos = []
        for call in layer.calls:
            infos.append(LayerInfo(
                layer_id=layer.layer_id, kind=layer.kind, span=layer.span,
                call_span=call.span if call.span != layer.span else None,
                input_shape=_shape(call.inputs), output_shape=_shape(call.outputs),
                params=layer.params if not call.failed else None, explain=list(call.explain),
                note=call.note or _inherited_note(call), var=layer.var, order=call.order, raised=call.failed,
                implicit=layer.implicit, custom=isinstance(layer.model, Instance),
            ))
        if not infos:
            note = layer.unknown_reason or layer.not_reached or (
                f"never called: {seq_note[id(layer)]}" if id(layer) in seq_note else
                "never called: the model has no input shape yet (add keras.Input(...) or call model.build)"
                if layer.in_sequential else "never called on a tensor")
            if layer.owner is not None and note == "never called on a tensor":
                note = _owner_note(layer.owner)
            if layer.wrapped_by is not None and not layer.unknown_reason and not layer.not_reached:
                note = (f"given to {layer.wrapped_by.kind} (line {layer.wrapped_by.span.line + 1}), which runs it: "
                        f"the shape is the {layer.wrapped_by.kind}'s")
            if layer.init_error:
                note = f"{layer.kind} raises in its constructor"
            infos.append(LayerInfo(layer.layer_id, layer.kind, layer.span, None, None, None, None,
                                   note=note, var=layer.var, order=layer.order, implicit=layer.implicit,
                                   wrapped=layer.wrapped_by is not None))
        out[layer.layer_id] = infos
    return out


def _owner_note(owner: Any) -> str:
    """Why a layer made in a user class's __init__ was never called."""
    name = owner.cls.name
    where = f"{name}.__init__ (line {owner.span.line + 1})" if owner.span is not None else f"{name}.__init__"
    obj = owner.layer_obj
    if obj is None or not obj.calls:
        return f"never called: made in {where}, and that {name} is never called on a tensor shapelens follows"
    return f"never called: made in {where}, but the {name}.call() shapelens followed does not call it"


def _inherited_note(call: Any, inputs_only: bool = False) -> str | None:
    """Why an output is unknown when the layer itself had no complaint: the unknown input it got,
    traced back to the call where the shape was lost (bounded walk). ``inputs_only``: why the
    call's input is unknown, whatever its output."""
    if not inputs_only and any(isinstance(t, Tensor) and t.shape is not None for t in call.outputs):
        return None
    if call.failed and not inputs_only:
        return f"{call.layer.kind} raises here (see the error on it)"
    current, seen = call, 0
    while seen < 200:
        seen += 1
        lost = next((t for t in [*current.inputs, *current.extra_inputs]
                     if isinstance(t, Tensor) and t.shape is None), None)
        if lost is None:
            return None if current is call else f"its input comes from {_where(current)}, whose shape is unknown"
        producer = lost.producer
        if producer is None or not hasattr(producer, "inputs"):
            return f"its input ({lost.origin}) has an unknown shape"
        if producer.note:
            return f"its input comes from {_where(producer)}: {producer.note}"
        if producer.failed:
            return f"its input comes from {_where(producer)}, which raises"
        current = producer
    return None


def _where(call: Any) -> str:
    return f"{call.layer.kind} (line {call.span.line + 1})"


def _model_info(model: Any, infos: dict[int, list[LayerInfo]],
                called_on_unknown: dict[int, str] | None = None) -> ModelInfo | None:
    if isinstance(model, SequentialModel):
        layers = []
        for layer in model.layers:
            mine = [i for i in infos.get(layer.layer_id, []) if i.call_span is None] or infos.get(layer.layer_id, [])[:1]
            layers.extend(mine[-1:])
        note = None
        if model.uncertain:
            note = "the layer stack changes in a way shapelens cannot follow (a loop or an if over values it does not know?)"
        elif model.input_shape is None and model.partial:
            note = ("built on data whose shape shapelens does not know: only what Keras fixes whatever "
                    "the data is shown")
        elif model.input_shape is None and id(model) in (called_on_unknown or {}):
            note = called_on_unknown[id(model)]
        elif model.input_shape is None:
            note = "no input shape: add keras.Input(shape=...) as the first layer, or call model.build(...)"
        out = model.output.shape if model.output is not None and not model.uncertain else None
        return ModelInfo(model.model_id, "Sequential", model.name, model.span, layers,
                         model.input_shape, out, model_params(model), note)
    if isinstance(model, FunctionalModel):
        layers = []
        for t in model.inputs:
            if t.producer is not None:
                layers.extend(infos.get(t.producer.layer.layer_id, [])[:1])
        for call in model.calls:
            if call.layer.kind == "InputLayer":
                continue
            for info in infos.get(call.layer.layer_id, []):
                if info.order == call.order:
                    layers.append(info)
        ins = [t.shape for t in model.inputs]
        outs = [t.shape for t in model.outputs]
        return ModelInfo(model.model_id, "Functional", model.name, model.span, layers,
                         ins[0] if len(ins) == 1 else ins, outs[0] if len(outs) == 1 else outs,
                         model_params(model))
    if isinstance(model, Instance):
        layers = []
        for call in model.calls:
            for info in infos.get(call.layer.layer_id, []):
                if info.order == call.order:
                    layers.append(info)
        note = None if model.built else "not built: call the model on a tensor or model.build((None, ...))"
        return ModelInfo(model.model_id or 0, "Subclass", model.attrs.get("__varname__") or model.cls.name,
                         model.span, layers, model.input_shape, model.output_shape,
                         model_params(model) if model.built else None, note)
    return None


def _distinct(rows: list[LayerInfo]) -> list[LayerInfo]:
    """One record per layer, call site and shapes: a layer called again and again at one place
    with the same input (a decoding loop over a model, an attention block applied in a loop in
    call()) is one record; a layer made N times in a loop is N layers, N records."""
    # the shapes' reprs are made only where one layer has two records at one call site (a repr each
    # of every row was 1.9-3.3 ms of an edit of the 5,000-line file)
    sites: dict = {}  # (layer_id, call_span) -> the first row there, then the set of full keys
    out = []
    for r in rows:
        if r.call_span is not None:
            site = (r.layer_id, r.call_span)
            seen = sites.get(site)
            if seen is None:
                sites[site] = r
                out.append(r)
                continue
            if type(seen) is not set:
                seen = sites[site] = {_row_key(seen)}
            key = _row_key(r)
            if key in seen:
                continue
            seen.add(key)
        out.append(r)
    return out


def _row_key(r: LayerInfo) -> tuple:
    return (repr(r.input_shape), repr(r.output_shape), r.params, r.note, r.raised)


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    out = []
    for d in diags:
        key = (d.code, d.span, d.message)
        if key in seen:
            continue
        seen.add(key)
        out.append(d)
    return out

"""Program-level differential tests: every fixture program and example, statically and under TensorFlow.

Each program runs under real Keras in a subprocess (tests/oracle/program_runner.py) with
the layer constructors instrumented. The engine's static answer must match on every
layer (each distinct output shape, parameter counts), on every model's parameter count,
and on whether and on which line the program raises.

Warnings (no Keras error) are declared in the fixture with a comment `# expect: SL120`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.rules import LAYERS
from shapelens.core.shapes import Unknown
from tests.oracle.client import require_tensorflow, tensorflow_available
from tests.oracle.program_runner import run_program

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted(
    list((ROOT / "tests/fixtures/programs").glob("*.py"))
    + list((ROOT / "tests/fixtures/seeds").glob("*.py"))
    + list((ROOT / "tests/fixtures/corpus").glob("*.py"))
    + list((ROOT / "examples").glob("*.py"))
    + list((ROOT / "tests/fixtures/data").glob("*.py"))
)
CACHE = ROOT / ".pytest_cache" / "shapelens-programs"
RUNNER = ROOT / "tests/oracle/program_runner.py"
MODEL_KINDS = {"Sequential", "Functional"}

# Programs whose point is the data handed to fit/predict: they pass once the data-shape
# checks (issue 3) exist. strict: an unexpected pass fails, so the list cannot go stale.
DATA_PROGRAMS = {
    # corpus programs whose remaining mismatch is data flowing through fit/predict (issue 3)
    "err_attention_value_dim.py": "predict runs Attention on query/key sizes 32 and 64 (SL123 at the layer); "
                                  "Keras raises on the predict line",
}

# Corpus programs (tests/fixtures/corpus) the engine does not get right yet, and why: gaps of the
# evaluator and sizes that cannot be known statically ("by design": the
# engine must stay silent there, and does). strict: an entry fails once its gap is fixed.
ENGINE_GAPS = {
    # Keras 3 API errors that are not about shapes
    "err_adam_lr_keyword.py": "optimizer keywords are not checked: Adam(lr=...) raises 'Argument(s) not recognized'",
    "err_experimental_preprocessing.py": "tf.keras.layers.experimental.preprocessing.Rescaling (removed in Keras 3) "
                                         "resolves silently; Keras raises AttributeError",
    "err_fit_nb_epoch.py": "fit(nb_epoch=...) (Keras 1) is not checked; Keras 3 raises TypeError",
    "err_k_int_shape_resnet.py": "keras.backend.int_shape (gone from Keras 3's keras.backend) is not reported; "
                                 "Keras raises AttributeError",
    "err_get_shape_as_list.py": "KerasTensor.get_shape() (and .shape.as_list(): the shape is a tuple) is not reported; "
                                "Keras raises AttributeError",
    "err_layer_output_shape_loop.py": "layer.output_shape / layer.input_shape (gone from Keras 3 layers; models keep "
                                      "them) are answered instead of reported; Keras raises AttributeError",
    "err_save_without_extension.py": "model.save('my_model') without .keras/.h5 is not reported; Keras 3 raises ValueError",
    "err_unet_metrics_string.py": "compile(metrics='accuracy') is not checked; Keras 3 wants a list (ValueError)",
    # shapes
    "err_gan_generator_size.py": "a model with a fixed Input called on another shape replays its layers (spurious "
                                 "16x16 shapes, SL103 on Dense) instead of failing at the model's input check",
    "err_normalization_adapt_feature_count.py": "Normalization.adapt(data) is not modelled: Keras builds the layer "
                                                "for the data (9 features, 19 params); predict on 7 features fails",
    # by design
    "unk_argparse_hparams.py": "by design: sizes from argparse",
    "unk_json_config.py": "by design: sizes from json.loads",
    "unk_siamese_lambda_distance.py": "by design: a Lambda output",
    "unk_text_vectorization_adapt.py": "by design: Embedding(len(vocabulary), ...) sized by adapt()",
}


def _cache_key(path: Path) -> str:
    h = hashlib.sha256()
    h.update(path.read_bytes())
    h.update(RUNNER.read_bytes())
    return h.hexdigest()[:24]


def _oracle(path: Path) -> dict:
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"{path.stem}-{_cache_key(path)}.json"
    if cached.exists() and not os.environ.get("CI"):
        return json.loads(cached.read_text())
    report = run_program(path, timeout=120)
    cached.write_text(json.dumps(report))
    return report


@pytest.fixture(scope="session")
def oracle_reports():
    """Run every program under TensorFlow once, two at a time (one at a time on a pytest-xdist
    worker: the other worker already keeps the second core busy, and more TensorFlow processes
    than cores only stretch each program's wall time towards the runner's hang guard)."""
    require_tensorflow()
    with ThreadPoolExecutor(max_workers=1 if os.environ.get("PYTEST_XDIST_WORKER") else 2) as pool:
        reports = dict(zip(PROGRAMS, pool.map(_oracle, PROGRAMS)))
    return reports


def _norm(shape):
    """Shape -> tuple with the batch axis erased: calls traced by fit or run eagerly carry a
    concrete batch size the static engine does not model."""
    if shape is None:
        return None
    dims = [d if isinstance(d, int) and not isinstance(d, bool) else ("?" if d is not None else None)
            for d in shape]
    return tuple([None] + dims[1:]) if dims else ()


def _outputs(outs):
    if outs is None:
        return None
    # several outputs: a list (the engine's, with None for an output whose shape it does not
    # know) or the runner's list of shapes
    if isinstance(outs, list) and outs and all(s is None or isinstance(s, (list, tuple)) for s in outs) \
            and any(s is not None for s in outs):
        return _norm(outs[0]) if len(outs) == 1 else tuple(_norm(s) for s in outs)
    return _norm(outs)


COMPARED = lambda kind: kind in LAYERS or kind == "InputLayer"  # noqa: E731
# A program with this comment compares its own Layer/Model subclasses like built-in layers
# (every call known, shapes and params equal). In every other program, the subclass calls the
# engine gives a shape for must still equal TensorFlow's (unknown is allowed there).
CUSTOM_MARK = "# compare: custom layers"


def _user_classes(path: Path) -> set[str]:
    return set(re.findall(r"^\s*class\s+(\w+)\s*\(", path.read_text(), re.M))


def _engine_objects(analysis, cutoff: float, compared=COMPARED):
    """layer_id -> {line, kind, outputs (set of shapes), failed, params}, for what happened
    before ``cutoff`` (the evaluation order of the error that ends the program)."""
    objs: dict[int, dict] = {}
    for info in analysis.layers:
        if not compared(info.kind):
            continue
        o = objs.setdefault(info.layer_id, {"line": info.span.line + 1, "kind": info.kind, "outputs": set(),
                                            "failed": False, "params": None, "order": info.layer_id,
                                            "unknown": [], "partial": False})
        o["partial"] |= _unknown_axis(info.input_shape) or _unknown_axis(info.output_shape)
        if info.order > cutoff:
            continue
        if info.raised:
            o["failed"] = True
        elif info.output_shape is not None and not (isinstance(info.output_shape, list)
                                                    and all(s is None for s in info.output_shape)):
            o["outputs"].add(_outputs(info.output_shape))
            if info.params is not None:
                o["params"] = info.params
        elif info.input_shape is not None:
            o["unknown"].append(info.note)
    return objs


def _oracle_objects(report, compared=COMPARED):
    objs = []
    for rec in report["layers"]:
        if rec.get("op") or not compared(rec["kind"]):
            continue
        outputs, failed = set(), False
        for call in rec["calls"]:
            if call.get("output_shapes") is None:
                failed = True
                continue
            outputs.add(_outputs(call["output_shapes"]))
        objs.append({"line": rec["line"], "kind": rec["kind"], "outputs": outputs, "failed": failed,
                     "params": rec["params"]})
    return objs


def _oracle_raise_lines(report) -> list[int]:
    """Lines where Keras raised: failing layer calls (caught or not), the program's error, and
    the ValueError/TypeError/IndexError/OpError that went through the program even when caught
    (a fit or np.reshape inside try/except)."""
    lines = {r["line"] for r in report.get("raised", []) if r.get("line") is not None}
    for rec in report["layers"]:
        for call in rec["calls"]:
            if call.get("output_shapes") is None and call.get("error") is not None:
                lines.add(call["line"])
    if report["error"] is not None and report["error"].get("line") is not None:
        lines.add(report["error"]["line"])
    return sorted(lines)


def _match(engine_objs: dict, oracle_objs: list):
    """Pair layer objects by (line, kind) and construction order."""
    by_key: dict = {}
    for o in sorted(engine_objs.values(), key=lambda o: o["order"]):
        by_key.setdefault((o["line"], o["kind"]), []).append(o)
    pairs, missing = [], []
    for t in oracle_objs:
        queue = by_key.get((t["line"], t["kind"]))
        if queue:
            pairs.append((queue.pop(0), t))
        else:
            missing.append(t)
    extra = [o for q in by_key.values() for o in q]
    return pairs, missing, extra


def _unknown_axis(shape) -> bool:
    if isinstance(shape, list):
        return any(_unknown_axis(s) for s in shape)
    return isinstance(shape, tuple) and any(isinstance(d, Unknown) for d in shape)


def _claims(engine, actual) -> bool:
    """An engine shape ("?" = a size it does not know) agrees with Keras's on every axis it claims."""
    if engine == actual:
        return True
    if engine is None or actual is None or len(engine) != len(actual):
        return False
    if engine and any(isinstance(e, tuple) for e in engine):  # several outputs (None: one not known)
        return all(e is None or _claims(e, a) for e, a in zip(engine, actual))
    return all(e == "?" or e == a for e, a in zip(engine, actual))


def _outputs_agree(engine: set, actual: set) -> bool:
    """The same distinct output shapes, where an unknown size ("?", a size read from data or
    configuration) stands for whatever Keras built with."""
    if engine == actual:
        return True
    return (all(any(_claims(e, a) for e in engine) for a in actual)
            and all(any(_claims(e, a) for a in actual) for e in engine))


def _expected_warnings(path: Path) -> set[str]:
    return set(re.findall(r"#\s*expect:\s*(SL\d{3})", path.read_text()))


def _params(programs):
    for p in programs:
        marks = []
        if p.name in DATA_PROGRAMS:
            marks.append(pytest.mark.xfail(strict=True, reason=f"data-shape checks: {DATA_PROGRAMS[p.name]}"))
        elif p.parent.name == "corpus" and p.name in ENGINE_GAPS:
            marks.append(pytest.mark.xfail(strict=True, reason=f"engine gap: {ENGINE_GAPS[p.name]}"))
        yield pytest.param(p, marks=marks, id=f"{p.parent.name}/{p.name}")


@pytest.mark.tf
@pytest.mark.parametrize("program", list(_params(PROGRAMS)))
def test_program_matches_tensorflow(program: Path, oracle_reports):
    report = oracle_reports[program]
    analysis = analyze(program.read_text(), str(program))
    problems: list[str] = []

    # 1. Whether and where Keras raises: every failing call (also inside try/except) and the
    #    program's own error, against the engine's errors up to the program's end.
    tf_error = report["error"]
    if tf_error is not None and tf_error["type"] in ("KeyboardInterrupt", "TimeoutError"):
        pytest.fail(f"the program timed out under TensorFlow: {tf_error}")
    tf_lines = _oracle_raise_lines(report)
    # a finding the program catches (information naming the handler) is still a call that raises
    errors = [d for d in analysis.diagnostics if d.severity == "error" or d.caught is not None]
    engine_lines = []
    cutoff = float("inf")
    for d in errors:
        line = (d.raise_span or d.span).line + 1
        engine_lines.append(line)
        if tf_error is not None and line == tf_error["line"]:
            cutoff = d.order  # the program stops here under TensorFlow; later findings are not comparable
            break
    engine_lines = sorted(set(engine_lines))
    if engine_lines != tf_lines:
        detail = [(d.span.line + 1, d.code, d.message[:160]) for d in errors]
        tf_msg = tf_error["message"][:300] if tf_error else None
        problems.append(f"raise lines: engine {engine_lines} {detail}, TensorFlow {tf_lines} ({tf_msg})")

    # 2. Every layer TensorFlow saw, with every distinct output shape and its params.
    eng = _engine_objects(analysis, cutoff)
    pairs, missing, extra = _match(eng, _oracle_objects(report))
    for t in missing:
        problems.append(f"engine has no {t['kind']} constructed on line {t['line']}")
    if tf_error is None:
        for o in extra:
            problems.append(f"engine invented a {o['kind']} on line {o['line']}")
    for e, t in pairs:
        where = f"{t['kind']} (line {t['line']})"
        if not _outputs_agree(e["outputs"], t["outputs"]):
            problems.append(f"{where}: output shapes engine {sorted(map(str, e['outputs']))} "
                            f"vs TensorFlow {sorted(map(str, t['outputs']))}; unknown because {e['unknown'][:1]}")
        if t["failed"] != e["failed"]:
            problems.append(f"{where}: a call raises under TensorFlow={t['failed']} engine={e['failed']}")
        # a parameter count the engine leaves unknown because it depends on a size read
        # from data or configuration (an unknown axis in or out) is a gap, not a mismatch
        unknown_ok = e["params"] is None and e["partial"]
        if t["params"] is not None and t["outputs"] and e["params"] != t["params"] and not unknown_ok:
            problems.append(f"{where}: params engine {e['params']} vs TensorFlow {t['params']}")

    # 3. Model parameter totals.
    tf_models = {r["line"]: r for r in report["layers"] if r["kind"] in MODEL_KINDS or
                 r["kind"] not in LAYERS and r["kind"] != "InputLayer" and not r.get("op")}
    for m in analysis.models:
        rec = tf_models.get(m.span.line + 1)
        if rec is not None and rec["params"] is not None and m.params is not None and m.params != rec["params"]:
            problems.append(f"model on line {m.span.line + 1}: params engine {m.params} vs TensorFlow {rec['params']}")

    # 4. Declared warnings (code that runs but is almost certainly wrong).
    expected = _expected_warnings(program)
    got = {d.code for d in analysis.diagnostics if d.severity == "warning"}
    if expected != got:
        problems.append(f"warnings: expected {sorted(expected)}, engine {sorted(got)}")

    # 5. The program's own Layer/Model subclasses.
    classes = _user_classes(program) - set(LAYERS) - MODEL_KINDS
    if classes:
        strict = CUSTOM_MARK in program.read_text()
        mine = lambda kind: kind in classes  # noqa: E731
        pairs, missing, extra = _match(_engine_objects(analysis, cutoff, mine), _oracle_objects(report, mine))
        for t in missing if strict else []:
            problems.append(f"engine has no {t['kind']} constructed on line {t['line']}")
        for e, t in pairs:
            where = f"{t['kind']} (line {t['line']})"
            if not strict and (not e["outputs"] or None in e["outputs"]):
                continue
            if not _outputs_agree(e["outputs"], t["outputs"]):
                problems.append(f"{where}: output shapes engine {sorted(map(str, e['outputs']))} "
                                f"vs TensorFlow {sorted(map(str, t['outputs']))}; unknown because {e['unknown'][:1]}")
            unknown_ok = e["params"] is None and e["partial"]
            if t["params"] is not None and t["outputs"] and e["params"] != t["params"] and not unknown_ok:
                problems.append(f"{where}: params engine {e['params']} vs TensorFlow {t['params']}")

    assert not problems, f"{program.name}:\n  " + "\n  ".join(problems)


# An error fixture may name the change that fixes it: `# fixed by: tf.nn.gelu( -> keras.ops.gelu(`.
# After a true error the engine goes on with the value that fix gives, so a user who makes it
# sees the right shapes at once; the fixed program is run under TensorFlow to check them.
FIX_MARK = re.compile(r"^#\s*fixed by:\s*(.+?)\s+->\s+(.+?)\s*$", re.M)
FIXED = [p for p in PROGRAMS if FIX_MARK.search(p.read_text())]


@pytest.mark.tf
@pytest.mark.parametrize("program", FIXED, ids=[f"{p.parent.name}/{p.name}" for p in FIXED])
def test_shapes_after_an_error_are_the_fixed_programs(program: Path):
    require_tensorflow()
    text = program.read_text()
    fixed, fixed_lines = text, set()
    for old, new in FIX_MARK.findall(text):
        lines = fixed.split("\n")
        fixed_lines |= {i + 1 for i, ln in enumerate(lines) if old in ln and not ln.lstrip().startswith("#")}
        fixed = fixed.replace(old, new)
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{program.stem}_fixed.py"
    path.write_text(fixed)
    report = _oracle(path)
    assert report["error"] is None, f"the fixed program raises under TensorFlow: {report['error']}"
    analysis = analyze(text, str(program))
    problems = []
    # the only errors are the ones the fix removes
    for d in analysis.diagnostics:
        if d.severity == "error" and d.span.line + 1 not in fixed_lines:
            problems.append(f"an error the fix does not remove: line {d.span.line + 1} {d.code} {d.message[:120]}")
    if not any(d.severity == "error" for d in analysis.diagnostics):
        problems.append("the program has no error to fix")
    pairs, missing, _extra = _match(_engine_objects(analysis, float("inf")), _oracle_objects(report))
    problems += [f"engine has no {t['kind']} constructed on line {t['line']}" for t in missing]
    for e, t in pairs:
        where = f"{t['kind']} (line {t['line']})"
        if e["failed"]:
            continue  # the call that raises: its own error says what to change
        if not e["outputs"] or not _outputs_agree(e["outputs"], t["outputs"]):
            problems.append(f"{where}: output shapes engine {sorted(map(str, e['outputs']))} "
                            f"vs the fixed program under TensorFlow {sorted(map(str, t['outputs']))}")
        if t["params"] is not None and e["params"] != t["params"]:
            problems.append(f"{where}: params engine {e['params']} vs TensorFlow {t['params']}")
    assert not problems, f"{program.name}:\n  " + "\n  ".join(problems)


def test_programs_exist():
    assert len(PROGRAMS) >= 30, "the fixture programs went missing"
    assert tensorflow_available() or not os.environ.get("CI")

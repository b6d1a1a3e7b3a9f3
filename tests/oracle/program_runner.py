"""TensorFlow side of the program oracle: run one Keras program under instrumentation.

Usage (always in a subprocess; TF_CPP_MIN_LOG_LEVEL=3 is set if missing):

    python tests/oracle/program_runner.py PATH_TO_PROGRAM.py [--timeout SECONDS]
    python tests/oracle/program_runner.py --serve     # zygote: see serve()

Tests call ``run_program(path)``: TensorFlow is imported once per warm zygote process and
each program runs in a child forked from it (``run_program_fresh`` and
``SHAPELENS_ORACLE_FRESH=1``: one fresh process per program, as before; bench/bench_suite.py
compares the two).

The program runs with ``runpy.run_path(path, run_name="__main__")``; every
exception (including ``SystemExit``) is caught.  While it runs, the program's
stdout (Python *and* file descriptor 1) is sent to stderr, so stdout holds
exactly one line: the JSON report.

Report::

    {"tensorflow": "2.21.0", "keras": "3.15.1",
     "layers": [
        {"id": 0,                     # construction order (ops: order of first call)
         "kind": "Conv2D",            # class __name__
         "line": 12,                  # 1-based line of the constructor call in the program
         "calls": [{"line": 14,       # program line that caused this call
                    "input_shapes": [[null, 28, 28, 1]],
                    "output_shapes": [[null, 26, 26, 32]],     # one per output tensor
                    "mode": "symbolic"}],    # | "graph" (tf.function trace) | "eager"
         "params": 320}],             # count_params() at the end; null if never built
     "error": null | {"type": "ValueError", "message": "...", "line": 14},
     "raised": [{"type": "ValueError", "message": "...", "line": 17}],
     "warnings": [{"category": "UserWarning", "message": "...", "line": 12}]}

What is recorded
----------------
* Layers (any ``keras.layers.Layer`` subclass, models included: Sequential,
  functional and subclassed models used as layers are layers too) whose
  constructor is called *directly* from the program file: the frame that
  called the class (after skipping the object's own ``__init__`` chain, e.g. a
  subclass ``__init__`` -> ``super().__init__``) must be in the program.  So the
  InputLayer that Sequential builds from ``input_shape=``, the sub-layers that
  MultiHeadAttention creates in ``build``, Bidirectional's forward/backward
  copies, and the Functional model that Sequential builds internally are NOT
  recorded.  Consequence: ``Bidirectional(LSTM(8))`` records the user's LSTM
  with no calls and ``params: null`` (Keras only calls the copies).
* ``keras.Input(...)`` is recorded as kind ``"InputLayer"`` at the Input line,
  with one synthetic call (``input_shapes: []``, ``output_shapes: [shape]``);
  an ``InputLayer(...)`` constructed directly gets the same synthetic call.
  Likewise the functional merge helpers ``layers.concatenate/add/subtract/
  multiply/average/maximum/minimum/dot([...])`` record the layer they build
  (``Concatenate``, ``Add``, ...) at the helper's line (FUNCTIONAL_HELPERS).
* Keras ops called on symbolic tensors directly from the program
  (``keras.ops.concatenate([a, b])``, ``x + y`` on KerasTensors) are recorded
  with ``"op": true`` and ``kind`` = the op class (``"Add"``, ``"Concatenate"``
  - the *op* classes, not the layers), ``params: null``, ``line`` = the program
  line of the (first) symbolic call.  Eager op calls are not recorded (Keras
  does not create an Operation for them).  Filter on ``op`` to ignore them.
* Every ``__call__`` of a recorded layer, wherever it comes from: the
  program's own calls, Sequential rebuilds (each ``.add()`` calls all layers
  again), a nested model running its layers, ``fit``/``predict`` tracing.  The
  ``line`` of a call is the innermost program frame on the stack.  A call that
  raised has ``"output_shapes": null`` and ``"error": {"type", "message"}``
  (also when the program catches the exception).  Only the outermost call per
  layer object is recorded (no re-entrant duplicates).  At most
  ``MAX_CALLS`` calls are kept per layer (``"calls_truncated": true`` beyond).
* ``mode`` of a call: ``"symbolic"`` (KerasTensors: Input/functional
  construction, Sequential builds, ``model.build``), ``"graph"`` (traced by
  ``fit``/``predict``/``evaluate``: the batch dimension is then usually the
  concrete batch size, e.g. ``[8, 4]``), ``"eager"`` (called on arrays/eager
  tensors: concrete batch too).  Compare ``symbolic`` calls to static shapes,
  or ignore the batch dimension for the others.
* ``input_shapes``: tensors found in the positional args, then keyword args,
  flattened (lists/tuples/dicts).  Shapes are lists with ``None`` for unknown
  dims; a tensor of unknown rank is ``null``.
* ``error.line``: innermost frame of the traceback whose file is the program
  (null if the exception never passed through the program, e.g. a SyntaxError).
* ``warnings``: Python warnings raised while the program ran, with the
  innermost program line at the time (e.g. Keras' "Do not pass an
  `input_shape`/`input_dim` argument to a layer").
* ``raised``: every ValueError, TypeError, IndexError or TensorFlow OpError
  that passed through a frame of the program, *also when the program caught
  it* (``try: model.fit(...) except ValueError: ...``), once per exception
  object, with the line of the innermost program frame it went through (found
  with a trace function on the program's own frames only).  The program's
  uncaught error appears here too.

Offline datasets
----------------
With ``SHAPELENS_STUB_DATASETS=1`` in the environment (``run_program`` sets it
unless the caller's ``env`` says otherwise) ``keras.datasets.<name>.load_data``
returns zero arrays of the documented shapes (labels cycle through every class;
``shapelens.core.data.datasets``) and ``keras.utils.load_img`` returns a zero array
of ``target_size`` (default 64x64) with 3 channels (1 for grayscale, 4 for
rgba), so programs that load data run without a network or PIL.

Line numbers (CPython 3.11)
---------------------------
All lines come from ``frame.f_lineno`` (``tb_lineno`` for the error), i.e. the
line of the CALL instruction being executed in the program frame.  On 3.11 the
CALL instruction of a call expression spanning several lines carries the line
where the call expression *starts*:

    x = layers.Conv2D(      # <- f_lineno of the caller while Conv2D.__init__ runs
        32,
        3)(x)               # the __call__ also reports the first line

and, inside a multi-line list literal, each element's call reports its own
first line (``Sequential([\\n Dense(4),\\n Dense(
2)])`` gives each Dense its own line; the Sequential constructor and the calls
it makes while building report the ``keras.Sequential([`` line).  For a call
written as ``(obj\\n .method(...))`` the line is that of ``.method``.  Checked by
tests/oracle/test_program_runner.py.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_CALLS = 500
MAX_MESSAGE = 4000
DEFAULT_TIMEOUT = 120
# Keras functions that construct one layer for the program (and call it):
# keras.Input -> InputLayer, keras.layers.concatenate -> Concatenate, ...
FUNCTIONAL_HELPERS = frozenset({"Input", "add", "subtract", "multiply", "average", "maximum",
                                "minimum", "concatenate", "dot"})


# --------------------------------------------------------------------------- #
# Test-side helper (no TensorFlow import).
# --------------------------------------------------------------------------- #
def _runner_env(env: dict | None) -> dict:
    full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1",
                    KERAS_BACKEND="tensorflow", MPLBACKEND="Agg", PYTHONHASHSEED="0",
                    SHAPELENS_STUB_DATASETS="1")
    if env:
        full_env.update(env)
    return full_env


def run_program_fresh(path, timeout: float = DEFAULT_TIMEOUT, env: dict | None = None) -> dict:
    """Run ``path`` under the runner in a fresh Python process (imports TensorFlow each time)."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(path), "--timeout", str(timeout)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=_runner_env(env),
        timeout=timeout + 60,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"program runner failed (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1])


# Variables read when TensorFlow/Keras/NumPy are imported: a request that changes one of them
# cannot use a zygote (it imported them already) and runs in a fresh process.
_IMPORT_TIME_ENV = ("TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES", "KERAS_BACKEND", "PYTHONHASHSEED",
                    "TF_ENABLE_ONEDNN_OPTS", "TF_USE_LEGACY_KERAS", "KERAS_HOME", "PYTHONPATH",
                    "OMP_NUM_THREADS", "MPLBACKEND",
                    # the zygote imports the offline-data modules ahead when this is "1"
                    "SHAPELENS_STUB_DATASETS")


class Zygote:
    """A warm ``program_runner.py --serve`` process: TensorFlow imported once, one fork per program."""

    def __init__(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="shapelens-zygote-")
        self.count = 0
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env=_runner_env(None))

    def run(self, path, timeout: float, env: dict | None) -> dict:
        import select
        self.count += 1
        out = os.path.join(self.dir, f"{self.count}.json")
        log = os.path.join(self.dir, f"{self.count}.log")
        self.proc.stdin.write(json.dumps({"program": str(path), "timeout": timeout, "env": env or {},
                                          "out": out, "log": log}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout + 60)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise RuntimeError(f"program runner zygote died or hung on {path}")
        rc = json.loads(line)["rc"]
        try:
            with open(log, errors="replace") as f:
                stderr = f.read()
            if rc != 0 or not os.path.exists(out):
                raise RuntimeError(f"program runner failed (rc={rc}):\n{stderr[-4000:]}")
            with open(out) as f:
                return json.loads(f.read())
        finally:
            for name in (out, log):
                try:
                    os.unlink(name)
                except OSError:
                    pass

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self):
        import shutil
        try:
            self.proc.stdin.close()
        except Exception:  # noqa: BLE001
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


_idle: list[Zygote] = []
_all: list[Zygote] = []
_lock = threading.Lock()


def _close_all():
    with _lock:
        for z in _all:
            z.close()
        _all.clear()
        _idle.clear()


def run_program(path, timeout: float = DEFAULT_TIMEOUT, env: dict | None = None) -> dict:
    """Run ``path`` under the runner; return the parsed report.

    The program runs in a child forked from a warm zygote (TensorFlow imported once per
    zygote; concurrent callers each get their own zygote).  The report is the same as
    ``run_program_fresh`` gives: the child starts from the state of a process that has only
    imported TensorFlow and Keras.  ``SHAPELENS_ORACLE_FRESH=1`` (or an ``env`` that changes an
    import-time variable) runs a fresh process instead.
    """
    if os.environ.get("SHAPELENS_ORACLE_FRESH") == "1" or not hasattr(os, "fork") \
            or any(k in _IMPORT_TIME_ENV for k in (env or {})):
        return run_program_fresh(path, timeout, env)
    with _lock:
        zygote = _idle.pop() if _idle else None
        if zygote is None:
            if not _all:
                atexit.register(_close_all)
            zygote = Zygote()
            _all.append(zygote)
    try:
        return zygote.run(path, timeout, env)
    finally:
        with _lock:
            if zygote.alive():
                _idle.append(zygote)
            elif zygote in _all:
                _all.remove(zygote)


# --------------------------------------------------------------------------- #
# Runner side.
# --------------------------------------------------------------------------- #
def _shape(t):
    shape = getattr(t, "shape", None)
    if shape is None:
        return None
    if getattr(shape, "rank", 0) is None:  # tf.TensorShape of unknown rank
        return None
    try:
        return [None if d is None else int(d) for d in shape]
    except TypeError:
        return None


def _is_tensor(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, type)


def _flatten_tensors(obj, out, depth=0):
    if depth > 20:
        return out
    if _is_tensor(obj):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _flatten_tensors(v, out, depth + 1)
    elif isinstance(obj, dict):
        for v in obj.values():
            _flatten_tensors(v, out, depth + 1)
    return out


def _shapes(obj):
    return [_shape(t) for t in _flatten_tensors(obj, [])]


class Recorder:
    def __init__(self, program: str, keras, excluded_dirs: list[str]):
        self.program = program
        self.keras = keras
        self.excluded = tuple(excluded_dirs)
        self.records: list[dict] = []
        self.by_obj: dict[int, dict] = {}   # id(obj) -> record
        self.objs: list = []                # keep recorded objects alive (ids stay unique)
        self.active: dict[int, int] = {}    # id(obj) -> call depth
        self.active_total = 0
        self._file_cache: dict[str, str] = {}
        import tensorflow as tf
        from keras.src.backend.common.keras_tensor import any_symbolic_tensors
        self.tf = tf
        self.any_symbolic = any_symbolic_tensors

    # -- frames ------------------------------------------------------------ #
    def where(self, filename: str) -> str:
        """'program' | 'keras' (keras/tensorflow/this runner) | 'other'."""
        kind = self._file_cache.get(filename)
        if kind is None:
            absname = os.path.abspath(filename) if not filename.startswith("<") else filename
            if absname == self.program or os.path.realpath(absname) == self.program:
                kind = "program"
            elif absname.startswith(self.excluded) or os.path.realpath(absname).startswith(self.excluded):
                kind = "keras"
            else:
                kind = "other"
            self._file_cache[filename] = kind
        return kind

    def innermost_program_line(self, frame):
        while frame is not None:
            if self.where(frame.f_code.co_filename) == "program":
                return frame.f_lineno
            frame = frame.f_back
        return None

    @staticmethod
    def _is_own_init(frame, obj) -> bool:
        code = frame.f_code
        if code.co_name != "__init__" or code.co_argcount == 0:
            return False
        return frame.f_locals.get(code.co_varnames[0]) is obj

    def constructor_caller(self, frame, obj):
        """First frame outside the object's own __init__ chain (and this runner)."""
        while frame is not None and (self._is_own_init(frame, obj)
                                     or frame.f_code.co_filename == __file__):
            frame = frame.f_back
        return frame

    # -- records ----------------------------------------------------------- #
    def new_record(self, obj, kind: str, line: int, op: bool = False) -> dict:
        rec = {"id": len(self.records), "kind": kind, "line": line, "calls": [], "params": None}
        if op:
            rec["op"] = True
        self.records.append(rec)
        self.by_obj[id(obj)] = rec
        self.objs.append(obj)
        return rec

    def on_layer_init(self, obj, frame):
        if id(obj) in self.by_obj:
            return
        caller = self.constructor_caller(frame, obj)
        if caller is None:
            return
        InputLayer = self.keras.layers.InputLayer
        where = self.where(caller.f_code.co_filename)
        if where == "program":
            rec = self.new_record(obj, type(obj).__name__, caller.f_lineno)
        elif (where == "keras" and caller.f_code.co_name in FUNCTIONAL_HELPERS
              # a method named like a helper (Sequential.add building its InputLayer) is not one
              and "self" not in caller.f_code.co_varnames[:caller.f_code.co_argcount]
              and caller.f_back is not None
              and self.where(caller.f_back.f_code.co_filename) == "program"):
            # keras.Input(...) / layers.concatenate([...]) etc. called by the program.
            rec = self.new_record(obj, type(obj).__name__, caller.f_back.f_lineno)
        else:
            return
        if isinstance(obj, InputLayer):
            # The tensor only exists once InputLayer.__init__ has returned: the
            # shapes are filled in by finish().
            rec["calls"].append({"line": rec["line"], "input_shapes": [], "output_shapes": None,
                                 "mode": "symbolic"})

    def add_call(self, rec, frame, args, kwargs):
        call = {"line": self.innermost_program_line(frame),
                "input_shapes": _shapes(list(args) + list(kwargs.values())),
                "output_shapes": None,
                "mode": self.mode(args, kwargs)}
        if len(rec["calls"]) < MAX_CALLS:
            rec["calls"].append(call)
        else:
            rec["calls_truncated"] = True
        return call

    def mode(self, args, kwargs) -> str:
        try:
            if self.any_symbolic(args, kwargs):
                return "symbolic"
            return "eager" if self.tf.executing_eagerly() else "graph"
        except Exception:  # noqa: BLE001
            return "unknown"

    def finish(self):
        InputLayer = self.keras.layers.InputLayer
        for rec, obj in zip(self.records, self.objs):
            if rec.get("op"):
                continue
            if isinstance(obj, InputLayer) and rec["calls"]:
                try:
                    rec["calls"][0]["output_shapes"] = _shapes(obj.output)
                except Exception:  # noqa: BLE001
                    pass
            try:
                if getattr(obj, "built", False):
                    rec["params"] = int(obj.count_params())
            except Exception:  # noqa: BLE001
                rec["params"] = None


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _message(e: BaseException) -> str:
    """str(e) without the ANSI bold codes Keras puts around the inner message."""
    try:
        msg = str(e)
    except Exception:  # noqa: BLE001
        msg = repr(e)
    return _ANSI.sub("", msg)[:MAX_MESSAGE]


def install(rec: Recorder):
    keras = rec.keras
    from keras.src.layers.layer import Layer
    from keras.src.ops.operation import Operation

    orig_init = Layer.__init__
    orig_call = Layer.__call__
    orig_symbolic = Operation.symbolic_call

    def layer_init(self, *args, **kwargs):
        orig_init(self, *args, **kwargs)
        try:
            rec.on_layer_init(self, sys._getframe(1))
        except Exception:  # noqa: BLE001  (never break the program)
            pass

    def traced_call(self, orig, args, kwargs, op_args=None):
        r = rec.by_obj.get(id(self))
        key = id(self)
        if r is None or rec.active.get(key):
            return orig(self, *args, **kwargs)
        call = rec.add_call(r, sys._getframe(2), args, kwargs)
        rec.active[key] = rec.active.get(key, 0) + 1
        rec.active_total += 1
        try:
            out = orig(self, *args, **kwargs)
        except BaseException as e:
            call["error"] = {"type": type(e).__name__, "message": _message(e)}
            raise
        finally:
            rec.active[key] -= 1
            rec.active_total -= 1
        try:
            call["output_shapes"] = _shapes(out)
        except Exception:  # noqa: BLE001
            pass
        return out

    def layer_call(self, *args, **kwargs):
        return traced_call(self, orig_call, args, kwargs)

    def op_symbolic_call(self, *args, **kwargs):
        if not isinstance(self, Layer) and id(self) not in rec.by_obj and rec.active_total == 0:
            try:
                f = sys._getframe(1)
                while f is not None and rec.where(f.f_code.co_filename) == "keras":
                    f = f.f_back
                if f is not None and rec.where(f.f_code.co_filename) == "program":
                    rec.new_record(self, type(self).__name__, f.f_lineno, op=True)
            except Exception:  # noqa: BLE001
                pass
        if isinstance(self, Layer):
            return orig_symbolic(self, *args, **kwargs)
        return traced_call(self, orig_symbolic, args, kwargs)

    Layer.__init__ = layer_init
    Layer.__call__ = layer_call
    Operation.symbolic_call = op_symbolic_call
    del keras


_DATASET_ALIASES = ("keras.datasets.{}", "keras._tf_keras.keras.datasets.{}", "tensorflow.keras.datasets.{}")
_IMAGE_ALIASES = ("keras.utils", "keras.preprocessing.image", "keras._tf_keras.keras.preprocessing.image",
                  "keras._tf_keras.keras.utils", "tensorflow.keras.preprocessing.image")


def import_offline_data_modules() -> None:
    """Import every module install_offline_data touches (pure imports: no layer, op or thread).

    The zygote does this once, so each forked child only patches (the imports are what
    made install_offline_data cost ~0.2 s of CPU per program); the child then does exactly
    what a fresh process does after these imports."""
    from shapelens.core.data import datasets as facts

    for name in facts.NAMES:
        for alias in _DATASET_ALIASES:
            _import_quietly(alias.format(name))
        _import_quietly(f"keras.src.datasets.{name}")
    for alias in ("keras.src.utils.image_utils", *_IMAGE_ALIASES):
        _import_quietly(alias)


def _import_quietly(module: str):
    """The module, or None when this Keras/TensorFlow does not have it."""
    import importlib

    try:
        return importlib.import_module(module)
    except Exception:  # noqa: BLE001
        return None


def install_offline_data(keras) -> None:
    """keras.datasets.*.load_data and keras.utils.load_img without network or PIL."""
    import importlib

    import numpy as np
    from shapelens.core.data import datasets as facts

    def replace_everywhere(orig, stub, attr):
        for mod in list(sys.modules.values()):
            try:
                if getattr(mod, attr, None) is orig:
                    setattr(mod, attr, stub)
            except Exception:  # noqa: BLE001
                pass

    for name in facts.NAMES:
        for alias in _DATASET_ALIASES:
            _import_quietly(alias.format(name))
        try:
            source = importlib.import_module(f"keras.src.datasets.{name}")
        except Exception:  # noqa: BLE001
            continue

        def stub(*args, _name=name, **kwargs):
            return facts.stub_arrays(_name, list(args), kwargs)

        replace_everywhere(source.load_data, stub, "load_data")

    try:
        image_utils = importlib.import_module("keras.src.utils.image_utils")
        for alias in _IMAGE_ALIASES:
            try:
                importlib.import_module(alias)
            except Exception:  # noqa: BLE001
                pass

        def load_img(path, color_mode="rgb", target_size=None, *args, **kwargs):  # noqa: ARG001
            h, w = target_size if target_size else (64, 64)
            return np.zeros((h, w, {"grayscale": 1, "rgba": 4}.get(color_mode, 3)), dtype="uint8")

        replace_everywhere(image_utils.load_img, load_img, "load_img")
    except Exception:  # noqa: BLE001
        pass


class RaiseRecorder:
    """Exceptions that pass through the program's frames, caught or not (a trace function
    that only follows the program's own frames)."""

    MAX = 200

    def __init__(self, recorder: Recorder, tf):
        self.recorder = recorder
        self.types = (ValueError, TypeError, IndexError, tf.errors.OpError)
        self.seen: set[int] = set()
        self.keep: list = []
        self.raised: list[dict] = []

    def global_trace(self, frame, event, arg):  # noqa: ARG002
        if event == "call" and self.recorder.where(frame.f_code.co_filename) == "program":
            return self.local_trace
        return None

    def local_trace(self, frame, event, arg):
        if event == "exception" and len(self.raised) < self.MAX:
            exc = arg[1]
            if id(exc) not in self.seen and isinstance(exc, self.types):
                self.seen.add(id(exc))
                self.keep.append(exc)
                self.raised.append({"type": type(exc).__name__, "message": _message(exc)[:600],
                                    "line": frame.f_lineno})
        return self.local_trace


def _timeout_handler(signum, frame):  # noqa: ARG001
    raise TimeoutError("program runner timeout")


def prepare():
    """Import TensorFlow and Keras once (no layer, op or thread pool is created here)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    import tensorflow as tf
    import keras

    try:
        tf.config.set_visible_devices([], "GPU")
    except Exception:  # noqa: BLE001
        pass
    return tf, keras


def run_one(program: str, timeout: float, tf, keras) -> dict:
    """Run one program under instrumentation in THIS process; return the report."""
    import warnings

    keras.utils.set_random_seed(0)

    excluded = [os.path.dirname(os.path.realpath(keras.__file__)),
                os.path.dirname(os.path.realpath(tf.__file__)),
                os.path.dirname(os.path.abspath(keras.__file__)),
                os.path.dirname(os.path.abspath(tf.__file__)),
                str(HERE / "program_runner.py")]
    recorder = Recorder(program, keras, excluded)
    install(recorder)
    if os.environ.get("SHAPELENS_STUB_DATASETS") == "1":
        install_offline_data(keras)
    raises = RaiseRecorder(recorder, tf)

    warned: list[dict] = []
    orig_showwarning = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        try:
            warned.append({"category": category.__name__, "message": str(message)[:MAX_MESSAGE],
                           "line": recorder.innermost_program_line(sys._getframe(1))})
        except Exception:  # noqa: BLE001
            pass

    import runpy
    import signal

    error = None
    sys.argv = [program]
    sys.path.insert(0, os.path.dirname(program))
    sys.stdin = open(os.devnull)  # noqa: SIM115
    if hasattr(signal, "SIGALRM") and timeout > 0:
        signal.signal(signal.SIGALRM, _timeout_handler)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = showwarning
            sys.settrace(raises.global_trace)
            try:
                runpy.run_path(program, run_name="__main__")
            finally:
                sys.settrace(None)
    except BaseException as e:  # noqa: BLE001  (SystemExit, KeyboardInterrupt, timeouts too)
        if isinstance(e, SystemExit) and e.code in (None, 0):
            error = None
        else:
            line = None
            tb = e.__traceback__
            while tb is not None:
                if recorder.where(tb.tb_frame.f_code.co_filename) == "program":
                    line = tb.tb_lineno
                tb = tb.tb_next
            if line is None and isinstance(e, SyntaxError) and e.filename \
                    and os.path.realpath(e.filename) == program:
                line = e.lineno
            error = {"type": type(e).__name__, "message": _message(e), "line": line}
    finally:
        if hasattr(signal, "SIGALRM"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        warnings.showwarning = orig_showwarning

    recorder.finish()
    return {"tensorflow": tf.__version__, "keras": keras.__version__,
            "layers": recorder.records, "error": error, "raised": raises.raised, "warnings": warned}


def _dumps(report: dict) -> str:
    return json.dumps(report, default=lambda o: int(o) if hasattr(o, "__index__") else str(o))


def serve() -> int:
    """Zygote: import TensorFlow once, then fork one child per program.

    Requests on stdin, one JSON line each: {"program", "timeout", "env", "out", "log"}.
    The child redirects fds 1 and 2 to ``log``, runs the program exactly as ``main`` does
    and writes the JSON report to ``out``.  The zygote waits for it and answers one line
    {"rc": exit status} on stdout.  The zygote itself never creates a layer, runs an op
    or starts a TensorFlow thread pool, so every child starts from the same state as a
    fresh ``python program_runner.py PROGRAM`` process.
    """
    reply = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = sys.stderr
    tf, keras = prepare()
    if os.environ.get("SHAPELENS_STUB_DATASETS") == "1":
        import_offline_data_modules()
    base_env = dict(os.environ)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # child
            try:
                log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(log, 1)
                os.dup2(log, 2)
                os.environ.clear()
                os.environ.update(base_env)
                os.environ.update(req.get("env") or {})
                program = os.path.realpath(os.path.abspath(req["program"]))
                text = _dumps(run_one(program, float(req["timeout"]), tf, keras))
                sys.stderr.flush()
                with open(req["out"], "w") as f:
                    f.write(text + "\n")
                os._exit(0)
            except BaseException:  # noqa: BLE001
                import traceback
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(3)
        _, status = os.waitpid(pid, 0)
        reply.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
        reply.flush()
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--serve"]:
        return serve()
    timeout = DEFAULT_TIMEOUT
    if "--timeout" in argv:
        i = argv.index("--timeout")
        timeout = float(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) != 1:
        print("usage: program_runner.py PROGRAM.py [--timeout SECONDS] | --serve", file=sys.stderr)
        return 2
    program = os.path.realpath(os.path.abspath(argv[0]))

    # Keep stdout for the report: everything the program (or TF, at fd level)
    # prints goes to stderr.
    sys.stdout.flush()
    real_stdout_fd = os.dup(1)
    os.dup2(2, 1)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr

    tf, keras = prepare()
    text = _dumps(run_one(program, timeout, tf, keras))

    sys.stderr.flush()
    sys.stdout = real_stdout
    os.dup2(real_stdout_fd, 1)
    os.write(1, (text + "\n").encode())
    # TensorFlow's interpreter shutdown can be slow or hang on leftover threads.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())

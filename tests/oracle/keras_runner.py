"""Run one program under Keras 2 (tf-keras, TF_USE_LEGACY_KERAS=1) or Keras 3 and report what
happened: where it raised, and every model left in its globals (parameters, each layer's output).

    python tests/oracle/keras_runner.py PROGRAM      (prints one JSON line)

The Keras is chosen by the caller's environment (:func:`run`): with TF_USE_LEGACY_KERAS=1,
`tf.keras` is tf-keras. Used by tests/core/test_keras2_diff.py; small on purpose: the full
instrumented runner (program_runner.py) hooks into Keras 3 internals.

    python tests/oracle/keras_runner.py --serve     (a zygote: see serve())

:func:`run` forks each program from a warm zygote per Keras version (TensorFlow imported once
per version, as program_runner.py does for Keras 3); ``SHAPELENS_ORACLE_FRESH=1`` runs one
fresh process per program instead (:func:`run_fresh`, the same report).
"""

from __future__ import annotations

import json
import os
import runpy
import select
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path


def _shape(t) -> list | None:
    try:
        return [d if isinstance(d, int) else None for d in (tuple(t.shape.as_list()) if hasattr(t.shape, "as_list")
                                                                else tuple(t.shape))]
    except Exception:  # noqa: BLE001
        return None


def _layer_outputs(layer) -> list | None:
    try:
        out = layer.output
    except Exception:  # noqa: BLE001 -- not built, or called several times
        return None
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [_shape(o) for o in outs]


def _model(model) -> dict:
    try:
        params = int(model.count_params()) if model.built else None
    except Exception:  # noqa: BLE001
        params = None
    layers = []
    for layer in model.layers:
        layers.append({"class": type(layer).__name__, "outputs": _layer_outputs(layer),
                       "params": _count(layer)})
    return {"params": params, "layers": layers}


def _count(layer) -> int | None:
    try:
        return int(layer.count_params()) if layer.built else None
    except Exception:  # noqa: BLE001
        return None


def main(program: str) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf

    keras = tf.keras
    version = "2" if keras.__name__.startswith("tf_keras") or os.environ.get("TF_USE_LEGACY_KERAS") == "1" else "3"
    program = str(Path(program).resolve())
    error = None
    module_globals: dict = {}
    try:
        module_globals = runpy.run_path(program, run_name="__main__")
    except BaseException as e:  # noqa: BLE001
        line = None
        for frame, lineno in traceback.walk_tb(e.__traceback__):
            if os.path.realpath(frame.f_code.co_filename) == program:
                line = lineno
        error = {"type": type(e).__name__, "message": str(e)[:500], "line": line}
    models = {}
    for name, value in module_globals.items():
        if isinstance(value, keras.Model):
            models[name] = _model(value)
    return {"keras": version, "error": error, "models": models}


def _env(keras: str) -> dict:
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    if keras == "2":
        env["TF_USE_LEGACY_KERAS"] = "1"
    return env


def _report(stdout: str, rc: int, stderr: str) -> dict:
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if rc != 0 or not lines:
        raise RuntimeError(f"keras runner failed (rc={rc}):\n{stderr[-3000:]}")
    return json.loads(lines[-1])


def run_fresh(program: Path, keras: str, timeout: float = 300) -> dict:
    """``program`` run under Keras ``keras`` ("2" or "3") in a fresh process."""
    proc = subprocess.run([sys.executable, __file__, str(program)], capture_output=True, text=True,
                          env=_env(keras), timeout=timeout, stdin=subprocess.DEVNULL)
    return _report(proc.stdout, proc.returncode, proc.stderr)


class _Zygote:
    """``keras_runner.py --serve`` under one Keras: TensorFlow imported once, one fork per program."""

    def __init__(self, keras: str):
        self.dir = tempfile.mkdtemp(prefix=f"shapelens-keras{keras}-")
        self.count = 0
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env=_env(keras))

    def run(self, program: Path, timeout: float) -> dict:
        self.count += 1
        out, err = (os.path.join(self.dir, f"{self.count}.{ext}") for ext in ("out", "err"))
        self.proc.stdin.write(json.dumps({"program": str(program), "out": out, "err": err,
                                          "timeout": timeout}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout + 30)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise RuntimeError(f"keras runner zygote died or hung on {program}")
        try:
            with open(out, errors="replace") as f:
                stdout = f.read()
            with open(err, errors="replace") as f:
                stderr = f.read()
            return _report(stdout, json.loads(line)["rc"], stderr)
        finally:
            for name in (out, err):
                try:
                    os.unlink(name)
                except OSError:
                    pass

    def close(self) -> None:
        import shutil
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


_zygotes: dict[str, _Zygote] = {}
_lock = threading.Lock()


def _close_all() -> None:
    for z in _zygotes.values():
        z.close()
    _zygotes.clear()


def run(program: Path, keras: str, timeout: float = 300) -> dict:
    """``program`` run under Keras ``keras`` ("2" or "3"): forked from that Keras's warm zygote,
    which gives the report a fresh process gives (``run_fresh``)."""
    if os.environ.get("SHAPELENS_ORACLE_FRESH") == "1" or not hasattr(os, "fork"):
        return run_fresh(program, keras, timeout)
    with _lock:
        zygote = _zygotes.get(keras)
        if zygote is None or zygote.proc.poll() is not None:
            if not _zygotes:
                import atexit
                atexit.register(_close_all)
            zygote = _zygotes[keras] = _Zygote(keras)
        return zygote.run(program, timeout)


def serve() -> int:
    """Zygote: import TensorFlow (and its Keras) once; per request line {"program", "out", "err"}
    fork a child that is what ``python keras_runner.py PROGRAM`` would be from here on (same
    argv, stdin from /dev/null, stdout/stderr to the files), and answer {"rc": status}."""
    reply = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    import tensorflow as tf

    tf.keras  # noqa: B018 -- the lazy Keras module (Keras 3 or tf-keras), imported here once
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # child
            code = 0
            try:
                import signal
                signal.alarm(max(1, int(req["timeout"])))  # a hung program dies (SIGALRM's default)
                fd_in = os.open(os.devnull, os.O_RDONLY)
                os.dup2(fd_in, 0)
                sys.stdin = open(os.devnull)  # noqa: SIM115
                fd_out = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                fd_err = os.open(req["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd_out, 1)
                os.dup2(fd_err, 2)
                sys.argv = [__file__, req["program"]]
                report = main(req["program"])
                sys.stdout.flush()
                print(json.dumps(report))
                sys.stdout.flush()
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
                code = 1
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        reply.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
        reply.flush()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        sys.exit(serve())
    report = main(sys.argv[1])
    sys.stdout.flush()
    print(json.dumps(report))

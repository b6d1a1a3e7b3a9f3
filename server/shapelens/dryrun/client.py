"""The server's side of the worker: start it lazily, send it payloads, time it out, stop it.

Blocking and thread-safe: the language server calls it from its own thread (never from
the event loop), the CLI directly. One request at a time; :meth:`WorkerClient.stop` may be
called from any thread and ends whatever is waiting with :class:`WorkerStopped`.

The process runs the worker package alone (BOOTSTRAP loads it from this directory under
the name ``shapelens.worker``, with an empty ``shapelens`` parent), so the interpreter
needs TensorFlow but not shapelens, and none of shapelens's own dependencies shadow the
user's. Its working directory is an empty temporary directory.
"""

from __future__ import annotations

import collections
import itertools
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

from shapelens.worker import protocol

WORKER_DIR = os.path.dirname(os.path.abspath(protocol.__file__))  # the worker package, loaded alone
BOOTSTRAP = "\n".join([
    "import importlib.util, os, sys, types",
    "root = sys.argv[1]",
    "parent = types.ModuleType('shapelens'); parent.__path__ = []; sys.modules['shapelens'] = parent",
    "spec = importlib.util.spec_from_file_location('shapelens.worker', os.path.join(root, '__init__.py'),"
    " submodule_search_locations=[root])",
    "module = importlib.util.module_from_spec(spec); sys.modules['shapelens.worker'] = module",
    "spec.loader.exec_module(module)",
    "from shapelens.worker.main import main",
    "sys.exit(main())",
])
STDERR_LINES = 30
_NOISE = ("oneDNN custom operations", "absl::InitializeLog", "cpu_feature_guard", "To enable the following",
          "rebuild TensorFlow with")


class WorkerError(Exception):
    """The dry run could not give an answer; ``kind`` says why, the message says it to the user."""

    kind = "error"

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class WorkerUnavailable(WorkerError):
    """No worker can run: the interpreter is missing, or TensorFlow cannot be imported."""

    kind = "unavailable"


class WorkerTimeout(WorkerError):
    kind = "timeout"


class WorkerCrashed(WorkerError):
    kind = "crashed"


class WorkerStopped(WorkerError):
    """stop() was called while a request was waiting (a cancelled progress, a shutdown)."""

    kind = "stopped"


class WorkerRequestError(WorkerError):
    """The worker answered with an error (a bug in the rebuild, not in the user's model)."""

    kind = "request"


@dataclass(frozen=True)
class WorkerInfo:
    pid: int
    python: str
    executable: str
    tensorflow: str
    keras: str
    load_seconds: float

    @property
    def short_version(self) -> str:
        """TensorFlow 2.21.0 -> "2.21" (what hovers say)."""
        return ".".join(self.tensorflow.split(".")[:2])


def resolve_interpreter(interpreter: str | None) -> str:
    """The configured interpreter (a path or a command name), or the one running shapelens."""
    if not interpreter:
        return sys.executable
    path = os.path.expanduser(interpreter)
    if os.path.sep in path or (os.path.altsep and os.path.altsep in path):
        if os.path.isfile(path):
            return path
        raise WorkerUnavailable(f"the Python interpreter {interpreter} does not exist", "interpreter-missing")
    found = shutil.which(path)
    if found is None:
        raise WorkerUnavailable(f"no Python interpreter named {interpreter} on PATH", "interpreter-missing")
    return found


def missing_tensorflow_message(executable: str) -> str:
    return (f"TensorFlow is not installed for {executable}, so shapes cannot be confirmed with TensorFlow. "
            f"Install it there with `{executable} -m {protocol.INSTALL_COMMAND}` "
            "(static checks are unaffected).")


class WorkerClient:
    def __init__(self, interpreter: str | None = None, memory_mb: int = protocol.DEFAULT_MEMORY_MB,
                 env: dict[str, str] | None = None) -> None:
        self.interpreter = interpreter or ""
        self.memory_mb = memory_mb
        self.extra_env = dict(env or {})
        self.info: WorkerInfo | None = None
        self.starts = 0  # processes started so far (tests and benchmarks read it)
        self._lock = threading.Lock()  # one start or request at a time
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue = queue.Queue()
        self._stderr: collections.deque = collections.deque(maxlen=STDERR_LINES)
        self._cwd: str | None = None
        self._stopping = False
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ state
    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self.info is not None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # ------------------------------------------------------------------ start
    def start(self, timeout: float) -> WorkerInfo:
        """Start the worker unless it runs; wait for TensorFlow to load (blocking)."""
        with self._lock:
            if self.running:
                assert self.info is not None
                return self.info
            self._kill()
            self._spawn()
            try:
                hello = self._next(timeout, "load TensorFlow")
            except WorkerCrashed as exc:
                raise WorkerUnavailable(f"the TensorFlow worker exited while starting: {exc}", "start-failed") \
                    from None
            if hello.get("kind") != "hello":
                self._kill()
                raise WorkerUnavailable(f"the worker did not introduce itself: {hello!r}", "start-failed")
            if hello.get("error"):
                self._kill()
                err = hello["error"]
                executable = hello.get("executable") or self.interpreter or sys.executable
                if err.get("kind") == protocol.TENSORFLOW_MISSING:
                    raise WorkerUnavailable(missing_tensorflow_message(executable), protocol.TENSORFLOW_MISSING)
                raise WorkerUnavailable(f"importing TensorFlow in {executable} failed: "
                                        f"{err.get('type')}: {err.get('message')}", protocol.IMPORT_FAILED)
            self.info = WorkerInfo(pid=int(hello.get("pid", self._proc.pid)), python=str(hello.get("python")),
                                   executable=str(hello.get("executable")), tensorflow=str(hello.get("tensorflow")),
                                   keras=str(hello.get("keras")), load_seconds=float(hello.get("load_seconds", 0)))
            return self.info

    def _spawn(self) -> None:
        executable = resolve_interpreter(self.interpreter)
        env = dict(os.environ)
        env.update({
            "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1", "KERAS_BACKEND": "tensorflow",
            "MALLOC_ARENA_MAX": "2", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8",
            protocol.ENV_MEMORY_MB: str(self.memory_mb),
        })
        env.update(self.extra_env)
        self._cwd = tempfile.mkdtemp(prefix="shapelens-worker-")
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # the editor's signals are not the worker's
        else:  # pragma: no cover -- Windows
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        try:
            self._proc = subprocess.Popen([executable, "-c", BOOTSTRAP, WORKER_DIR], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self._cwd, env=env,
                                          **kwargs)
        except OSError as exc:
            self._cleanup_dir()
            raise WorkerUnavailable(f"cannot start {executable}: {exc}", "interpreter-missing") from None
        self.starts += 1
        self._stopping = False
        self._lines = queue.Queue()
        self._stderr.clear()
        threading.Thread(target=self._read_stdout, args=(self._proc, self._lines), daemon=True,
                         name="shapelens-worker-stdout").start()
        threading.Thread(target=self._read_stderr, args=(self._proc,), daemon=True,
                         name="shapelens-worker-stderr").start()

    @staticmethod
    def _read_stdout(proc: subprocess.Popen, lines: queue.Queue) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            try:
                lines.put(protocol.loads(raw))
            except ValueError:
                continue  # not a protocol line; main.py keeps stdout clean, so this is noise
        lines.put(None)

    def _read_stderr(self, proc: subprocess.Popen) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            text = raw.decode("utf-8", "replace").rstrip()
            if text and not any(n in text for n in _NOISE):
                self._stderr.append(text)

    # ------------------------------------------------------------------ requests
    def build(self, payload: dict, timeout: float, test: dict | None = None) -> dict:
        """TensorFlow's report for a payload (protocol.py). The worker must be started."""
        params: dict[str, Any] = {"spec": payload}
        if test:
            params["test"] = test
        return self.request("build", params, timeout)

    def request(self, method: str, params: dict | None, timeout: float) -> Any:
        with self._lock:
            if not self.running:
                raise WorkerCrashed("the TensorFlow worker is not running")
            proc = self._proc
            assert proc is not None and proc.stdin is not None
            rid = next(self._ids)
            try:
                proc.stdin.write(protocol.dumps(protocol.request(rid, method, params)))
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass  # the reader reports the exit
            while True:
                message = self._next(timeout, "build the model")
                if message.get("id") != rid:
                    continue
                if "error" in message:
                    err = message["error"] or {}
                    raise WorkerRequestError(f"{err.get('type')}: {err.get('message')}")
                return message.get("result")

    def _next(self, timeout: float, doing: str) -> dict:
        try:
            message = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise WorkerTimeout(f"the TensorFlow worker did not {doing} within {timeout:g} s") from None
        if message is None:
            stopping = self._stopping
            code = self._kill()
            if stopping:
                raise WorkerStopped("the TensorFlow worker was stopped")
            raise WorkerCrashed(self._crash_text(code))
        return message

    def _crash_text(self, code: int | None) -> str:
        tail = [line for line in self._stderr if line.strip()][-3:]
        how = f"exit code {code}" if code is not None and code >= 0 else f"signal {-code}" if code else "no exit code"
        detail = (": " + " | ".join(tail)) if tail else ""
        return f"the TensorFlow worker stopped unexpectedly ({how}){detail}"

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        """Kill the worker now (any thread); a waiting start or request raises WorkerStopped."""
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                proc.kill()
            except OSError:
                pass

    def close(self, timeout: float = 2.0) -> None:
        """Ask the worker to exit, then make sure it did."""
        if self.running:
            try:
                self.request("shutdown", None, timeout)
            except WorkerError:
                pass
        self.stop()
        with self._lock:
            self._kill()

    def _kill(self) -> int | None:
        proc, self._proc = self._proc, None
        self.info = None
        code = None
        if proc is not None:
            if proc.poll() is None:
                try:
                    proc.kill()
                except OSError:
                    pass
            try:
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                code = None
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass
        self._cleanup_dir()
        return code

    def _cleanup_dir(self) -> None:
        if self._cwd is not None:
            shutil.rmtree(self._cwd, ignore_errors=True)
            self._cwd = None

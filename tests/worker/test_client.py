"""The worker process can be missing, fail to import TensorFlow, hang, crash or be stopped:
each ends in a clear error, and the next use starts a fresh worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shapelens.worker import protocol
from shapelens.dryrun.client import (
    WorkerClient,
    WorkerCrashed,
    WorkerStopped,
    WorkerTimeout,
    WorkerUnavailable,
)
from tests.oracle.client import require_tensorflow

PAYLOAD = {"version": 1, "layers": [{"id": 0, "kind": "Dense", "config": {"units": 3}, "complete": True,
                                     "model": False, "init_error": False}],
           "calls": [{"layer": 0, "order": 1, "inputs": [0], "outputs": [1], "list_input": False, "failed": False}],
           "tensors": [{"id": 0, "shape": [None, 5], "symbolic": True}, {"id": 1, "shape": [None, 3], "symbolic": True}],
           "models": [], "nested": {}}
HOOKS = {protocol.ENV_TEST_HOOKS: "1"}


def test_missing_interpreter_is_reported():
    client = WorkerClient("/nonexistent/bin/python3")
    with pytest.raises(WorkerUnavailable) as info:
        client.start(10)
    assert info.value.kind == "interpreter-missing"
    assert "/nonexistent/bin/python3 does not exist" in str(info.value)
    with pytest.raises(WorkerUnavailable):
        WorkerClient("no-such-python-anywhere").start(10)


def test_interpreter_without_tensorflow_says_how_to_install(python_without_tensorflow):
    client = WorkerClient(python_without_tensorflow)
    started = time.monotonic()
    with pytest.raises(WorkerUnavailable) as info:
        client.start(30)
    assert time.monotonic() - started < 20
    assert info.value.kind == protocol.TENSORFLOW_MISSING
    message = str(info.value)
    assert "TensorFlow is not installed for" in message and python_without_tensorflow in message
    assert "pip install 'shapelens[tf]'" in message
    assert not client.running


def test_broken_tensorflow_import_is_reported(tmp_path: Path):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('libtensorflow_framework.so.2: cannot open shared object')\n")
    client = WorkerClient(env={"PYTHONPATH": str(tmp_path)})
    with pytest.raises(WorkerUnavailable) as info:
        client.start(30)
    assert info.value.kind == protocol.IMPORT_FAILED
    assert "libtensorflow_framework.so.2" in str(info.value)


def test_stop_while_loading_cancels_the_start():
    require_tensorflow()
    client = WorkerClient()
    threading.Timer(0.5, client.stop).start()
    with pytest.raises(WorkerStopped):
        client.start(60)
    assert not client.running


@pytest.mark.tf
def test_hung_build_and_killed_worker_both_recover():
    """One client through a hang (timeout), a kill in the middle of a request, and a normal build."""
    require_tensorflow()
    client = WorkerClient(env=HOOKS)
    try:
        client.start(120)
        first_pid = client.pid
        started = time.monotonic()
        with pytest.raises(WorkerTimeout) as info:
            client.build(PAYLOAD, timeout=1.0, test={"sleep": 60})
        assert time.monotonic() - started < 10
        assert "did not build the model within 1 s" in str(info.value)
        assert not client.running

        client.start(120)  # a fresh worker
        assert client.pid != first_pid
        pid = client.pid
        threading.Timer(0.5, os.kill, args=(pid, signal.SIGKILL)).start()
        with pytest.raises(WorkerCrashed) as crashed:
            client.build(PAYLOAD, timeout=30, test={"sleep": 30})
        assert "stopped unexpectedly (signal 9)" in str(crashed.value)

        client.start(120)
        report = client.build(PAYLOAD, timeout=30)
        assert report["calls"][0]["outputs"] == [[None, 3]]
        assert client.starts == 3

        # the server goes away (its end of the pipe closes): the worker exits by itself
        proc = client._proc
        assert proc is not None and proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0
    finally:
        client.close()


@pytest.mark.tf
def test_warm_worker_answers_and_is_memory_bounded(worker):
    report = worker.build(PAYLOAD, timeout=30)
    assert report["calls"][0]["status"] == "ok" and report["layers"][0]["params"] == 18
    assert worker.request("ping", None, 10) == {"pong": True}
    if sys.platform.startswith("linux"):
        limits = Path(f"/proc/{worker.pid}/limits").read_text()
        line = next(x for x in limits.splitlines() if x.startswith("Max address space"))
        assert str(protocol.DEFAULT_MEMORY_MB * 1024 * 1024) in line
    # test hooks are ignored unless the worker's environment enables them
    started = time.monotonic()
    worker.build(PAYLOAD, timeout=30, test={"sleep": 20})
    assert time.monotonic() - started < 5


_GUARDED = """
import os, socket, subprocess, sys, tempfile
sys.path.insert(0, sys.argv[1])
from shapelens.worker import guard
guard.install()
results = []
for attempt in (lambda: open(os.path.join(sys.argv[2], "x.txt"), "w"),
                lambda: socket.create_connection(("127.0.0.1", 9), timeout=1),
                lambda: subprocess.run(["true"]),
                lambda: os.remove(sys.argv[1]),
                lambda: tempfile.mkstemp(dir=sys.argv[2])):
    try:
        attempt()
        results.append("allowed")
    except PermissionError:
        results.append("blocked")
open(os.devnull).close()  # reading is fine
print(",".join(results))
"""


def test_guard_blocks_writes_sockets_and_processes(tmp_path: Path):
    """The audit hook the worker installs after importing TensorFlow (in a throwaway process:
    audit hooks cannot be removed)."""
    server = Path(protocol.__file__).parents[2]
    proc = subprocess.run([sys.executable, "-c", _GUARDED, str(server), str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "blocked,blocked,blocked,blocked,blocked"
    assert list(tmp_path.iterdir()) == []

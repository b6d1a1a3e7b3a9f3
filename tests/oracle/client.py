"""Test-side client for the TensorFlow oracles (layer server and program runner)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def tensorflow_available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def require_tensorflow() -> None:
    """Skip without TensorFlow, except in CI where its absence is a failure."""
    if tensorflow_available():
        return
    if os.environ.get("CI"):
        pytest.fail("TensorFlow is not installed, but CI must run the differential tests")
    pytest.skip("TensorFlow is not installed (pip install -e '.[test]')")


def encode(value):
    """Python config values -> JSON (tuples survive as lists; Keras accepts both)."""
    if isinstance(value, tuple):
        return [encode(v) for v in value]
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


class LayerOracle:
    def __init__(self) -> None:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "layer_server.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        hello = json.loads(self.proc.stdout.readline())
        self.versions = hello

    def layer(self, kind: str, config: dict, inputs: list, call: dict | None = None,
              as_list: bool = False, positional: bool = False) -> dict:
        req = {"kind": kind, "config": encode(config), "inputs": encode(inputs),
               "call": encode(call or {}), "as_list": as_list, "positional": positional}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the TensorFlow layer oracle died")
        return json.loads(line)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.proc.kill()

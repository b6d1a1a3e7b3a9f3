"""Starting the server loads no more than answering ``initialize`` needs (issue 15).

The server process is started for real (``python -X importtime -m shapelens serve`` over stdio) and
its import log read back: after ``initialize``/``initialized``/``shutdown``/``exit`` none of the
analysis core, the conversions, the renderings, the notebook support, the quick fixes or the
TensorFlow dry run's verdicts has been imported; after a document was opened and its diagnostics
published, the core has (so the check can see an import when there is one).
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What the first analysis (or a later request) loads, never the start.
NOT_AT_START = (
    "shapelens.core.analyze",
    "shapelens.core.evaluate",
    "shapelens.core.rules",
    "shapelens.core.data",
    "shapelens.core.results",
    "shapelens.core.keras_target",
    "shapelens.core.lookup",
    "shapelens.core.fixes",
    "shapelens.core.notebook",
    "shapelens.core.selection",
    "shapelens.core.codes",
    "shapelens.lsp.convert",
    "shapelens.lsp.render",
    "shapelens.report",
    "shapelens.dryrun.verdict",
    "tomllib",
)
PROGRAM = "import keras\nfrom keras import layers\n\nx = keras.Input(shape=(8,))\ny = layers.Dense(4)(x)\n"


class ImportLoggingServer:
    """The real server over stdio, its stderr (the -X importtime log) in a file."""

    def __init__(self, cwd: str) -> None:
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "shapelens", "serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, cwd=cwd,
                                     env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        self.buffer = b""

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def wait_for(self, match, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\r\n\r\n" in self.buffer:
                header, rest = self.buffer.split(b"\r\n\r\n", 1)
                length = next(int(line.split(b":")[1]) for line in header.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                if len(rest) < length:
                    break
                message, self.buffer = json.loads(rest[:length]), rest[length:]
                if match(message):
                    return message
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, "the server closed its output"
                self.buffer += chunk
        raise AssertionError(f"no matching message within {timeout} s")

    def initialize(self, root: Path) -> dict:
        self.send({"id": 1, "method": "initialize", "params": {
            "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}}})
        answer = self.wait_for(lambda m: m.get("id") == 1 and "method" not in m)
        self.send({"method": "initialized", "params": {}})
        return answer

    def stop(self) -> set[str]:
        """shutdown and exit; the modules the process imported over its life."""
        self.send({"id": 2, "method": "shutdown"})
        self.wait_for(lambda m: m.get("id") == 2 and "method" not in m)
        self.send({"method": "exit"})
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.log.seek(0)
        text = self.log.read().decode("utf-8", "replace")
        # -X importtime is not thread-safe: a module imported on the idle thread while the main
        # thread imports another can be logged with a negative self time (-586749 | 7140 | name).
        return set(re.findall(r"^import time:\s+-?\d+ \|\s+-?\d+ \|\s*(\S+)\s*$", text, re.M))


def test_initialize_imports_none_of_the_core(tmp_path):
    server = ImportLoggingServer(str(tmp_path))
    try:
        answer = server.initialize(tmp_path)
        assert answer["result"]["capabilities"]["hoverProvider"]
        modules = server.stop()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    assert "shapelens.lsp.server" in modules  # the log is read: the server's own modules are in it
    loaded = sorted(m for m in modules if m in NOT_AT_START or m.startswith(tuple(n + "." for n in NOT_AT_START)))
    assert loaded == []


def test_the_first_document_loads_the_core_and_is_analysed(tmp_path):
    server = ImportLoggingServer(str(tmp_path))
    uri = (tmp_path / "model.py").as_uri()
    try:
        server.initialize(tmp_path)
        server.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": PROGRAM + "z = layers.Conv2D(4, 3)(y)\n"}}})
        published = server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                    and m["params"]["uri"] == uri)
        server.send({"id": 3, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 4, "character": 13}}})
        hover = server.wait_for(lambda m: m.get("id") == 3 and "method" not in m)
        modules = server.stop()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    from shapelens.core.codes import WRONG_INPUT_RANK  # (this test process may import the core)

    assert [d["code"] for d in published["params"]["diagnostics"]] == [WRONG_INPUT_RANK]  # Conv2D on a rank-2 tensor
    assert "(None, 4)" in hover["result"]["contents"]["value"]
    assert {"shapelens.core.analyze", "shapelens.lsp.convert", "shapelens.lsp.render"} <= modules

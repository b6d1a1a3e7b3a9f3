"""Requests whose params do not fit get a JSON-RPC error (-32602) instead of no answer at all.

A raw JSON-RPC client over the real server's stdio: pytest-lsp's typed client cannot send
params that do not fit their type, which is exactly what these tests need.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

URI = "file:///tmp/shapelens_invalid_params.py"


class RawClient:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "shapelens", "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buffer = b""

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def response(self, msg_id: int, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\r\n\r\n" in self.buffer:
                header, rest = self.buffer.split(b"\r\n\r\n", 1)
                length = next(int(line.split(b":")[1]) for line in header.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                if len(rest) < length:
                    break
                message, self.buffer = json.loads(rest[:length]), rest[length:]
                if message.get("id") == msg_id and "method" not in message:
                    return message
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, "the server closed its output"
                self.buffer += chunk
        raise AssertionError(f"no response to request {msg_id} within {timeout} s")

    def close(self) -> None:
        self.send({"id": 999, "method": "shutdown"})
        self.send({"method": "exit"})
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def test_invalid_hover_params_are_answered_with_an_error_and_the_server_goes_on():
    client = RawClient()
    try:
        client.send({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None,
                                                                 "capabilities": {}}})
        assert "result" in client.response(1)
        client.send({"method": "initialized", "params": {}})
        client.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": URI, "languageId": "python", "version": 1,
            "text": "import keras\nx = keras.Input((3,))\n"}}})
        doc = {"uri": URI}
        client.send({"id": 2, "method": "textDocument/hover",
                     "params": {"textDocument": doc, "position": {"line": -1, "character": 0}}})
        client.send({"id": 3, "method": "textDocument/hover", "params": {"textDocument": doc}})
        client.send({"id": 4, "method": "textDocument/inlayHint", "params": {"textDocument": doc, "range": {
            "start": {"line": 0, "character": 0}, "end": {"line": 1, "character": -5}}}})
        client.send({"id": 5, "method": "textDocument/hover",
                     "params": {"textDocument": doc, "position": {"line": 1, "character": 5}}})
        negative, missing, hint = client.response(2), client.response(3), client.response(4)
        assert negative["error"]["code"] == -32602 and "position.line" in negative["error"]["message"]
        assert missing["error"]["code"] == -32602
        assert hint["error"]["code"] == -32602 and "range.character" in hint["error"]["message"]
        valid = client.response(5)
        assert "(None, 3)" in valid["result"]["contents"]["value"]
    finally:
        client.close()

"""Scheduling over stdio: a hover on one document is answered while another document's
pathological analysis is still running (documents do not wait behind each other)."""

from __future__ import annotations

import asyncio
import time

import pytest


from tests.lsp.conftest import Doc, pulls, wait_for_publish

pytestmark = pytest.mark.asyncio(loop_scope="module")


SMALL = ("import keras\nfrom keras import layers\n\n"
         "inputs = keras.Input(shape=(8,))\nhidden = layers.Dense(4)(inputs)\n")
# branching recursion: runs until the analysis budget (about 1 s of CPU) stops it
SLOW = ("import keras\nfrom keras import layers\n\n"
        "def f(n):\n    if n <= 0:\n        return 1\n    return f(n - 1) + f(n - 1) + f(n - 2)\n\n\n"
        "x = f(35)\ny = f(36)\nz = f(37)\n")


async def test_hover_on_one_document_is_answered_while_another_is_analysed(client):
    b = Doc(client, SMALL, "b")
    assert await asyncio.wait_for(b.hover(4, 17), 20.0) is not None  # B has been analysed once
    a = Doc(client, SLOW, "a")
    await asyncio.sleep(0.3)  # A's analysis has started (the default debounce is shorter)
    b.replace_all(SMALL.replace("Dense(4)", "Dense(5)"))  # B's new version must be analysed now
    start = time.monotonic()
    hover = await asyncio.wait_for(b.hover(4, 17), 5.0)
    elapsed = time.monotonic() - start
    assert hover is not None and "(None, 5)" in str(hover.contents)
    if not pulls(client):
        # answered while A was still being analysed: A's diagnostics were not published yet
        assert not any(p.uri == a.uri for p in client.published), f"A finished first ({elapsed:.3f} s)"
        await wait_for_publish(client, a.uri, a.version)
    a.close()
    b.close()

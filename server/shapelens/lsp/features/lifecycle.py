"""shutdown: stop the analysis worker; pygls handles exit."""

from __future__ import annotations


def shutdown(ls, *args) -> None:
    ls.shutdown_requested = True
    ls.worker.stop()

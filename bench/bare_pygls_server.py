"""The baseline for bench/bench_lsp.py: the smallest pygls language server.

It imports pygls and lsprotocol and answers initialize (plus shutdown and exit, which
pygls handles), nothing else: what any pygls-based server pays before its own code runs.

    python bench/bare_pygls_server.py      # speaks LSP over stdio
"""

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("bare-pygls", "0")


@server.feature(types.INITIALIZE)
def initialize(ls: LanguageServer, params: types.InitializeParams) -> None:
    return None


if __name__ == "__main__":
    server.start_io()

"""One module per LSP feature; each handler is a thin layer over the pure core."""

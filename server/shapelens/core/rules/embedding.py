"""embedding layer rules (being written)."""

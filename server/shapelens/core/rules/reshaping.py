"""reshaping layer rules (being written)."""

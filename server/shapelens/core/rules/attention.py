"""attention layer rules (being written)."""

"""preprocessing layer rules (being written)."""

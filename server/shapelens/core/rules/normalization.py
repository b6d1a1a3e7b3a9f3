"""normalization layer rules (being written)."""

"""pooling layer rules (being written)."""

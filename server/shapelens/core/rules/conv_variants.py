"""conv_variants layer rules (being written)."""

"""merging layer rules (being written)."""

"""recurrent layer rules (being written)."""

"""Pure analysis core: no pygls, no lsprotocol, no TensorFlow."""

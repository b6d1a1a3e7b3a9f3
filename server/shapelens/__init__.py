"""shapelens: static Keras shape inference for editors and CI."""

__version__ = "0.1.0"

"""The version of nerkit (also ``nerkit.__version__``)."""

__version__ = "0.1.0"

"""Errors that name the problem and the fix.

Every error nerkit raises on bad input is a :class:`NerkitError`; the CLI prints its
message on one line and exits with status 2, so messages are written to be read by a
person: what is wrong, where (file and line for data), and what to do about it.
"""


class NerkitError(Exception):
    """Base class: bad input or configuration that the user can fix."""


class DataError(NerkitError, ValueError):
    """A data file or data set is missing, empty or malformed."""


class ConfigError(NerkitError, ValueError):
    """An option is out of range or inconsistent with the model or data."""


class ModelError(NerkitError):
    """A model directory is missing, incomplete or does not fit the data."""

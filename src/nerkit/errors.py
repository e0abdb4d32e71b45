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


EXCERPT = 80  # characters of bad input an error message quotes at most


def excerpt(text, limit: int = EXCERPT) -> str:
    """A short quotation of bad input for an error line: its ``repr``, cut to about ``limit`` characters.

    >>> excerpt("Paris I-LOC")
    "'Paris I-LOC'"
    >>> excerpt("x" * 50_000_000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (50,000,000 characters)"
    """
    if not isinstance(text, str):  # a tag list, a number: its repr, cut the same way
        shown = repr(text)
        return shown if len(shown) <= limit else f"{shown[:limit]}... ({len(shown):,} characters)"
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


LINE = 2000  # characters: the most an error line shows, whatever a message quotes


def one_line(message: str, limit: int = LINE) -> str:
    """A message as one line of at most about ``limit`` characters (the CLI's last guard).

    >>> one_line("bad line:\\n" + "x" * 5000).endswith("x... (5,010 characters)")
    True
    """
    text = " ".join(message.split("\n"))
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def first_line(exc: BaseException, limit: int = 200) -> str:
    """An exception from a library as a short clause for an error line: its type and first line.

    >>> first_line(ValueError("size mismatch for crf.start\\nmore detail"))
    'ValueError: size mismatch for crf.start'
    """
    text = str(exc).strip().splitlines()
    line = f"{type(exc).__name__}: {text[0] if text else ''}"
    return line if len(line) <= limit else f"{line[:limit]}... ({len(line):,} characters)"

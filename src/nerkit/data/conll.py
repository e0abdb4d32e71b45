"""CoNLL files: one ``word ... TAG`` line per token, blank lines between sentences.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.conll"
>>> _ = path.write_text("-DOCSTART- O\\n\\nAnna I-PER\\nsings O\\n\\nRome I-LOC\\n")
>>> ds = read_conll(path)
>>> ds.sentences, ds.labels, ds.doc_ids
([['Anna', 'sings'], ['Rome']], [['I-PER', 'O'], ['I-LOC']], [0, 0])

Columns are split on tabs or runs of whitespace (detected), the tag is the last column by
default (so 4-column CoNLL-2003 works), ``-DOCSTART-`` lines start documents, and a BOM
and CRLF line ends are accepted. Errors name the file and the line.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError, DataError, excerpt
from .dataset import Dataset

__all__ = ["DOCSTART", "TAG_COLUMN", "read_conll", "read_text_sentences", "write_conll"]

DOCSTART = "-DOCSTART-"
TAG_COLUMN = -1  # the tag is the last column unless told otherwise (4-column CoNLL-2003 works)
# str.isspace() as a regex (the same characters), run in C: a per-character loop over a word
# of megabytes took seconds.
_SPACE = re.compile(r"\s")


def _read_lines(path, encoding: str) -> tuple[Path, list[str]]:
    p = Path(path)
    if not p.exists():
        raise DataError(
            f"{p}: no such file; check the path, or use nerkit.load('wikigold') for the packaged sample data"
        )
    if p.is_dir():
        raise DataError(f"{p} is a directory; pass the path of a data file inside it")
    try:
        text = p.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{p} line {line}: not valid {encoding} text ({exc.reason}); save the file as UTF-8 or pass encoding="
        ) from None
    # Editors on Windows add a BOM and CRLF line ends; neither is part of the data.
    text = text.removeprefix("\ufeff")
    # Split on \n only: str.splitlines() would also break on \x0b, \x1c, \u2028 etc.,
    # which can occur inside tokens and would shift every following line number.
    return p, [line.rstrip("\r") for line in text.split("\n")]


def _split_columns(line: str, sep: str | None) -> list[str]:
    if sep is None:
        return line.split()
    return [c.strip() for c in line.strip().split(sep)]


def read_conll(
    path,
    tag_column: int | None = TAG_COLUMN,
    sep: str | None = None,
    encoding: str = "utf-8",
    name: str | None = None,
) -> Dataset:
    """Read a CoNLL-style file: one ``word ... TAG`` line per token.

    Columns are split on tabs if the first data line holds a tab, else on runs of
    whitespace (or on ``sep`` when given). The word is the first column and the tag is
    column ``tag_column`` (the last by default, so 4-column CoNLL-2003 files work);
    ``tag_column=None`` reads untagged text (``labels=None``). Blank lines end
    sentences and ``-DOCSTART-`` lines start a new document.
    """
    if tag_column is not None and (isinstance(tag_column, bool) or not isinstance(tag_column, int)):
        raise ConfigError(
            f"tag_column must be a column index (a whole number; -1 for the last) or None, got {tag_column!r}"
        )
    if tag_column == 0:
        raise ConfigError(
            "tag_column=0 is the word column; pass the tag's column index "
            "(-1 for the last column) or tag_column=None for untagged text"
        )
    p, lines = _read_lines(path, encoding)
    sentences: list[list[str]] = []
    labels: list[list[str]] = []
    doc_ids: list[int] = []
    for doc, rows in _sentences(lines, sep):
        sentences.append([cols[0] for _, cols in rows])
        if tag_column is not None:
            labels.append([_tag(cols, tag_column, p, lineno, lines[lineno - 1]) for lineno, cols in rows])
        doc_ids.append(doc)
    if not sentences:
        raise DataError(
            f"{p}: no sentences found (the file is empty or holds only blank and "
            "-DOCSTART- lines); write one 'word TAG' per line with blank lines "
            "between sentences"
        )
    return Dataset(
        sentences=sentences,
        labels=None if tag_column is None else labels,
        doc_ids=doc_ids,
        name=p.stem if name is None else name,
    )


def _sentences(lines: list[str], sep: str | None):
    """``(document number, [(line number, columns), ...])`` for each sentence of the file."""
    if sep is None:
        first = next((ln for ln in lines if ln.strip() and not ln.strip().startswith(DOCSTART)), "")
        # Tab-separated files may hold words with spaces; only split on tabs then.
        sep = "\t" if "\t" in first else None
    doc, doc_has_sentences, rows = 0, False, []
    for lineno, line in enumerate([*lines, ""], start=1):
        cols = _split_columns(line, sep) if line.strip() else None
        if cols and cols[0] != DOCSTART:
            rows.append((lineno, cols))
            continue
        if rows:
            yield doc, rows
            doc_has_sentences, rows = True, []
        # A leading -DOCSTART- (CoNLL-2003) or a trailing one (wikigold) must not
        # create an empty document, so only count documents that hold sentences.
        if cols and doc_has_sentences:
            doc, doc_has_sentences = doc + 1, False


def _tag(cols: list[str], tag_column: int, p: Path, lineno: int, line: str) -> str:
    if len(cols) < 2:
        raise DataError(
            f"{p} line {lineno}: expected a word and a tag separated by spaces or "
            f"tabs, found {excerpt(line.strip())}; pass tag_column=None for untagged text "
            "or fix the line"
        )
    if not -len(cols) <= tag_column < len(cols):
        raise DataError(
            f"{p} line {lineno}: tag_column={tag_column} but the line has "
            f"{len(cols)} columns ({excerpt(line.strip())}); pass a tag_column that "
            "exists on every line or fix the line"
        )
    return cols[tag_column]


def read_text_sentences(path, encoding: str = "utf-8", name: str | None = None) -> Dataset:
    """Read untagged text, one pre-split sentence per line (blank lines skipped)."""
    p, lines = _read_lines(path, encoding)
    sentences = [line.split() for line in lines if line.strip()]
    if not sentences:
        raise DataError(
            f"{p}: no sentences found (the file is empty or blank); "
            "write one sentence per line with words separated by spaces"
        )
    return Dataset(sentences, None, [0] * len(sentences), p.stem if name is None else name)


def _check_token(token, where: str, spaces: bool = True) -> None:
    # Tabs and line breaks would change the file's structure; leading or trailing
    # whitespace would be stripped on reading; inner spaces only fit tab-separated files.
    bad = (
        not isinstance(token, str)
        or not token
        or token != token.strip()
        or any(ch in token for ch in "\t\n\r")
        or (not spaces and _SPACE.search(token) is not None)
        or token == DOCSTART
    )
    if bad:
        raise DataError(
            f"{where}: {excerpt(token)} cannot be stored in a CoNLL file (it is empty, is "
            "-DOCSTART-, or holds tabs, line breaks or surrounding whitespace); "
            "clean the token first"
        )


def write_conll(path, sentences, tags=None, doc_ids=None) -> None:
    """Write ``word TAG`` lines with a blank line after each sentence.

    ``path`` is a file path or an open text file (e.g. ``sys.stdout``).

    With ``doc_ids``, a ``-DOCSTART- O`` line (and a blank line) opens each document,
    so :func:`read_conll` gives the same grouping back. ``tags=None`` writes words only.
    Columns are separated by a space, or by a tab when some word holds a space.
    """
    sentences = list(sentences)
    if tags is not None and len(tags) != len(sentences):
        raise DataError(
            f"write_conll: {len(sentences)} sentences but {len(tags)} tag lists; give one tag list per sentence"
        )
    if doc_ids is not None and len(doc_ids) != len(sentences):
        raise DataError(
            f"write_conll: {len(sentences)} sentences but {len(doc_ids)} doc ids; give one document id per sentence"
        )
    for i, words in enumerate(sentences):
        if tags is not None and len(tags[i]) != len(words):
            raise DataError(
                f"write_conll sentence {i}: {len(words)} words but {len(tags[i])} tags; give exactly one tag per word"
            )
        for j, word in enumerate(words):
            _check_token(word, f"write_conll sentence {i} word {j}")
            if tags is not None:
                _check_token(tags[i][j], f"write_conll sentence {i} tag {j}", spaces=False)
    # Words with inner spaces (read from a tab-separated file) only survive a round
    # trip if the columns are split on tabs, and read_conll picks tabs from the first line.
    spaced = any(_SPACE.search(w) is not None for words in sentences for w in words)
    if spaced and tags is None:
        raise DataError(
            "write_conll: some words hold spaces, which an untagged CoNLL file cannot "
            "store (one word per line); pass tags or replace the spaces first"
        )
    sep = "\t" if spaced else " "
    out: list[str] = []
    previous = object()
    for i, words in enumerate(sentences):
        if doc_ids is not None and doc_ids[i] != previous:
            out.append(f"{DOCSTART}{sep}O\n\n")
            previous = doc_ids[i]
        for j, word in enumerate(words):
            out.append(word if tags is None else f"{word}{sep}{tags[i][j]}")
            out.append("\n")
        out.append("\n")
    if hasattr(path, "write"):
        path.write("".join(out))
        path.flush()
    else:
        Path(path).write_text("".join(out), encoding="utf-8", newline="\n")

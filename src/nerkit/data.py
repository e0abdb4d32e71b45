"""Read, write, split and sample token-labelled data for NER.

A :class:`Dataset` is three parallel lists: the words of each sentence, their tags
(``None`` for untagged text) and the document each sentence came from. Files are
CoNLL-style: one token per line, word first and tag in the last column, blank lines
between sentences and ``-DOCSTART-`` lines between documents.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.conll"
>>> _ = path.write_text("-DOCSTART- O\\n\\nAnna I-PER\\nsings O\\n\\nRome I-LOC\\n")
>>> ds = read_conll(path)
>>> ds.sentences, ds.labels, ds.doc_ids
([['Anna', 'sings'], ['Rome']], [['I-PER', 'O'], ['I-LOC']], [0, 0])
>>> unique_labels(ds)
['O', 'I-LOC', 'I-PER']
>>> train, test = split(ds, test_fraction=0.5, seed=100)
>>> len(train), len(test)
(1, 1)
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ConfigError, DataError

__all__ = [
    "Dataset",
    "read_conll",
    "read_text_sentences",
    "write_conll",
    "load",
    "split",
    "kfold",
    "validation_split",
    "subsample",
    "unique_labels",
    "to_dataframe",
    "from_dataframe",
]

DOCSTART = "-DOCSTART-"


@dataclass
class Dataset:
    """Sentences of words, their tags (``None`` when untagged) and document ids."""

    sentences: list[list[str]]
    labels: list[list[str]] | None
    # None means "one document"; normalised to all zeros so callers can rely on a list.
    doc_ids: list[int] = None  # type: ignore[assignment]
    name: str = ""

    def __post_init__(self) -> None:
        if self.doc_ids is None:
            self.doc_ids = [0] * len(self.sentences)
        if len(self.doc_ids) != len(self.sentences):
            raise DataError(
                f"dataset {self.name!r}: {len(self.sentences)} sentences but "
                f"{len(self.doc_ids)} doc_ids; give one document id per sentence"
            )
        if self.labels is not None:
            if len(self.labels) != len(self.sentences):
                raise DataError(
                    f"dataset {self.name!r}: {len(self.sentences)} sentences but "
                    f"{len(self.labels)} label lists; give one tag list per sentence"
                )
            for i, (words, tags) in enumerate(zip(self.sentences, self.labels)):
                if len(words) != len(tags):
                    raise DataError(
                        f"dataset {self.name!r} sentence {i}: {len(words)} words but "
                        f"{len(tags)} tags; give exactly one tag per word"
                    )

    def __len__(self) -> int:
        return len(self.sentences)

    def select(self, indices: Sequence[int]) -> "Dataset":
        """A new Dataset holding the sentences at ``indices``, in that order."""
        idx = [int(i) for i in indices]
        return Dataset(
            sentences=[self.sentences[i] for i in idx],
            labels=None if self.labels is None else [self.labels[i] for i in idx],
            doc_ids=[self.doc_ids[i] for i in idx],
            name=self.name,
        )

    @property
    def n_documents(self) -> int:
        return len(set(self.doc_ids))


# ---------------------------------------------------------------------------
# Reading and writing files


def _read_lines(path, encoding: str) -> tuple[Path, list[str]]:
    p = Path(path)
    if not p.exists():
        raise DataError(
            f"{p}: no such file; check the path, or use nerkit.load('wikigold') "
            "for the packaged sample data"
        )
    if p.is_dir():
        raise DataError(f"{p} is a directory; pass the path of a data file inside it")
    try:
        text = p.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        line = p.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{p} line {line}: not valid {encoding} text ({exc.reason}); "
            "save the file as UTF-8 or pass encoding="
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
    tag_column: int | None = -1,
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
    if tag_column == 0:
        raise ConfigError(
            "tag_column=0 is the word column; pass the tag's column index "
            "(-1 for the last column) or tag_column=None for untagged text"
        )
    p, lines = _read_lines(path, encoding)

    if sep is None:
        first = next(
            (ln for ln in lines if ln.strip() and not ln.strip().startswith(DOCSTART)), ""
        )
        # Tab-separated files may hold words with spaces; only split on tabs then.
        sep = "\t" if "\t" in first else None

    sentences: list[list[str]] = []
    labels: list[list[str]] = []
    doc_ids: list[int] = []
    words: list[str] = []
    tags: list[str] = []
    doc = 0
    doc_has_sentences = False

    def end_sentence() -> None:
        nonlocal words, tags, doc_has_sentences
        if words:
            sentences.append(words)
            labels.append(tags)
            doc_ids.append(doc)
            doc_has_sentences = True
        words, tags = [], []

    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            end_sentence()
            continue
        cols = _split_columns(line, sep)
        if cols[0] == DOCSTART:
            end_sentence()
            # A leading -DOCSTART- (CoNLL-2003) or a trailing one (wikigold) must not
            # create an empty document, so only count documents that hold sentences.
            if doc_has_sentences:
                doc += 1
                doc_has_sentences = False
            continue
        words.append(cols[0])
        if tag_column is None:
            continue
        if len(cols) < 2:
            raise DataError(
                f"{p} line {lineno}: expected a word and a tag separated by spaces or "
                f"tabs, found {line.strip()!r}; pass tag_column=None for untagged text "
                "or fix the line"
            )
        if not -len(cols) <= tag_column < len(cols):
            raise DataError(
                f"{p} line {lineno}: tag_column={tag_column} but the line has "
                f"{len(cols)} columns ({line.strip()!r}); pass a tag_column that "
                "exists on every line or fix the line"
            )
        tags.append(cols[tag_column])
    end_sentence()

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
        or (not spaces and any(ch.isspace() for ch in token))
        or token == DOCSTART
    )
    if bad:
        raise DataError(
            f"{where}: {token!r} cannot be stored in a CoNLL file (it is empty, is "
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
            f"write_conll: {len(sentences)} sentences but {len(tags)} tag lists; "
            "give one tag list per sentence"
        )
    if doc_ids is not None and len(doc_ids) != len(sentences):
        raise DataError(
            f"write_conll: {len(sentences)} sentences but {len(doc_ids)} doc ids; "
            "give one document id per sentence"
        )
    for i, words in enumerate(sentences):
        if tags is not None and len(tags[i]) != len(words):
            raise DataError(
                f"write_conll sentence {i}: {len(words)} words but {len(tags[i])} "
                "tags; give exactly one tag per word"
            )
        for j, word in enumerate(words):
            _check_token(word, f"write_conll sentence {i} word {j}")
            if tags is not None:
                _check_token(tags[i][j], f"write_conll sentence {i} tag {j}", spaces=False)
    # Words with inner spaces (read from a tab-separated file) only survive a round
    # trip if the columns are split on tabs, and read_conll picks tabs from the first line.
    spaced = any(any(ch.isspace() for ch in w) for words in sentences for w in words)
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


# ---------------------------------------------------------------------------
# Loading by name, URL or path


def _cache_dir(cache_dir) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("NERKIT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "nerkit"


def _cached_file_name(url: str) -> str:
    basename = urllib.parse.unquote(urllib.parse.urlparse(url).path.rsplit("/", 1)[-1])
    basename = re.sub(r"[^A-Za-z0-9._-]", "_", basename) or "data.conll"
    # The hash keeps two URLs with the same basename from sharing a cache entry.
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16] + "-" + basename


def _download(url: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=60) as resp:
            while chunk := resp.read(1 << 16):
                f.write(chunk)
        # Readers never see a half-written file, even if two processes download at once.
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        reason = getattr(exc, "reason", None) or exc
        raise DataError(
            f"downloading {url} failed ({reason}); download the file yourself and "
            "pass its path, e.g. nerkit.load('path/to/file.conll')"
        ) from None


def load(source: str = "wikigold", tag_column: int | None = -1, cache_dir=None) -> Dataset:
    """Load ``"wikigold"`` (packaged), an ``http(s)://`` URL (downloaded once) or a path."""
    src = os.fspath(source)
    if src == "wikigold":
        from .datasets import wikigold

        return wikigold()
    if src.startswith(("http://", "https://")):
        target = _cache_dir(cache_dir) / _cached_file_name(src)
        if not target.exists():
            _download(src, target)
        stem = Path(target.name.split("-", 1)[1]).stem
        return read_conll(target, tag_column=tag_column, name=stem)
    return read_conll(src, tag_column=tag_column)


# ---------------------------------------------------------------------------
# Splitting and sampling


def _check_fraction(value, option: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ConfigError(f"{option} must be between 0 and 1 (exclusive), got {value}")
    # float() matters: sklearn reads an int test_size as a count, not a fraction.
    return float(value)


def _check_by(by: str) -> None:
    if by not in ("sentence", "document"):
        raise ConfigError(f"by= (--split-by) must be 'sentence' or 'document', got {by!r}")


def _split(dataset: Dataset, fraction: float, seed: int, by: str, what: str):
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    _check_by(by)
    if by == "sentence":
        try:
            # Same call on range(n) as on a DataFrame of n sentences: train_test_split
            # only draws a permutation from n and random_state, so the indices match.
            train_idx, test_idx = train_test_split(
                list(range(len(dataset))), test_size=fraction, random_state=seed
            )
        except ValueError:
            raise DataError(
                f"cannot split {len(dataset)} sentence(s) into two non-empty parts "
                f"with a {what} fraction of {fraction}; use more data or another fraction"
            ) from None
        return dataset.select(train_idx), dataset.select(test_idx)
    if dataset.n_documents < 2:
        raise DataError(
            f"cannot split by document: the dataset has {dataset.n_documents} document; "
            "use by='sentence' or a file with -DOCSTART- lines between documents"
        )
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    try:
        train_idx, test_idx = next(splitter.split(np.zeros(len(dataset)), groups=dataset.doc_ids))
    except ValueError:
        raise DataError(
            f"cannot split {dataset.n_documents} documents into two non-empty parts "
            f"with a {what} fraction of {fraction}; use another fraction or by='sentence'"
        ) from None
    return dataset.select(train_idx), dataset.select(test_idx)


def split(
    dataset: Dataset, test_fraction: float = 0.5, seed: int = 100, by: str = "sentence"
) -> tuple[Dataset, Dataset]:
    """Split into (train, test).

    ``by="sentence"`` reproduces ``train_test_split(df, test_size=test_fraction,
    random_state=seed)`` on a DataFrame of sentences, row for row and in the same
    order. ``by="document"`` keeps documents whole; ``test_fraction`` is then the
    fraction of documents.
    """
    fraction = _check_fraction(test_fraction, "--test-fraction")
    return _split(dataset, fraction, seed, by, "test")


def validation_split(
    dataset: Dataset, fraction: float = 0.1, seed: int = 100, by: str = "document"
) -> tuple[Dataset, Dataset]:
    """Carve (train, validation) from training data; by sentence if only one document."""
    frac = _check_fraction(fraction, "--validation")
    _check_by(by)
    if by == "document" and dataset.n_documents < 2:
        by = "sentence"
    return _split(dataset, frac, seed, by, "validation")


def kfold(
    dataset: Dataset, folds: int = 5, seed: int = 100, by: str = "document"
) -> list[tuple[Dataset, Dataset]]:
    """(train, test) for each of ``folds`` folds; every sentence is tested exactly once."""
    from sklearn.model_selection import KFold

    _check_by(by)
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ConfigError(f"--folds must be a whole number of at least 2, got {folds}")
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    if by == "sentence":
        if len(dataset) < folds:
            raise DataError(
                f"cannot make {folds} folds from {len(dataset)} sentences; use fewer folds"
            )
        return [
            (dataset.select(tr), dataset.select(te))
            for tr, te in splitter.split(np.zeros(len(dataset)))
        ]
    docs = sorted(set(dataset.doc_ids))
    if len(docs) < folds:
        raise DataError(
            f"cannot make {folds} folds from {len(docs)} document(s); use fewer folds "
            "or by='sentence'"
        )
    # KFold over the shuffled document ids rather than GroupKFold: GroupKFold balances
    # by size and ignores the seed in older scikit-learn, so folds would not vary with it.
    doc_ids = np.asarray(dataset.doc_ids)
    result = []
    for _, test_docs in splitter.split(np.zeros(len(docs))):
        in_test = np.isin(doc_ids, [docs[i] for i in test_docs])
        result.append(
            (dataset.select(np.flatnonzero(~in_test)), dataset.select(np.flatnonzero(in_test)))
        )
    return result


def subsample(dataset: Dataset, fraction: float, seed: int = 100) -> Dataset:
    """A random ``fraction`` of the sentences (at least one), in their original order."""
    number = isinstance(fraction, (int, float)) and not isinstance(fraction, bool)
    if not number or not 0 < fraction <= 1:
        raise ConfigError(f"subsample fraction must be above 0 and at most 1, got {fraction}")
    n = len(dataset)
    k = min(n, max(1, round(fraction * n)))
    chosen = np.random.RandomState(seed).choice(n, size=k, replace=False)
    return dataset.select(np.sort(chosen))


def unique_labels(dataset: Dataset) -> list[str]:
    """Sorted tag set with ``'O'`` first, the order label ids are assigned in."""
    if dataset.labels is None:
        raise DataError(
            f"dataset {dataset.name!r} has no tags (it was read as untagged text); "
            "read a tagged file with a tag column"
        )
    found = {tag for tags in dataset.labels for tag in tags}
    rest = sorted(found - {"O"})
    return ["O", *rest] if "O" in found else rest


# ---------------------------------------------------------------------------
# pandas interop


def to_dataframe(dataset: Dataset):
    """A DataFrame with columns ``sentence``, ``labels`` (if tagged) and ``doc_id``."""
    import pandas as pd

    columns = {"sentence": list(dataset.sentences)}
    if dataset.labels is not None:
        columns["labels"] = list(dataset.labels)
    columns["doc_id"] = list(dataset.doc_ids)
    return pd.DataFrame(columns)


def _as_tokens(value, column: str, row: int) -> list[str]:
    # Accept a whitespace-joined string too: that is how many DataFrames hold sentences.
    if isinstance(value, str):
        return value.split()
    try:
        return [str(v) for v in value]
    except TypeError:
        raise DataError(
            f"DataFrame row {row}: the {column!r} value {value!r} is not a list of "
            "strings; give a list (or a space-separated string) per row"
        ) from None


def from_dataframe(df, name: str = "") -> Dataset:
    """Build a Dataset from ``sentence`` (+ optional ``labels``, ``doc_id``) columns."""
    if "sentence" not in df.columns:
        raise DataError("the DataFrame must have a 'sentence' column of word lists")
    sentences = [_as_tokens(v, "sentence", i) for i, v in enumerate(df["sentence"])]
    labels = None
    if "labels" in df.columns:
        labels = [_as_tokens(v, "labels", i) for i, v in enumerate(df["labels"])]
        for i, (words, tags) in enumerate(zip(sentences, labels)):
            if len(words) != len(tags):
                raise DataError(
                    f"DataFrame row {i}: {len(words)} words but {len(tags)} labels; "
                    "give exactly one label per word"
                )
    doc_ids = [int(d) for d in df["doc_id"]] if "doc_id" in df.columns else None
    return Dataset(sentences, labels, doc_ids, name)

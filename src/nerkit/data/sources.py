"""Where data comes from: the bundled wikigold corpus, a URL (downloaded once), or a path.

>>> ds = load("wikigold")
>>> len(ds), ds.n_documents
(1696, 145)
>>> ds.sentences[0][:4]
['010', 'is', 'the', 'tenth']

wikigold: 145 Wikipedia articles hand-annotated with IO tags (``O``, ``I-LOC``,
``I-MISC``, ``I-ORG``, ``I-PER``), licensed CC BY 4.0. Cite it with
:data:`WIKIGOLD_ATTRIBUTION` when you publish results on it. It holds 1,696 sentences
(39,007 words); the corpus's usual figure of 1,841 counts its 145 ``-DOCSTART-`` lines as
sentences, which nerkit never does.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import fields
from importlib import resources
from pathlib import Path

from ..errors import ConfigError, DataError
from .conll import TAG_COLUMN, read_conll
from .dataset import Dataset
from .formats import ReadOptions, read_data
from .hf import from_hf, is_hf

__all__ = ["load", "wikigold", "wikigold_license", "WIKIGOLD_ATTRIBUTION"]

WIKIGOLD_ATTRIBUTION = (
    "Dominic Balasuriya, Nicky Ringland, Joel Nothman, Tara Murphy, James R. Curran "
    "(2009). Named entity recognition in Wikipedia. Proceedings of the 2009 Workshop "
    "on The People's Web Meets NLP: Collaboratively Constructed Semantic Resources, "
    "ACL. W09-3302.\n"
    "Joel Nothman et al. (2013). Learning multilingual named entity recognition from "
    "Wikipedia. Artificial Intelligence 194: 151-175."
)


def _wikigold_resource(name: str):
    # importlib.resources, not __file__, so this also works from a zipped install.
    return resources.files("nerkit").joinpath("resources", "wikigold", name)


def wikigold() -> Dataset:
    """The packaged wikigold corpus: 1,696 sentences (39,007 tokens) in 145 documents.

    Its README's "1,841 sentences" counts the blank-line-separated blocks, which
    include the 145 ``-DOCSTART-`` lines; those are document markers, not sentences.
    """
    with resources.as_file(_wikigold_resource("wikigold.conll.txt")) as path:
        return read_conll(path, name="wikigold")


def wikigold_license() -> str:
    """The licence text shipped with wikigold (CC BY 4.0)."""
    return _wikigold_resource("LICENSE").read_text(encoding="utf-8")


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


def load(source="wikigold", tag_column: int | None = TAG_COLUMN, cache_dir=None, **options) -> Dataset:
    """Load ``"wikigold"`` (packaged), an ``http(s)://`` URL (downloaded once), a path or a ``datasets.Dataset``.

    A path is CoNLL, a span file of an annotation tool or a saved Hugging Face dataset
    (:mod:`nerkit.data.formats`); ``options`` are :class:`~nerkit.data.formats.ReadOptions` fields.
    """
    known = [f.name for f in fields(ReadOptions)]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigError(f"unknown reading option(s) {', '.join(unknown)}; known: {', '.join(known)}")
    reading = ReadOptions(**options)
    if is_hf(source):
        return from_hf(source, reading.hf_tokens, reading.hf_tags)
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"cannot load a {type(source).__name__}: pass 'wikigold', a file path, a URL or a datasets.Dataset"
        )
    src = os.fspath(source)
    if src == "wikigold":
        return wikigold()
    if src.startswith(("http://", "https://")):
        target = _cache_dir(cache_dir) / _cached_file_name(src)
        if not target.exists():
            _download(src, target)
        stem = Path(target.name.split("-", 1)[1]).stem
        return read_data(target, tag_column, reading, name=stem)
    return read_data(src, tag_column, reading)

"""Fuzzing the CoNLL reader: any bytes give a Dataset or one DataError line, never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nerkit.data.conll import read_conll, read_text_sentences
from nerkit.errors import NerkitError

# Lines that look like CoNLL (words, tags, DOCSTART, blanks, tabs) mixed with arbitrary text.
_LINE = st.one_of(
    st.just(""),
    st.just("-DOCSTART- O"),
    st.builds(lambda w, t: f"{w} {t}", st.text(min_size=1, max_size=8), st.sampled_from(["O", "I-PER", "B-LOC", "X"])),
    st.builds(lambda w, t: f"{w}\t{t}", st.text(min_size=1, max_size=8), st.text(max_size=6)),
    st.text(max_size=30),
)
_FILES = st.one_of(
    st.lists(_LINE, max_size=30).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
)


def _check(dataset) -> None:
    assert len(dataset) >= 1
    for words in dataset.sentences:
        assert words and all(isinstance(w, str) and w for w in words)
    if dataset.labels is not None:
        assert [len(t) for t in dataset.labels] == [len(w) for w in dataset.sentences]


@settings(max_examples=150, deadline=None)
@given(content=_FILES, tag_column=st.sampled_from([-1, 1, 2, -2, None]))
def test_fuzz_any_file_reads_or_gives_one_error_line(content, tag_column):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.conll"
        path.write_bytes(content)
        for read in (lambda: read_conll(path, tag_column=tag_column), lambda: read_text_sentences(path)):
            try:
                _check(read())
            except NerkitError as exc:
                message = str(exc)
                assert "\n" not in message and len(message) < 600, message

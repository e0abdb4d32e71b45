"""Tests for nerkit.data.conll: reading and writing CoNLL files."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerkit.data.conll import read_conll, read_text_sentences, write_conll
from nerkit.errors import ConfigError, DataError

from .helpers import make_dataset, write

# ---------------------------------------------------------------------------
# read_conll


def test_space_separated(tmp_path):
    ds = read_conll(write(tmp_path, "Anna I-PER\nsings O\n\nRome I-LOC\n"))
    assert ds.sentences == [["Anna", "sings"], ["Rome"]]
    assert ds.labels == [["I-PER", "O"], ["I-LOC"]]
    assert ds.doc_ids == [0, 0]
    assert ds.name == "data"
    assert len(ds) == 2 and ds.n_documents == 1


def test_tab_separated_keeps_spaces_in_words(tmp_path):
    ds = read_conll(write(tmp_path, "New York\tI-LOC\nis\tO\n"))
    assert ds.sentences == [["New York", "is"]]
    assert ds.labels == [["I-LOC", "O"]]


def test_runs_of_whitespace_are_one_separator(tmp_path):
    ds = read_conll(write(tmp_path, "Anna    I-PER  \n  sings O\n"))
    assert ds.sentences == [["Anna", "sings"]]
    assert ds.labels == [["I-PER", "O"]]


def test_conll2003_four_columns_default_takes_last(tmp_path):
    text = (
        "-DOCSTART- -X- -X- O\n\n"
        "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"
        "-DOCSTART- -X- -X- O\n\n"
        "Peter NNP B-NP B-PER\n"
    )
    ds = read_conll(write(tmp_path, text))
    assert ds.sentences == [["EU", "rejects"], ["Peter"]]
    assert ds.labels == [["B-ORG", "O"], ["B-PER"]]
    assert ds.doc_ids == [0, 1]


def test_tag_column_one(tmp_path):
    ds = read_conll(write(tmp_path, "EU B-ORG NNP\nrejects O VBZ\n"), tag_column=1)
    assert ds.labels == [["B-ORG", "O"]]


def test_explicit_sep(tmp_path):
    ds = read_conll(write(tmp_path, "New York;I-LOC\nis;O\n"), sep=";")
    assert ds.sentences == [["New York", "is"]]
    assert ds.labels == [["I-LOC", "O"]]


def test_crlf_and_bom(tmp_path):
    raw = "\ufeffAnna I-PER\r\nsings O\r\n\r\nRome I-LOC\r\n".encode("utf-8")
    ds = read_conll(write(tmp_path, raw, raw=True))
    assert ds.sentences == [["Anna", "sings"], ["Rome"]]
    assert ds.labels == [["I-PER", "O"], ["I-LOC"]]


def test_docstart_is_never_a_sentence_and_counts_documents(tmp_path):
    text = (
        "-DOCSTART- O\n\nA O\n\nB O\n\n"
        "-DOCSTART- O\n\nC O\n"
        "-DOCSTART- O\n"  # directly after a sentence, no blank line
        "D O\n\n"
        "-DOCSTART- O\n\n"  # trailing marker (as in wikigold): no empty document
    )
    ds = read_conll(write(tmp_path, text))
    assert ds.sentences == [["A"], ["B"], ["C"], ["D"]]
    assert ds.doc_ids == [0, 0, 1, 2]
    assert ds.n_documents == 3
    assert all("-DOCSTART-" not in words for words in ds.sentences)


def test_several_blank_lines_are_one_boundary(tmp_path):
    ds = read_conll(write(tmp_path, "\n\nA O\n\n\n  \n\t\nB O\n\n\n"))
    assert ds.sentences == [["A"], ["B"]]


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as err:
        read_conll(tmp_path / "nope.conll")
    msg = str(err.value)
    assert "nope.conll" in msg and "nerkit.load('wikigold')" in msg and "path" in msg


@pytest.mark.parametrize("text", ["", "\n\n", "-DOCSTART- O\n\n", "\ufeff\r\n"])
def test_empty_file(tmp_path, text):
    path = write(tmp_path, text, name="empty.conll")
    with pytest.raises(DataError, match=r"empty\.conll.*no sentences"):
        read_conll(path)


def test_directory_is_rejected(tmp_path):
    with pytest.raises(DataError, match="directory"):
        read_conll(tmp_path)


def test_line_without_tag_names_file_and_line(tmp_path):
    path = write(tmp_path, "Anna I-PER\n\nlives O\nin O\nParis\n")
    with pytest.raises(DataError) as err:
        read_conll(path)
    msg = str(err.value)
    assert f"{path} line 5:" in msg
    assert "'Paris'" in msg and "tag_column" in msg


def test_line_number_counts_crlf_and_bom(tmp_path):
    path = write(tmp_path, "\ufeffA O\r\n\r\nB\r\n".encode("utf-8"), raw=True)
    with pytest.raises(DataError, match="line 3:"):
        read_conll(path)


def test_tag_column_beyond_line(tmp_path):
    path = write(tmp_path, "EU NNP B-ORG\nrejects O\n")
    with pytest.raises(DataError, match=r"line 2: tag_column=2 .*2 columns"):
        read_conll(path, tag_column=2)


def test_tag_column_zero_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="tag_column=0"):
        read_conll(write(tmp_path, "A O\n"), tag_column=0)


@pytest.mark.parametrize("column", ["1", 1.0, True])
def test_a_tag_column_that_is_no_index_is_config_error(tmp_path, column):
    with pytest.raises(ConfigError, match="tag_column must be a column index"):
        read_conll(write(tmp_path, "A O\n"), tag_column=column)


def test_untagged_only_with_tag_column_none(tmp_path):
    path = write(tmp_path, "Anna\nsings\n\nRome\n")
    ds = read_conll(path, tag_column=None)
    assert ds.labels is None
    assert ds.sentences == [["Anna", "sings"], ["Rome"]]
    with pytest.raises(DataError, match="line 1:"):
        read_conll(path)


def test_bad_encoding_names_line(tmp_path):
    path = write(tmp_path, b"A O\nB\xff O\n", raw=True)
    with pytest.raises(DataError, match=r"line 2: not valid utf-8.*encoding="):
        read_conll(path)
    assert read_conll(path, encoding="latin-1").sentences == [["A", "B\xff"]]


def test_name_argument(tmp_path):
    assert read_conll(write(tmp_path, "A O\n"), name="mine").name == "mine"


def test_read_text_sentences(tmp_path):
    path = write(tmp_path, "Anna sings in  Rome\n\n\r\nHello\tworld\n", name="in.txt")
    ds = read_text_sentences(path)
    assert ds.sentences == [["Anna", "sings", "in", "Rome"], ["Hello", "world"]]
    assert ds.labels is None and ds.doc_ids == [0, 0]
    with pytest.raises(DataError, match="no sentences"):
        read_text_sentences(write(tmp_path, "\n \n", name="blank.txt"))
    with pytest.raises(DataError, match="no such file"):
        read_text_sentences(tmp_path / "missing.txt")


# ---------------------------------------------------------------------------
# write_conll


def test_write_then_read_round_trip(tmp_path):
    ds = make_dataset()
    path = tmp_path / "out.conll"
    write_conll(path, ds.sentences, ds.labels, ds.doc_ids)
    text = path.read_text()
    assert text.startswith("-DOCSTART- O\n\nd0s0 I-LOC\nword O\n\n")
    assert text.count("-DOCSTART- O") == ds.n_documents
    back = read_conll(path)
    assert back.sentences == ds.sentences
    assert back.labels == ds.labels
    assert back.doc_ids == ds.doc_ids


def test_write_without_doc_ids_or_tags(tmp_path):
    path = tmp_path / "out.conll"
    write_conll(path, [["A", "B"], ["C"]], [["O", "I-PER"], ["O"]])
    assert path.read_text() == "A O\nB I-PER\n\nC O\n\n"
    write_conll(path, [["A", "B"], ["C"]], None)
    assert read_conll(path, tag_column=None).sentences == [["A", "B"], ["C"]]


def test_write_rejects_bad_input(tmp_path):
    with pytest.raises(DataError, match="one tag per word"):
        write_conll(tmp_path / "x", [["A", "B"]], [["O"]])
    for word in ["", " A", "A\tB", "A\nB", "-DOCSTART-"]:
        with pytest.raises(DataError, match="sentence 0 word 0"):
            write_conll(tmp_path / "x", [[word]], [["O"]])
    with pytest.raises(DataError, match="sentence 0 tag 0"):
        write_conll(tmp_path / "x", [["A"]], [["I PER"]])
    with pytest.raises(DataError, match="untagged"):
        write_conll(tmp_path / "x", [["New York"]], None)


def test_write_words_with_spaces_uses_tabs(tmp_path):
    path = tmp_path / "out.conll"
    write_conll(path, [["in", "New York"]], [["O", "I-LOC"]], [0])
    assert path.read_text() == "-DOCSTART-\tO\n\nin\tO\nNew York\tI-LOC\n\n"
    assert read_conll(path).sentences == [["in", "New York"]]


token = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
    min_size=1,
    max_size=6,
).filter(lambda w: w == w.strip() and w != "-DOCSTART-" and not w.startswith("\ufeff"))
tag = st.sampled_from(["O", "I-PER", "B-LOC", "I-MISC"])
sentence = st.lists(st.tuples(token, tag), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(sentence, st.integers(0, 2)), min_size=1, max_size=6))
def test_round_trip_property(tmp_path_factory, items):
    sentences = [[w for w, _ in s] for s, _ in items]
    tags = [[t for _, t in s] for s, _ in items]
    # read_conll numbers documents 0, 1, 2, ... in order of appearance.
    raw = [d for _, d in items]
    doc_ids, current = [], 0
    for i, d in enumerate(raw):
        if i and d != raw[i - 1]:
            current += 1
        doc_ids.append(current)
    path = tmp_path_factory.mktemp("rt") / "rt.conll"
    write_conll(path, sentences, tags, raw)
    back = read_conll(path)
    assert (back.sentences, back.labels, back.doc_ids) == (sentences, tags, doc_ids)

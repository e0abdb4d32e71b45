"""Tests for nerkit.data and nerkit.datasets: fast, offline (loopback only)."""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from importlib import resources

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

from nerkit import data
from nerkit.data import (
    Dataset,
    from_dataframe,
    kfold,
    load,
    read_conll,
    read_text_sentences,
    split,
    subsample,
    to_dataframe,
    unique_labels,
    validation_split,
    write_conll,
)
from nerkit.datasets import WIKIGOLD_ATTRIBUTION, wikigold, wikigold_license
from nerkit.errors import ConfigError, DataError


def write(tmp_path, text, name="data.conll", raw=False):
    path = tmp_path / name
    if raw:
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def make_dataset(n_docs=6, per_doc=(1, 2, 3, 4, 5, 6)):
    """Documents of varying length; every word names its doc and sentence."""
    sentences, labels, doc_ids = [], [], []
    for d in range(n_docs):
        for s in range(per_doc[d % len(per_doc)]):
            sentences.append([f"d{d}s{s}", "word"])
            labels.append(["I-PER" if s % 2 else "I-LOC", "O"])
            doc_ids.append(d)
    return Dataset(sentences, labels, doc_ids, name="made")


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
# Dataset


def test_dataset_select_and_validation():
    ds = make_dataset()
    sub = ds.select([3, 0])
    assert sub.sentences == [ds.sentences[3], ds.sentences[0]]
    assert sub.labels == [ds.labels[3], ds.labels[0]]
    assert sub.doc_ids == [ds.doc_ids[3], ds.doc_ids[0]]
    assert sub.name == ds.name
    assert Dataset([["a"]], None).doc_ids == [0]
    with pytest.raises(DataError, match="one tag per word"):
        Dataset([["a", "b"]], [["O"]], [0])
    with pytest.raises(DataError, match="doc_ids"):
        Dataset([["a"]], [["O"]], [0, 1])


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


# ---------------------------------------------------------------------------
# split


def test_split_sizes_and_reproducible():
    ds = make_dataset(n_docs=10)
    train, test = split(ds, test_fraction=0.25, seed=7)
    assert len(test) == -(-len(ds) // 4)  # sklearn rounds the test size up
    assert len(train) + len(test) == len(ds)
    assert sorted(map(tuple, train.sentences + test.sentences)) == sorted(map(tuple, ds.sentences))
    again = split(ds, test_fraction=0.25, seed=7)
    assert again[0].sentences == train.sentences and again[1].sentences == test.sentences
    other = split(ds, test_fraction=0.25, seed=8)
    assert other[1].sentences != test.sentences


def test_split_matches_recipe_dataframe_split():
    # The recipe: train_test_split(df, test_size=0.5, random_state=100) on a DataFrame
    # with one row per sentence. Rows and their order must match exactly.
    ds = make_dataset(n_docs=12)
    df = pd.DataFrame({"sentence": ds.sentences, "labels": ds.labels})
    train_df, test_df = train_test_split(df, test_size=0.5, random_state=100)
    train, test = split(ds)
    assert train.sentences == list(train_df["sentence"])
    assert test.sentences == list(test_df["sentence"])
    assert train.labels == list(train_df["labels"])
    assert test.labels == list(test_df["labels"])


def test_split_matches_recipe_on_wikigold():
    ds = wikigold()
    df = pd.DataFrame({"sentence": ds.sentences, "labels": ds.labels})
    train_df, test_df = train_test_split(df, test_size=0.5, random_state=100)
    train, test = split(ds, 0.5, 100)
    assert train.sentences == list(train_df["sentence"])
    assert test.sentences == list(test_df["sentence"])


def test_split_by_document_keeps_documents_whole():
    ds = make_dataset(n_docs=10)
    train, test = split(ds, test_fraction=0.3, seed=1, by="document")
    assert not set(train.doc_ids) & set(test.doc_ids)
    assert len(set(test.doc_ids)) == 3  # fraction of documents, not sentences
    counts = Counter(ds.doc_ids)
    for part in (train, test):
        assert all(Counter(part.doc_ids)[d] == counts[d] for d in set(part.doc_ids))
    assert len(train) + len(test) == len(ds)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, 0.0, 1.0])
def test_split_rejects_fraction(bad):
    with pytest.raises(ConfigError) as err:
        split(make_dataset(), test_fraction=bad)
    assert str(err.value) == f"--test-fraction must be between 0 and 1 (exclusive), got {bad}"


def test_split_errors():
    with pytest.raises(ConfigError, match=r"by= \(--split-by\) must be"):
        split(make_dataset(), by="word")
    one = Dataset([["a"]], [["O"]], [0])
    with pytest.raises(DataError, match="cannot split 1 sentence"):
        split(one)
    with pytest.raises(DataError, match="1 document"):
        split(make_dataset(n_docs=1, per_doc=(4,)), by="document")


# ---------------------------------------------------------------------------
# kfold and validation_split


@pytest.mark.parametrize("by", ["document", "sentence"])
def test_kfold_tests_every_sentence_once(by):
    ds = make_dataset(n_docs=11)
    folds = kfold(ds, folds=4, seed=3, by=by)
    assert len(folds) == 4
    tested = Counter(w[0] for _, test in folds for w in test.sentences)
    assert tested == Counter(w[0] for w in ds.sentences)
    for train, test in folds:
        assert len(train) + len(test) == len(ds)
        assert not {w[0] for w in train.sentences} & {w[0] for w in test.sentences}
        if by == "document":
            assert not set(train.doc_ids) & set(test.doc_ids)
    again = kfold(ds, folds=4, seed=3, by=by)
    assert [t.sentences for _, t in again] == [t.sentences for _, t in folds]


def test_kfold_errors():
    ds = make_dataset(n_docs=3)
    with pytest.raises(ConfigError, match="--folds"):
        kfold(ds, folds=1)
    with pytest.raises(DataError, match="3 document"):
        kfold(ds, folds=5)
    with pytest.raises(DataError, match="sentences"):
        kfold(Dataset([["a"], ["b"]], None), folds=3, by="sentence")


def test_validation_split_by_document_and_fallback():
    ds = make_dataset(n_docs=10)
    train, val = validation_split(ds, fraction=0.2, seed=5)
    assert not set(train.doc_ids) & set(val.doc_ids)
    assert len(set(val.doc_ids)) == 2
    single = make_dataset(n_docs=1, per_doc=(20,))
    train, val = validation_split(single, fraction=0.1)
    assert len(val) == 2 and len(train) == 18
    with pytest.raises(ConfigError, match="between 0 and 1"):
        validation_split(ds, fraction=0)


# ---------------------------------------------------------------------------
# subsample, unique_labels


def test_subsample():
    ds = make_dataset(n_docs=10)
    sub = subsample(ds, 0.3, seed=2)
    assert len(sub) == round(0.3 * len(ds))
    positions = [ds.sentences.index(s) for s in sub.sentences]
    assert positions == sorted(positions)
    assert subsample(ds, 0.3, seed=2).sentences == sub.sentences
    assert len(subsample(ds, 0.0001)) == 1
    assert subsample(ds, 1).sentences == ds.sentences
    with pytest.raises(ConfigError):
        subsample(ds, 0)
    with pytest.raises(ConfigError):
        subsample(ds, 1.2)


def test_unique_labels():
    ds = Dataset([["a", "b", "c"], ["d"]], [["I-PER", "O", "B-LOC"], ["B-LOC"]], [0, 0])
    assert unique_labels(ds) == ["O", "B-LOC", "I-PER"]
    assert unique_labels(Dataset([["a"]], [["I-PER"]], [0])) == ["I-PER"]
    with pytest.raises(DataError, match="no tags"):
        unique_labels(Dataset([["a"]], None, [0]))


# ---------------------------------------------------------------------------
# DataFrame interop


def test_dataframe_round_trip():
    ds = make_dataset()
    df = to_dataframe(ds)
    assert list(df.columns) == ["sentence", "labels", "doc_id"]
    back = from_dataframe(df)
    assert (back.sentences, back.labels, back.doc_ids) == (ds.sentences, ds.labels, ds.doc_ids)


def test_dataframe_untagged_and_missing_columns():
    ds = Dataset([["a", "b"], ["c"]], None, [0, 1])
    df = to_dataframe(ds)
    assert "labels" not in df.columns
    back = from_dataframe(df)
    assert back.labels is None and back.doc_ids == [0, 1]
    plain = from_dataframe(pd.DataFrame({"sentence": [["x", "y"]], "labels": [["O", "O"]]}))
    assert plain.doc_ids == [0] and plain.labels == [["O", "O"]]
    with pytest.raises(DataError) as err:
        from_dataframe(pd.DataFrame({"words": [["a"]]}))
    assert str(err.value) == "the DataFrame must have a 'sentence' column of word lists"
    with pytest.raises(DataError, match="row 0: 2 words but 1 labels"):
        from_dataframe(pd.DataFrame({"sentence": [["a", "b"]], "labels": [["O"]]}))


# ---------------------------------------------------------------------------
# Packaged wikigold and load()


def test_wikigold_counts():
    ds = wikigold()
    assert ds.name == "wikigold"
    # The README's "1,841 sentences" counts blank-line blocks, 145 of which are
    # -DOCSTART- markers; 1,696 is the real number of sentences.
    assert len(ds) == 1696
    assert ds.n_documents == 145
    assert sorted(set(ds.doc_ids)) == list(range(145))
    assert sum(map(len, ds.sentences)) == 39007
    assert unique_labels(ds) == ["O", "I-LOC", "I-MISC", "I-ORG", "I-PER"]
    assert ds.sentences[0][:3] == ["010", "is", "the"]


def test_wikigold_attribution_and_license():
    readme = (
        resources.files("nerkit")
        .joinpath("resources", "wikigold", "README.md")
        .read_text(encoding="utf-8")
    )
    flat = " ".join(readme.split())
    for ref in WIKIGOLD_ATTRIBUTION.split("\n"):
        assert " ".join(ref.split()) in flat
    assert "CC-BY 4.0" in wikigold_license() or "CC BY 4.0" in wikigold_license()


def test_load_wikigold_and_local_path(tmp_path):
    ds = load("wikigold")
    assert len(ds) == 1696 and ds.name == "wikigold"
    assert load().sentences == ds.sentences
    path = write(tmp_path, "EU B-ORG NNP\n", name="local.conll")
    assert load(str(path), tag_column=1).labels == [["B-ORG"]]
    assert load(path, tag_column=1).labels == [["B-ORG"]]
    with pytest.raises(DataError, match="nerkit.load\\('wikigold'\\)"):
        load(str(tmp_path / "missing.conll"))


@pytest.fixture
def no_proxy(monkeypatch):
    # A proxy set in the environment must not intercept loopback requests.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def test_load_url_offline_is_data_error(tmp_path, no_proxy):
    url = "http://127.0.0.1:9/x.conll"
    with pytest.raises(DataError) as err:
        load(url, cache_dir=tmp_path)
    msg = str(err.value)
    assert url in msg and "failed" in msg and "pass its path" in msg
    assert list(tmp_path.iterdir()) == []  # no partial download left behind


def test_load_url_reads_cache_without_network(tmp_path):
    url = "http://127.0.0.1:9/cached.conll"  # nothing listens there
    cached = tmp_path / data._cached_file_name(url)
    assert cached.name.endswith("-cached.conll") and len(cached.name) == 16 + 1 + 12
    cached.write_text("Anna I-PER\n")
    ds = load(url, cache_dir=tmp_path)
    assert ds.sentences == [["Anna"]] and ds.name == "cached"


def test_load_url_downloads_once(tmp_path, monkeypatch, no_proxy):
    body = b"-DOCSTART- O\n\nAnna I-PER\n\nRome I-LOC\n"
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/dir/file.conll"
        monkeypatch.setenv("NERKIT_CACHE", str(tmp_path / "env-cache"))
        first = load(url)
        second = load(url)
    finally:
        server.shutdown()
        server.server_close()
    assert hits == ["/dir/file.conll"]
    assert first.sentences == second.sentences == [["Anna"], ["Rome"]]
    files = list((tmp_path / "env-cache").iterdir())
    assert [f.name for f in files] == [data._cached_file_name(url)]


def test_load_url_http_error(tmp_path, no_proxy):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/missing.conll"
        with pytest.raises(DataError, match="failed.*Not Found"):
            load(url, cache_dir=tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert list(tmp_path.iterdir()) == []

"""Tests for nerkit.data.sources: the packaged wikigold, paths and URLs: fast, offline (loopback only)."""

from __future__ import annotations

import http.server
import threading
from importlib import resources

import pytest

from nerkit.data import sources
from nerkit.data.dataset import unique_labels
from nerkit.data.sources import WIKIGOLD_ATTRIBUTION, load, wikigold, wikigold_license
from nerkit.errors import ConfigError, DataError

from .helpers import write

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
    readme = resources.files("nerkit").joinpath("resources", "wikigold", "README.md").read_text(encoding="utf-8")
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
    cached = tmp_path / sources._cached_file_name(url)
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
    assert [f.name for f in files] == [sources._cached_file_name(url)]


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


@pytest.mark.parametrize("source", [None, 5, ["wikigold"], b"wikigold"])
def test_a_source_that_is_no_name_or_path_is_named(source):
    with pytest.raises(DataError, match=f"cannot load a {type(source).__name__}: pass 'wikigold', a file path"):
        load(source)


def test_an_unknown_reading_option_is_named():
    # It was a TypeError from ReadOptions.__init__.
    with pytest.raises(ConfigError, match="unknown reading option.s. colour; known: data_format, hf_tokens, hf_tags"):
        load("wikigold", colour="red")

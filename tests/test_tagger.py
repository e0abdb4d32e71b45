"""Raw text to entities with the tiny offline model: offsets, batching, long inputs, schemes."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nerkit
from cli_errors import error_line
from nerkit.errors import ConfigError, DataError, ModelError
from nerkit.labels import tags_to_spans
from nerkit.tagger import Tagger, sentence_spans
from nerkit.text import split_words


@pytest.fixture(scope="module")
def tagger(trained_tiny):
    return Tagger(trained_tiny)


def expected_entities(model, words):
    """(label, text) of each entity predict() finds in pre-split words."""
    tags = nerkit.predict(model, [words]).tags[0]
    return [(label, " ".join(words[a:b])) for label, a, b in tags_to_spans(tags)]


def check_offsets(text, entities):
    for e in entities:
        assert set(e) >= {"text", "label", "start", "end", "score"}
        assert text[e["start"]:e["end"]] == e["text"]
        assert 0 <= e["start"] < e["end"] <= len(text)
        assert 0 <= e["score"] <= 1


def test_a_text_gives_the_entities_of_its_words(tagger, trained_tiny):
    text = "Barack Obama visited Paris."
    entities = tagger(text)
    check_offsets(text, entities)
    words = [w.text for w in split_words(text)]
    assert words == ["Barack", "Obama", "visited", "Paris", "."]
    assert [(e["label"], e["text"]) for e in entities] == expected_entities(trained_tiny, words)
    assert ("PER", "Barack Obama") in [(e["label"], e["text"]) for e in entities]  # the tiny model learned this


def test_offsets_survive_odd_spacing_and_unicode(tagger):
    text = "\u00a0\u00a0🙂 Angela  Merkel\tmet\u200bObama in\n\nBerlin ."
    entities = tagger(text)
    check_offsets(text, entities)
    assert any(e["text"] == "Berlin" for e in entities)


def test_a_list_of_texts_gives_a_list_per_text_in_order(tagger):
    texts = ["Obama visited Paris.", "", "Google opened an office in London.", "   "]
    batched = tagger(texts)
    assert len(batched) == 4
    assert batched == [tagger(t) for t in texts]
    assert batched[1] == [] and batched[3] == []
    assert tagger([]) == []


def test_pre_split_words(tagger, trained_tiny):
    sentences = [["Angela", "Merkel", "met", "Obama", "in", "Berlin", "."], [], ["Paris"]]
    results = tagger(sentences)
    assert len(results) == 3 and results[1] == []
    for words, entities in zip(sentences, results):
        text = " ".join(words)
        check_offsets(text, entities)
        for e in entities:
            assert " ".join(words[e["word_start"]:e["word_end"]]) == e["text"]
        if words:
            assert [(e["label"], e["text"]) for e in entities] == expected_entities(trained_tiny, words)


def test_a_100k_character_document_is_tagged_to_its_end(tagger):
    sentence = "Obama visited Paris. "
    text = sentence * (100_000 // len(sentence) + 1)
    assert len(text) > 100_000
    one = tagger(sentence)
    assert one, "the tiny model finds entities in its training words"
    entities = tagger(text)
    check_offsets(text, entities)
    assert len(entities) == len(one) * text.count(sentence)
    # The last sentence's entities are there, the same as in a text of that sentence alone.
    last = len(text) - len(sentence)
    assert [(e["start"] - last, e["label"]) for e in entities[-len(one):]] == [(e["start"], e["label"]) for e in one]


@pytest.mark.parametrize("stride", [0, 8, 32])
def test_a_sentence_longer_than_the_window_is_tagged_in_windows(trained_tiny, stride):
    # No sentence-ending punctuation: one sequence of 2,000 words, far over max_len (64 pieces).
    unit = "Obama visited Paris and "
    text = unit * 500
    tagger = Tagger(trained_tiny, stride=stride)
    words = [w.text for w in split_words(text)]
    assert sentence_spans(text, split_words(text)) == [(0, len(words))]
    entities = tagger(text)
    check_offsets(text, entities)
    assert [(e["label"], e["text"]) for e in entities] == expected_entities(trained_tiny, words)
    assert entities[-1]["end"] > len(text) - len(unit)  # an entity in the very last words


def test_tagging_whole_texts_without_sentence_splitting(trained_tiny):
    text = "Obama visited Paris. Merkel met Google staff in Berlin."
    entities = Tagger(trained_tiny, sentences=False)(text)
    check_offsets(text, entities)
    assert [(e["label"], e["text"]) for e in entities] == expected_entities(trained_tiny, [w.text for w in split_words(text)])


@pytest.mark.parametrize("tags", [
    ["I-PER", "I-PER", "O", "I-LOC", "O"],  # IO
    ["B-PER", "I-PER", "O", "B-LOC", "O"],  # BIO
    ["B-PER", "E-PER", "O", "S-LOC", "O"],  # BIOES
])
def test_entities_are_assembled_from_any_scheme(trained_tiny, monkeypatch, tags):
    tagger = Tagger(trained_tiny)
    monkeypatch.setattr(tagger, "_predict", lambda sentences: ([tags], [[0.5, 0.7, 0.9, 0.8, 0.9]]))
    text = "Barack Obama visited Paris."
    assert tagger(text) == [
        {"text": "Barack Obama", "label": "PER", "start": 0, "end": 12, "score": 0.6},
        {"text": "Paris", "label": "LOC", "start": 21, "end": 26, "score": 0.8},
    ]


def test_iob1_and_bioes_keep_adjacent_entities_apart(trained_tiny, monkeypatch):
    tagger = Tagger(trained_tiny)
    text = "Paris London Berlin"
    for tags in (["I-LOC", "B-LOC", "I-LOC"], ["S-LOC", "B-LOC", "E-LOC"]):
        monkeypatch.setattr(tagger, "_predict", lambda s, tags=tags: ([tags], [[1.0] * 3]))
        assert [e["text"] for e in tagger(text)] == ["Paris", "London Berlin"]


def test_sentence_spans():
    text = 'He said "Go." Then (he left.) Done\n\nNew paragraph\nsame one'
    words = split_words(text)
    sentences = [" ".join(w.text for w in words[a:b]) for a, b in sentence_spans(text, words)]
    assert sentences == ['He said " Go . "', "Then ( he left . )", "Done", "New paragraph same one"]
    assert sentence_spans("", []) == []
    # Abbreviations keep their period and end no sentence.
    text = "Dr. Smith met U.S. officials at 5 p.m. today."
    assert len(sentence_spans(text, split_words(text))) == 1


# Any Unicode, surrogates and controls included, mixed with words the tiny model tags.
_chars = st.characters(exclude_categories=())
_pieces = st.sampled_from(["Obama", "Paris", "Barack", "Merkel", "Google", ".", " ", "\n", "'s", "U.S.", "-", "\u0301", "\ud800", "\x00"])
_texts = st.lists(st.one_of(st.text(_chars, max_size=8), _pieces), max_size=40).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_texts)
def test_any_string_gives_entities_that_slice_the_text(tagger, text):
    entities = tagger(text)
    check_offsets(text, entities)
    assert [e["start"] for e in entities] == sorted(e["start"] for e in entities)
    assert all(a["end"] <= b["start"] for a, b in zip(entities, entities[1:]))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.text(_chars, min_size=1, max_size=6), max_size=12))
def test_any_pre_split_words_give_entities_that_slice_the_joined_text(tagger, words):
    (entities,) = tagger([words])
    check_offsets(" ".join(words), entities)


def test_bad_input_names_the_problem(tagger, tmp_path):
    with pytest.raises(DataError, match="pass a str"):
        tagger(42)
    with pytest.raises(DataError, match="item 1"):
        tagger(["a text", ["words"]])
    with pytest.raises(DataError, match="sentence 0 word 1"):
        tagger([["Paris", 3]])
    with pytest.raises(ConfigError, match="stride"):
        Tagger(tagger.model, stride=-1)
    with pytest.raises(ConfigError, match="batch_size"):
        Tagger(tagger.model, batch_size=0)
    with pytest.raises(ModelError, match="does not exist"):
        Tagger.load(tmp_path / "no-model")


def test_load_and_labels(trained_tiny, tmp_path):
    trained_tiny.save(tmp_path / "m")
    loaded = Tagger.load(tmp_path / "m", batch_size=8)
    assert loaded.labels == ["LOC", "MISC", "ORG", "PER"]
    text = "Merkel spoke to Google staff."
    assert loaded(text) == Tagger(trained_tiny)(text)
    assert nerkit.Tagger is Tagger


# ---------------------------------------------------------------- nerkit predict on documents

import io  # noqa: E402
import json  # noqa: E402

from nerkit.cli import main  # noqa: E402
from nerkit.documents import BadLine, Document, chunks, read_documents, to_json_line  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(trained_tiny, tmp_path_factory):
    path = tmp_path_factory.mktemp("predict") / "model"
    trained_tiny.save(path)
    return path


def _run(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_predict_raw_text_lines_to_jsonl_and_html(capsys, model_dir, tagger, tmp_path):
    texts = ["Barack Obama visited Paris.", "Google opened an office in London."]
    src = tmp_path / "docs.txt"
    src.write_text(f"{texts[0]}\n\n{texts[1]}\n")
    out, page = tmp_path / "out.jsonl", tmp_path / "page.html"
    code, _, err = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(src), "--output", str(out),
                                 "--html", str(page)])
    assert code == 0, err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == [1, 3]  # line numbers; the blank line is skipped
    assert [r["text"] for r in records] == texts
    assert [r["entities"] for r in records] == tagger(texts)
    html = page.read_text()
    n_entities = sum(len(r["entities"]) for r in records)
    assert n_entities and html.count('<mark class="entity"') == n_entities
    assert 'data-label="PER"' in html and "Barack Obama" in html


def test_predict_jsonl_keeps_going_past_bad_lines(capsys, model_dir, tagger, tmp_path):
    src = tmp_path / "docs.jsonl"
    src.write_bytes(
        b'{"id": "a", "text": "Merkel met Obama in Berlin.", "source": "web"}\n'
        b'{"id": "b", "text": \n'
        b'[1, 2]\n'
        b'{"id": "c", "text": "Ob\xe4ma"}\n'
        b'{"id": "d"}\n'
        b'{"text": "Obama visited Paris."}\n'
    )
    code, out, err = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(src)])
    assert code == 1  # finished, but some lines were skipped
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == ["a", 6]
    assert records[0]["source"] == "web"  # other fields are kept
    assert records[0]["entities"] == tagger("Merkel met Obama in Berlin.")
    for line, problem in [(2, "JSON"), (3, "object"), (4, "UTF-8"), (5, '"text"')]:
        assert any(f"line {line} skipped" in x and problem in x for x in err.splitlines()), err
    assert "skipped 4 bad line(s), the first at line 2" in err


def test_predict_guesses_raw_text_and_pre_split_lines(capsys, model_dir, tmp_path):
    raw, split = tmp_path / "raw.txt", tmp_path / "split.txt"
    raw.write_text("Obama visited Paris.\nGoogle is in London, England.\n")
    split.write_text("Obama visited Paris .\nGoogle is in London , England .\n")
    code, out, _ = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(raw)])
    assert code == 0 and [json.loads(line)["text"] for line in out.splitlines()] == raw.read_text().splitlines()
    conll = tmp_path / "out.conll"
    code, _, _ = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(split), "--output", str(conll)])
    assert code == 0 and conll.read_text().splitlines()[0].split()[0] == "Obama"
    assert all(len(line.split()) == 2 for line in conll.read_text().splitlines() if line)  # CoNLL: word TAG


def test_predict_streams_in_bounded_chunks(capsys, model_dir, tmp_path, monkeypatch):
    src = tmp_path / "many.txt"
    src.write_text("".join(f"Obama visited Paris {i}.\n" for i in range(50)))
    sizes = []
    original = Tagger.__call__

    def recording(self, inputs):
        sizes.append(len(inputs))
        return original(self, inputs)

    monkeypatch.setattr(Tagger, "__call__", recording)
    out = tmp_path / "out.jsonl"
    code, _, err = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(src), "--format", "text",
                                 "--batch-size", "2", "--output", str(out)])
    assert code == 0, err
    assert sum(sizes) == 50 and max(sizes) <= 8  # --batch-size 2: chunks of at most 8 documents
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == list(range(1, 51))


def test_predict_lines_with_html(capsys, model_dir, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Obama visited Paris .\n")
    page = tmp_path / "page.html"
    code, _, _ = _run(capsys, ["predict", "--model", str(model_dir), "--input", str(src), "--format", "lines",
                               "--html", str(page), "--output", str(tmp_path / "out.conll")])
    assert code == 0 and "Obama" in (tmp_path / "out.conll").read_text()
    assert '<mark class="entity"' in page.read_text()


def test_predict_bad_input_is_one_line_and_exit_2(capsys, model_dir, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    assert "no documents" in error_line(capsys, ["predict", "--model", str(model_dir), "--input", str(empty),
                                                      "--format", "text"])
    assert "--format" in error_line(capsys, ["predict", "--model", str(model_dir), "--input", "-"])
    assert "does not exist" in error_line(capsys, ["predict", "--model", str(model_dir), "--input",
                                                        str(tmp_path / "nope.txt")])
    (tmp_path / "doc.txt").write_text("Obama visited Paris.\n")
    assert "does not exist" in error_line(capsys, ["predict", "--model", str(tmp_path / "no-model"),
                                                        "--input", str(tmp_path / "doc.txt"), "--format", "text"])
    assert "--stride" in error_line(capsys, ["predict", "--model", str(model_dir), "--input",
                                                  str(tmp_path / "doc.txt"), "--stride", "-1"])
    assert "--batch-size" in error_line(capsys, ["predict", "--model", str(model_dir), "--input",
                                                      str(tmp_path / "doc.txt"), "--batch-size", "0"])


def test_read_documents_reports_each_bad_line():
    stream = io.BytesIO(b'\xef\xbb\xbf{"text": "a"}\r\n\r\n"just a string"\n{"text": 3}\n{"id": 9, "text": "b"}')
    items = list(read_documents(stream, "jsonl"))
    assert items[0] == Document(1, {"text": "a", "id": 1})  # byte-order mark and CRLF removed
    assert [type(i) for i in items] == [Document, BadLine, BadLine, Document]
    assert [i.line for i in items] == [1, 3, 4, 5]
    text_items = list(read_documents(io.BytesIO(b"one\n\n  \ntwo \xff\n"), "text"))
    assert text_items[0] == Document(1, {"id": 1, "text": "one"})
    assert isinstance(text_items[1], BadLine) and text_items[1].line == 4


def test_chunks_are_bounded():
    items = ["a" * n for n in (1, 2, 3, 10, 1, 1, 1, 1)]
    parts = list(chunks(items, max_items=3, max_chars=5))
    assert [x for p in parts for x in p] == items
    assert all(len(p) <= 3 and (sum(map(len, p)) <= 5 or len(p) == 1) for p in parts)


def test_json_lines_escape_lone_surrogates():
    assert json.loads(to_json_line({"text": "a\ud800"})) == {"text": "a\ud800"}
    assert to_json_line({"text": "é"}) == '{"text": "é"}\n'.encode()

"""Document context at prediction: every way in (Dataset, files, Tagger, server units, ONNX) reads the same neighbours."""

import sys

import numpy as np

import nerkit
from nerkit.data import Dataset
from nerkit.encoding.context import surrounding
from nerkit.inference.predict import predict_in_pieces
from nerkit.serving.work import TaggerWork
from nerkit.text.entities import word_entities


def _close(a, b, tol=1e-5):
    return all(np.allclose(x, y, atol=tol) for x, y in zip(a.probabilities, b.probabilities))


def test_training_saves_the_context_with_the_model(trained_context, tmp_path):
    assert trained_context.inference.context == 8 and trained_context.train_config["context"] == 8
    loaded = nerkit.load_model(trained_context.save(tmp_path / "m"))
    assert loaded.inference.context == 8


def test_a_dataset_is_read_with_its_documents_context(trained_context, tiny_data):
    with_context = nerkit.predict(trained_context, tiny_data, probabilities=True, precision="fp32")
    alone = nerkit.predict(trained_context, tiny_data, probabilities=True, precision="fp32", context=0)
    assert not _close(with_context, alone, tol=1e-3)  # the neighbours change what the model reads
    # A plain list of sentences is read sentence by sentence, unless it comes with its surroundings.
    listed = nerkit.predict(trained_context, tiny_data.sentences, probabilities=True, precision="fp32")
    assert _close(listed, alone)
    around = surrounding(tiny_data.sentences, tiny_data.doc_ids, 8)
    given = nerkit.predict(trained_context, tiny_data.sentences, probabilities=True, precision="fp32",
                           surroundings=around)  # fmt: skip
    assert _close(given, with_context)


def test_a_shuffled_split_reads_each_document_in_its_order(trained_context, tiny_data):
    order = [5, 2, 7, 0, 3, 6, 1, 4]
    shuffled = tiny_data.select(order)
    a = nerkit.predict(trained_context, tiny_data, probabilities=True, precision="fp32")
    b = nerkit.predict(trained_context, shuffled, probabilities=True, precision="fp32")
    assert all(np.allclose(b.probabilities[k], a.probabilities[i], atol=1e-5) for k, i in enumerate(order))


def test_files_in_pieces_keep_context_across_the_pieces(trained_context, tiny_data, monkeypatch):
    whole = nerkit.predict(trained_context, tiny_data, precision="fp32")
    monkeypatch.setattr(sys.modules["nerkit.inference.predict"], "PIECE_WORDS", 6)  # about one sentence a piece
    pieces = predict_in_pieces(trained_context, tiny_data.sentences, documents=tiny_data.doc_ids, precision="fp32")
    assert pieces.tags == whole.tags
    assert np.allclose(np.concatenate(pieces.scores), np.concatenate(whole.scores), atol=1e-5)


def test_the_tagger_reads_a_text_as_one_document_and_the_server_agrees(trained_context):
    tagger = nerkit.Tagger(trained_context, precision="fp32")
    texts = ["Merkel met Obama in Berlin. Google opened an office in London.", "Obama visited Paris."]
    entities = tagger(texts)
    sentences = [
        ["Merkel", "met", "Obama", "in", "Berlin", "."],
        ["Google", "opened", "an", "office", "in", "London", "."],
    ]
    as_document = nerkit.predict(trained_context, Dataset(sentences, None, [0, 0]), precision="fp32")
    expected = [
        (e["text"], e["label"], round(e["score"], 5))
        for words, tags, scores in zip(sentences, as_document.tags, as_document.scores)
        for e in word_entities(words, tags, scores)[1]
    ]
    assert [(e["text"], e["label"], round(e["score"], 5)) for e in entities[0]] == expected
    alone = nerkit.predict(trained_context, sentences, precision="fp32")
    assert as_document.scores != alone.scores  # so the comparison above could fail
    work = TaggerWork(tagger)
    plan = work.split(texts)
    # Each unit carries its neighbours, so units tagged one per call still give the Tagger's entities.
    results = [work.run([u])[0] for u in plan.units]
    assert work.join(plan, results) == entities

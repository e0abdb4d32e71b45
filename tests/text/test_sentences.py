"""nerkit.text.sentences: raw text cut into sentences (moved from the old tests/test_tagger.py)."""

from nerkit.text.sentences import sentence_spans
from nerkit.text.words import split_words


def test_sentence_spans():
    text = 'He said "Go." Then (he left.) Done\n\nNew paragraph\nsame one'
    words = split_words(text)
    sentences = [" ".join(w.text for w in words[a:b]) for a, b in sentence_spans(text, words)]
    assert sentences == ['He said " Go . "', "Then ( he left . )", "Done", "New paragraph same one"]
    assert sentence_spans("", []) == []
    # Abbreviations keep their period and end no sentence.
    text = "Dr. Smith met U.S. officials at 5 p.m. today."
    assert len(sentence_spans(text, split_words(text))) == 1

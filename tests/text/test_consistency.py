"""nerkit.text.consistency: one type per name within a document (vote, then propagate)."""

from nerkit.text.consistency import consistent_spans

S = [
    ["Mad", "Capsule", "Markets", "played", "."],
    ["Mad", "Capsule", "Markets", "toured", "."],
    ["Then", "Mad", "Capsule", "Markets", "split"],
]


def test_the_majority_type_wins():
    spans = [[("ORG", 0, 3)], [("ORG", 0, 3)], [("MISC", 1, 4)]]
    assert consistent_spans(S, spans, [0, 0, 0]) == [[("ORG", 0, 3)], [("ORG", 0, 3)], [("ORG", 1, 4)]]


def test_a_tie_changes_nothing():
    spans = [[("ORG", 0, 3)], [("MISC", 0, 3)], []]
    assert consistent_spans(S, spans, [0, 0, 0]) == spans


def test_a_missed_occurrence_is_found_but_only_within_its_document():
    spans = [[("ORG", 0, 3)], [], []]
    assert consistent_spans(S, spans, [0, 0, 0])[1:] == [[("ORG", 0, 3)], [("ORG", 1, 4)]]
    assert consistent_spans(S, spans, [0, 1, 1]) == spans


def test_lower_case_names_do_not_spread():
    sentences = [["the", "band", "played"], ["the", "band", "left"]]
    spans = [[("ORG", 0, 2)], []]
    assert consistent_spans(sentences, spans, [0, 0]) == spans


def test_nothing_spreads_over_a_word_already_in_an_entity():
    sentences = [["Paris", "Hilton", "sang"], ["Paris", "is", "big"], ["Paris", "Hilton", "came"]]
    spans = [[("PER", 0, 2)], [("LOC", 0, 1)], []]
    out = consistent_spans(sentences, spans, [0, 0, 0])
    assert out[2] == [("PER", 0, 2)]  # the longer name first
    assert out[1] == [("LOC", 0, 1)]


def test_spreads_inside_the_same_sentence_and_keeps_order():
    sentences = [["Cannabis", "or", "Cannabis", "?"]]
    assert consistent_spans(sentences, [[("MISC", 2, 3)]], [7]) == [[("MISC", 0, 1), ("MISC", 2, 3)]]


def test_a_long_document_is_handled_in_one_pass():
    # A file without -DOCSTART- is one document; the lookup per word keeps this quick.
    sentences = [[f"Name{k % 500}", "x", f"Other{k}"] for k in range(20_000)]
    spans = [[("PER", 0, 1)] if k < 500 else [] for k in range(20_000)]
    out = consistent_spans(sentences, spans, [0] * 20_000)
    assert all(o == [("PER", 0, 1)] for o in out)

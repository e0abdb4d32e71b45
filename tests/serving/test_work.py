"""nerkit.serving.work: a request cut into sentence units (long sentences into overlapping
segments) gives the Tagger's entities back, and every word is decided exactly once."""

import pytest

from nerkit.inference.tagger import Tagger
from nerkit.serving.work import SEGMENT_OVERLAP, SEGMENT_WORDS, CallableWork, TaggerWork, segments, work_for


@pytest.mark.parametrize("size,overlap", [(4, 2), (7, 2), (SEGMENT_WORDS, SEGMENT_OVERLAP), (10, 3)])
def test_segments_own_every_word_once_with_context_on_both_sides(size, overlap):
    for n in range(0, 4 * size + 3):
        parts = segments(n, size, overlap)
        owned = [i for _, _, first, last in parts for i in range(first, last)]
        assert owned == list(range(n))  # every word, once, in order
        for start, stop, first, last in parts:
            assert stop - start <= size and start <= first <= last <= stop
            # A word sees at least overlap // 2 words on each side, unless it is near the sentence's edge.
            assert first == 0 or first - start >= overlap // 2
            assert last == n or stop - last >= overlap // 2


@pytest.fixture(scope="module")
def tagger(trained_tiny):
    return Tagger(trained_tiny, precision="fp32")


def test_units_of_short_sentences_give_the_taggers_entities(tagger):
    texts = ["Barack Obama visited Paris. Merkel met Obama in Berlin.", "", "Google opened an office in London."]
    work = work_for(tagger)
    assert isinstance(work, TaggerWork)
    plan = work.split(texts)
    assert [u.words for u in plan.units] == [
        ["Barack", "Obama", "visited", "Paris", "."],
        ["Merkel", "met", "Obama", "in", "Berlin", "."],
        ["Google", "opened", "an", "office", "in", "London", "."],
    ]
    assert plan.costs == [5, 6, 7]
    # Units tagged in any grouping (here one call each, in reverse) join into the Tagger's answer.
    results = [work.run([u])[0] for u in reversed(plan.units)][::-1]
    assert work.join(plan, results) == tagger(texts)


def test_a_long_sentence_is_cut_into_bounded_segments_and_every_word_is_tagged(tagger):
    words = ["Obama", "visited", "Paris", "and", "Berlin"] * 70  # 350 words, no full stop
    text = " ".join(words)
    work = TaggerWork(tagger)
    plan = work.split([text])
    assert len(plan.units) > 1 and max(plan.costs) <= SEGMENT_WORDS
    results = work.run(plan.units)
    assert sum(len(tags) for tags, _, _ in results) == len(words)  # each word decided once
    entities = work.join(plan, results)[0]
    assert entities and all(text[e["start"] : e["end"]] == e["text"] for e in entities)
    assert entities[-1]["end"] > len(text) - 20  # tagged to the very end


def test_lone_surrogates_are_split_like_the_tagger_does(tagger):
    text = "Obama \ud800 visited Paris."
    work = TaggerWork(tagger)
    plan = work.split([text])
    assert work.join(plan, work.run(plan.units)) == tagger([text])


def test_any_callable_is_one_unit_per_text():
    work = work_for(lambda texts: [t.upper() for t in texts])
    assert isinstance(work, CallableWork)
    plan = work.split(["a", "bc"])
    assert plan.units == ["a", "bc"] and plan.costs == [1, 1]
    assert work.join(plan, work.run(plan.units)) == ["A", "BC"]

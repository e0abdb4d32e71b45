"""Tests for nerkit.labels: schemes, spans, scheme detection and the label map."""

import doctest
import json
import warnings
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval import scheme as sq
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import Tokens

import nerkit.labels as labels
from nerkit.errors import ConfigError, DataError, ModelError
from nerkit.labels import (
    SCHEMES,
    TRAILING_TAG,
    LabelMap,
    convert_scheme,
    create_label_map,
    detect_scheme,
    entity_type,
    seqeval_scheme,
    spans_to_tags,
    split_tag,
    tags_to_spans,
)

# "John Smith visited New York with Mary": no adjacent same-type entities, so every
# scheme, IO included, can express it.
SEPARATE_SPANS = [("PER", 0, 2), ("LOC", 3, 5), ("PER", 6, 7)]
SEPARATE = {
    "IO": ["I-PER", "I-PER", "O", "I-LOC", "I-LOC", "O", "I-PER"],
    "IOB1": ["I-PER", "I-PER", "O", "I-LOC", "I-LOC", "O", "I-PER"],
    "BIO": ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "B-PER"],
    "BIOES": ["B-PER", "E-PER", "O", "B-LOC", "E-LOC", "O", "S-PER"],
}

# "Mary | John Smith | in | Paris | Reuters": two adjacent PERs, and a LOC directly
# followed by an ORG (adjacent but different types, which even IO keeps apart).
ADJACENT_SPANS = [("PER", 0, 1), ("PER", 1, 3), ("LOC", 4, 5), ("ORG", 5, 6)]
ADJACENT = {
    "IOB1": ["I-PER", "B-PER", "I-PER", "O", "I-LOC", "I-ORG"],
    "BIO": ["B-PER", "B-PER", "I-PER", "O", "B-LOC", "B-ORG"],
    "BIOES": ["S-PER", "B-PER", "E-PER", "O", "S-LOC", "S-ORG"],
}
ADJACENT_IO = ["I-PER", "I-PER", "I-PER", "O", "I-LOC", "I-ORG"]
ADJACENT_IO_SPANS = [("PER", 0, 3), ("LOC", 4, 5), ("ORG", 5, 6)]


def test_module_doctests():
    result = doctest.testmod(labels)
    assert result.attempted > 10
    assert result.failed == 0


# --------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("B-PER", "PER"),
        ("I-LOC", "LOC"),
        ("E-ORG", "ORG"),
        ("S-MISC", "MISC"),
        ("O", None),
        ("PER", "PER"),
        ("B-ORG-CORP", "ORG-CORP"),
    ],
)
def test_entity_type(tag, expected):
    assert entity_type(tag) == expected


def test_split_tag_reads_bare_type_as_inside():
    assert split_tag("PER") == ("I", "PER")
    assert split_tag("O") == ("O", None)


@pytest.mark.parametrize(
    "tag, needle",
    [
        ("Z-PER", "unknown prefix 'Z'"),
        ("L-PER", "BILOU"),
        ("U-PER", "BILOU"),
        ("b-per", "unknown prefix 'b'"),
        ("PER-B", "suffix-style"),
        ("B", "no entity type"),
        ("B-", "empty entity type"),
        ("", "empty"),
        ("I-NEW YORK", "spaces"),
        ("A B", "spaces"),
    ],
)
def test_invalid_tags_raise_data_error(tag, needle):
    with pytest.raises(DataError, match=needle):
        entity_type(tag)
    with pytest.raises(DataError, match=r"position 1: "):
        tags_to_spans(["O", tag])


def test_non_string_tag_raises():
    with pytest.raises(DataError, match="not a string"):
        tags_to_spans(["O", None])


# --------------------------------------------------------------------------- spans


@pytest.mark.parametrize("scheme", SCHEMES)
def test_hand_checked_separate_examples(scheme):
    assert tags_to_spans(SEPARATE[scheme]) == SEPARATE_SPANS
    assert tags_to_spans(SEPARATE[scheme], scheme) == SEPARATE_SPANS
    assert spans_to_tags(SEPARATE_SPANS, 7, scheme) == SEPARATE[scheme]


@pytest.mark.parametrize("scheme", ["IOB1", "BIO", "BIOES"])
def test_hand_checked_adjacent_examples(scheme):
    assert tags_to_spans(ADJACENT[scheme], scheme) == ADJACENT_SPANS
    assert spans_to_tags(ADJACENT_SPANS, 6, scheme) == ADJACENT[scheme]


def test_io_merges_adjacent_same_type_entities():
    assert spans_to_tags(ADJACENT_SPANS, 6, "IO") == ADJACENT_IO
    assert tags_to_spans(ADJACENT_IO, "IO") == ADJACENT_IO_SPANS


def test_lenient_decoding_cases():
    # I- after O or after another type starts an entity, as in seqeval's default mode.
    assert tags_to_spans(["O", "I-PER", "I-LOC"]) == [("PER", 1, 2), ("LOC", 2, 3)]
    # B- then I- of another type: two entities.
    assert tags_to_spans(["B-PER", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 2)]
    # E- without B- still makes (and ends) an entity; so does a run I- ... E-.
    assert tags_to_spans(["E-PER", "E-PER"]) == [("PER", 0, 1), ("PER", 1, 2)]
    assert tags_to_spans(["I-PER", "E-PER", "I-PER"]) == [("PER", 0, 2), ("PER", 2, 3)]
    # S- ends at once even when followed by the same type.
    assert tags_to_spans(["S-PER", "I-PER", "E-PER"]) == [("PER", 0, 1), ("PER", 1, 3)]
    # Bare types are IO tags.
    assert tags_to_spans(["PER", "PER", "O", "LOC"]) == [("PER", 0, 2), ("LOC", 3, 4)]
    assert tags_to_spans([]) == []
    assert tags_to_spans(["O", "O"]) == []


def test_scheme_restricts_prefixes():
    with pytest.raises(DataError, match="position 1: tag 'E-PER' is not a BIO tag"):
        tags_to_spans(["B-PER", "E-PER"], scheme="BIO")
    with pytest.raises(DataError, match="not a IO tag"):
        tags_to_spans(["B-PER"], scheme="IO")
    # Aliases and case are accepted.
    assert tags_to_spans(["B-PER", "E-PER"], scheme="iobes") == [("PER", 0, 2)]
    assert tags_to_spans(["B-PER"], scheme="IOB2") == [("PER", 0, 1)]
    with pytest.raises(ConfigError, match="not a known tagging scheme"):
        tags_to_spans(["O"], scheme="BILOU")


def test_spans_to_tags_validation():
    assert spans_to_tags([("LOC", 3, 4), ("PER", 0, 2)], 4) == ["B-PER", "I-PER", "O", "B-LOC"]
    assert spans_to_tags([], 2, "BIOES") == ["O", "O"]
    with pytest.raises(DataError, match="overlap"):
        spans_to_tags([("PER", 0, 2), ("LOC", 1, 3)], 4)
    with pytest.raises(DataError, match="outside"):
        spans_to_tags([("PER", 2, 5)], 4)
    with pytest.raises(DataError, match="outside"):
        spans_to_tags([("PER", 2, 2)], 4)
    with pytest.raises(DataError, match="not B-PER"):
        spans_to_tags([("B-PER", 0, 1)], 4)
    with pytest.raises(DataError, match=r"\(type, start, end\)"):
        spans_to_tags([("PER", 0)], 4)
    with pytest.raises(ConfigError):
        spans_to_tags([], 4, scheme="BILOU")
    # A hyphenated type round-trips like any other.
    assert tags_to_spans(spans_to_tags([("ORG-X", 0, 2)], 2)) == [("ORG-X", 0, 2)]


@pytest.mark.parametrize("source", SCHEMES)
@pytest.mark.parametrize("to", SCHEMES)
def test_convert_scheme_all_pairs(source, to):
    assert convert_scheme(SEPARATE[source], to, source=source) == SEPARATE[to]
    assert convert_scheme(SEPARATE[source], to) == SEPARATE[to]
    if source != "IO":
        expected = ADJACENT_IO if to == "IO" else ADJACENT[to]
        assert convert_scheme(ADJACENT[source], to, source=source) == expected


def test_convert_scheme_bare_tags_and_errors():
    assert convert_scheme(["PER", "PER", "O"], "IO") == ["I-PER", "I-PER", "O"]
    assert convert_scheme(["PER", "PER", "O"], "BIO") == ["B-PER", "I-PER", "O"]
    with pytest.raises(ConfigError, match="target scheme 'IOE2'"):
        convert_scheme(["O"], "IOE2")


@pytest.mark.parametrize("scheme, cls", [("IO", sq.IOB1), ("IOB1", sq.IOB1), ("BIO", sq.IOB2), ("BIOES", sq.IOBES)])
def test_seqeval_scheme(scheme, cls):
    assert seqeval_scheme(scheme) is cls


def test_seqeval_scheme_unknown():
    with pytest.raises(ConfigError):
        seqeval_scheme("BILOU")


# --------------------------------------------------------------------------- properties

TYPES = ["PER", "LOC", "ORG"]


@st.composite
def span_sets(draw, max_len=20):
    """Random non-overlapping spans over a random number of words."""
    length = draw(st.integers(0, max_len))
    spans, i = [], 0
    while i < length:
        i += draw(st.integers(0, 2))  # a gap of O words, often none
        if i >= length:
            break
        end = draw(st.integers(i + 1, min(length, i + 4)))
        spans.append((draw(st.sampled_from(TYPES)), i, end))
        i = end
    return spans, length


def _has_adjacent_same_type(spans):
    return any(a[2] == b[1] and a[0] == b[0] for a, b in zip(spans, spans[1:]))


@settings(max_examples=300, deadline=None)
@given(span_sets(), st.sampled_from(["IOB1", "BIO", "BIOES"]))
def test_round_trip_spans_tags_spans(spans_length, scheme):
    spans, length = spans_length
    tags = spans_to_tags(spans, length, scheme)
    assert len(tags) == length
    assert tags_to_spans(tags) == spans
    assert tags_to_spans(tags, scheme) == spans
    # Our tags are well formed: seqeval's strict mode reads the same entities.
    strict = Tokens(tags, seqeval_scheme(scheme)).entities
    assert [(e.tag, e.start, e.end) for e in strict] == spans


@settings(max_examples=200, deadline=None)
@given(span_sets())
def test_round_trip_io_without_adjacent_same_type(spans_length):
    spans, length = spans_length
    tags = spans_to_tags(spans, length, "IO")
    if _has_adjacent_same_type(spans):
        assert len(tags_to_spans(tags, "IO")) < len(spans)
    else:
        assert tags_to_spans(tags, "IO") == spans
        strict = Tokens(tags, seqeval_scheme("IO")).entities
        assert [(e.tag, e.start, e.end) for e in strict] == spans


@settings(max_examples=200, deadline=None)
@given(span_sets())
def test_detect_scheme_on_generated_tags(spans_length):
    spans, length = spans_length
    seqs = {s: [spans_to_tags(spans, length, s)] for s in SCHEMES}
    if not spans:
        assert {detect_scheme(v) for v in seqs.values()} == {"IO"}
        return
    assert detect_scheme(seqs["IO"]) == "IO"
    assert detect_scheme(seqs["BIO"]) == "BIO"
    assert detect_scheme(seqs["BIOES"]) == "BIOES"
    # IOB1 without adjacent same-type entities has no B- at all: it is IO.
    assert detect_scheme(seqs["IOB1"]) == ("IOB1" if _has_adjacent_same_type(spans) else "IO")


def _seqeval_spans(tags):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [(t, s, e + 1) for t, s, e in get_entities(list(tags))]


BIO_ALPHABET = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG-X", "I-ORG-X"]
BIOES_ALPHABET = BIO_ALPHABET + ["E-PER", "S-PER", "E-LOC", "S-LOC"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(BIO_ALPHABET), max_size=25))
def test_agrees_with_seqeval_on_random_bio_iob1_tags(tags):
    assert tags_to_spans(tags) == _seqeval_spans(tags)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(BIOES_ALPHABET), max_size=25))
def test_agrees_with_seqeval_on_random_bioes_tags(tags):
    assert tags_to_spans(tags) == _seqeval_spans(tags)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(BIOES_ALPHABET), max_size=25), st.sampled_from(SCHEMES))
def test_convert_scheme_keeps_spans(tags, to):
    before = tags_to_spans(tags)
    after = tags_to_spans(convert_scheme(tags, to), to)
    if to == "IO":
        # IO merges touching same-type entities and nothing else.
        merged = []
        for span in before:
            if merged and merged[-1][2] == span[1] and merged[-1][0] == span[0]:
                merged[-1] = (span[0], merged[-1][1], span[2])
            else:
                merged.append(span)
        assert after == merged
    else:
        assert after == before


# --------------------------------------------------------------------------- detect_scheme


def _wikigold_sequences():
    text = (resources.files("nerkit") / "resources/wikigold/wikigold.conll.txt").read_text(encoding="utf-8")
    seqs, cur = [], []
    for line in text.splitlines():
        if not line.strip() or line.startswith("-DOCSTART-"):
            if cur:
                seqs.append(cur)
                cur = []
            continue
        cur.append(line.split()[-1])
    if cur:
        seqs.append(cur)
    return seqs


def test_detect_scheme_wikigold_is_io():
    seqs = _wikigold_sequences()
    assert len(seqs) > 1500
    # Only I- tags: valid IOB1 too, but nothing in it shows a B-, so it is IO; strict
    # scoring still uses seqeval's IOB1 through seqeval_scheme("IO").
    assert detect_scheme(seqs) == "IO"
    lm = create_label_map(seqs)
    assert lm.tags == ("O", "I-LOC", "I-MISC", "I-ORG", "I-PER")
    assert lm.names[-1] == TRAILING_TAG


def test_detect_scheme_rules():
    assert detect_scheme([]) == "IO"
    assert detect_scheme([["O", "O"]]) == "IO"
    assert detect_scheme([["PER", "PER", "O", "LOC"]]) == "IO"
    assert detect_scheme([["B-PER", "O"], ["O", "S-LOC"]]) == "BIOES"
    assert detect_scheme([["B-PER", "E-PER"]]) == "BIOES"
    assert detect_scheme([["B-PER", "I-PER", "B-PER"]]) == "BIO"
    assert detect_scheme([["I-PER", "B-PER"], ["I-LOC"]]) == "IOB1"
    # A flat list of tags is one sentence.
    assert detect_scheme(["I-PER", "B-PER"]) == "IOB1"
    # Mixed data: majority of entity openings decides; a tie goes to BIO.
    assert detect_scheme([["B-PER", "O", "B-LOC", "O", "I-ORG"]]) == "BIO"
    assert detect_scheme([["I-PER", "B-PER", "O", "I-LOC", "O", "B-ORG"]]) == "IOB1"
    assert detect_scheme([["B-PER", "O", "I-LOC"]]) == "BIO"
    # Each sentence starts fresh: I- at the start of a sentence opens an entity.
    assert detect_scheme([["B-PER"], ["I-PER"], ["I-PER"]]) == "IOB1"


def test_detect_scheme_bad_tag_is_located():
    with pytest.raises(DataError, match=r"sequence 1, position 2: tag 'Z-PER'"):
        detect_scheme([["O"], ["O", "B-PER", "Z-PER"]])


# --------------------------------------------------------------------------- label map


def test_create_label_map_order_and_forms():
    nested = create_label_map([["I-PER", "O", "B-PER"], ["B-LOC"]])
    assert nested.tags == ("O", "B-LOC", "B-PER", "I-PER")
    assert nested.trailing_tag == "X"
    assert nested.names == ("O", "B-LOC", "B-PER", "I-PER", "X")
    assert nested.num_labels == 5
    assert nested.label2id == {"O": 0, "B-LOC": 1, "B-PER": 2, "I-PER": 3, "X": 4}
    assert nested.id2label == {0: "O", 1: "B-LOC", 2: "B-PER", 3: "I-PER", 4: "X"}
    flat = create_label_map(iter(["I-PER", "O", "B-PER", "B-LOC"]))
    assert flat == nested
    none = create_label_map(["B-PER"], trailing_tag=None)
    assert none.tags == ("O", "B-PER")  # O is always a class
    assert none.names == none.tags and none.num_labels == 2


def test_create_label_map_clash():
    msg = "the trailing-piece tag 'X' is also a tag in the data; choose another with trailing_tag="
    with pytest.raises(ConfigError, match=msg.replace("(", r"\(")):
        create_label_map([["X", "O"]])
    with pytest.raises(ConfigError, match="trailing-piece tag 'O'"):
        create_label_map([["B-PER"]], trailing_tag="O")
    assert create_label_map([["X", "O"]], trailing_tag="[X]").names == ("O", "X", "[X]")
    with pytest.raises(ConfigError, match="trailing-piece tag 'X'"):
        LabelMap(("O", "X"), "X")


def test_create_label_map_rejects_bad_tags():
    with pytest.raises(DataError, match="Z-PER"):
        create_label_map([["O", "Z-PER"]])


def test_label_map_mutations_do_not_leak():
    lm = create_label_map(["B-PER"])
    lm.label2id["B-PER"] = 99
    lm.id2label[0] = "junk"
    assert lm.label2id["B-PER"] == 1 and lm.id2label[0] == "O"
    with pytest.raises(AttributeError):
        lm.tags = ("O",)
    assert LabelMap(["O", "B-PER"]).tags == ("O", "B-PER")  # list frozen into tuple
    assert hash(LabelMap(("O",))) == hash(LabelMap(("O",)))


def test_label_map_invalid():
    with pytest.raises(ConfigError, match="at least one"):
        LabelMap(())
    with pytest.raises(ConfigError, match="twice"):
        LabelMap(("O", "B-PER", "O"))
    with pytest.raises(ConfigError, match="trailing_tag"):
        LabelMap(("O",), "")


def test_encode_decode():
    lm = create_label_map(["O", "I-LOC", "I-PER"])
    assert lm.encode(["I-PER", "O", "X", "I-LOC"]) == [2, 0, 3, 1]
    assert lm.decode([2, 0, 3, 1]) == ["I-PER", "O", "X", "I-LOC"]
    assert lm.encode([]) == [] and lm.decode([]) == []
    assert lm.encode(iter(["O"])) == [0]


def test_decode_numpy_and_torch_ids():
    np = pytest.importorskip("numpy")
    lm = create_label_map(["O", "B-PER"])
    assert lm.decode(np.array([1, 0, 2])) == ["B-PER", "O", "X"]
    torch = pytest.importorskip("torch")
    assert lm.decode(torch.tensor([1, 0])) == ["B-PER", "O"]


def test_encode_unknown_tag_message():
    lm = create_label_map(["O", "I-LOC", "I-PER"])
    with pytest.raises(DataError) as e:
        lm.encode(["O", "B-FOO"], where="train.conll line 7: ")
    assert str(e.value) == (
        "train.conll line 7: tag 'B-FOO' is not one of the model's labels "
        "(O, I-LOC, I-PER, X); retrain with data that has it or fix the data"
    )
    many = create_label_map([f"B-T{i:02d}" for i in range(20)])
    with pytest.raises(DataError, match=r"\(O, B-T00, .*, \.\.\.\); retrain"):
        many.encode(["B-FOO"])


def test_decode_out_of_range():
    lm = create_label_map(["O", "B-PER"], trailing_tag=None)
    with pytest.raises(ModelError, match="out of range"):
        lm.decode([0, 2])
    with pytest.raises(ModelError, match="-100"):
        lm.decode([-100])
    with pytest.raises(ModelError, match="not an integer"):
        lm.decode([1.0])


@pytest.mark.parametrize("trailing", ["X", None])
def test_to_dict_from_dict_round_trip(trailing):
    lm = create_label_map([["B-PER", "I-PER", "O", "B-LOC"]], trailing_tag=trailing)
    d = json.loads(json.dumps(lm.to_dict()))
    assert d == {"tags": list(lm.tags), "trailing_tag": trailing}
    back = LabelMap.from_dict(d)
    assert back == lm and back.names == lm.names


def test_from_dict_damaged():
    with pytest.raises(ModelError, match="no 'tags' list"):
        LabelMap.from_dict({"labels": []})
    with pytest.raises(ModelError, match="invalid"):
        LabelMap.from_dict({"tags": ["O", "X"], "trailing_tag": "X"})


def test_from_id2label_json_keys_and_order():
    lm = create_label_map([["B-PER", "I-PER", "O"]])
    # transformers writes int keys; after a JSON round trip they are strings.
    config_id2label = json.loads(json.dumps(lm.id2label))
    assert set(config_id2label) == {"0", "1", "2", "3"}
    assert LabelMap.from_id2label(config_id2label, "X") == lm
    assert LabelMap.from_id2label(lm.id2label, "X") == lm
    # A hub model's order is kept: ids must mean what the model was trained with.
    hub = LabelMap.from_id2label({0: "O", 1: "B-MISC", 2: "I-MISC", 3: "B-PER"}, None)
    assert hub.tags == ("O", "B-MISC", "I-MISC", "B-PER")
    assert hub.label2id["B-PER"] == 3


def test_from_id2label_errors():
    with pytest.raises(ModelError, match="not 0..1"):
        LabelMap.from_id2label({0: "O", 2: "B-PER"}, None)
    with pytest.raises(ModelError, match="'X' is missing"):
        LabelMap.from_id2label({0: "O", 1: "B-PER"}, "X")
    with pytest.raises(ModelError, match="'X' is at id 0, not last"):
        LabelMap.from_id2label({0: "X", 1: "O"}, "X")
    with pytest.raises(ModelError, match="integer ids"):
        LabelMap.from_id2label({"a": "O"}, None)
    with pytest.raises(ModelError, match="twice"):
        LabelMap.from_id2label({0: "O", 1: "O"}, None)


@pytest.mark.parametrize("tags, named", [([1, 2], "tag 1 is a int"), (None, "got NoneType"), ("I-PER", "got str")])
def test_tags_that_are_not_strings_are_named(tags, named):
    # A list of numbers raised a TypeError from inside; a lone string was read character by character.
    with pytest.raises(DataError, match=named):
        create_label_map(tags)

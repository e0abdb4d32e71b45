"""Tests for nerkit.encoding.batches: padding windows into batches, and the order of batches."""

import random

import pytest
from transformers import AutoTokenizer

from nerkit.encoding.batches import WindowTable, collate, cut, gather_many, length_grouped_batches, sorted_batches
from nerkit.encoding.windows import IGNORE, Window, encode
from nerkit.labels import create_label_map


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


def test_collate_pads_to_longest_or_fixed(tokenizer):
    lm = create_label_map(["O"], trailing_tag=None)
    windows, _ = encode([["a"], ["a", "b", "c"]], tokenizer, lm, [["O"], ["O"] * 3], max_len=32)
    batch = collate(windows, pad_id=0)
    assert batch.input_ids.shape == (2, 5)
    assert batch.attention_mask.tolist() == [[1, 1, 1, 0, 0], [1] * 5]
    assert batch.labels[0, 3:].tolist() == [IGNORE, IGNORE]
    assert collate(windows, pad_id=0, pad_to=20).input_ids.shape == (2, 20)


def random_windows(n=30, seed=0):
    rng = random.Random(seed)
    windows = []
    for k in range(n):
        size = rng.randint(1, 12)
        windows.append(Window(
            sentence=k // 2,
            input_ids=[rng.randint(1, 99) for _ in range(size)],
            type_ids=[rng.randint(0, 3) for _ in range(size)],
            word_index=[rng.randint(-1, 9) for _ in range(size)],
            labels=[rng.choice([IGNORE, 0, 1, 2]) for _ in range(size)],
        ))  # fmt: skip
    return windows


def expected(windows, batch, pad_id, width):
    """A batch padded by hand, window by window."""
    rows = [windows[i] for i in batch]

    def padded(field, fill):
        return [getattr(w, field) + [fill] * (width - len(w.input_ids)) for w in rows]

    return {
        "input_ids": padded("input_ids", pad_id),
        "attention_mask": [[1] * len(w.input_ids) + [0] * (width - len(w.input_ids)) for w in rows],
        "token_type_ids": padded("type_ids", 0),
        "word_index": padded("word_index", -1),
        "labels": padded("labels", IGNORE),
        "sentence": [w.sentence for w in rows],
    }


@pytest.mark.parametrize("pad_to", [None, 16])
def test_gather_many_pads_each_batch_like_padding_by_hand(pad_to):
    windows = random_windows()
    table = WindowTable.build(windows)
    rng = random.Random(1)
    batches = [rng.sample(range(len(windows)), rng.randint(1, 6)) for _ in range(9)] + [[4]]
    got = gather_many(table, batches, pad_id=7, pad_to=pad_to)
    assert len(got) == len(batches)
    for batch, idx in zip(got, batches):
        width = pad_to or max(len(windows[i].input_ids) for i in idx)
        want = expected(windows, idx, 7, width)
        assert {name: getattr(batch, name).tolist() for name in want} == want
        assert batch.input_ids.shape == (len(idx), width)


def test_cut_gives_the_batches_of_gather_many_a_few_at_a_time():
    windows = random_windows(40, seed=3)
    table = WindowTable.build(windows)
    batches = [list(range(k, min(k + 3, 40))) for k in range(0, 40, 3)]  # 14 batches, the last of one window
    whole = gather_many(table, batches, pad_id=0)
    for ahead in (1, 5, 64):
        pieces = list(cut(table, iter(batches), pad_id=0, ahead=ahead))
        assert len(pieces) == len(whole)
        for a, b in zip(pieces, whole):
            assert a.input_ids.tolist() == b.input_ids.tolist() and a.labels.tolist() == b.labels.tolist()
    assert gather_many(table, [], pad_id=0) == []


def test_a_table_without_labels_gives_batches_without_labels():
    windows = [Window(0, [2, 7, 3], [0, 0, 0], [-1, 0, -1]), Window(1, [2, 3], [0, 0], [-1, -1])]
    (batch,) = gather_many(WindowTable.build(windows), [[1, 0]], pad_id=0)
    assert batch.labels is None and batch.input_ids.tolist() == [[2, 3, 0], [2, 7, 3]]


def test_length_grouped_batches_cover_everything_once_and_group_lengths():
    lengths = [(i * 37) % 100 for i in range(1000)]
    batches = length_grouped_batches(lengths, 10, seed=1)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 10  # random batches would spread ~90
    assert batches != length_grouped_batches(lengths, 10, seed=2)


def test_sorted_batches_respect_token_cap():
    lengths = [100, 5, 50, 5, 5]
    batches = list(sorted_batches(lengths, batch_size=4, max_tokens=120))
    assert batches[0] == [0]
    assert sorted(i for b in batches for i in b) == list(range(5))


def padded_size(batches, lengths):
    return sum(len(b) * max(lengths[i] for i in b) for b in batches)


def varied_lengths(n=400, seed=0):
    rng = random.Random(seed)
    # wikigold-like: mostly short sentences, a long tail
    return [min(200, 3 + int(rng.expovariate(1 / 28))) for _ in range(n)]


def test_length_grouping_cuts_padding_and_keeps_every_example_once():
    lengths = varied_lengths()
    grouped = length_grouped_batches(lengths, 16, seed=1, group=True)
    plain = length_grouped_batches(lengths, 16, seed=1, group=False)
    for batches in (grouped, plain):
        assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
        assert all(len(b) <= 16 for b in batches)
    real = sum(lengths)
    # Grouped batches waste little on padding (only the long tail's batches are uneven);
    # random ones waste more than half of their positions.
    assert padded_size(grouped, lengths) < 1.25 * real
    assert padded_size(plain, lengths) > 2 * padded_size(grouped, lengths)


def test_length_grouping_still_shuffles_between_epochs():
    lengths = varied_lengths()
    a = length_grouped_batches(lengths, 16, seed=1)
    b = length_grouped_batches(lengths, 16, seed=2)
    assert a != b
    # the order of batches is not simply longest-first
    firsts = [max(lengths[i] for i in batch) for batch in a]
    assert firsts != sorted(firsts, reverse=True)


def test_sorted_batches_longest_first_and_capped_by_tokens():
    lengths = varied_lengths(100)
    batches = list(sorted_batches(lengths, 8, max_tokens=400))
    assert sorted(i for b in batches for i in b) == list(range(100))
    heads = [lengths[b[0]] for b in batches]
    assert heads == sorted(heads, reverse=True)
    assert all(len(b) * lengths[b[0]] <= 400 or len(b) == 1 for b in batches)


def test_collate_pads_to_the_longest_member_unless_told(trained_tiny, tiny_data):
    windows, _ = encode(
        tiny_data.sentences, trained_tiny.tokenizer, trained_tiny.label_map, tiny_data.labels, max_len=64
    )
    longest = max(len(w.input_ids) for w in windows)
    batch = collate(windows, pad_id=0)
    assert batch.input_ids.shape == (len(windows), longest)
    assert int(batch.attention_mask.sum()) == sum(len(w.input_ids) for w in windows)
    assert collate(windows, pad_id=0, pad_to=60).input_ids.shape == (len(windows), 60)


def test_batches_cut_from_the_table_equal_padding_each_window_by_hand():
    from nerkit.encoding.batches import WindowTable, gather
    from nerkit.encoding.windows import Window

    rng = random.Random(3)
    windows = []
    for s in range(30):
        n = rng.randint(2, 12)
        windows.append(Window(s, [rng.randint(5, 99) for _ in range(n)], [rng.randint(0, 3) for _ in range(n)],
                              [rng.choice([-1, 0, 1]) for _ in range(n)], [rng.choice([IGNORE, 0, 2]) for _ in range(n)]))  # fmt: skip
    table = WindowTable.build(windows)
    for idx in ([4, 17, 2], [9], list(range(30))[::-1]):
        batch = gather(table, idx, pad_id=1)
        width = max(len(windows[i].input_ids) for i in idx)
        for row, i in enumerate(idx):
            w, pad = windows[i], width - len(windows[i].input_ids)
            assert batch.input_ids[row].tolist() == w.input_ids + [1] * pad
            assert batch.token_type_ids[row].tolist() == w.type_ids + [0] * pad
            assert batch.word_index[row].tolist() == w.word_index + [-1] * pad
            assert batch.labels[row].tolist() == w.labels + [IGNORE] * pad
            assert batch.attention_mask[row].tolist() == [1] * len(w.input_ids) + [0] * pad
        assert batch.sentence.tolist() == idx
    assert gather(table, [0, 1], pad_id=0, pad_to=20).input_ids.shape == (2, 20)

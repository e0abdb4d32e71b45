"""The fast paths behave: less padding, batched tokenization, inference mode, bf16 switch.

No test here times anything; benchmarks/speed.py measures speed side by side.
"""

import random

import pytest
import torch

import nerkit
from nerkit import model as model_module
from nerkit.cli import main
from nerkit.errors import ConfigError
from nerkit.features import collate, encode, length_grouped_batches, sorted_batches
from nerkit.train import TrainConfig, use_bf16


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
    windows, _ = encode(tiny_data.sentences, trained_tiny.tokenizer, trained_tiny.label_map, tiny_data.labels, max_len=64)
    longest = max(len(w.input_ids) for w in windows)
    batch = collate(windows, pad_id=0)
    assert batch.input_ids.shape == (len(windows), longest)
    assert int(batch.attention_mask.sum()) == sum(len(w.input_ids) for w in windows)
    assert collate(windows, pad_id=0, pad_to=60).input_ids.shape == (len(windows), 60)


def test_training_with_grouping_spends_fewer_padded_tokens(tiny_model_dir, tiny_data):
    # Sentences of very different lengths, built from the tiny vocabulary.
    rng = random.Random(3)
    sentences, labels = [], []
    for _ in range(48):
        words, tags = [], []
        for _ in range(rng.choice([1, 1, 2, 6])):
            s, t = rng.choice(list(zip(tiny_data.sentences, tiny_data.labels)))
            words += s
            tags += t
        sentences.append(words)
        labels.append(tags)
    data = nerkit.Dataset(sentences=sentences, labels=labels, name="varied")
    opts = dict(epochs=1, batch_size=8, progress=False, max_len=64)
    grouped = nerkit.fit(data, str(tiny_model_dir), group_by_length=True, **opts).history[0]
    plain = nerkit.fit(data, str(tiny_model_dir), group_by_length=False, **opts).history[0]
    assert grouped["tokens"] == plain["tokens"]  # the same real pieces either way
    assert grouped["padded_tokens"] < plain["padded_tokens"]
    fixed = nerkit.fit(data, str(tiny_model_dir), pad_to=64, **opts).history[0]
    assert fixed["padded_tokens"] == 64 * len(data)


def test_prediction_tokenizes_once_and_runs_in_inference_mode(trained_tiny, tiny_data, monkeypatch):
    calls, modes = [], []
    tokenizer = trained_tiny.tokenizer
    original = type(tokenizer).__call__

    def counting(self, *args, **kwargs):
        calls.append(len(args[0]) if args else None)
        return original(self, *args, **kwargs)

    hook = trained_tiny.network.register_forward_pre_hook(lambda module, args: modes.append(torch.is_inference_mode_enabled()))
    monkeypatch.setattr(type(tokenizer), "__call__", counting)
    try:
        tags = nerkit.predict(trained_tiny, tiny_data.sentences * 5, batch_size=4).tags
    finally:
        hook.remove()
    assert calls == [len(tiny_data.sentences) * 5]  # one batched call for all sentences
    assert len(modes) == 10 and all(modes)  # 40 sentences in batches of 4, all under inference_mode
    assert tags == nerkit.predict(trained_tiny, tiny_data.sentences).tags * 5


def test_results_in_input_order_whatever_the_lengths(trained_tiny, tiny_data):
    # Shuffle sentences of different lengths (some repeated to many times their length):
    # sorting by length inside predict must not leak into the output order.
    rng = random.Random(5)
    sentences = [s * rng.choice([1, 3, 9]) for s in tiny_data.sentences * 3]
    rng.shuffle(sentences)
    together = nerkit.predict(trained_tiny, sentences, batch_size=5).tags
    alone = [nerkit.predict(trained_tiny, [s]).tags[0] for s in sentences]
    assert together == alone


def test_bf16_gives_the_same_tags_as_fp32(trained_tiny, tiny_data):
    fp32 = nerkit.predict(trained_tiny, tiny_data, precision="fp32", probabilities=True)
    bf16 = nerkit.predict(trained_tiny, tiny_data, precision="bf16", probabilities=True)
    words = sum(len(s) for s in fp32.tags)
    same = sum(a == b for x, y in zip(fp32.tags, bf16.tags) for a, b in zip(x, y))
    assert same / words >= 0.95
    # bf16 keeps about 3 significant digits: probabilities agree to a few hundredths, not exactly
    worst = max(abs(p - q).max() for p, q in zip(fp32.probabilities, bf16.probabilities))
    assert 0 < worst < 0.05


def test_bf16_training_keeps_fp32_master_weights(tiny_model_dir, tiny_data):
    m = nerkit.fit(tiny_data, str(tiny_model_dir), epochs=3, batch_size=4, lr=5e-3, warmup=0.0, precision="bf16",
                   progress=False, max_len=32)
    assert {p.dtype for p in m.network.parameters()} == {torch.float32}
    losses = [r["loss"] for r in m.history]
    assert losses[-1] < losses[0]


def test_auto_precision_follows_the_hardware(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(model_module, "cpu_has_fast_bf16", lambda: False)
    assert use_bf16("auto", cpu) is False
    assert use_bf16("bf16", cpu) is True
    monkeypatch.setattr(model_module, "cpu_has_fast_bf16", lambda: True)
    assert use_bf16("auto", cpu) is True
    assert use_bf16("fp32", cpu) is False  # the switch to turn it off


def test_bad_precision_is_refused(tiny_data, capsys):
    with pytest.raises(ConfigError, match="precision must be auto, bf16 or fp32"):
        TrainConfig(precision="fp16")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", "wikigold", "--precision", "fp16", "--output", "unused"])
    assert exit_info.value.code == 2
    assert "precision" in capsys.readouterr().err

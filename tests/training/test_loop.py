import random

import pytest

import nerkit
from nerkit.errors import ConfigError, DataError


def test_training_lowers_the_loss_and_learns(trained_tiny, tiny_data):
    losses = [r["loss"] for r in trained_tiny.history]
    assert len(losses) == 40
    assert losses[-1] < losses[0] / 2
    assert nerkit.evaluate(trained_tiny, tiny_data).f1 > 0.6


def test_same_seed_same_model(tiny_model_dir, tiny_data):
    opts = dict(epochs=2, batch_size=4, lr=1e-3, progress=False, max_len=32)
    a = nerkit.fit(tiny_data, str(tiny_model_dir), **opts)
    b = nerkit.fit(tiny_data, str(tiny_model_dir), **opts)
    assert [r["loss"] for r in a.history] == [r["loss"] for r in b.history]


def test_recipe_mode_trains_with_x_and_never_predicts_it(tiny_model_dir, tiny_data):
    m = nerkit.fit(tiny_data, str(tiny_model_dir), epochs=2, trailing="tag", pad_to=32, progress=False, max_len=32)
    assert "X" in m.label_map.names
    tags = nerkit.predict(m, tiny_data).tags
    assert all(t != "X" for s in tags for t in s)


def test_validation_keeps_the_best_epoch(tiny_model_dir, tiny_data):
    m = nerkit.fit(
        tiny_data,
        str(tiny_model_dir),
        validation=tiny_data,
        epochs=3,
        batch_size=4,
        lr=5e-3,
        progress=False,
        max_len=32,
    )
    f1s = [r["val_f1"] for r in m.history]
    assert nerkit.evaluate(m, tiny_data).f1 == pytest.approx(max(f1s))


def test_bad_options_are_refused(tiny_data):
    # fit's own checks; the TrainConfig values are checked in tests/training/test_config.py.
    with pytest.raises(ConfigError, match="unknown training option"):
        nerkit.fit(tiny_data, epochz=3)
    with pytest.raises(DataError, match="no tags"):
        nerkit.fit(nerkit.Dataset(sentences=[["a"]], labels=None))


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


def test_the_loss_is_read_back_once_an_epoch_not_every_step(tiny_model_dir, tiny_data, monkeypatch):
    """Reading a number back from a GPU makes the host wait: the loop does it at epoch ends only."""
    import nerkit.training.loop as loop

    reads, read = [], loop._Running.read
    monkeypatch.setattr(loop._Running, "read", lambda self: reads.append(1) or read(self))
    m = nerkit.fit(tiny_data, str(tiny_model_dir), epochs=2, batch_size=2, progress=False, max_len=32)
    assert len(reads) == 2  # 4 steps an epoch, one read each epoch
    assert all(r["loss"] > 0 and r["tokens"] > 0 for r in m.history)


def test_bf16_training_follows_fp32(tiny_model_dir, tiny_data):
    """The bf16 path (forced, so it runs on any CPU): same course as fp32 within bf16's rounding."""
    opts = dict(epochs=4, batch_size=4, lr=5e-3, warmup=0.0, progress=False, max_len=32)
    fp32 = nerkit.fit(tiny_data, str(tiny_model_dir), precision="fp32", **opts)
    bf16 = nerkit.fit(tiny_data, str(tiny_model_dir), precision="bf16", **opts)
    a, b = [r["loss"] for r in fp32.history], [r["loss"] for r in bf16.history]
    assert a != b  # bf16 really ran
    assert b == pytest.approx(a, rel=0.1)
    assert b[-1] < b[0]
    assert [r["tokens"] for r in bf16.history] == [r["tokens"] for r in fp32.history]


def test_context_dropout_of_one_trains_exactly_as_without_context(tiny_model_dir, tiny_data):
    opts = dict(epochs=2, batch_size=4, lr=1e-3, progress=False, max_len=32, precision="fp32")
    plain = nerkit.fit(tiny_data, str(tiny_model_dir), context=0, **opts)
    dropped = nerkit.fit(tiny_data, str(tiny_model_dir), context=8, context_dropout=1.0, **opts)
    read = nerkit.fit(tiny_data, str(tiny_model_dir), context=8, context_dropout=0.0, **opts)
    assert [r["tokens"] for r in dropped.history] == [r["tokens"] for r in plain.history]
    assert [r["loss"] for r in dropped.history] == [r["loss"] for r in plain.history]
    # With no dropout every sentence that has neighbours is read with them: more pieces, another loss.
    assert all(r["tokens"] > p["tokens"] for r, p in zip(read.history, plain.history))
    assert dropped.inference.context == read.inference.context == 8


def test_context_dropout_draws_each_epoch_anew_and_the_same_way_every_run(tiny_model_dir, tiny_data):
    opts = dict(epochs=6, batch_size=4, lr=1e-3, progress=False, max_len=32, context=8, context_dropout=0.5)
    a = nerkit.fit(tiny_data, str(tiny_model_dir), **opts)
    b = nerkit.fit(tiny_data, str(tiny_model_dir), **opts)
    tokens = [r["tokens"] for r in a.history]
    assert tokens == [r["tokens"] for r in b.history]
    assert len(set(tokens)) > 1  # another share of the sentences keeps its context in each epoch


def test_bad_context_options_are_refused(tiny_data):
    with pytest.raises(ConfigError, match="--context"):
        nerkit.fit(tiny_data, context=-1)
    with pytest.raises(ConfigError, match="context_dropout"):
        nerkit.fit(tiny_data, context_dropout=2.0)

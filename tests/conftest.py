"""Tiny offline fixtures: a BERT of a few thousand weights with a vocabulary built here.

The tiny model is saved as an ordinary pretrained directory, so every code path that loads
a hub model or the embedded one (``nerkit.build(source)``) is exercised without a network.
"""

from __future__ import annotations

import os
import warnings

import pytest
import torch
from hypothesis import settings

# Tiny models gain nothing from threads, and one thread per test process keeps timings sane
# on a shared 2-core machine.
torch.set_num_threads(1)

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# CI (.ci/run) runs the property and fuzz tests on the same examples every time, so a run fails
# only for a change; elsewhere each run explores new examples, which is how the fuzzers find bugs.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Short sentences in the wikigold style (IO tags), with repeated entities so a tiny model can learn them.
SENTENCES = [
    (["Barack", "Obama", "visited", "Paris", "."], ["I-PER", "I-PER", "O", "I-LOC", "O"]),
    (["Angela", "Merkel", "met", "Obama", "in", "Berlin", "."], ["I-PER", "I-PER", "O", "I-PER", "O", "I-LOC", "O"]),
    (["Google", "opened", "an", "office", "in", "London", "."], ["I-ORG", "O", "O", "O", "O", "I-LOC", "O"]),
    (["The", "Olympics", "were", "held", "in", "Paris", "."], ["O", "I-MISC", "O", "O", "O", "I-LOC", "O"]),
    (["Merkel", "spoke", "to", "Google", "staff", "."], ["I-PER", "O", "O", "I-ORG", "O", "O"]),
    (["London", "and", "Berlin", "are", "cities", "."], ["I-LOC", "O", "I-LOC", "O", "O", "O"]),
    (["Obama", "watched", "the", "Olympics", "."], ["I-PER", "O", "O", "I-MISC", "O"]),
    (["Microsoft", "hired", "Angela", "in", "Berlin", "."], ["I-ORG", "O", "I-PER", "O", "I-LOC", "O"]),
]

WORDS = sorted({w for s, _ in SENTENCES for w in s} | {"is", "a", "city", "long", "sentence", "word", "the"})


def tiny_vocab() -> list[str]:
    """Special tokens, whole words (lower-cased, like an uncased model), characters and ## pieces."""
    chars = sorted({c for w in WORDS for c in w.lower()} | set("abcdefghijklmnopqrstuvwxyz0123456789.,-'()"))
    return (
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        + sorted({w.lower() for w in WORDS})
        + chars
        + [f"##{c}" for c in chars]
    )


def make_tiny_model_dir(path, uncased: bool = True, hidden: int = 32, layers: int = 2):
    """Save a randomly initialised BERT token classifier and its tokenizer under ``path``."""
    import json

    from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

    path.mkdir(parents=True, exist_ok=True)
    # A vocab.txt and a tokenizer config load the same way in transformers 4 and 5.
    (path / "vocab.txt").write_text("\n".join(tiny_vocab()) + "\n")
    (path / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": uncased})
    )
    tokenizer = AutoTokenizer.from_pretrained(path)
    config = BertConfig(
        vocab_size=len(tiny_vocab()),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=64,
        type_vocab_size=2,
        num_labels=2,
    )
    import torch

    torch.manual_seed(0)
    BertForTokenClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return make_tiny_model_dir(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_data():
    from nerkit.data import Dataset

    return Dataset(
        sentences=[list(s) for s, _ in SENTENCES],
        labels=[list(t) for _, t in SENTENCES],
        doc_ids=[i // 2 for i in range(len(SENTENCES))],
        name="tiny",
    )


@pytest.fixture(scope="session")
def tiny_conll(tmp_path_factory):
    """The tiny sentences as a CoNLL file with two documents."""
    path = tmp_path_factory.mktemp("data") / "tiny.conll"
    lines = []
    for i, (words, tags) in enumerate(SENTENCES):
        if i % 4 == 0:
            lines += ["-DOCSTART- O", ""]
        lines += [f"{w} {t}" for w, t in zip(words, tags)] + [""]
    path.write_text("\n".join(lines))
    return path


# The tiny models' word embeddings are random: they learn (nerkit freezes pretrained ones by default).
TINY_WORDS = dict(freeze_word_embeddings=False)


@pytest.fixture(scope="session")
def trained_tiny(tiny_model_dir, tiny_data):
    """A tiny model trained long enough to learn the tiny data (used read-only by many tests).

    Its word embeddings are random, not pretrained, so they are trained (``TINY_WORDS``): frozen, the
    tiny model learns the data too loosely for the tests that compare windows and code paths.
    """
    import nerkit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nerkit.fit(
            tiny_data, str(tiny_model_dir), epochs=40, batch_size=4, lr=5e-3, warmup=0.0, progress=False, max_len=64,
            **TINY_WORDS,
        )  # fmt: skip


@pytest.fixture(scope="session")
def trained_context(tiny_model_dir, tiny_data):
    """The tiny model trained like ``trained_tiny`` but reading 8 word pieces of document context on each side."""
    import nerkit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nerkit.fit(
            tiny_data, str(tiny_model_dir), epochs=40, batch_size=4, lr=5e-3, warmup=0.0, progress=False, max_len=64,
            context=8, **TINY_WORDS,
        )  # fmt: skip


@pytest.fixture(scope="session")
def model_dir(trained_tiny, tmp_path_factory):
    """The trained tiny model saved once, as `nerkit train` saves it; copy it before changing it."""
    return trained_tiny.save(tmp_path_factory.mktemp("saved") / "tiny-model")

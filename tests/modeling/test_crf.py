"""The CRF layer: exact against brute force, trained through fit, saved with the model."""

import itertools
import warnings

import pytest
import torch

import nerkit
from cli_errors import error_line
from nerkit.errors import ConfigError
from nerkit.modeling.crf import LinearChainCRF
from nerkit.training.config import TrainConfig


@torch.no_grad()
def _brute(crf, em):
    """log Z and the best path of one sequence of word emissions (W, T), by enumeration."""
    w, t = em.shape
    scores = {}
    for path in itertools.product(range(t), repeat=w):
        s = crf.start[path[0]] + em[0, path[0]] + crf.end[path[-1]]
        for i in range(1, w):
            s = s + crf.transitions[path[i - 1], path[i]] + em[i, path[i]]
        scores[path] = s
    log_z = torch.logsumexp(torch.stack(list(scores.values())), 0)
    return log_z, max(scores, key=lambda p: float(scores[p])), scores


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_and_viterbi_match_enumeration_with_windows_of_pieces(seed):
    torch.manual_seed(seed)
    crf = LinearChainCRF(3)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    logits = torch.randn(2, 7, 3)
    # row 0: words start at pieces 1, 2, 4, 5 (piece 3 trails word 2); row 1: two words, then padding
    select = torch.tensor([[0, 1, 1, 0, 1, 1, 0], [0, 1, 0, 1, 0, 0, 0]], dtype=torch.bool)
    labels = torch.full((2, 7), -100)
    gold = [[2, 0, 1, 1], [1, 2]]
    for r in range(2):
        labels[r, select[r]] = torch.tensor(gold[r])
    expected_nll, expected_paths, n_words = 0.0, [], 0
    for r in range(2):
        em = logits[r, select[r]]
        log_z, best, scores = _brute(crf, em)
        expected_nll += float(log_z - scores[tuple(gold[r])])
        expected_paths += list(best)
        n_words += len(gold[r])
    assert float(crf.nll(logits, labels).detach()) == pytest.approx(expected_nll / n_words, rel=1e-5)
    assert crf.viterbi(logits, select).tolist() == expected_paths


def test_windows_without_words_are_skipped():
    crf = LinearChainCRF(2)
    logits = torch.randn(2, 4, 2)
    labels = torch.full((2, 4), -100)
    labels[0, 1] = 1
    loss = crf.nll(logits, labels)
    assert torch.isfinite(loss)
    assert crf.viterbi(logits, labels != -100).shape == (1,)


@pytest.fixture(scope="module")
def crf_model(tiny_model_dir, tiny_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nerkit.fit(
            tiny_data,
            str(tiny_model_dir),
            crf=True,
            epochs=30,
            batch_size=4,
            lr=5e-3,
            warmup=0.0,
            progress=False,
            max_len=64,
            freeze_word_embeddings=False,  # random, not pretrained: they learn (tests/conftest.py, TINY_WORDS)
        )


def test_fit_trains_the_crf_and_predict_uses_it(crf_model, tiny_data):
    crf = crf_model.crf
    assert crf is not None and float(crf.transitions.detach().abs().max()) > 0.1  # it left its zero start
    assert nerkit.evaluate(crf_model, tiny_data).f1 > 0.6
    # predict's tags are the Viterbi path, not each word's argmax, wherever the two differ
    p = nerkit.predict(crf_model, tiny_data, probabilities=True)
    assert [len(t) for t in p.tags] == [len(s) for s in tiny_data.sentences]


def test_crf_is_saved_and_loaded_with_the_model(crf_model, tiny_data, tmp_path):
    crf_model.save(tmp_path / "m")
    again = nerkit.load_model(tmp_path / "m")
    a, b = crf_model.crf, again.crf
    assert b is not None and torch.allclose(a.transitions, b.transitions)
    assert nerkit.predict(again, tiny_data).tags == nerkit.predict(crf_model, tiny_data).tags


def test_crf_is_on_by_default_except_in_the_recipe_x_mode(trained_tiny, tiny_model_dir, tiny_data):
    assert trained_tiny.crf is not None  # conftest trains with the defaults
    opts = dict(epochs=1, progress=False, max_len=32)
    assert nerkit.fit(tiny_data, str(tiny_model_dir), crf=False, **opts).crf is None
    assert nerkit.fit(tiny_data, str(tiny_model_dir), trailing="tag", **opts).crf is None


def test_crf_refuses_the_recipe_x_tag(capsys, tiny_conll, tmp_path):
    with pytest.raises(ConfigError, match="--trailing ignore"):
        TrainConfig(crf=True, trailing="tag")
    err = error_line(
        capsys,
        ["train", "--data", str(tiny_conll), "--crf", "on", "--trailing", "tag", "--output", str(tmp_path / "m")],
    )
    assert "CRF" in err


def test_decode_sentences_equals_decoding_each_sentence_alone():
    torch.manual_seed(3)
    crf = LinearChainCRF(4)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    counts = [3, 0, 5, 1]
    scores = torch.randn(sum(counts), 4)
    got = crf.decode_sentences(scores.numpy(), counts, chunk=2)
    expected, start = [], 0
    for n in counts:
        if n:
            expected += crf.viterbi(scores[start : start + n].unsqueeze(0), torch.ones(1, n, dtype=torch.bool)).tolist()
        start += n
    assert got.tolist() == expected


def test_a_long_sentence_is_decoded_whole_whatever_the_windows(crf_model):
    words = ["Obama", "visited", "Paris", "and"] * 100  # far over max_len 64: many windows
    tags = {stride: tuple(nerkit.predict(crf_model, [words], stride=stride).tags[0]) for stride in (0, 8, 32)}
    assert len(set(tags.values())) == 1
    assert tags[32][:3] == ("I-PER", "O", "I-LOC")

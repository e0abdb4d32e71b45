"""Tags for pre-split sentences, in input order, fast.

>>> import nerkit
>>> model = nerkit.load_model("runs/wikigold")                           # doctest: +SKIP
>>> nerkit.predict(model, [["Paris", "is", "in", "France", "."]]).tags   # doctest: +SKIP
[['I-LOC', 'O', 'O', 'I-LOC', 'O']]
>>> nerkit.predict(model, sentences, stride=16, precision="fp32")        # doctest: +SKIP

Sentences are tokenized in one batched call, sorted by length so each batch is padded
only to its longest member, run under ``torch.inference_mode`` (bf16 where the hardware
has it), and scattered back to input order with tensor indexing, not a loop per token.
Long sentences are tagged in overlapping windows, so no word goes untagged. With a CRF,
Viterbi runs over each whole sentence. With gold tags (a tagged
:class:`~nerkit.data.Dataset`), the evaluation loss is computed on the same positions the
training loss uses. The options (batch budget, stride, precision, context) are the model's
own (``model.inference``) unless overridden by keyword.

A model trained with document context (``context`` > 0) reads each sentence of a
:class:`~nerkit.data.Dataset` with the words around it in its document (its ``doc_ids``, in
the order of its ``positions``); a plain list of sentences is read sentence by sentence,
unless ``surroundings`` gives each one's neighbouring words
(:func:`nerkit.encoding.context.surrounding`; :class:`nerkit.Tagger` does this for each text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..data.dataset import Dataset, check_sentences
from ..encoding.batches import WindowTable, cut, sorted_batches
from ..encoding.context import Surrounding, check_documents, surrounding
from ..encoding.windows import IGNORE, Windows, encode
from ..hardware import use_bf16
from ..labels import convert_scheme
from ..modeling.model import NerModel, check_model
from ..modeling.options import InferenceOptions
from ..text.sentences import MAX_SENTENCE_WORDS
from .consistency import consistent_prediction

__all__ = ["Prediction", "predict", "predict_in_pieces", "PIECE_WORDS"]

# Words per call of predict() in predict_in_pieces: a call holds its windows, tensors and
# scores, a few KB a word, so a whole file in one call grew with the file (1.7 KB a word).
PIECE_WORDS = 20_000


@dataclass
class Prediction:
    tags: list[list[str]]  # one tag per original word
    scores: list[list[float]] | None = None  # probability of each chosen tag
    probabilities: list[np.ndarray] | None = None  # per sentence: words x tags (order of label_map.tags)
    loss: float | None = None  # mean cross-entropy over labelled pieces, when gold tags were given
    labelled: int = 0  # how many labelled pieces that mean is over (to combine shards' losses)


@dataclass
class _Scores:
    """Per-word results of the model calls, in the order the batches ran."""

    sentence: list = field(default_factory=list)  # sentence index of each word
    word: list = field(default_factory=list)  # word index within its sentence
    prob: list = field(default_factory=list)  # probabilities over the real tags
    logp: list = field(default_factory=list)  # their logarithms, for the CRF
    loss_sum: float = 0.0
    loss_count: int = 0


def predict(
    model: NerModel,
    data: Dataset | Sequence[Sequence[str]],
    probabilities: bool = False,
    options: InferenceOptions | None = None,
    surroundings: Sequence[Surrounding] | None = None,
    documents: Sequence | None = None,
    **overrides,
) -> Prediction:
    """Tag each word of each sentence; see the module docstring.

    ``overrides`` are fields of :class:`~nerkit.modeling.options.InferenceOptions`
    (``batch_size``, ``max_tokens``, ``stride``, ``precision``, ``context``, ``consistency``)
    applied to ``options`` (default: the model's own). ``documents`` (a document id per
    sentence; a Dataset's own doc ids by default) lets ``consistency`` give a name one type
    within each document.
    """
    model = check_model(model, "predict()")
    options = InferenceOptions.given(options, model.inference).updated(**overrides)
    if isinstance(data, Dataset):
        sentences, gold = data.sentences, data.labels
        if surroundings is None:
            surroundings = surrounding(sentences, data.doc_ids, options.context, data.positions)
        if documents is None:
            documents = data.doc_ids
    else:
        sentences, gold = [list(s) for s in check_sentences(data, "predict()'s data")], None
    if documents is not None:  # checked whether or not consistency is on, before the model runs
        check_documents(sentences, documents)
    if not sentences:
        return Prediction(tags=[], scores=[], probabilities=[] if probabilities else None)
    # A model trained in another scheme than the data's (TrainConfig.scheme) sees gold tags
    # in its own scheme for the loss, and its output goes back to the data's scheme.
    convert = model.label_scheme != model.output_scheme
    if gold is not None and convert:
        gold = [convert_scheme(t, model.label_scheme) for t in gold]
    windows, _ = encode(
        sentences,
        model.tokenizer,
        model.label_map,
        gold,
        max_len=model.max_len,
        stride=options.stride,
        casing=model.casing,
        context=options.context,
        surroundings=surroundings,
    )
    scores = _run(model, windows, options)
    tags, word_scores, flat_probs, offsets = _assemble(model, scores, [len(s) for s in sentences])
    consistent = options.consistency and documents is not None
    every = np.split(flat_probs, offsets[1:-1]) if probabilities or consistent else None
    if consistent:
        tags, word_scores = consistent_prediction(
            sentences, tags, word_scores, every, documents, model.label_map.tags, model.label_scheme
        )
    if convert:
        tags = [convert_scheme(t, model.output_scheme) for t in tags]
    return Prediction(
        tags=tags,
        scores=word_scores,
        probabilities=every if probabilities else None,
        loss=scores.loss_sum / scores.loss_count if scores.loss_count else None,
        labelled=scores.loss_count,
    )


def _run(model: NerModel, windows: Windows, options: InferenceOptions) -> _Scores:
    """Run the network over length-sorted batches of ``windows``.

    The windows become tensors once (on the model's device), each batch is cut out of them,
    and results stay on the device until the last batch: the host queues work and never
    waits for a batch to finish (on a GPU), and copies everything back in one go.
    """
    network, device = model.network, model.device
    network.eval()
    n_real = len(model.label_map.tags)  # the recipe's trailing tag, if any, is never a word's prediction
    bf16 = use_bf16(options.precision, device)
    table = WindowTable.build(windows).to(device)
    labelled = windows.labelled()
    out = _Scores()
    loss_sum = torch.zeros((), dtype=torch.float64, device=device) if device.type != "mps" else 0.0
    with torch.inference_mode():
        batches = list(sorted_batches(table.lengths, options.batch_size, options.token_budget(device)))
        for idx, batch in zip(batches, cut(table, batches, model.pad_id)):
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = network(**batch.model_inputs(device)).logits
            logits = logits.float()
            if batch.labels is not None:
                labels = batch.labels.to(device)
                # float64 sums of each batch's fp32 sum: the same total as adding Python floats.
                loss_sum = (
                    loss_sum
                    + torch.nn.functional.cross_entropy(
                        logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=IGNORE, reduction="sum"
                    ).double()
                )
                out.loss_count += int(labelled[idx].sum())
            word_index = batch.word_index.to(device)
            mask = word_index >= 0
            out.sentence.append(batch.sentence.to(device).unsqueeze(1).expand_as(mask)[mask])
            out.word.append(word_index[mask])
            logp = torch.log_softmax(logits[mask][:, :n_real], dim=-1)
            out.prob.append(logp.exp())
            if model.crf is not None:
                out.logp.append(logp)  # the CRF decodes these
    out.loss_sum = float(loss_sum)
    for name in ("sentence", "word", "prob", "logp"):
        parts = getattr(out, name)
        setattr(out, name, [torch.cat(parts).cpu()] if parts else [])
    return out


def _assemble(model: NerModel, scores: _Scores, counts: list[int]) -> tuple[list, list, np.ndarray, np.ndarray]:
    """Per sentence: the tags and each word's probability of its tag; and for every word, back
    to back, its probability of every tag (words x tags), sentence ``i``'s from ``offsets[i]``."""
    lm = model.label_map
    n_real = len(lm.tags)
    counts = np.asarray(counts, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    total = int(offsets[-1])
    outside = lm.label2id.get("O", 0)
    # Words with no word piece at all (e.g. a lone control character) keep "O".
    flat_probs = np.zeros((total, n_real), dtype=np.float32)
    flat_probs[:, outside] = 1.0
    if scores.prob:
        flat = offsets[torch.cat(scores.sentence).numpy()] + torch.cat(scores.word).numpy()
        flat_probs[flat] = torch.cat(scores.prob).numpy()
    best = flat_probs.argmax(axis=1)
    if scores.logp:
        # Viterbi over each whole sentence (each word's scores from the window that owns it),
        # so the tags do not depend on where long sentences were cut into windows.
        flat_logp = np.full((total, n_real), -1e4, dtype=np.float32)
        flat_logp[:, outside] = 0.0
        flat_logp[flat] = torch.cat(scores.logp).numpy()
        best = model.crf.decode_sentences(flat_logp, counts)
    # One list for all words, sliced per sentence: slicing a list is cheaper than splitting an array.
    flat_tags = np.asarray(lm.tags, dtype=object)[best].tolist()
    flat_scores = flat_probs[np.arange(total), best].tolist()
    bounds = list(zip(offsets[:-1].tolist(), offsets[1:].tolist()))
    return [flat_tags[a:b] for a, b in bounds], [flat_scores[a:b] for a, b in bounds], flat_probs, offsets


def predict_in_pieces(
    model: NerModel, sentences: Sequence[Sequence[str]], documents: Sequence | None = None, **overrides
) -> Prediction:
    """Tags and scores of any number of sentences of any length, in bounded memory.

    >>> import nerkit
    >>> model = nerkit.load_model("runs/wikigold")                                    # doctest: +SKIP
    >>> predict_in_pieces(model, [["Paris", "."] * 400_000]).tags[0][:2]              # doctest: +SKIP
    ['I-LOC', 'O']

    Sentences are tagged :data:`PIECE_WORDS` words at a time, and a sentence longer than
    :data:`~nerkit.text.sentences.MAX_SENTENCE_WORDS` words in consecutive parts of that
    many (the words at a cut see context from one side only, as with raw text's cap). The
    result holds what ``nerkit predict`` writes: tags and each tag's probability.
    ``documents`` (a document id per sentence) gives a model trained with document context
    the words around each sentence, across the pieces' borders too.
    """
    options = model.inference.updated(**overrides)
    if documents is not None:
        check_documents(sentences, documents)
    context = options.context
    around = surrounding(sentences, documents, context) if documents is not None and context else None
    # A document can span pieces: its names are made consistent once all of it is tagged.
    consistent = options.consistency and documents is not None
    pieces_options = {**overrides, "consistency": False}
    every: list[list] = [[] for _ in sentences] if consistent else []
    parts = [
        (i, a, min(a + MAX_SENTENCE_WORDS, len(s)))
        for i, s in enumerate(sentences)
        for a in range(0, max(len(s), 1), MAX_SENTENCE_WORDS)  # an empty sentence is one empty part
    ]
    tags: list[list[str]] = [[] for _ in sentences]
    scores: list[list[float]] = [[] for _ in sentences]
    group, size = [], 0
    for part in [*parts, None]:
        if part is None or (group and size + part[2] - part[1] > PIECE_WORDS):
            pieces = [sentences[i][a:b] for i, a, b in group]
            done = predict(model, pieces, surroundings=_parts_around(around, group, sentences),
                           probabilities=consistent, **pieces_options)  # fmt: skip
            for k, ((i, _, _), t, p) in enumerate(zip(group, done.tags, done.scores)):
                tags[i].extend(t)
                scores[i].extend(p)
                if consistent:
                    every[i].extend(done.probabilities[k])
            group, size = [], 0
        if part is not None:
            group.append(part)
            size += part[2] - part[1]
    if consistent:
        tags, scores = consistent_prediction(
            sentences, tags, scores, every, documents, model.label_map.tags, model.output_scheme
        )
    return Prediction(tags=tags, scores=scores)


def _parts_around(around, group: list[tuple[int, int, int]], sentences) -> list[Surrounding] | None:
    """The surroundings of whole sentences (``around``) for the parts ``(sentence, from, to)`` of them in ``group``.

    A part of a cut sentence keeps its sentence's context on the side it shares with it.
    """
    if around is None:
        return None
    return [(around[i][0] if a == 0 else [], around[i][1] if b == len(sentences[i]) else []) for i, a, b in group]

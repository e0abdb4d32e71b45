"""Tags for pre-split sentences, in input order, fast.

>>> import nerkit
>>> model = nerkit.load_model("runs/wikigold")                           # doctest: +SKIP
>>> nerkit.predict(model, [["Paris", "is", "in", "France", "."]]).tags   # doctest: +SKIP
[['I-LOC', 'O', 'O', 'I-LOC', 'O']]

Sentences are tokenized in one batched call, sorted by length so each batch is padded
only to its longest member, run under ``torch.inference_mode`` (bf16 where the hardware
has it), and scattered back to input order with tensor indexing, not a loop per token.
Long sentences are tagged in overlapping windows, so no word goes untagged.
With gold tags (a tagged :class:`~nerkit.data.Dataset`), the evaluation loss is computed
on the same positions the training loss uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .data import Dataset
from .features import IGNORE, collate, encode, sorted_batches
from .crf import decode_sentences, get_crf
from .labels import convert_scheme
from .model import NerModel
from .train import use_bf16


def default_max_tokens(device: torch.device) -> int:
    # A CPU runs small matrices near its peak, and a batch that fits its caches beats a big
    # one: on the 2-core AVX2 machine of benchmarks/RESULTS.md, batches of 1,024 pieces
    # tagged 1.30x the sentences/s of 64 whole sentences (benchmarks/predict_batching.py).
    # A GPU needs big batches to fill it.
    return 1024 if device.type == "cpu" else 16384


@dataclass
class Prediction:
    tags: list[list[str]]  # one tag per original word
    scores: list[list[float]] | None = None  # probability of each chosen tag
    probabilities: list[np.ndarray] | None = None  # per sentence: words x tags (order of label_map.tags)
    loss: float | None = None  # mean cross-entropy over labelled pieces, when gold tags were given
    labelled: int = 0  # how many labelled pieces that mean is over (to combine shards' losses)


def predict(
    model: NerModel,
    data: Dataset | Sequence[Sequence[str]],
    batch_size: int = 64,
    probabilities: bool = False,
    precision: str = "auto",
    stride: int = 32,
    max_tokens: int | None = None,
) -> Prediction:
    """Tag each word of each sentence; see the module docstring.

    A batch holds at most ``batch_size`` windows and at most ``max_tokens`` padded word
    pieces. ``max_tokens=None`` picks by device: 1,024 on a CPU, 16,384 on a GPU.
    """
    if isinstance(data, Dataset):
        sentences, gold = data.sentences, data.labels
    else:
        sentences, gold = [list(s) for s in data], None
    if not sentences:
        return Prediction(tags=[], scores=[], probabilities=[] if probabilities else None)
    # A model trained in another scheme than the data's (TrainConfig.scheme) sees gold tags
    # in its own scheme for the loss, and its output goes back to the data's scheme.
    tag_scheme = getattr(model, "train_scheme", None) or model.scheme
    convert = tag_scheme != model.scheme
    if gold is not None and convert:
        gold = [convert_scheme(t, tag_scheme) for t in gold]
    lm = model.label_map
    n_real = len(lm.tags)  # the recipe's trailing tag, if any, is never a word's prediction
    windows, _ = encode(sentences, model.tokenizer, lm, gold, max_len=model.max_len, stride=stride, casing=model.casing)
    network, device = model.network, model.device
    network.eval()
    if max_tokens is None:
        max_tokens = default_max_tokens(device)
    bf16 = use_bf16(precision, device)
    pad_id = model.tokenizer.pad_token_id if model.tokenizer.pad_token_id is not None else 0
    lengths = [len(w.input_ids) for w in windows]
    sent_parts, word_parts, prob_parts, logp_parts = [], [], [], []
    crf = get_crf(network)
    loss_sum, loss_count = 0.0, 0
    with torch.inference_mode():
        for idx in sorted_batches(lengths, batch_size, max_tokens):
            batch = collate([windows[i] for i in idx], pad_id)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = network(**batch.model_inputs(device)).logits
            logits = logits.float()
            if batch.labels is not None:
                labels = batch.labels.to(device)
                loss_sum += float(torch.nn.functional.cross_entropy(
                    logits.view(-1, logits.shape[-1]), labels.view(-1), ignore_index=IGNORE, reduction="sum"))
                loss_count += int((labels != IGNORE).sum())
            word_index = batch.word_index.to(device)
            mask = word_index >= 0
            logp = torch.log_softmax(logits[mask][:, :n_real], dim=-1)  # the CRF decodes these
            sent_parts.append(batch.sentence.to(device).unsqueeze(1).expand_as(mask)[mask].cpu())
            word_parts.append(word_index[mask].cpu())
            prob_parts.append(logp.exp().cpu())
            if crf is not None:
                logp_parts.append(logp.cpu())
    counts = np.asarray([len(s) for s in sentences], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    total = int(offsets[-1])
    # Words with no word piece at all (e.g. a lone control character) keep "O".
    flat_probs = np.zeros((total, n_real), dtype=np.float32)
    flat_probs[:, lm.label2id.get("O", 0)] = 1.0
    if prob_parts:
        probs = torch.cat(prob_parts).numpy()
        flat = offsets[torch.cat(sent_parts).numpy()] + torch.cat(word_parts).numpy()
        flat_probs[flat] = probs
    best = flat_probs.argmax(axis=1)
    if logp_parts:
        # Viterbi over each whole sentence (each word's scores from the window that owns it),
        # so the tags do not depend on where long sentences were cut into windows.
        flat_logp = np.full((total, n_real), -1e4, dtype=np.float32)
        flat_logp[:, lm.label2id.get("O", 0)] = 0.0
        flat_logp[flat] = torch.cat(logp_parts).numpy()
        best = decode_sentences(crf, flat_logp, counts)
    names = np.asarray(lm.tags, dtype=object)
    flat_tags = names[best]
    flat_scores = flat_probs[np.arange(total), best]
    cuts = offsets[1:-1]
    tags = [t.tolist() for t in np.split(flat_tags, cuts)]
    if convert:
        tags = [convert_scheme(t, model.scheme) for t in tags]
    scores = [s.tolist() for s in np.split(flat_scores, cuts)]
    return Prediction(
        tags=tags,
        scores=scores,
        probabilities=np.split(flat_probs, cuts) if probabilities else None,
        loss=loss_sum / loss_count if loss_count else None,
        labelled=loss_count,
    )

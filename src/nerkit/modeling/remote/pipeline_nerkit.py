"""The ``token-classification`` pipeline of a nerkit model in plain transformers.

This file is copied verbatim into every saved model directory, beside ``words.py`` and
``sentences.py`` (nerkit's word and sentence splitters), ``casing.py`` (its word shapes)
and ``crf.py`` (its CRF); ``config.json`` registers it (``custom_pipelines``), so

    pipeline("token-classification", model=DIR, trust_remote_code=True, aggregation_strategy="first")

gives the entities ``nerkit.Tagger.load(DIR)`` gives, without nerkit installed: the text is
split into words and sentences as nerkit splits it, each word piece gets its word's shape
as its token-type id, a sentence longer than the model's window is tagged in overlapping
windows (each word scored by the window where it sits furthest from an edge), the words'
first pieces are decoded with the CRF's Viterbi path over the whole sentence (a model
trained with document context reads each sentence with up to ``context`` word pieces of
the text's neighbouring sentences on each side, unlabelled, as nerkit does), and an
entity's score is the mean probability of its words' tags (4 places). Precision follows
the model's saved option: ``"auto"`` runs bf16 where the hardware computes it natively, as
nerkit does (``precision="fp32"`` as a call option to change it).

Call options: ``aggregation_strategy`` (any value but ``"none"`` gives whole entities,
``{"entity_group", "score", "word", "start", "end"}``; every strategy agrees, because the
model tags words, not pieces; ``"none"`` gives one entry per tagged word with its class,
``{"entity", "score", "index", "word", "start", "end"}``), ``ignore_labels`` (with
``"none"``), ``is_split_into_words`` (a list of words is one sentence; offsets index
``" ".join(words)``), ``split_sentences`` (False: the text as one word sequence),
``stride`` (window overlap in word pieces) and ``precision`` (``"auto"``, ``"bf16"``, ``"fp32"``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from transformers.pipelines.token_classification import AggregationStrategy, TokenClassificationPipeline

from .casing import word_shape
from .consistency import consistent_spans
from .sentences import sentences_of
from .words import Word

__all__ = ["NerkitTokenClassificationPipeline"]

# Lone surrogates (legal in a str, not in UTF-8) reach the tokenizer as U+FFFD, one for one.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class NerkitTokenClassificationPipeline(TokenClassificationPipeline):
    """Entities of texts as nerkit finds them; see the module docstring."""

    def check_model_type(self, supported_models):
        # nerkit's model class is custom code, never in transformers' mapping of token classifiers.
        return None

    def _sanitize_parameters(
        self,
        ignore_labels=None,
        aggregation_strategy=None,
        offset_mapping=None,
        is_split_into_words: bool = False,
        delimiter: str | None = None,
        stride: int | None = None,
        split_sentences: bool | None = None,
        precision: str | None = None,
        consistency: bool | None = None,
    ):
        preprocess = {"is_split_into_words": is_split_into_words, "delimiter": " " if delimiter is None else delimiter}
        if split_sentences is not None:
            preprocess["split_sentences"] = split_sentences
        if stride is not None:
            preprocess["stride"] = stride
        postprocess = {}
        if aggregation_strategy is not None:
            if isinstance(aggregation_strategy, str):
                aggregation_strategy = AggregationStrategy[aggregation_strategy.upper()]
            postprocess["aggregation_strategy"] = aggregation_strategy
        if ignore_labels is not None:
            postprocess["ignore_labels"] = ignore_labels
        if consistency is not None:
            if not isinstance(consistency, bool):
                raise ValueError(
                    f"consistency must be True or False (or None: the model's setting), got {consistency!r}"
                )
            postprocess["consistency"] = consistency
        forward = {"precision": precision} if precision is not None else {}
        return preprocess, forward, postprocess

    def preprocess(self, inputs, is_split_into_words=False, delimiter=" ", split_sentences=True, stride=None):
        if is_split_into_words:
            words, start = [], 0
            for word in inputs:
                words.append(Word(_LONE_SURROGATE.sub("\ufffd", word), start, start + len(word)))
                start += len(word) + len(delimiter)
            text, sentences = delimiter.join(inputs), [words] if words else []
        else:
            if not isinstance(inputs, str):
                raise ValueError(f"a text must be a str, not {type(inputs).__name__}")
            text = inputs
            sentences = sentences_of(_LONE_SURROGATE.sub("\ufffd", text), split=split_sentences)
        windows = self._windows(sentences, self.model.config.stride if stride is None else stride)
        document = (text, [[(w.start, w.end) for w in words] for words in sentences])
        if not windows:  # nothing to tag; postprocess still runs once
            windows = [([self.tokenizer.cls_token_id, self.tokenizer.sep_token_id], [0, 0], [-1, -1], 0)]
        for k, (ids, types, word_index, sentence) in enumerate(windows):
            yield {
                "input_ids": torch.tensor([ids]),
                "attention_mask": torch.ones(1, len(ids), dtype=torch.long),
                "token_type_ids": torch.tensor([types]),
                "word_index": word_index,
                "sentence": sentence,
                "is_last": k == len(windows) - 1,
                "document": document if k == 0 else None,
            }

    def _windows(self, sentences, stride: int) -> list[tuple]:
        """``(input_ids, token_type_ids, word_index, sentence)`` of each window, as nerkit encodes them."""
        if not sentences:
            return []
        config = self.model.config
        content = config.max_len - 2  # room for [CLS] and [SEP]
        stride = min(stride, content // 2)
        context = getattr(config, "context", 0)
        texts = [[w.text for w in words] for words in sentences]
        around = [_around(texts, s, context) for s in range(len(texts))]
        batch = self.tokenizer(
            [[*before, *words, *after] for words, (before, after) in zip(texts, around)],
            is_split_into_words=True,
            add_special_tokens=False,
            truncation=False,
        )
        cls, sep = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        windows = []
        for s, words in enumerate(texts):
            lo, hi = len(around[s][0]), len(around[s][0]) + len(words)  # the sentence's own words
            every = batch.word_ids(s)
            a = next((j for j, w in enumerate(every) if w >= lo), len(every))
            b = next((j for j, w in enumerate(every) if w >= hi), len(every))
            ids, wids = batch["input_ids"][s][a:b], [w - lo for w in every[a:b]]
            first = [j == 0 or wids[j] != wids[j - 1] for j in range(len(ids))]
            read = [*around[s][0], *words, *around[s][1]]
            shapes = [word_shape(w, first=j == lo) if config.casing else 0 for j, w in enumerate(read)]
            types = [shapes[w] for w in every]
            bounds = _bounds(first, content, stride)
            if len(ids) <= content and context:
                # Unlabelled neighbours on each side: whole words, at most ``context`` pieces and half the room.
                room = min(context, (content - len(ids)) // 2)
                starts = [j for j in range(a) if j == 0 or every[j] != every[j - 1]]
                left = next((j for j in starts if j >= a - room), a)
                ends = [j for j in range(b + 1, len(every)) if every[j] != every[j - 1]] + [len(every)]
                right = max([b] + [j for j in ends if j - b <= room]) if b < len(every) else b
                pieces, kinds = batch["input_ids"][s], types
                owned = [-1] * (a - left) + [w if f else -1 for w, f in zip(wids, first)] + [-1] * (right - b)
                windows.append(([cls, *pieces[left:right], sep], [0, *kinds[left:right], 0], [-1, *owned, -1], s))
                continue
            for start, end, own_from, own_to in bounds:
                owned = [wids[j] if first[j] and own_from <= j < own_to else -1 for j in range(start, end)]
                windows.append(([cls, *ids[start:end], sep], [0, *types[a + start : a + end], 0], [-1, *owned, -1], s))
        return windows

    def _forward(self, model_inputs, precision=None):
        meta = {key: model_inputs.pop(key) for key in ("word_index", "sentence", "is_last", "document")}
        device = self.model.device
        bf16 = _use_bf16(precision or self.model.config.precision, device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = self.model(**model_inputs).logits
        return {"logits": logits.float(), **meta}

    def postprocess(
        self, all_outputs, aggregation_strategy=AggregationStrategy.NONE, ignore_labels=None, consistency=None
    ):
        text, sentences = all_outputs[0]["document"]
        counts = [len(words) for words in sentences]
        tags, scores, probs = self._word_tags(all_outputs, counts)
        config = self.model.config
        if config.consistency if consistency is None else consistency:
            tags, scores = self._consistent(text, sentences, counts, tags, scores, probs)
        results, k = [], 0
        for words, n in zip(sentences, counts):
            sentence_tags, sentence_scores = tags[k : k + n], scores[k : k + n]
            if aggregation_strategy == AggregationStrategy.NONE:
                skip = {"O"} if ignore_labels is None else set(ignore_labels)
                results += [
                    _entry(text, words[j], score=sentence_scores[j], entity=tag, index=k + j)
                    for j, tag in enumerate(sentence_tags)
                    if tag not in skip
                ]
            else:
                for label, a, b in _spans(sentence_tags, merge=config.label_scheme != config.output_scheme == "IO"):
                    mean = round(float(np.mean(sentence_scores[a:b])), 4)
                    word = (words[a][0], words[b - 1][1])
                    results.append(_entry(text, word, score=mean, entity_group=label))
            k += n
        return sorted(results, key=lambda e: (e["start"], e["end"]))

    def _word_tags(self, outputs, counts) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Each word's tag, its probability, and every tag's probability (words x tags); a word
        with no piece of its own (a lone control character) is O."""
        config = self.model.config
        n_real = len(config.tags)
        offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        total = int(offsets[-1])
        outside = config.tags.index("O") if "O" in config.tags else 0
        probs = np.zeros((total, n_real), dtype=np.float32)
        probs[:, outside] = 1.0
        logp = np.full((total, n_real), -1e4, dtype=np.float32)
        logp[:, outside] = 0.0
        for out in outputs:
            word_index = np.asarray(out["word_index"], dtype=np.int64)
            pieces = np.flatnonzero(word_index >= 0)
            if pieces.size:
                scores = torch.log_softmax(out["logits"][0, pieces, :n_real].float(), dim=-1).numpy()
                flat = offsets[out["sentence"]] + word_index[pieces]
                logp[flat], probs[flat] = scores, np.exp(scores)
        best = self.model.decode(logp, counts) if self.model.crf is not None else probs.argmax(axis=1)
        return [config.tags[i] for i in best], probs[np.arange(total), best], probs

    def _consistent(self, text, sentences, counts, tags, scores, probs):
        """One type per name within the text (nerkit.inference.consistency); a changed word's
        score is the model's probability of its new tag."""
        config = self.model.config
        offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        words = [[text[a:b] for a, b in sentence] for sentence in sentences]
        spans = [_spans(tags[offsets[k] : offsets[k + 1]]) for k in range(len(sentences))]
        fixed = consistent_spans(words, spans, [0] * len(sentences))
        tags, scores = list(tags), np.array(scores)
        for k, (old, new) in enumerate(zip(spans, fixed)):
            if new != old:
                for j, tag in enumerate(_tags(new, counts[k], config.label_scheme), start=int(offsets[k])):
                    if tag != tags[j] and tag in config.tags:
                        tags[j], scores[j] = tag, probs[j, config.tags.index(tag)]
        return tags, scores


def _entry(text: str, word: tuple[int, int], score: float, **fields) -> dict:
    start, end = word
    return {**fields, "score": float(score), "word": text[start:end], "start": start, "end": end}


def _around(texts: list[list[str]], s: int, words: int) -> tuple[list[str], list[str]]:
    """Up to ``words`` words of the text before sentence ``s`` and after it (nerkit's ``surrounding``)."""
    if words <= 0:
        return [], []
    before: list[str] = []
    for k in range(s - 1, -1, -1):
        before[:0] = texts[k][-(words - len(before)) :]
        if len(before) >= words:
            break
    after: list[str] = []
    for k in range(s + 1, len(texts)):
        after += texts[k][: words - len(after)]
        if len(after) >= words:
            break
    return before, after


def _bounds(first: list[bool], content: int, stride: int) -> list[tuple[int, int, int, int]]:
    """``(start, end, owned from, owned to)`` in pieces of each window over one sentence.

    Windows of ``content`` pieces overlapping by ``stride``, each starting on a word; each
    piece is owned by the window where it is furthest from an edge.
    """
    n = len(first)
    if n <= content:
        return [(0, n, 0, n)]
    word_starts = [j for j in range(n) if first[j]]
    starts, step = [0], max(1, content - stride)
    while starts[-1] + content < n:
        target = starts[-1] + step
        candidates = [j for j in word_starts if starts[-1] < j <= target]
        starts.append(candidates[-1] if candidates else target)
    ends = [min(s + content, n) for s in starts]
    owned_from = [0] + [(ends[k - 1] + starts[k]) // 2 for k in range(1, len(starts))]
    return list(zip(starts, ends, owned_from, owned_from[1:] + [n]))


def _split_tag(tag: str) -> tuple[str, str | None]:
    if tag == "O":
        return "O", None
    head, sep, rest = tag.partition("-")
    return (head, rest) if sep and len(head) == 1 else ("I", tag)


def _spans(tags: list[str], merge: bool = False) -> list[tuple[str, int, int]]:
    """Entities ``(type, start, end)`` of tags in any of IO, IOB1, BIO, BIOES, decoded leniently
    (as seqeval does); ``merge``: adjacent entities of one type become one, as IO output reads them."""
    spans: list[tuple[str, int, int]] = []
    prev_p, prev_t, start = "O", None, 0
    for i in range(len(tags) + 1):
        p, t = _split_tag(tags[i]) if i < len(tags) else ("O", None)
        if prev_p != "O" and (prev_p in "ES" or p in "BSO" or prev_t != t):
            if merge and spans and spans[-1][0] == prev_t and spans[-1][2] == start:
                spans[-1] = (prev_t, spans[-1][1], i)
            else:
                spans.append((prev_t, start, i))
        if p != "O" and (p in "BS" or prev_p in "OES" or prev_t != t):
            start = i
        prev_p, prev_t = p, t
    return spans


def _tags(spans: list[tuple[str, int, int]], n: int, scheme: str) -> list[str]:
    """Tags of ``n`` words with ``spans`` in ``scheme`` (nerkit.labels.spans_to_tags, for the schemes a model learns)."""
    tags, previous = ["O"] * n, None
    for kind, a, b in spans:
        tags[a:b] = [f"I-{kind}"] * (b - a)
        if scheme in ("BIO", "BIOES") or (scheme == "IOB1" and previous == (kind, a)):
            tags[a] = f"B-{kind}"
        if scheme == "BIOES":
            if b - a == 1:
                tags[a] = f"S-{kind}"
            else:
                tags[b - 1] = f"E-{kind}"
        previous = (kind, b)
    return tags


def _use_bf16(precision: str, device: torch.device) -> bool:
    """bf16 autocast for ``precision``: always, never, or (``"auto"``) where the hardware computes it natively."""
    if precision in ("fp32", "bf16"):
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text().split("flags", 2)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags

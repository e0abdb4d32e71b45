"""A linear-chain CRF over the word-level logits (optional output layer, ``TrainConfig.crf``).

>>> import torch
>>> crf = LinearChainCRF(3)
>>> logits = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 3.0, 0.0]]])  # 1 window, 3 pieces
>>> is_word = torch.tensor([[True, False, True]])           # pieces that start a word
>>> crf.viterbi(logits, is_word).tolist()                   # one tag id per word, in order
[0, 1]

The token classifier scores each word on its own; a CRF adds a learned score for every
pair of neighbouring tags (and for the first and last tag), trained on the likelihood of
the whole gold sequence and decoded with Viterbi, so a sequence such as ``I-ORG I-MISC
I-ORG`` inside one name costs what the training data says it should. It works on words,
not pieces: the logits of each word's first piece (the ones predict() reads) are packed
into a sequence; trailing pieces take no part. Training scores each window's words;
predict() decodes each whole sentence (every word's scores taken from the window that owns
it), so where a long sentence was cut into windows does not change its tags.

The CRF is a part of :class:`nerkit.modeling.network.TokenClassifier` (so ``.to(device)``,
the optimiser and ``state_dict`` see it) and is saved in ``nerkit.json`` (a few dozen
numbers), so a plain transformers loader still reads the rest of the model. The lines here
(and :mod:`nerkit.modeling.partition`) replace ``pytorch-crf``, which would be one more
dependency for the same algorithm, and which needs left-aligned masks that windows of word
pieces do not have. The likelihood's normaliser, log Z, and its gradient come from
:func:`~nerkit.modeling.partition.log_partition`: one forward-backward pass without autograd,
its gradient the tag marginals, so training does not record and replay a loop over positions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .partition import log_partition

__all__ = ["LinearChainCRF"]


def _pack(values: torch.Tensor, select: torch.Tensor, width: int | None = None):
    """Selected positions of each row, moved to the left: (B, W, T) and a (B, W) mask.

    ``width`` (W, the most selected positions in a row) when the caller knows it: then nothing
    is read back from the device, and the packing is a scatter (unselected positions go to a
    spare column, dropped), so a GPU never waits for the host here.
    """
    counts = select.sum(1)
    if width is None:
        width = max(1, int(counts.max())) if counts.numel() else 1
    rank = select.long().cumsum(1) - 1
    where = torch.where(select, rank, width).unsqueeze(-1).expand(-1, -1, values.shape[-1])
    packed = values.new_zeros(select.shape[0], width + 1, values.shape[-1]).scatter(1, where, values)
    mask = torch.arange(width, device=select.device).unsqueeze(0) < counts.unsqueeze(1)
    return packed[:, :width], mask


class LinearChainCRF(torch.nn.Module):
    """Start, end and transition scores over ``num_tags`` tags; see the module docstring."""

    def __init__(self, num_tags: int):
        super().__init__()
        # Zeros: training starts from the plain classifier's decisions.
        self.start = torch.nn.Parameter(torch.zeros(num_tags))
        self.end = torch.nn.Parameter(torch.zeros(num_tags))
        self.transitions = torch.nn.Parameter(torch.zeros(num_tags, num_tags))  # [from, to]

    def to_dict(self) -> dict:
        return {k: v.detach().cpu().tolist() for k, v in self.state_dict().items()}

    def load_dict(self, d: dict) -> "LinearChainCRF":
        self.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in d.items()})
        return self

    def _steps(self, mask: torch.Tensor) -> torch.Tensor:
        """Transition scores for every position of every row, (B, W, T, T): the CRF's inside a
        row, and past its end an "identity" (0 to stay on the same tag, -inf to change), so
        Viterbi carries a finished row through unchanged without a per-position ``where``: one
        loop over positions for the whole batch, few operations each."""
        return torch.where(mask[:, :, None, None], self.transitions, self._stay(mask.device))

    def _stay(self, device) -> torch.Tensor:
        n = self.transitions.shape[0]
        return torch.full((n, n), float("-inf"), device=device).fill_diagonal_(0.0)

    def nll(self, logits: torch.Tensor, labels: torch.Tensor, ignore: int = -100, words: int | None = None):
        """Negative log-likelihood of the gold tags, per word (the scale of cross-entropy).

        ``words``: the most labelled positions in a row, when the caller knows it (no read-back then).
        """
        select = labels != ignore
        # Emissions and tags packed together (one scatter); tag ids are exact as floats.
        both, mask = _pack(torch.cat([logits.float(), labels.unsqueeze(-1).float()], dim=-1), select, words)
        em, tags = both[..., :-1], both[..., -1].long()
        has_words = mask[:, 0]  # windows with no word of their own add nothing
        first = torch.arange(em.shape[0], device=em.device)
        # The gold path's score, all positions at once.
        emitted = em.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, W)
        gold = self.start[tags[:, 0]] + (emitted * mask).sum(1)
        if em.shape[1] > 1:  # (with one word per row the transitions take no part, as ever)
            gold = gold + (self.transitions[tags[:, :-1], tags[:, 1:]] * mask[:, 1:]).sum(1)
        last = tags[first, (mask.sum(1) - 1).clamp_min(0)]
        gold = gold + self.end[last]
        log_z = log_partition(em, mask, self.start, self.end, self.transitions)
        return ((log_z - gold) * has_words).sum() / mask.sum().clamp_min(1)

    def viterbi(self, logits: torch.Tensor, select: torch.Tensor) -> torch.Tensor:
        """Viterbi tag ids for ``logits[select]``, in the same (row-major) order."""
        em, mask = _pack(logits.float(), select)
        return self._viterbi(em, mask)[mask]

    def _viterbi(self, em: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Best paths (B, W) for left-aligned emissions ``em`` (B, W, T) with zeros past each row's end."""
        if em.shape[1] == 0 or em.shape[0] == 0:
            return torch.zeros(em.shape[:2], dtype=torch.long, device=em.device)
        steps = self._steps(mask)
        score = self.start + em[:, 0]
        back = []
        for t in range(1, em.shape[1]):
            # Past a row's end the identity step keeps score and tag: the backtrace passes through.
            best, idx = (score.unsqueeze(2) + steps[:, t]).max(dim=1)
            score = best + em[:, t]
            back.append(idx)
        tag = (score + self.end).argmax(dim=1)
        path = [tag]
        for idx in reversed(back):
            tag = idx.gather(1, tag.unsqueeze(1)).squeeze(1)
            path.append(tag)
        return torch.stack(path[::-1], dim=1)

    def decode_sentences(self, scores: np.ndarray, counts: Sequence[int], chunk: int | None = None) -> np.ndarray:
        """Viterbi tag ids for every word; ``scores`` (words x tags) holds the sentences back to back.

        Sentences are decoded in chunks of similar length (little padding, bounded memory),
        each chunk one batched Viterbi on the CRF's own device (a GPU decodes thousands of
        sentences per call), its emissions cut out of ``scores`` by indexing, not sentence by sentence.
        """
        device = self.transitions.device
        chunk = chunk or (256 if device.type == "cpu" else 8192)
        counts = np.asarray(counts, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        out = np.zeros(int(offsets[-1]), dtype=np.int64)
        order = np.argsort(counts, kind="stable")
        order = order[counts[order] > 0]
        with torch.no_grad():
            for k in range(0, len(order), chunk):
                ids = order[k : k + chunk]
                width = int(counts[ids[-1]])
                inside = np.arange(width)[None, :] < counts[ids][:, None]
                where = np.where(inside, offsets[ids][:, None] + np.arange(width)[None, :], 0)
                em = torch.from_numpy(np.where(inside[:, :, None], scores[where], 0.0).astype(np.float32))
                mask = torch.from_numpy(inside)
                path = self._viterbi(em.to(device, non_blocking=True), mask.to(device, non_blocking=True))
                out[where[inside]] = path.cpu().numpy()[inside]
        return out

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
numbers), so a plain transformers loader still reads the rest of the model. The ~80 lines here replace
``pytorch-crf``, which would be one more dependency for the same algorithm, and which
needs left-aligned masks that windows of word pieces do not have.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["LinearChainCRF"]


def _pack(logits: torch.Tensor, select: torch.Tensor):
    """Selected positions of each row, moved to the left: (B, W, T) and a (B, W) mask."""
    counts = select.sum(1)
    width = max(1, int(counts.max())) if counts.numel() else 1
    rank = select.long().cumsum(1) - 1
    rows = torch.arange(select.shape[0], device=select.device).unsqueeze(1).expand_as(select)
    packed = logits.new_zeros(select.shape[0], width, logits.shape[-1])
    packed[rows[select], rank[select]] = logits[select]
    mask = torch.arange(width, device=select.device).unsqueeze(0) < counts.unsqueeze(1)
    return packed, mask


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

    def nll(self, logits: torch.Tensor, labels: torch.Tensor, ignore: int = -100) -> torch.Tensor:
        """Negative log-likelihood of the gold tags, per word (the scale of cross-entropy)."""
        select = labels != ignore
        em, mask = _pack(logits.float(), select)
        tags, _ = _pack(labels.unsqueeze(-1).float(), select)
        tags = tags.squeeze(-1).long()
        keep = mask[:, 0]  # windows with no word of their own add nothing
        em, mask, tags = em[keep], mask[keep], tags[keep]
        if em.shape[0] == 0:
            return logits.sum() * 0.0
        first = torch.arange(em.shape[0], device=em.device)
        gold = self.start[tags[:, 0]] + em[first, 0, tags[:, 0]]
        alpha = self.start + em[:, 0]
        for t in range(1, em.shape[1]):
            m = mask[:, t]
            step = self.transitions[tags[:, t - 1], tags[:, t]] + em[first, t, tags[:, t]]
            gold = gold + step * m
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + em[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(m.unsqueeze(1), nxt, alpha)
        last = tags[first, mask.sum(1) - 1]
        gold = gold + self.end[last]
        log_z = torch.logsumexp(alpha + self.end, dim=1)
        return (log_z - gold).sum() / mask.sum()

    def viterbi(self, logits: torch.Tensor, select: torch.Tensor) -> torch.Tensor:
        """Viterbi tag ids for ``logits[select]``, in the same (row-major) order."""
        em, mask = _pack(logits.float(), select)
        if int(select.sum()) == 0:
            return torch.zeros(0, dtype=torch.long, device=logits.device)
        score = self.start + em[:, 0]
        back = []
        for t in range(1, em.shape[1]):
            best, idx = (score.unsqueeze(2) + self.transitions).max(dim=1)
            nxt = best + em[:, t]
            m = mask[:, t].unsqueeze(1)
            score = torch.where(m, nxt, score)
            # Past a row's end, keep the tag: the backtrace then passes through unchanged.
            back.append(torch.where(m, idx, torch.arange(em.shape[2], device=em.device).expand_as(idx)))
        tag = (score + self.end).argmax(dim=1)
        path = [tag]
        for idx in reversed(back):
            tag = idx.gather(1, tag.unsqueeze(1)).squeeze(1)
            path.append(tag)
        path = torch.stack(path[::-1], dim=1)  # (B, W)
        return path[mask]

    def decode_sentences(self, scores: np.ndarray, counts: Sequence[int], chunk: int = 256) -> np.ndarray:
        """Viterbi tag ids for every word; ``scores`` (words x tags) holds the sentences back to back.

        Sentences are decoded in chunks of similar length (little padding, bounded memory) on
        the CPU, whatever device the model is on: a few thousand numbers, not worth a transfer.
        """
        cpu = LinearChainCRF(scores.shape[1]).load_dict(self.to_dict())
        counts = np.asarray(counts, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        out = np.zeros(int(offsets[-1]), dtype=np.int64)
        order = [i for i in np.argsort(counts, kind="stable") if counts[i]]
        with torch.no_grad():
            for k in range(0, len(order), chunk):
                ids = order[k : k + chunk]
                width = int(counts[ids[-1]])
                em = torch.zeros(len(ids), width, scores.shape[1])
                mask = torch.zeros(len(ids), width, dtype=torch.bool)
                for r, i in enumerate(ids):
                    em[r, : counts[i]] = torch.from_numpy(scores[offsets[i] : offsets[i + 1]])
                    mask[r, : counts[i]] = True
                positions = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in ids])
                out[positions] = cpu.viterbi(em, mask).numpy()
        return out

"""The optimizer: AdamW over nerkit's parameter groups, and one update per step (clip, then step).

>>> import torch
>>> from nerkit.training.optimizer import Update
>>> w = torch.nn.Parameter(torch.zeros(2))
>>> optimizer = torch.optim.AdamW([w], lr=0.1, weight_decay=0.0, fused=True)
>>> update = Update(optimizer, max_norm=1.0)
>>> for _ in range(3):
...     w.grad = torch.tensor([30.0, -40.0])        # norm 50: clipped to 1, then Adam's step
...     update()
>>> [round(x, 4) for x in w.tolist()]               # what clip_grad_norm_ + optimizer.step() give
[-0.3, 0.3]

Why not ``clip_grad_norm_`` and ``optimizer.step()``: on a small model the bookkeeping around
the arithmetic is most of a step (benchmarks/step_phases.py: the two took a fifth of a tiny
BERT's step). ``torch.optim.AdamW(fused=True).step()`` gathers every group's parameters,
gradients and state on every call, groups them by device and dtype and calls the fused kernel
once per group (with layer decay a group per layer and kind); clipping then multiplies every
gradient by the clip coefficient in a pass of its own. :class:`Update` lists the parameters and
their state once, counts all groups' steps in one call, and hands the fused kernel the clip as
its ``grad_scale`` (the kernel divides each gradient by it as it reads it, so the gradients are
not read and written once more, and on a GPU nothing waits for the norm). The optimizer stays a
``torch.optim.AdamW``: its state, checkpoints, resumption and the learning-rate schedule are
torch's. Anything else (an optimizer that is not fused AdamW, parameters on several devices or
dtypes, a parameter without a gradient) takes torch's own path, so the fast path only ever
computes what that path would (tests/training/test_optimizer.py: the same weights to rounding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from .clipping import clip_divisor, clip_gradients
from .config import TrainConfig

__all__ = ["CRF_LR_FACTOR", "Update", "build_optimizer"]

CRF_LR_FACTOR = 100  # the CRF's learning rate relative to the encoder's


def build_optimizer(network: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW with nerkit's groups: no weight decay on biases and LayerNorms, each layer at
    ``layer_decay`` times the rate of the one above it, the CRF at ``CRF_LR_FACTOR`` times the rate."""
    # Weight decay on biases and LayerNorm weights only hurts; the usual BERT recipe skips them.
    crf = list(network.crf.parameters()) if getattr(network, "crf", None) is not None else []
    crf_ids = {id(p) for p in crf}
    layers = int(getattr(network.config, "num_hidden_layers", 0) or 0)
    grouped: dict[tuple[bool, int], list] = {}
    for name, p in network.named_parameters():
        if p.requires_grad and id(p) not in crf_ids:
            no_decay = p.ndim < 2 or "LayerNorm" in name or "layer_norm" in name
            # Without layer decay every encoder parameter shares one rate: two groups, as before it existed.
            depth = _layer(name, layers) if config.layer_decay != 1.0 else layers + 1
            grouped.setdefault((no_decay, depth), []).append(p)
    groups = [
        {"params": params, "weight_decay": 0.0 if no_decay else config.weight_decay,
         "lr": config.lr * config.layer_decay ** (layers + 1 - depth)}
        for (no_decay, depth), params in sorted(grouped.items())
    ]  # fmt: skip
    if crf:
        # CRF scores start at zero and must move by whole units; at the encoder's learning
        # rate they would hardly leave it in a few hundred steps.
        groups.append({"params": crf, "weight_decay": 0.0, "lr": config.lr * CRF_LR_FACTOR})
    try:
        # The fused kernel updates all parameters in one pass; the per-tensor loop cost a
        # quarter of each step on a 2-core CPU (22M parameters, most in the embeddings).
        return torch.optim.AdamW(groups, lr=config.lr, fused=True)
    except (RuntimeError, TypeError):  # older torch, or a device without the fused kernel
        return torch.optim.AdamW(groups, lr=config.lr, foreach=True)


def _layer(name: str, layers: int) -> int:
    """How deep a parameter sits: 0 for the embeddings, i + 1 for transformer layer i, above them the head."""
    if "embeddings" in name:
        return 0
    found = re.search(r"\.layers?\.(\d+)\.", name)
    return int(found.group(1)) + 1 if found else layers + 1


@dataclass
class _Lists:
    """A fused AdamW's tensors, listed once: per group its parameters and state, and every step counter."""

    groups: list[tuple[dict, list, list, list, list]]  # (group, params, exp_avgs, exp_avg_sqs, steps)
    steps: list[torch.Tensor]
    params: list[torch.Tensor]
    first_avg: torch.Tensor  # the state it was listed from: a load_state_dict replaces it

    @classmethod
    def of(cls, optimizer: torch.optim.Optimizer) -> "_Lists | None":
        """The lists, or None where the fused kernel cannot be called directly with the same result."""
        if not isinstance(optimizer, torch.optim.AdamW):
            return None
        groups, params = [], []
        for group in optimizer.param_groups:
            if not group.get("fused") or group["amsgrad"] or group["maximize"] or group.get("capturable"):
                return None
            if group.get("differentiable") or not isinstance(group["lr"], float):
                return None
            state = [optimizer.state.get(p) for p in group["params"]]
            if any(not s or "exp_avg" not in s for s in state):  # before the first step
                return None
            groups.append((group, group["params"], [s["exp_avg"] for s in state],
                           [s["exp_avg_sq"] for s in state], [s["step"] for s in state]))  # fmt: skip
            params += group["params"]
        if not params or len({(p.device, p.dtype) for p in params}) > 1:
            return None
        steps = [s for *_, group_steps in groups for s in group_steps]
        return cls(groups, steps, params, groups[0][2][0])


@dataclass
class Update:
    """One optimizer update of the gradients in place: clipped to ``max_norm`` (0: not clipped), then AdamW's step.

    Call it once per step, after ``backward``; the gradients are left for the caller to release.
    """

    optimizer: torch.optim.Optimizer
    max_norm: float = 0.0
    _lists: _Lists | None = field(default=None, repr=False)

    def __call__(self) -> None:
        lists = self._listed()
        grads = None if lists is None else [p.grad for p in lists.params]
        if grads is None or any(g is None for g in grads):
            return self._torch_path()
        scale = clip_divisor(grads, self.max_norm) if self.max_norm else None
        torch._foreach_add_(lists.steps, 1)  # what each group's step does first, for all groups at once
        k = 0
        for group, params, exp_avgs, exp_avg_sqs, steps in lists.groups:
            beta1, beta2 = group["betas"]
            torch._fused_adamw_(
                params, grads[k : k + len(params)], exp_avgs, exp_avg_sqs, [], steps,
                amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
                eps=group["eps"], maximize=False, grad_scale=scale, found_inf=None,
            )  # fmt: skip
            k += len(params)

    def _listed(self) -> _Lists | None:
        lists = self._lists
        if lists is not None:
            first = lists.groups[0]
            if self.optimizer.state.get(first[1][0], {}).get("exp_avg") is lists.first_avg:
                return lists
        self._lists = _Lists.of(self.optimizer)  # None before the first step: that one is torch's
        return self._lists

    def _torch_path(self) -> None:
        if self.max_norm:
            params = [p for group in self.optimizer.param_groups for p in group["params"]]
            clip_gradients(params, self.max_norm)
        self.optimizer.step()

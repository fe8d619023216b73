"""Optimiser and learning-rate schedule (per optimisation step).

Both schedules are a :class:`~torch.optim.lr_scheduler.LambdaLR` over ``step / total_steps`` so that a
resumed run may extend ``train.epochs``: the state holds only the step count, the shape is rebuilt
from the new total (torch's OneCycleLR would refuse to step past its original total).

- ``onecycle``: cosine warm-up from lr/25 to lr over ``warmup_pct``, then cosine down to lr/1e4
  (the OneCycleLR shape, without momentum cycling).
- ``cosine``: linear warm-up from 0 to lr over ``warmup_pct``, then cosine down to 0.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from platocr.recognition.config import TrainConfig

ONECYCLE_START = 1 / 25
ONECYCLE_END = 1e-4


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW; no weight decay on biases and norm weights (1-d parameters), as usual for CNN/RNNs."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (no_decay if param.ndim <= 1 else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr)


def _cos(start: float, end: float, t: float) -> float:
    """Cosine interpolation from ``start`` (t=0) to ``end`` (t=1)."""
    return end + (start - end) * (1 + math.cos(math.pi * min(max(t, 0.0), 1.0))) / 2


def lr_factor(step: int, *, total_steps: int, schedule: str, warmup_pct: float) -> float:
    """Multiplier of the base lr at optimisation ``step`` (0-based)."""
    warmup = max(1, round(total_steps * warmup_pct)) if warmup_pct > 0 else 0
    if schedule == "onecycle":
        if step < warmup:
            return _cos(ONECYCLE_START, 1.0, step / warmup)
        return _cos(1.0, ONECYCLE_END, (step - warmup) / max(1, total_steps - warmup))
    if schedule == "cosine":
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return _cos(1.0, 0.0, (step - warmup) / max(1, total_steps - warmup))
    raise ValueError(f"unknown schedule {schedule!r}")


class LrShape:
    """``factor(step)`` for LambdaLR with a re-plannable ``total_steps``.

    Under ``train.max_minutes`` the loop re-plans after every epoch from the measured epoch time,
    so that the LR anneals before the budget runs out instead of being cut mid-schedule.
    (LambdaLR saves this object's ``__dict__`` in its state; the loop sets the total after loading.)
    """

    def __init__(self, total_steps: int, schedule: str, warmup_pct: float) -> None:
        self.total_steps = max(1, total_steps)
        self.schedule = schedule
        self.warmup_pct = warmup_pct

    def __call__(self, step: int) -> float:
        return lr_factor(
            step, total_steps=self.total_steps, schedule=self.schedule, warmup_pct=self.warmup_pct
        )


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """LambdaLR whose single shape is ``scheduler.lr_lambdas[0]`` (an :class:`LrShape`)."""
    shape = LrShape(total_steps, cfg.schedule, cfg.warmup_pct)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, shape)


def set_total_steps(scheduler: torch.optim.lr_scheduler.LambdaLR, total_steps: int) -> None:
    """Re-plan every parameter group's shape to end at ``total_steps``."""
    for shape in scheduler.lr_lambdas:
        shape.total_steps = max(1, total_steps)


def plan_epochs(*, done: int, max_epochs: int, elapsed_s: float, budget_s: float, epoch_s: float) -> int:
    """Last epoch to run so the run ends within ``budget_s``: ``done`` + the whole epochs that fit
    (at ``epoch_s`` each) in the time left, never later than ``max_epochs``. Re-planned after every
    epoch, the answer may grow again when epochs turn out faster than the first ones."""
    fit = int(max(0.0, budget_s - elapsed_s) // max(epoch_s, 1e-9))
    return min(max_epochs, done + fit)

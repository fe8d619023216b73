"""``train.ema``: an exponential moving average of the weights, validated and saved as ``best.pt``.

On small, noisy real sets (CropNumbers: ~2,800 crops, labels still a few % wrong) the weights of
one step jitter with each batch; their average over the last ~1/(1-decay) steps is smoother and
usually reads better. BatchNorm's running statistics are averaged with the weights
(``use_buffers``), so the averaged model is ready to evaluate as it is.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from platocr.errors import PlatocrError
from platocr.recognition.checkpoint import unwrap

StepHook = Callable[[float, int], None]


class WeightAverage:
    """EMA of ``model``'s parameters and buffers: ``avg = decay * avg + (1 - decay) * current``."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:  # the config refuses these already; a library caller may not go through it
            raise PlatocrError(f"train.ema must be 0 (off) or a decay in (0, 1), got {decay}")
        self.decay = decay
        self.source = unwrap(model)
        self.averaged = AveragedModel(self.source, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)

    @property
    def module(self) -> nn.Module:
        """The averaged model (same class and state-dict keys as the trained one)."""
        return self.averaged.module

    def update(self) -> None:
        """Fold the current weights in; the first call copies them."""
        self.averaged.update_parameters(self.source)

    def after_steps(self, on_step: StepHook | None) -> StepHook:
        """``on_step`` for ``train_one_epoch`` that first updates the average."""

        def step(loss: float, rows: int) -> None:
            self.update()
            if on_step is not None:
                on_step(loss, rows)

        return step

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.averaged.state_dict()  # includes n_averaged, so a resumed run goes on averaging

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.averaged.load_state_dict(state)


def maybe_average(model: nn.Module, decay: float) -> WeightAverage | None:
    """A :class:`WeightAverage` when ``train.ema`` > 0, else None (validate the trained weights)."""
    return WeightAverage(model, decay) if decay else None

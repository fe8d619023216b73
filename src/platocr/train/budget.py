"""``train.max_minutes``: the time budget of one ``platocr train`` invocation.

Between epochs it is a plan: after every epoch the epochs that still fit are recounted from the mean
epoch time measured so far (validation included), so the LR schedule anneals by the last of them; the
plan may shrink or grow again, never past ``train.epochs``. Inside an epoch it is a deadline: once the
time is spent the epoch ends after its current step, then validates and checkpoints, so a run overruns
its budget by at most one step and one validation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from platocr.train import ddp
from platocr.train.schedule import plan_epochs


class TimeBudget:
    """The clock of a run; ``minutes=None`` is no budget (never exhausted, the plan is ``max_epochs``)."""

    def __init__(
        self, minutes: float | None, ctx: ddp.DistContext, past_epoch_s: Sequence[float] = ()
    ) -> None:
        self.seconds = None if minutes is None else minutes * 60
        self.ctx = ctx
        self.started = time.monotonic()
        self.epoch_s: list[float] = []  # epochs of this invocation
        # A resumed run's earlier epochs: the estimate until an epoch has run in this invocation.
        self.past_epoch_s = [s for s in past_epoch_s if s > 0]

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def exhausted(self) -> bool:
        """Asked by every rank before each step; rank 0's clock decides for all (same step everywhere)."""
        if self.seconds is None:
            return False
        return bool(ddp.broadcast_int(int(self.elapsed() >= self.seconds), self.ctx))

    def epoch_done(self, seconds: float) -> None:
        self.epoch_s.append(seconds)

    def last_epoch(self, done: int, max_epochs: int) -> int:
        """The last epoch to run after ``done``: ``max_epochs`` without a budget or an epoch time to
        go by, else ``done`` + the whole epochs that fit at the mean epoch time."""
        times = self.epoch_s or self.past_epoch_s
        if self.seconds is None or not times:
            return max_epochs
        mean = sum(times) / len(times)
        return plan_epochs(
            done=done, max_epochs=max_epochs, elapsed_s=self.elapsed(), budget_s=self.seconds, epoch_s=mean
        )

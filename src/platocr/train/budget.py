"""``train.max_minutes``: the time budget of one ``platocr train`` invocation.

Between epochs it is a plan: after every epoch the epochs that still fit are recounted from the mean
epoch time measured so far (validation included), so the LR schedule anneals by the last of them; the
plan may shrink or grow again, never past ``train.epochs``. Inside an epoch it is a deadline: once the
time is spent the epoch ends after its current step, then validates and checkpoints, so a run overruns
its budget by at most one step and one validation.
"""

from __future__ import annotations

import math
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
        return bool(ddp.broadcast_int(int(self.spent_here()), self.ctx))

    def spent_here(self) -> bool:
        """This process's clock alone (the caller broadcasts rank 0's answer)."""
        return self.seconds is not None and self.elapsed() >= self.seconds

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


class StepBudget:
    """``train.max_steps``: optimizer steps of the whole run, counted across ``--resume`` (the
    scheduler's step count). Unlike the clock it ends every run at the same step on any machine."""

    def __init__(self, max_steps: int | None) -> None:
        self.max_steps = max_steps

    def spent(self, steps: int) -> bool:
        return self.max_steps is not None and steps >= self.max_steps

    def cap(self, total_steps: int) -> int:
        """The LR schedule's end: ``total_steps`` or the budget, whichever comes first."""
        return total_steps if self.max_steps is None else min(total_steps, self.max_steps)

    def last_epoch(self, epoch: int, steps: int, steps_per_epoch: int, planned: int) -> int:
        """``planned``, or the epoch the budget ends in when that comes first, with ``steps`` done
        before ``epoch`` starts."""
        if self.max_steps is None:
            return planned
        left = max(0, self.max_steps - steps)
        return min(planned, epoch - 1 + max(1, math.ceil(left / max(1, steps_per_epoch))))

"""Warnings a run owes its user: a model that still reads nothing, a time budget that fitted too little.

``train.learning_check`` (steps, 0 = off): at the first validation after that many steps, and when
the run ends (whatever its length), a model that reads almost nothing (StringMatch < 0.02 on val, or without val on a few
unaugmented training crops; negatives left out) gets one warning line with the likely cause and what to try. A run cut
by ``train.max_minutes`` before that many steps gets one too: a slow or busy machine must not
silently turn a time budget into a useless model.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from platocr.train.threads import available_cores

READS_NOTHING = 0.02  # StringMatch below this: the model reads (almost) nothing yet


def text_match(texts: Sequence[str], predicted: Sequence[str]) -> float:
    """StringMatch over the crops that have text (nan without any): an all-blank model reads every
    negative right, so they would hide that it reads nothing else."""
    pairs = [(t, p) for t, p in zip(texts, predicted, strict=True) if t]
    return sum(t == p for t, p in pairs) / len(pairs) if pairs else math.nan


@dataclass(frozen=True)
class Reading:
    """How well the model reads at a check: StringMatch on the crops with text, CER, and on what."""

    string_match: float
    cer: float
    on: str  # "val" or "64 training crops"

    @property
    def nothing(self) -> bool:
        return self.string_match < READS_NOTHING


def best_reading(history: Sequence[dict], on: str = "val") -> Reading | None:
    """The best validated epoch of ``history`` by StringMatch (what best.pt reads like), or None."""
    rows = [row for row in history if not math.isnan(row.get("text_match", math.nan))]
    if not rows:
        return None
    best = max(rows, key=lambda row: row["text_match"])
    return Reading(best["text_match"], best["cer"], on)


def learning_warning(steps: int, reading: Reading, init: str | None) -> str:
    """The warning line (without the ``warning:`` prefix) for a model that reads almost nothing."""
    head = (
        f"after {steps} step{'s' if steps != 1 else ''} the model still reads almost nothing on {reading.on} "
        f"(StringMatch {reading.string_match:.2f}, CER {reading.cer:.2f})"
    )
    if init:
        return (
            f"{head} although it started from {init}: check that the labels match the crops and the "
            "vocab, try a lower train.lr, or more steps (train.max_steps)"
        )
    return (
        f"{head} — CTC from scratch can sit on the all-blank plateau for thousands of steps on a CPU; "
        "try --init plates-ru or barcodes-ean (fine-tune), more steps (train.max_steps), or "
        "configs/quick.yaml (small backbone with model.rnn_skip)"
    )


def time_budget_warning(steps: int, minutes: float) -> str:
    """The warning line for a run whose ``train.max_minutes`` fitted too few steps to learn."""
    try:
        load = f"load {os.getloadavg()[0]:.1f} on {available_cores()} cores"
    except (AttributeError, OSError):  # no load average on this OS
        load = f"{available_cores()} cores"
    return (
        f"the time budget (train.max_minutes {minutes:g}) allowed only {steps} step{'s' if steps != 1 else ''} on this machine "
        f"({load}), too few to learn to read; give it more minutes, a step budget (train.max_steps) "
        "that waits for a slow machine, or start from a trained model (--init plates-ru or barcodes-ean)"
    )


class LearningCheck:
    """When to look (the first validation after ``after_steps`` steps, then the end) and what to say."""

    def __init__(self, after_steps: int, init: str | None, checked: bool = False) -> None:
        self.after_steps = after_steps
        self.init = init
        self.checked = checked  # the first check already ran (kept in last.pt across --resume)
        self.warned_at: int | None = None

    def due(self, steps: int) -> bool:
        return self.after_steps > 0 and not self.checked and steps >= self.after_steps

    def first(self, steps: int, reading: Reading) -> str | None:
        self.checked = True
        if not reading.nothing:
            return None
        self.warned_at = steps
        return learning_warning(steps, reading, self.init)

    def at_end(self, steps: int, read: Callable[[], Reading | None]) -> str | None:
        """The check when the run ends, however few its steps: a budget that ends a run before the
        model reads anything is worth one line too. ``read()`` is asked only when it is due."""
        if self.after_steps <= 0 or self.warned_at == steps:
            return None  # (warned_at: the first check was this very validation)
        reading = read()
        if reading is None or not reading.nothing:
            return None
        return learning_warning(steps, reading, self.init)

    def time_budget(self, steps: int, minutes: float | None) -> str | None:
        """After a run the clock ended: a warning when it fitted fewer steps than the check needs."""
        if self.after_steps <= 0 or minutes is None or steps >= self.after_steps:
            return None
        return time_budget_warning(steps, minutes)

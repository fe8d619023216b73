"""The epoch loop of a run: train, validate, keep best/last, budgets, learning check, Ctrl-C.

Budgets: ``train.epochs``, ``train.max_steps`` (optimizer steps of the whole run, across
``--resume``) and ``train.max_minutes`` (this invocation's clock); the first one reached ends the run,
cutting an epoch after its current step when needed, and the LR schedule is planned to end there.
A cut epoch validates and saves like any other and counts as an epoch: a resumed run starts the next.
Ctrl-C cuts the epoch the same way but saves only ``last.pt`` (no validation: the user is waiting).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from rich.markup import escape

from platocr.interrupts import ctrl_c_requested
from platocr.recognition.checkpoint import save_checkpoint, unwrap
from platocr.recognition.config import Config
from platocr.recognition.metrics import text_metrics
from platocr.train import ddp
from platocr.train.budget import StepBudget, TimeBudget
from platocr.train.checks import LearningCheck, Reading, best_reading, text_match
from platocr.train.display import TrainDisplay
from platocr.train.ema import WeightAverage
from platocr.train.history import improved, plot_curves, selection_value, write_metrics_csv
from platocr.train.interrupt import TrainInterrupted
from platocr.train.prepare import PreparedData
from platocr.train.rng import rng_state
from platocr.train.schedule import set_total_steps
from platocr.train.steps import Precision, predict_loader, train_one_epoch


@dataclass
class RunState:
    """What must survive a restart besides model/optimizer/scheduler (stored in ``last.pt``)."""

    history: list[dict] = field(default_factory=list)
    best_value: float | None = None
    best_epoch: int = 0
    best_loss: float = math.nan  # the best epoch's val loss: breaks ties of the selection metric
    bad_epochs: int = 0
    learning_checked: bool = False  # the first learning check ran (train.learning_check)


@dataclass
class Tally:
    """The current epoch's steps so far, for the row saved when Ctrl-C cuts it."""

    epoch: int = 0
    started: float = 0.0
    steps: int = 0
    loss: float = 0.0
    rows: int = 0

    def counting(self, on_step: Callable[[float, int], None]) -> Callable[[float, int], None]:
        def hook(loss: float, rows: int) -> None:
            self.steps += 1
            self.rows += rows
            self.loss += loss * rows if math.isfinite(loss) else 0.0
            on_step(loss, rows)

        return hook


@dataclass
class Trainer:
    cfg: Config
    ctx: ddp.DistContext
    out: Path
    data: PreparedData
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    scaler: torch.amp.GradScaler
    precision: Precision
    average: WeightAverage | None
    state: RunState
    display: TrainDisplay
    warnings: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        """Optimizer steps of the whole run: the scheduler's count, restored by ``--resume``."""
        return int(self.scheduler.last_epoch)

    @property
    def judged(self) -> torch.nn.Module:
        """The weights that are validated and saved as best.pt."""
        return self.model if self.average is None else self.average.module

    def run(self, start_epoch: int) -> str:
        """Train epochs ``start_epoch``.. until a budget ends the run; returns why it ended."""
        train = self.cfg.train
        per_epoch = len(self.data.train_loader)
        whole = [row["seconds"] for row in self.state.history if row.get("steps", per_epoch) == per_epoch]
        clock = TimeBudget(train.max_minutes, self.ctx, whole)  # a resumed run goes by its whole epochs
        step_budget = StepBudget(train.max_steps)
        check = LearningCheck(train.learning_check, train.init, self.state.learning_checked)
        if step_budget.spent(self.steps):
            self.display.note(f"the run has done its {self.steps} steps: raise train.max_steps to go on")
            return "step budget"
        # The LR schedule ends with epoch `planned` (what fits the budgets), counted from the scheduler's
        # own step, which is exact after a resumed, grown (train.epochs) or cut epoch.
        planned = max(start_epoch, clock.last_epoch(start_epoch - 1, train.epochs))
        planned = step_budget.last_epoch(start_epoch, self.steps, per_epoch, planned)
        set_total_steps(self.scheduler, step_budget.cap(self.steps + (planned - start_epoch + 1) * per_epoch))
        stop_reason = "epochs"
        tally = Tally()
        with self.display, ctrl_c_requested() as ctrl_c:

            def stop() -> bool:  # every rank must stop at the same step
                return self._agreed(ctrl_c.is_set() or clock.spent_here()) or step_budget.spent(self.steps)

            try:
                for epoch in range(start_epoch, train.epochs + 1):
                    tally = Tally(epoch, time.monotonic())
                    self.data.sampler.set_epoch(epoch)
                    on_step, task = self.display.epoch_bar(
                        epoch, per_epoch, lambda: self.optimizer.param_groups[0]["lr"]
                    )
                    on_step = tally.counting(on_step)
                    if self.average is not None:
                        on_step = self.average.after_steps(on_step)
                    stats = train_one_epoch(
                        self.model, self.data.train_loader, self.optimizer, self.scheduler, self.scaler,
                        self.precision, train.grad_clip, on_step, stop=stop,
                    )  # fmt: skip
                    self.display.done(task)
                    if self._agreed(ctrl_c.is_set()):
                        raise KeyboardInterrupt
                    row = {
                        "epoch": epoch,
                        "train_loss": ddp.mean_over_ranks(stats.loss, self.ctx),
                        "lr": self.optimizer.param_groups[0]["lr"],
                        "samples_per_s": ddp.sum_over_ranks(stats.samples, self.ctx)
                        / max(stats.seconds, 1e-9),
                    }
                    row.update(self._validate() if self.ctx.is_main and self.data.val_rows else _no_val())
                    row["seconds"] = time.monotonic() - tally.started
                    row["steps"] = stats.steps
                    if stats.stopped:
                        budget = "step budget" if step_budget.spent(self.steps) else "time budget"
                        self.display.note(
                            f"{budget} spent: epoch {epoch} ends after {stats.steps} of {per_epoch} steps"
                        )
                    else:
                        clock.epoch_done(row["seconds"])  # a cut epoch's time says nothing about a whole one
                    last_epoch = planned
                    if self.ctx.is_main:
                        if check.due(self.steps) and (reading := self._reading(row)) is not None:
                            self._warn(check.first(self.steps, reading))
                        self.state.learning_checked = check.checked
                        self.state.history.append(row)
                        stop_reason, last_epoch = self._after_epoch(row, clock, step_budget, stats.stopped)
                        self._save(epoch, row)
                        self.display.epoch_line(row, self.state.best_epoch, stop_reason)
                    last_epoch = ddp.broadcast_int(last_epoch, self.ctx)  # every rank follows rank 0's plan
                    if epoch >= last_epoch:
                        break
                    if last_epoch != planned:
                        planned = last_epoch
                        total = step_budget.cap(self.steps + (planned - epoch) * per_epoch)
                        if total != self.scheduler.lr_lambdas[0].total_steps:
                            set_total_steps(self.scheduler, total)
                            self.display.note(f"time budget: the LR schedule now ends with epoch {planned}")
            except KeyboardInterrupt:
                raise self._interrupted(tally) from None
        if self.ctx.is_main:
            self._end_checks(check, stop_reason)
        return stop_reason

    def _agreed(self, flag: bool) -> bool:
        """Rank 0's ``flag`` on every rank (all must leave the loop together)."""
        return bool(ddp.broadcast_int(int(flag), self.ctx)) if self.ctx.distributed else flag

    def _validate(self) -> dict:
        """Rank 0 only: greedy-decode the validation set with the plain (unwrapped) model."""
        on_batch, task = self.display.counter_bar("  validate", self.data.val_rows)
        preds = predict_loader(
            unwrap(self.judged), self.data.val_loader, self.data.tokenizer, self.precision, on_batch
        )
        self.display.done(task)
        metrics = text_metrics(preds.texts, preds.predicted)
        errors = [(t, p) for t, p in zip(preds.texts, preds.predicted, strict=True) if t != p]
        return {
            "val_loss": preds.loss,
            "string_match": metrics.string_match,
            "cer": metrics.cer,
            "edit_distance": metrics.edit_distance,
            "text_match": text_match(preds.texts, preds.predicted),
            "errors_sample": errors[:3],
        }

    def _reading(self, row: dict | None) -> Reading | None:
        """How the model reads now: the epoch's validation, or without val a few training crops."""
        if self.data.val_rows:  # (a val of negatives only has nothing to read: no check)
            return (
                None
                if row is None or math.isnan(row["text_match"])
                else Reading(row["text_match"], row["cer"], "val")
            )
        loader = self.data.check_loader
        if loader is None:
            return None
        preds = predict_loader(unwrap(self.judged), loader, self.data.tokenizer, self.precision)
        cer = text_metrics(preds.texts, preds.predicted).cer
        on = f"{len(preds.texts)} training crops (no --val)"
        match = text_match(preds.texts, preds.predicted)
        return None if math.isnan(match) else Reading(match, cer, on)

    def _warn(self, message: str | None) -> None:
        if message is not None:
            self.warnings.append(message)
            self.display.note(f"[yellow]warning:[/] {escape(message)}")

    def _end_checks(self, check: LearningCheck, stop_reason: str) -> None:
        history = self.state.history
        clock = (
            check.time_budget(self.steps, self.cfg.train.max_minutes)
            if stop_reason == "time budget"
            else None
        )
        if clock is not None:  # the clock fitted too few steps: that line says it all
            self._warn(clock)
            return
        self._warn(
            check.at_end(
                self.steps, lambda: best_reading(history) if self.data.val_rows else self._reading(None)
            )
        )

    def _after_epoch(
        self, row: dict, clock: TimeBudget, step_budget: StepBudget, cut_short: bool
    ) -> tuple[str, int]:
        """Update best/patience and the plan: (why the run ends now, or "epochs"; the last epoch to run)."""
        train, state, has_val = self.cfg.train, self.state, bool(self.data.val_rows)
        epoch = row["epoch"]
        value = selection_value(row, train.metric, has_val)
        loss = row["val_loss"]
        row["is_best"] = improved(
            value, state.best_value, train.metric, has_val, loss=loss, best_loss=state.best_loss
        )
        if row["is_best"]:
            state.best_value, state.best_epoch, state.best_loss, state.bad_epochs = value, epoch, loss, 0
        else:
            state.bad_epochs += 1
        if train.early_stopping and state.bad_epochs >= train.early_stopping:
            return "early stopping", epoch
        if step_budget.spent(self.steps):
            return "step budget", epoch
        last = clock.last_epoch(epoch, train.epochs)
        if cut_short or last <= epoch < train.epochs:
            return "time budget", epoch
        return "epochs", step_budget.last_epoch(epoch + 1, self.steps, len(self.data.train_loader), last)

    def _interrupted(self, tally: Tally) -> TrainInterrupted:
        """Ctrl-C: save ``last.pt`` as of the last finished step (the cut epoch is not validated)."""
        history = self.state.history
        if self.ctx.is_main and tally.steps and not (history and history[-1]["epoch"] == tally.epoch):
            seconds = time.monotonic() - tally.started  # this rank's figures: no collective after Ctrl-C
            row = {
                "epoch": tally.epoch,
                "train_loss": tally.loss / max(tally.rows, 1),
                "lr": self.optimizer.param_groups[0]["lr"],
                "samples_per_s": tally.rows * self.ctx.world_size / max(seconds, 1e-9),
                **_no_val(),
                "seconds": seconds,
                "steps": tally.steps,
                "is_best": False,
            }
            history.append(row)
        saved = bool(history) and (tally.steps > 0 or (self.out / "last.pt").is_file())
        if self.ctx.is_main and saved:
            self._save(history[-1]["epoch"], history[-1])
        return TrainInterrupted(self.out, self.steps, saved)

    def _save(self, epoch: int, row: dict) -> None:
        metrics = {k: v for k, v in row.items() if k not in ("errors_sample", "is_best")}
        cfg, vocab = self.cfg, self.data.tokenizer.vocab
        if row.get("is_best"):
            save_checkpoint(
                self.out / "best.pt", model=self.judged, config=cfg, vocab=vocab, epoch=epoch, metrics=metrics
            )
        history = [{k: v for k, v in r.items() if k != "errors_sample"} for r in self.state.history]
        run_state = dataclasses.asdict(self.state) | {"history": history}
        extra = {"run_state": run_state, "rng": rng_state(), "scaler": self.scaler.state_dict()}
        if self.average is not None:
            extra["ema"] = self.average.state_dict()
        save_checkpoint(
            self.out / "last.pt", model=self.model, config=cfg, vocab=vocab, epoch=epoch, metrics=metrics,
            optimizer=self.optimizer, scheduler=self.scheduler, extra=extra,
        )  # fmt: skip
        write_metrics_csv(self.state.history, self.out / "metrics.csv")
        plot_curves(self.state.history, self.out / "curves.png")


def _no_val() -> dict:
    return {"val_loss": math.nan, "string_match": math.nan, "cer": math.nan, "edit_distance": math.nan}

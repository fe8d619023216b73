"""``platocr train``: the epoch loop with validation, checkpoints, early stopping, time budget, resume.

Run directory::

    config.yaml   resolved config (vocab filled in)      vocab.txt   the alphabet, one line
    last.pt       after every epoch (resumable)           best.pt     best epoch by train.metric
                                                          (with train.ema: the averaged weights)
    metrics.csv   one row per epoch                       curves.png  loss and validation curves
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel

from platocr.checkpoint import save_checkpoint, unwrap
from platocr.config import Config, load_config, save_config
from platocr.metrics import text_metrics
from platocr.model import build_model
from platocr.progress import err_console
from platocr.train import ddp
from platocr.train.budget import TimeBudget
from platocr.train.display import TrainDisplay
from platocr.train.ema import WeightAverage, maybe_average
from platocr.train.history import improved, plot_curves, selection_value, write_metrics_csv
from platocr.train.prepare import PreparedData, open_training_sources, prepare_data
from platocr.train.resume import init_weights, resume_payload
from platocr.train.rng import restore_rng_state, rng_state, seed_everything
from platocr.train.schedule import build_optimizer, build_scheduler, set_total_steps
from platocr.train.steps import Precision, predict_loader, train_one_epoch
from platocr.train.threads import restore_thread_counts, set_training_threads, thread_counts


@dataclass
class TrainRequest:
    """Everything ``platocr train`` was asked for (see the CLI for the meaning of each option)."""

    config: Path | None
    out: Path
    train: Sequence[str]
    val: str | None = None
    vocab: str | None = None
    overrides: Sequence[str] = ()
    resume: bool = False
    device: str = "auto"
    progress: bool = True
    init: str | None = None  # checkpoint path or bundled name whose weights start the run (fine-tuning)


@dataclass
class TrainResult:
    run_dir: Path
    last_epoch: int
    best_epoch: int
    best_value: float | None
    metric: str
    stop_reason: str  # "epochs" | "early stopping" | "time budget"
    history: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    train_rows: int = 0
    val_rows: int = 0


@dataclass
class RunState:
    """What must survive a restart besides model/optimizer/scheduler (stored in ``last.pt``)."""

    history: list[dict] = field(default_factory=list)
    best_value: float | None = None
    best_epoch: int = 0
    best_loss: float = math.nan  # the best epoch's val loss: breaks ties of the selection metric
    bad_epochs: int = 0


def train(request: TrainRequest) -> TrainResult:
    """Run (or resume) training; under torchrun every process calls this, rank 0 writes the files."""
    ctx = ddp.setup(request.device)
    threads = thread_counts()
    try:
        return _train(request, ctx)
    finally:
        restore_thread_counts(threads)  # a library caller (platocr demo) goes on in this process
        ddp.cleanup()


def _resolve_config(request: TrainRequest) -> Config:
    cfg = load_config(request.config, request.overrides)
    if request.vocab:
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, vocab=request.vocab))
    return cfg


def _train(request: TrainRequest, ctx: ddp.DistContext) -> TrainResult:
    cfg = _resolve_config(request)
    payload = resume_payload(request.out, request.resume, cfg)
    # On a CPU leave a core to each loader worker (torch starts one thread per core).
    threads = set_training_threads(cfg.train.num_workers, cpu=ctx.device.type == "cpu")
    if threads and ctx.is_main:
        err_console.print(threads, highlight=False, soft_wrap=True)
    seed_everything(cfg.train.seed)
    sources, tokenizer = open_training_sources(
        cfg, request.train, vocab=payload["vocab"] if payload else None
    )
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, vocab=tokenizer.vocab))
    model = build_model(cfg, tokenizer.num_classes)
    if request.init and payload is None:  # a resumed run already carries its own weights
        note = init_weights(model, request.init)
        if ctx.is_main:
            err_console.print(f"[cyan]init:[/] {note}", highlight=False, soft_wrap=True)
    model = model.to(ctx.device)
    # Labels needing more frames than the model's T cannot be aligned by CTC: drop and report them.
    frames = getattr(model, "seq_len", None)
    data = prepare_data(cfg, sources, tokenizer, request.val, ctx, frames=frames)
    vocab = tokenizer.vocab
    out = request.out
    if ctx.is_main:
        out.mkdir(parents=True, exist_ok=True)
        save_config(cfg, out / "config.yaml")
        (out / "vocab.txt").write_text(vocab + "\n", encoding="utf-8")
        for note in data.notes:
            err_console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)

    cuda = ctx.device.type == "cuda"
    precision = Precision(
        ctx.device, amp=cfg.train.amp and cuda, channels_last=cfg.train.channels_last and cuda
    )
    if precision.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(model, cfg.train)
    steps_per_epoch = len(data.train_loader)
    scheduler = build_scheduler(optimizer, cfg.train, steps_per_epoch * cfg.train.epochs)  # planned below
    scaler = torch.amp.GradScaler("cuda", enabled=precision.amp)
    state = RunState()
    start_epoch = 1
    if payload is not None:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        scheduler.load_state_dict(payload["scheduler"])
        extra = payload.get("extra", {})
        if "scaler" in extra:
            scaler.load_state_dict(extra["scaler"])
        state = RunState(**extra.get("run_state", {}))
        restore_rng_state(extra.get("rng"))
        start_epoch = int(payload["epoch"]) + 1
    average = maybe_average(model, cfg.train.ema)
    if average is not None and payload is not None and "ema" in payload.get("extra", {}):
        average.load_state_dict(payload["extra"]["ema"])
    if ctx.distributed:
        model = DistributedDataParallel(model, device_ids=[ctx.device] if cuda else None)

    has_val = data.val_rows > 0
    metric = cfg.train.metric
    stop_reason = "epochs"
    budget = TimeBudget(cfg.train.max_minutes, ctx, [row["seconds"] for row in state.history])
    # The LR schedule ends with epoch `planned`: train.epochs, or what fits in train.max_minutes (a
    # resumed run goes by its earlier epochs' times); counted from the scheduler's own step, which is
    # exact after a resumed, grown (train.epochs) or budget-cut epoch.
    planned = max(start_epoch, budget.last_epoch(start_epoch - 1, cfg.train.epochs))
    set_total_steps(scheduler, scheduler.last_epoch + (planned - start_epoch + 1) * steps_per_epoch)
    display = TrainDisplay(
        show_bar=request.progress, is_main=ctx.is_main, epochs=cfg.train.epochs, world_size=ctx.world_size
    )
    with display:
        for epoch in range(start_epoch, cfg.train.epochs + 1):
            epoch_start = time.monotonic()
            data.sampler.set_epoch(epoch)
            on_step, task = display.epoch_bar(epoch, steps_per_epoch, lambda: optimizer.param_groups[0]["lr"])
            if average is not None:
                on_step = average.after_steps(on_step)
            stats = train_one_epoch(
                model,
                data.train_loader,
                optimizer,
                scheduler,
                scaler,
                precision,
                cfg.train.grad_clip,
                on_step,
                stop=budget.exhausted,
            )
            display.done(task)
            row = {
                "epoch": epoch,
                "train_loss": ddp.mean_over_ranks(stats.loss, ctx),
                "lr": optimizer.param_groups[0]["lr"],
                "samples_per_s": ddp.sum_over_ranks(stats.samples, ctx) / max(stats.seconds, 1e-9),
            }
            judged = model if average is None else average.module  # the weights best.pt would hold
            row.update(_validate(judged, data, precision, display) if ctx.is_main and has_val else _no_val())
            row["seconds"] = time.monotonic() - epoch_start
            if stats.stopped:
                display.note(
                    f"time budget spent: epoch {epoch} ends after {stats.steps} of {steps_per_epoch} steps"
                )
            else:
                budget.epoch_done(row["seconds"])  # a cut epoch's time says nothing about a whole one
            last_epoch = planned
            if ctx.is_main:
                state.history.append(row)
                stop_reason, last_epoch = _after_epoch(row, state, cfg, has_val, budget, stats.stopped)
                _save_epoch(out, model, average, cfg, vocab, epoch, row, optimizer, scheduler, scaler, state)
                display.epoch_line(row, state.best_epoch, stop_reason)
            last_epoch = ddp.broadcast_int(last_epoch, ctx)  # every rank follows rank 0's plan
            if epoch >= last_epoch:
                break
            if last_epoch != planned:
                planned = last_epoch
                set_total_steps(scheduler, scheduler.last_epoch + (planned - epoch) * steps_per_epoch)
                display.note(f"time budget: the LR schedule now ends with epoch {planned}")
    return TrainResult(
        run_dir=out,
        last_epoch=state.history[-1]["epoch"] if state.history else start_epoch - 1,
        best_epoch=state.best_epoch,
        best_value=state.best_value,
        metric=metric if has_val else "train_loss",
        stop_reason=stop_reason,
        history=state.history,
        notes=data.notes,
        train_rows=data.train_rows,
        val_rows=data.val_rows,
    )


def _no_val() -> dict:
    return {"val_loss": math.nan, "string_match": math.nan, "cer": math.nan, "edit_distance": math.nan}


def _validate(
    model: torch.nn.Module, data: PreparedData, precision: Precision, display: TrainDisplay
) -> dict:
    """Rank 0 only: greedy-decode the validation set with the plain (unwrapped) model."""
    on_batch, task = display.counter_bar("  validate", data.val_rows)
    preds = predict_loader(unwrap(model), data.val_loader, data.tokenizer, precision, on_batch)
    display.done(task)
    metrics = text_metrics(preds.texts, preds.predicted)
    errors = [(t, p) for t, p in zip(preds.texts, preds.predicted, strict=True) if t != p]
    return {
        "val_loss": preds.loss,
        "string_match": metrics.string_match,
        "cer": metrics.cer,
        "edit_distance": metrics.edit_distance,
        "errors_sample": errors[:3],
    }


def _after_epoch(
    row: dict, state: RunState, cfg: Config, has_val: bool, budget: TimeBudget, cut_short: bool
) -> tuple[str, int]:
    """Update best/patience and the plan: (why the run ends now, or "epochs"; the last epoch to run)."""
    epoch = row["epoch"]
    value = selection_value(row, cfg.train.metric, has_val)
    loss = row["val_loss"]
    row["is_best"] = improved(
        value, state.best_value, cfg.train.metric, has_val, loss=loss, best_loss=state.best_loss
    )
    if row["is_best"]:
        state.best_value, state.best_epoch, state.best_loss, state.bad_epochs = value, epoch, loss, 0
    else:
        state.bad_epochs += 1
    if cfg.train.early_stopping and state.bad_epochs >= cfg.train.early_stopping:
        return "early stopping", epoch
    last = budget.last_epoch(epoch, cfg.train.epochs)
    if cut_short or last <= epoch < cfg.train.epochs:
        return "time budget", epoch
    return "epochs", last


def _save_epoch(
    out,
    model,
    average: WeightAverage | None,
    cfg,
    vocab,
    epoch,
    row,
    optimizer,
    scheduler,
    scaler,
    state: RunState,
) -> None:
    metrics = {k: v for k, v in row.items() if k not in ("errors_sample", "is_best")}
    if row["is_best"]:
        best = model if average is None else average.module
        save_checkpoint(out / "best.pt", model=best, config=cfg, vocab=vocab, epoch=epoch, metrics=metrics)
    history = [{k: v for k, v in r.items() if k != "errors_sample"} for r in state.history]
    run_state = dataclasses.asdict(state) | {"history": history}
    extra = {"run_state": run_state, "rng": rng_state(), "scaler": scaler.state_dict()}
    if average is not None:
        extra["ema"] = average.state_dict()
    save_checkpoint(
        out / "last.pt",
        model=model,
        config=cfg,
        vocab=vocab,
        epoch=epoch,
        metrics=metrics,
        optimizer=optimizer,
        scheduler=scheduler,
        extra=extra,
    )
    write_metrics_csv(state.history, out / "metrics.csv")
    plot_curves(state.history, out / "curves.png")

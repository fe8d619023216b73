"""``platocr train``: set a run up (config, data, weights, resume) and hand it to the epoch loop.

Run directory::

    config.yaml   resolved config (vocab filled in)      vocab.txt   the alphabet, one line
    last.pt       after every epoch (resumable)           best.pt     best epoch by train.metric
                                                          (with train.ema: the averaged weights)
    metrics.csv   one row per epoch                       curves.png  loss and validation curves
    run.json      sources, val, vocab, init, device       skipped.tsv rows whose image cannot be read
                  (``--resume RUN`` alone goes on)
"""

from __future__ import annotations

import dataclasses

import torch
from rich.markup import escape
from torch.nn.parallel import DistributedDataParallel

from platocr.model import build_model
from platocr.outputs import check_writable_dir
from platocr.progress import err_console
from platocr.recognition.config import save_config
from platocr.recognition.zoo import resolve_model
from platocr.train import ddp
from platocr.train.display import TrainDisplay
from platocr.train.ema import maybe_average
from platocr.train.epochs import RunState, Trainer
from platocr.train.images import SKIPPED_FILE, skipped_note, write_skipped
from platocr.train.interrupt import TrainInterrupted
from platocr.train.prepare import open_training_sources, prepare_data
from platocr.train.request import (
    RUN_FILE,
    TrainRequest,
    TrainResult,
    resolve_config,
    settle_request,
    write_run_record,
)
from platocr.train.resume import init_weights, resume_payload
from platocr.train.rng import restore_rng_state, seed_everything
from platocr.train.schedule import build_optimizer, build_scheduler
from platocr.train.steps import Precision
from platocr.train.threads import restore_thread_counts, set_training_threads, thread_counts

__all__ = ["TrainInterrupted", "TrainRequest", "TrainResult", "train"]


def train(request: TrainRequest) -> TrainResult:
    """Run (or resume) training; under torchrun every process calls this, rank 0 writes the files.

    Raises :class:`TrainInterrupted` (a KeyboardInterrupt) after Ctrl-C, once ``last.pt`` is saved.
    """
    check_writable_dir(request.out, "--out")
    request = settle_request(request)  # a resumed run's own sources and device, from run.json
    ctx = ddp.setup(request.device or "auto")
    threads = thread_counts()
    try:
        return _train(request, ctx)
    finally:
        restore_thread_counts(threads)  # a library caller (platocr demo) goes on in this process
        ddp.cleanup()


def _train(request: TrainRequest, ctx: ddp.DistContext) -> TrainResult:
    cfg = resolve_config(request)
    out = request.out
    payload = resume_payload(out, request.resume, cfg)
    if cfg.train.init and payload is None:
        resolve_model(cfg.train.init)  # a wrong --init fails now, not after the images are checked
    # On a CPU leave a core to each loader worker (torch starts one thread per core).
    threads = set_training_threads(cfg.train.num_workers, cpu=ctx.device.type == "cpu")
    if threads and ctx.is_main:
        err_console.print(threads, highlight=False, soft_wrap=True)
    seed_everything(cfg.train.seed)
    opened = open_training_sources(
        cfg,
        request.train,
        request.val,
        vocab=payload["vocab"] if payload else None,
        progress=request.progress and ctx.is_main,
    )
    tokenizer = opened.tokenizer
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, vocab=tokenizer.vocab))
    model = build_model(cfg, tokenizer.num_classes)
    if cfg.train.init and payload is None:  # a resumed run already carries its own weights
        note = init_weights(model, cfg.train.init, tokenizer.vocab)
        if ctx.is_main:
            err_console.print(f"[cyan]init:[/] {escape(note)}", highlight=False, soft_wrap=True)
    model = model.to(ctx.device)
    # Labels needing more frames than the model's T cannot be aligned by CTC: drop and report them.
    frames = getattr(model, "seq_len", None)
    data = prepare_data(cfg, opened.sources, tokenizer, opened.val, ctx, frames=frames)
    if ctx.is_main:
        out.mkdir(parents=True, exist_ok=True)
        save_config(cfg, out / "config.yaml")
        (out / "vocab.txt").write_text(tokenizer.vocab + "\n", encoding="utf-8")
        if payload is None or not (out / RUN_FILE).is_file():  # (a run from before run.json: from now on)
            write_run_record(request, cfg, str(ctx.device))
        if opened.skipped:
            listing = write_skipped(opened.skipped, out / SKIPPED_FILE)
            data.notes.insert(0, skipped_note(opened.skipped, listing))
        for note in data.notes:
            err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)

    cuda = ctx.device.type == "cuda"
    precision = Precision(
        ctx.device, amp=cfg.train.amp and cuda, channels_last=cfg.train.channels_last and cuda
    )
    if precision.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(model, cfg.train)
    steps_per_epoch = len(data.train_loader)
    scheduler = build_scheduler(optimizer, cfg.train, steps_per_epoch * cfg.train.epochs)  # planned later
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

    display = TrainDisplay(
        show_bar=request.progress, is_main=ctx.is_main, epochs=cfg.train.epochs, world_size=ctx.world_size
    )
    trainer = Trainer(
        cfg, ctx, out, data, model, optimizer, scheduler, scaler, precision, average, state, display
    )
    stop_reason = trainer.run(start_epoch)
    has_val = data.val_rows > 0
    return TrainResult(
        run_dir=out,
        last_epoch=state.history[-1]["epoch"] if state.history else start_epoch - 1,
        best_epoch=state.best_epoch,
        best_value=state.best_value,
        metric=cfg.train.metric if has_val else "train_loss",
        stop_reason=stop_reason,
        history=state.history,
        notes=data.notes,
        train_rows=data.train_rows,
        val_rows=data.val_rows,
        steps=trainer.steps,
        warnings=trainer.warnings,
    )

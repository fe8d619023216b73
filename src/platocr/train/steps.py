"""One training epoch, and batched inference shared by validation and ``platocr eval``."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from platocr.recognition.prediction import Prediction
from platocr.recognition.tokenizer import Tokenizer
from platocr.train.data import Batch


@dataclass
class Precision:
    """Mixed precision and memory layout: active on CUDA only."""

    device: torch.device
    amp: bool = False
    channels_last: bool = False

    def autocast(self) -> contextlib.AbstractContextManager:
        if not self.amp:
            return contextlib.nullcontext()
        # fp16 + GradScaler: the path every CUDA GPU and cuDNN's RNN kernels support.
        return torch.autocast(device_type="cuda", dtype=torch.float16)

    def images(self, batch: Batch) -> torch.Tensor:
        images = batch.images.to(self.device, non_blocking=True)
        return images.contiguous(memory_format=torch.channels_last) if self.channels_last else images


def ctc_loss(log_probs: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Mean CTC loss per target character over the batch's learnable rows.

    Args:
        log_probs: (B, T, C) model output. Empty targets (negatives) are valid: their loss is the
            negative log-probability of all-blank frames. Impossible alignments give 0
            (``zero_infinity``) instead of inf.
    """
    device = log_probs.device
    frames = log_probs.float().permute(1, 0, 2)  # (T, B, C) as F.ctc_loss wants
    steps, size = frames.shape[:2]
    lengths = batch.target_lengths.to(device)
    per_row = F.ctc_loss(
        frames,
        batch.targets.to(device),
        torch.full((size,), steps, dtype=torch.long, device=device),
        lengths,
        blank=Tokenizer.blank,
        reduction="none",
        zero_infinity=True,
    )
    per_row = per_row / lengths.clamp_min(1)
    mask = batch.learnable.to(device).float()
    return (per_row * mask).sum() / mask.sum().clamp_min(1)


@dataclass
class EpochStats:
    loss: float
    samples: int
    seconds: float
    steps: int = 0
    stopped: bool = False  # ``stop()`` ended the epoch before the loader did


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    precision: Precision,
    grad_clip: float,
    on_step: Callable[[float, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> EpochStats:
    """One pass over ``loader``; ``on_step(loss, batch_size)`` after each step (progress bar).

    ``stop()`` is asked before every step but the first (the time budget): True ends the epoch there.
    Under DDP every rank must get the same answers, or the ranks' gradient all-reduces would hang.
    """
    model.train()
    total_loss, total_rows, samples, steps = 0.0, 0, 0, 0
    stopped = False
    start = time.perf_counter()
    for batch in loader:
        if steps and stop is not None and stop():
            stopped = True
            break
        images = precision.images(batch)
        with precision.autocast():
            log_probs = model(images)
        loss = ctc_loss(log_probs, batch)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if grad_clip > 0:
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        value = float(loss.detach())
        rows = len(batch.texts)
        if math.isfinite(value):
            total_loss += value * rows
            total_rows += rows
        samples += rows
        steps += 1
        if on_step is not None:
            on_step(value, rows)
    seconds = time.perf_counter() - start
    return EpochStats(
        loss=total_loss / max(total_rows, 1), samples=samples, seconds=seconds, steps=steps, stopped=stopped
    )


@dataclass
class Predictions:
    """Decoded outputs of a pass over a loader, in loader order."""

    texts: list[str]  # targets
    decoded: list[Prediction]
    loss: float  # mean CTC loss over learnable rows (nan when none)
    seconds: float

    @property
    def predicted(self) -> list[str]:
        return [d.text for d in self.decoded]


@torch.no_grad()
def predict_loader(
    model: nn.Module,
    loader: Iterable[Batch],
    tokenizer: Tokenizer,
    precision: Precision,
    on_batch: Callable[[int], None] | None = None,
    decode: Callable[[np.ndarray, Tokenizer], list[Prediction]] | None = None,
) -> Predictions:
    """Decode every batch (model in eval mode) and average the CTC loss.

    ``decode(log_probs, tokenizer)`` is a :mod:`platocr.recognition.decoding` decoder (numpy (B, T, C)
    log-probabilities); default greedy.
    """
    model.eval()
    texts: list[str] = []
    decoded: list[Prediction] = []
    loss_sum, loss_rows = 0.0, 0
    start = time.perf_counter()
    for batch in loader:
        with precision.autocast():
            log_probs = model(precision.images(batch))
        log_probs = log_probs.float()
        learnable = int(batch.learnable.sum())
        if learnable:
            loss_sum += float(ctc_loss(log_probs, batch)) * learnable
            loss_rows += learnable
        frames = log_probs.cpu().numpy()  # the decoders are numpy (inference needs no torch)
        decoded.extend(decode(frames, tokenizer) if decode else tokenizer.decode_greedy(frames))
        texts.extend(batch.texts)
        if on_batch is not None:
            on_batch(len(batch.texts))
    if precision.device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    loss = loss_sum / loss_rows if loss_rows else math.nan
    return Predictions(texts=texts, decoded=decoded, loss=loss, seconds=seconds)

"""Per-epoch history of a run: ``metrics.csv``, ``curves.png`` and the model-selection metric."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

COLUMNS = (
    "epoch",
    "train_loss",
    "val_loss",
    "string_match",
    "cer",
    "edit_distance",
    "lr",
    "seconds",
    "samples_per_s",
)
HIGHER_IS_BETTER = {"string_match": True, "cer": False, "edit_distance": False, "loss": False}


def selection_value(row: dict, metric: str, has_val: bool) -> float:
    """The epoch's value of the chosen metric; without validation data every metric falls back to
    the training loss (the only figure there is)."""
    if not has_val:
        return row["train_loss"]
    return row["val_loss"] if metric == "loss" else row[metric]


def improved(
    value: float,
    best: float | None,
    metric: str,
    has_val: bool,
    *,
    loss: float = math.nan,
    best_loss: float = math.nan,
) -> bool:
    """Whether an epoch's ``value`` of the selection metric beats the ``best`` so far.

    A tie is broken by the validation ``loss`` (lower wins): StringMatch stays 0.0 for the first
    epochs of a run, and without the tie-break the first epoch would stay best.pt until it moves.
    A nan loss (no validation data) never wins a tie.
    """
    if best is None or math.isnan(best):
        return not math.isnan(value)
    if value == best:
        return loss < best_loss
    higher = HIGHER_IS_BETTER[metric] if has_val else False
    return value > best if higher else value < best


def write_metrics_csv(history: Sequence[dict], path: Path) -> None:
    """Rewrite the whole file (atomic) so a resumed run never carries rows of epochs it redid."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in history:
            writer.writerow({key: _fmt(row.get(key)) for key in COLUMNS})
    os.replace(tmp, path)


def _fmt(value: object) -> object:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return "" if value is None else value


def plot_curves(history: Sequence[dict], path: Path) -> None:
    """Loss curves (left) and validation StringMatch / CER (right) per epoch, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [row["train_loss"] for row in history], "o-", label="train loss")
    val_loss = [row.get("val_loss", math.nan) for row in history]
    if not all(math.isnan(v) for v in val_loss):
        ax_loss.plot(epochs, val_loss, "o-", label="val loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("CTC loss")
    ax_loss.set_yscale("log")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    for key, style in (("string_match", "o-"), ("cer", "s--")):
        values = [row.get(key, math.nan) for row in history]
        if not all(math.isnan(v) for v in values):
            ax_metric.plot(epochs, values, style, label=key)
    ax_metric.set_xlabel("epoch")
    ax_metric.set_ylim(0, 1)
    ax_metric.set_title("validation" if ax_metric.lines else "validation (no --val)")
    if ax_metric.lines:
        ax_metric.legend()
    ax_metric.grid(alpha=0.3)
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)

"""What a training run shows: a rich progress bar per epoch (loss, lr, samples/s) and a line per epoch."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from rich.markup import escape

from platocr.progress import make_progress


class TrainDisplay:
    """Progress bar (``show_bar``) and epoch summaries, on the main process only."""

    def __init__(self, *, show_bar: bool, is_main: bool, epochs: int, world_size: int = 1) -> None:
        self.epochs = epochs
        self.world_size = world_size
        self.is_main = is_main
        self.progress = make_progress(
            enabled=show_bar and is_main,
            extra="loss {task.fields[loss]:.4f}  lr {task.fields[lr]:.2e}  {task.fields[rate]:.0f} samples/s",
        )

    def __enter__(self) -> TrainDisplay:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def epoch_bar(
        self, epoch: int, steps: int, lr: Callable[[], float]
    ) -> tuple[Callable[[float, int], None], int]:
        """A new bar for ``epoch``: returns ``(on_step(loss, rows), task id)``."""
        task = self.progress.add_task(
            f"epoch {epoch}/{self.epochs}", total=steps, loss=math.nan, lr=0.0, rate=0.0
        )
        start = time.monotonic()
        seen = 0

        def on_step(loss: float, rows: int) -> None:
            nonlocal seen
            seen += rows
            rate = seen * self.world_size / max(time.monotonic() - start, 1e-9)  # all ranks together
            self.progress.update(task, advance=1, loss=loss, lr=lr(), rate=rate)

        return on_step, task

    def counter_bar(self, description: str, total: int) -> tuple[Callable[[int], None], int]:
        """A plain bar advanced by item counts (validation)."""
        task = self.progress.add_task(description, total=total, loss=math.nan, lr=0.0, rate=0.0)
        return (lambda n: self.progress.update(task, advance=n)), task

    def done(self, task: int) -> None:
        self.progress.remove_task(task)

    def note(self, message: str) -> None:
        if self.is_main:
            self.progress.console.print(message, highlight=False, soft_wrap=True)

    def epoch_line(self, row: dict, best_epoch: int, stop_reason: str) -> None:
        """One summary line (+ a few validation errors) after each epoch."""
        if not self.is_main:
            return
        parts = [f"epoch {row['epoch']}/{self.epochs}", f"train_loss {row['train_loss']:.4f}"]
        if not math.isnan(row["string_match"]):
            parts += [
                f"val_loss {row['val_loss']:.4f}",
                f"string_match {row['string_match']:.4f}",
                f"cer {row['cer']:.4f}",
            ]
        parts += [f"lr {row['lr']:.2e}", f"{row['samples_per_s']:.0f} samples/s", f"{row['seconds']:.0f} s"]
        line = "  ".join(parts) + ("  [green]* best[/]" if row.get("is_best") else "")
        console = self.progress.console
        console.print(line, highlight=False, soft_wrap=True)
        for target, predicted in row.get("errors_sample", []):
            console.print(
                f"    [dim]{escape(repr(target))} -> {escape(repr(predicted))}[/]",
                highlight=False,
                soft_wrap=True,
            )
        if stop_reason != "epochs":
            console.print(
                f"stopping: {stop_reason} (best epoch {best_epoch})", highlight=False, soft_wrap=True
            )

"""`platocr train`: train a CRNN + CTC model from a YAML config (alone or under torchrun)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command


@command("train")
def train_command(
    config: Annotated[Path, typer.Argument(help="YAML config, e.g. configs/quick.yaml.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Run folder: checkpoints, metrics.csv, curves.png.")
    ],
    train: Annotated[
        list[str],
        typer.Option(
            "--train",
            metavar="LABELS[:WEIGHT]",
            help="Training labels (label file or dataset folder), optionally LABELS:WEIGHT; repeat to mix "
            "sources, the weight being the source's share of the stream (real:1 synth:0.5).",
        ),
    ],
    val: Annotated[
        str | None, typer.Option("--val", metavar="LABELS", help="Validation labels (model selection).")
    ] = None,
    vocab: Annotated[
        str | None,
        typer.Option(
            "--vocab", metavar="CHARS|auto", help="Alphabet, or 'auto' to take it from the training labels."
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set", metavar="KEY=VALUE", help="Config override KEY=VALUE, e.g. train.epochs=5 (repeat)."
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the run in --out from its last.pt.")
    ] = False,
    init: Annotated[
        str | None,
        typer.Option(
            "--init",
            metavar="CKPT_OR_NAME",
            help="Start from these weights (fine-tuning, e.g. a model pretrained on synthetic data or a "
            "bundled name); tensors whose shapes differ, like the head under a new vocab, start fresh.",
        ),
    ] = None,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")] = True,
) -> None:
    """Train a CRNN + CTC model; the same command runs as DDP under `torchrun --nproc_per_node N`."""
    import os

    from platocr.progress import console
    from platocr.train import TrainRequest
    from platocr.train import train as run_training

    result = run_training(
        TrainRequest(
            config=config,
            out=out,
            train=train,
            val=val,
            vocab=vocab,
            overrides=overrides or [],
            resume=resume,
            init=init,
            device=device,
            progress=progress,
        )
    )
    if int(os.environ.get("RANK", "0")) != 0:
        return
    best = "n/a" if result.best_value is None else f"{result.best_value:.4f}"
    console.print(
        f"done: {result.last_epoch} epochs ({result.stop_reason}); best {result.metric} {best} "
        f"at epoch {result.best_epoch}; {result.train_rows} training rows, {result.val_rows} validation rows",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"run folder: {result.run_dir} (best.pt, last.pt, metrics.csv, curves.png)",
        highlight=False,
        soft_wrap=True,
    )

"""`platocr train`: train a CRNN + CTC model from a YAML config (alone or under torchrun)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command


@command("train")
def train_command(
    config: Annotated[
        Path | None,
        typer.Argument(
            help="YAML config, e.g. configs/quick.yaml; optional with --init (the model's own config) "
            "or --resume (the run's)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run folder: checkpoints, metrics.csv, curves.png, run.json."),
    ] = None,
    train: Annotated[
        list[str] | None,
        typer.Option(
            "--train",
            metavar="LABELS[:WEIGHT]",
            help="Training labels (label file or dataset folder), optionally LABELS:WEIGHT; repeat to mix "
            "sources, the weight being the source's share of the stream (real:1 synth:0.5).",
        ),
    ] = None,
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
        Path | None,
        typer.Option(
            "--resume",
            metavar="RUN",
            help="Continue the run in this folder from its last.pt, with its own config, data and device "
            "(options given again must agree; --set may change e.g. train.epochs).",
        ),
    ] = None,
    init: Annotated[
        str | None,
        typer.Option(
            "--init",
            metavar="CKPT_OR_NAME",
            help="Start from these weights (fine-tuning, e.g. a model pretrained on synthetic data or a "
            "bundled name; overrides train.init); a new vocab keeps the head rows of the shared characters.",
        ),
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="auto, cpu or cuda (default: auto, or the resumed run's).")
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")] = True,
) -> None:
    """Train a CRNN + CTC model; the same command runs as DDP under `torchrun --nproc_per_node N`.

    Ctrl-C stops after the current step, saves last.pt and exits with code 130.
    """
    import os

    from platocr.errors import PlatocrError
    from platocr.progress import console, err_console
    from platocr.train import TrainInterrupted, TrainRequest
    from platocr.train import train as run_training

    run_dir = _run_folder(out, resume)
    if resume is None and config is None and init is None:
        raise PlatocrError(
            "give a CONFIG (e.g. configs/quick.yaml), or --init CKPT_OR_NAME to start from a model and "
            "its config, or --resume RUN to continue a run"
        )
    request = TrainRequest(
        config=config, out=run_dir, train=train or [], val=val, vocab=vocab, overrides=overrides or [],
        resume=resume is not None, init=init, device=device, progress=progress,
    )  # fmt: skip
    try:
        result = run_training(request)
    except TrainInterrupted as stopped:
        if int(os.environ.get("RANK", "0")) == 0:
            err_console.print(stopped.line(), highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    except KeyboardInterrupt:  # before training started: nothing to resume
        err_console.print("interrupted", highlight=False)
        raise typer.Exit(130) from None
    if int(os.environ.get("RANK", "0")) != 0:
        return
    best = "n/a" if result.best_value is None else f"{result.best_value:.4f}"
    console.print(
        f"done: {result.last_epoch} epochs ({result.stop_reason}), {result.steps} steps; best {result.metric} "
        f"{best} at epoch {result.best_epoch}; {result.train_rows} training rows, {result.val_rows} validation rows",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"run folder: {result.run_dir} (best.pt, last.pt, metrics.csv, curves.png)",
        highlight=False,
        soft_wrap=True,
    )


def _run_folder(out: Path | None, resume: Path | None) -> Path:
    """The run folder from ``--out`` and/or ``--resume RUN`` (which must then name the same one)."""
    from platocr.errors import PlatocrError

    if resume is not None and str(resume).startswith("-"):
        raise PlatocrError(f"--resume takes the run folder to continue (--resume RUN), got {resume}")
    if out is None and resume is None:
        raise PlatocrError("give --out RUN (the run folder to write), or --resume RUN to continue one")
    if out is not None and resume is not None and out.resolve() != resume.resolve():
        raise PlatocrError(f"--out {out} and --resume {resume} name different run folders")
    return resume if resume is not None else out  # type: ignore[return-value]

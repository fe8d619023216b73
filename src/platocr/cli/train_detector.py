"""`platocr train-detector`: train the plate detector on frames with plate boxes, export its ``.onnx``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command


@command("train-detector")
def train_detector_command(
    train: Annotated[
        list[Path],
        typer.Option(
            "--train",
            metavar="BOXES",
            help="Frames with plate boxes: a folder with boxes.tsv (as "
            "`platocr synth scenes` writes) or a boxes.tsv; repeat to mix.",
        ),
    ],
    val: Annotated[Path, typer.Option("--val", metavar="BOXES", help="Validation frames (model selection).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Run folder: best.pt, last.pt, run.json, plate-detector.onnx.")
    ],
    steps: Annotated[int, typer.Option("--steps", min=1, help="Optimizer steps (the budget).")] = 3000,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Views per step.")] = 16,
    lr: Annotated[float, typer.Option("--lr", min=0.0, help="Peak learning rate (AdamW, cosine).")] = 2e-3,
    val_every: Annotated[int, typer.Option("--val-every", min=1, help="Validate every N steps.")] = 500,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same weights.")
    ] = 0,
    init: Annotated[
        str | None,
        typer.Option(
            "--init",
            metavar="CHECKPOINT",
            help="Start from these weights: plate-detector (the shipped detector: fine-tune it on frames of "
            "your camera) or a run's best.pt / last.pt.",
        ),
    ] = None,
) -> None:
    """Train the plate detector (CPU is fine: ~0.5 s a step on 2 cores) and export RUN/plate-detector.onnx.

    Load the result with ``platocr video ... --detect plate --detector RUN/plate-detector.onnx`` or
    ``PlateDetector.load("RUN/plate-detector.onnx")``.
    """
    from dataclasses import replace

    import torch

    from platocr.errors import PlatocrError
    from platocr.outputs import check_writable_dir
    from platocr.progress import console
    from platocr.train.detector import DetectorTraining, detector_checkpoint, train_detector
    from platocr.train.detector_data import labelled_frames

    check_writable_dir(out, "--out")
    init_path = None if init is None else detector_checkpoint(init)
    if init_path is not None and not init_path.is_file():
        raise PlatocrError(f"--init {init}: file not found (a run's best.pt / last.pt, or plate-detector)")
    torch.set_num_threads(1)  # the loader worker takes the other core
    frames = [frame for path in train for frame in labelled_frames(path, "--train")]
    val_frames = labelled_frames(val, "--val")
    cfg = replace(DetectorTraining(), steps=steps, batch_size=batch_size, lr=lr,
                  val_every=min(val_every, steps), seed=seed,
                  init=init_path)  # fmt: skip
    console.print(f"train-detector: {len(frames)} training frames, {len(val_frames)} validation frames, "
                  f"{steps} steps of {batch_size} views", highlight=False)  # fmt: skip
    run = train_detector(frames, val_frames, out, cfg, log=lambda line: console.print(line, highlight=False))
    console.print(
        f"done: best at step {run.best_step}, threshold {run.threshold}: recall {run.best.recall:.3f}, "
        f"precision {run.best.precision:.3f} on {run.best.frames} validation frames; {run.seconds / 60:.1f} min; "
        f"detector: {run.onnx_path}",
        highlight=False, soft_wrap=True,
    )  # fmt: skip

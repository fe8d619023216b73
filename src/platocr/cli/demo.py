"""`platocr demo`: the one-command tour of the toolkit on a small synthetic barcode set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command
from platocr.outputs import check_writable_dir


@command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for every artefact of the tour.")] = Path(
        "runs/demo"
    ),
    photos: Annotated[
        int, typer.Option("--photos", min=20, help="Synthetic barcode photos to start from.")
    ] = 1000,
    steps: Annotated[
        int | None,
        typer.Option(
            "--steps",
            min=1,
            help="Training budget in optimizer steps (train.max_steps): a busy machine takes longer but "
            "ends with the same model.",
        ),
    ] = 150,
    from_scratch: Annotated[
        bool,
        typer.Option(
            "--from-scratch",
            help="Train from scratch instead of fine-tuning the shipped barcodes-ean model (probe "
            "--from-scratch); needs far more steps, e.g. --steps 3000.",
        ),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="The probe's base config (default: the checkout's configs/quick.yaml)."
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Override on the probe's training config, e.g. train.lr=0.002 (repeat).",
        ),
    ] = None,
    video_seconds: Annotated[
        float,
        typer.Option("--video-seconds", min=0.1, help="Length of the synthetic clip (25 fps, 640x360)."),
    ] = 4.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for the synthetic data and training.")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
) -> None:
    """One-command tour: synthesise barcode photos, crop, split, probe (which writes a fine-tune config
    for the shipped barcodes-ean model), train it for a step budget, evaluate, gallery, read the test
    crops, annotate a synthetic video; ends with a table of artefacts and figures.
    """
    check_writable_dir(out, "--out")
    from platocr.cli.probe import print_full_width
    from platocr.progress import console
    from platocr.tools.demo import DemoSettings, run_demo, summary_table

    settings = DemoSettings(
        photos=photos, seed=seed, config=config, steps=steps, from_scratch=from_scratch, train_overrides=tuple(overrides or ()),
        video_seconds=video_seconds, device=device,
    )  # fmt: skip
    print_full_width(console, summary_table(run_demo(out, settings)))

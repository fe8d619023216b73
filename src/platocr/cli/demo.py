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
    minutes: Annotated[
        float, typer.Option("--minutes", min=0.0, help="Training budget in minutes (train.max_minutes).")
    ] = 6.0,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Training config (default: the checkout's configs/quick.yaml)."),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Training config override, e.g. train.lr=0.002 (repeat); input.height=H replaces the "
            "probe's barcode height 64.",
        ),
    ] = None,
    video_seconds: Annotated[
        float,
        typer.Option("--video-seconds", min=0.1, help="Length of the synthetic clip (25 fps, 640x360)."),
    ] = 4.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for the synthetic data and training.")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
) -> None:
    """One-command tour: synthesise barcode photos, crop, split, probe, train configs/quick.yaml at the
    probe's input size for a few minutes, evaluate, gallery, annotate a synthetic video; ends with a
    table of artefacts and figures.
    """
    check_writable_dir(out, "--out")
    from platocr.cli.probe import print_full_width
    from platocr.demo import DemoSettings, run_demo, summary_table
    from platocr.progress import console

    settings = DemoSettings(
        photos=photos, seed=seed, config=config, minutes=minutes, train_overrides=tuple(overrides or ()),
        video_seconds=video_seconds, device=device,
    )  # fmt: skip
    print_full_width(console, summary_table(run_demo(out, settings)))

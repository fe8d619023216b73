"""`platocr demo`: the one-command tour of the toolkit on a small synthetic set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command


@command("demo")
def demo_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for every artefact of the tour.")] = Path(
        "runs/demo"
    ),
    photos: Annotated[
        int, typer.Option("--photos", min=20, help="Synthetic barcode photos to start from.")
    ] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for the synthetic data.")] = 0,
) -> None:
    """One-command tour: synthesise barcode photos, crop, split (train/eval/video steps join as they land)."""
    from platocr.demo import print_summary, run_demo

    print_summary(run_demo(out, photos=photos, seed=seed))

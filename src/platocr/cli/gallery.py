"""`platocr gallery`: grid of crops with target and prediction, errors first (PNG or self-contained HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import DecodeOption, command


@command("gallery")
def gallery_command(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint (.pt) written by platocr train.")],
    labels: Annotated[Path, typer.Argument(help="Label file or dataset folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output FILE.png (grid) or FILE.html (page).")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Crops to show (errors first).")] = 100,
    batch_size: Annotated[
        int, typer.Option("--batch-size", "-b", min=1, help="Crops per forward pass.")
    ] = 64,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    decode: DecodeOption = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")] = True,
) -> None:
    """Grid of crops with target and prediction, errors first (PNG or self-contained HTML)."""
    from platocr.gallery import make_gallery
    from platocr.progress import console

    result = make_gallery(
        checkpoint, labels, out, limit=limit, batch_size=batch_size, device=device, decode=decode,
        progress=progress,
    )  # fmt: skip
    console.print(
        f"wrote {result.path}: {result.shown} of {result.total} crops ({result.errors} errors, shown first;"
        f" decoder {result.decode})",
        highlight=False,
        soft_wrap=True,
    )

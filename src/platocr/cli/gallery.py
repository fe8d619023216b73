"""`platocr gallery`: grid of crops with target and prediction, errors first (PNG or self-contained HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command
from platocr.cli.options import (
    BackendOption,
    BatchSizeOption,
    DecodeOption,
    DeviceOption,
    ModelArgument,
    ProgressOption,
)


@command("gallery")
def gallery_command(
    checkpoint: ModelArgument,
    labels: Annotated[Path, typer.Argument(help="Label file or dataset folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output FILE.png (grid) or FILE.html (page).")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Crops to show (errors first).")] = 100,
    batch_size: BatchSizeOption = 64,
    device: DeviceOption = "auto",
    backend: BackendOption = "auto",
    decode: DecodeOption = None,
    progress: ProgressOption = True,
) -> None:
    """Grid of crops with target and prediction, errors first (PNG or self-contained HTML).

    The HTML page shows crops up to 360 px wide; click one to enlarge it. Images that cannot be decoded
    are skipped and listed.
    """
    from platocr.progress import console
    from platocr.tools.gallery import make_gallery

    result = make_gallery(
        checkpoint, labels, out, limit=limit, batch_size=batch_size, device=device, backend=backend,
        decode=decode, progress=progress,
    )  # fmt: skip
    if result.skipped:
        typer.echo(f"skipped {len(result.skipped)} unreadable images:", err=True)
        for skip in result.skipped:
            typer.echo(f"  {skip.path}: {skip.reason}", err=True)
    console.print(
        f"wrote {result.path}: {result.shown} of {result.total} crops ({result.errors} errors, shown first;"
        f" decoder {result.decode})",
        highlight=False,
        soft_wrap=True,
    )

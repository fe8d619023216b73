"""`platocr crop`: cut text crops from barcode photos into a platocr label file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command
from platocr.outputs import check_writable_dir


@command("crop")
def crop_command(
    data_dir: Annotated[
        Path,
        typer.Argument(help="Barcode-photo folder: images/ + annotations.tsv (or the .tsv itself)."),
    ],
    out: Annotated[Path, typer.Argument(help="Output folder: OUT/crops/*.jpg + OUT/labels.tsv.")],
    pad: Annotated[
        float,
        typer.Option(
            "--pad",
            min=0.0,
            help="Margin on every side, as a fraction of the text height (box's short side).",
        ),
    ] = 0.0,
    strict: Annotated[
        bool, typer.Option("--strict", help="Any skipped row is an error (exit 2, labels.tsv not written).")
    ] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", min=1, help="Processes (default: all cores).")
    ] = None,
    quality: Annotated[
        int, typer.Option("--quality", min=1, max=100, help="JPEG quality of the crops.")
    ] = 95,
) -> None:
    """Cut every annotated box into OUT/crops (vertical boxes turned upright) and write OUT/labels.tsv.

    Faulty rows are skipped and listed with their line in annotations.tsv; a rerun reuses up-to-date crops.
    """
    check_writable_dir(out)
    from platocr.data.crop import CropSkipError, crop_dataset
    from platocr.progress import console

    try:
        report = crop_dataset(data_dir, out, pad=pad, strict=strict, workers=workers, quality=quality)
    except CropSkipError as exc:
        console.print(exc.report.summary())
        console.print(exc.report.skip_table())
        raise
    console.print(report.summary())
    if report.skipped:
        console.print(report.skip_table())

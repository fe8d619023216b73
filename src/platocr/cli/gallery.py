"""`platocr gallery`: grid of crops with target and prediction, errors first (PNG or self-contained HTML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from platocr.cli._app import command, list_skips
from platocr.cli.options import (
    BackendOption,
    BatchSizeOption,
    BoxesOnlyOption,
    DecodeOption,
    DetectorOption,
    DetectThresholdOption,
    DeviceOption,
    ExpectPlateOption,
    ModelArgument,
    ProgressOption,
)


@command("gallery")
def gallery_command(
    checkpoint: ModelArgument,
    labels: Annotated[Path, typer.Argument(help="Label file or dataset folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output FILE.png (grid) or FILE.html (page).")],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Crops (--detect plate: cards) to show, errors first.")
    ] = 100,
    batch_size: BatchSizeOption = 64,
    device: DeviceOption = "auto",
    backend: BackendOption = "auto",
    decode: DecodeOption = None,
    progress: ProgressOption = True,
    detect: Annotated[
        str | None,
        typer.Option(
            "--detect",
            help="plate: LABELS is a boxes.tsv of whole frames (or its folder); show the plates missed, "
            "the false plates and the misread plates first, then the plates found.",
        ),
    ] = None,
    boxes_only: BoxesOnlyOption = False,
    detector: DetectorOption = "plate-detector",
    detect_threshold: DetectThresholdOption = None,
    expect_plate: ExpectPlateOption = False,
) -> None:
    """Grid of crops with target and prediction, errors first (PNG or self-contained HTML).

    The HTML page shows crops up to 360 px wide; click one to enlarge it. Images that cannot be decoded
    are skipped and listed. With --detect plate: parts of whole frames around each plate and detection,
    judged as eval --detect plate judges them.
    """
    from platocr.progress import console

    if detect is not None or boxes_only or expect_plate:
        _detection_gallery(
            checkpoint, labels, out, detect=detect, boxes_only=boxes_only, detector=detector,
            detect_threshold=detect_threshold, expect_plate=expect_plate, limit=limit, progress=progress,
            device=device, backend=backend, batch_size=batch_size, decode=decode, int8=False,
        )  # fmt: skip
        return
    from platocr.tools.gallery import make_gallery

    result = make_gallery(
        checkpoint, labels, out, limit=limit, batch_size=batch_size, device=device, backend=backend,
        decode=decode, progress=progress,
    )  # fmt: skip
    list_skips(result.skipped, "images")
    console.print(
        f"wrote {result.path}: {result.shown} of {result.total} crops ({result.errors} errors, shown first;"
        f" decoder {result.decode})",
        highlight=False,
        soft_wrap=True,
    )


def _detection_gallery(checkpoint: str, labels: Path, out: Path, **options: Any) -> None:
    from platocr.progress import console
    from platocr.tools.detect_gallery import kind_counts, run_detection_gallery

    result = run_detection_gallery(checkpoint, labels, out, **options)
    list_skips(result.report.skipped, "frames")
    console.print(
        f"wrote {result.path}: {result.shown} of {sum(result.by_kind.values())} cards from "
        f"{result.report.frames} frames ({kind_counts(result.by_kind)}; errors shown first)",
        highlight=False,
        soft_wrap=True,
    )
    if result.missed_why:
        why = ", ".join(f"{n} {reason}" for reason, n in result.missed_why.items())
        console.print(f"plates missed: {why}", highlight=False, soft_wrap=True)

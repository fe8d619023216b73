"""`platocr read`: recognise image files, folders, globs or label files; path, text, confidence out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from platocr.cli._app import command, counted, list_skips
from platocr.cli.options import (
    BackendOption,
    DecodeOption,
    DetectorOption,
    DetectThresholdOption,
    DeviceOption,
    ExpectPlateOption,
    ThreadsOption,
)


@command("read")
def read_command(
    model: Annotated[
        str,
        typer.Argument(help="Bundled name (plates-ru, barcodes-ean), a checkpoint .pt or an exported .onnx."),
    ],
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Image files, folders (searched recursively), globs, label files (.tsv) or - "
            "(paths on stdin, one per line).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write FILE.tsv, FILE.csv or FILE.jsonl instead of TSV on stdout."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", "-b", min=1, help="Crops per forward pass.")
    ] = 64,
    min_confidence: Annotated[
        float,
        typer.Option(
            "--min-confidence",
            min=0.0,
            max=1.0,
            help="Write a read under this confidence as no read (empty text; its confidence is kept).",
        ),
    ] = 0.0,
    backend: BackendOption = "auto",
    device: DeviceOption = "auto",
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the progress bar (on stderr).")
    ] = True,
    decode: DecodeOption = None,
    bars: Annotated[
        bool,
        typer.Option(
            "--bars",
            help="Barcodes: also read the bars (zxing-cpp) and combine them with the digits; adds a "
            "source column (digits, bars or both).",
        ),
    ] = False,
    detect: Annotated[
        str | None,
        typer.Option(
            "--detect",
            help="plate: the inputs are whole photos; find the plates and write one row per plate "
            "(path, x y w h, text, confidence, detector score; a photo without a plate: one row, empty fields).",
        ),
    ] = None,
    crops: Annotated[
        Path | None,
        typer.Option(
            "--crops",
            help="--detect plate: also save each plate's crop in DIR/crops/ and list them in DIR/labels.tsv "
            "(path, text = the read, source = the photo): a draft label file to check, then train on.",
            metavar="DIR",
        ),
    ] = None,
    boxes: Annotated[
        Path | None,
        typer.Option(
            "--boxes",
            help="--detect plate: also write FILE.tsv listing every photo with its plates' boxes and reads "
            "(as `synth scenes` writes boxes.tsv): a draft to check, then `train-detector --train FILE.tsv`.",
            metavar="FILE.tsv",
        ),
    ] = None,
    expect_plate: ExpectPlateOption = False,
    detector: DetectorOption = "plate-detector",
    detect_threshold: DetectThresholdOption = None,
    threads: ThreadsOption = None,
) -> None:
    """Read text from crops: TSV path<TAB>text<TAB>confidence on stdout (or --out), summary on stderr.

    Unreadable images are skipped and listed at the end; the exit code is 2 when none could be read.
    """

    from platocr.detection import PlateDetector
    from platocr.errors import PlatocrError
    from platocr.threads import applied, parse_threads, plan_for, session_threads

    cores = parse_threads(threads)
    if detect not in (None, "plate"):
        raise PlatocrError(f"unknown --detect {detect!r} (known: plate)")
    if detect and bars:
        raise PlatocrError("--bars reads barcode crops: it does not go with --detect plate")
    if crops is not None and not detect:
        raise PlatocrError("--crops saves the plates found in whole photos: it needs --detect plate")
    if boxes is not None and not detect:
        raise PlatocrError("--boxes lists the plates found in whole photos: it needs --detect plate")
    if boxes is not None and boxes.suffix.lower() != ".tsv":
        raise PlatocrError(f"--boxes {boxes}: expected a .tsv file name (a boxes.tsv)")
    if expect_plate and not detect:
        raise PlatocrError("--expect-plate is about the plates in whole photos: it needs --detect plate")
    if bars:
        from platocr.recognition.bars_reader import require_bars

        require_bars()  # before any work: one line naming the extra
    from platocr.outputs import check_writable_dir, check_writable_file
    from platocr.recognition.predictor import Predictor
    from platocr.tools.read import collect_images, output_format, read_images, write_rows
    from platocr.tools.read_plates import reads_as_text

    fmt = "tsv"
    if out is not None:
        fmt = output_format(out)
        check_writable_file(out, "--out")
    if crops is not None:
        check_writable_dir(crops, "--crops")
    if boxes is not None:
        if out is not None and boxes.absolute() == out.absolute():
            raise PlatocrError(f"--boxes and --out both name {boxes}: give each its own file")
        check_writable_file(boxes, "--boxes")
    paths = collect_images(inputs)
    plan = plan_for("sequential", cores)  # one batch at a time: every pool may use the planned cores
    with session_threads(plan.runtime):
        predictor = Predictor.load(
            model, device=device, backend=backend, batch_size=batch_size, decode=decode
        )
    plate_detector = (
        PlateDetector.load(
            detector,
            threshold=detect_threshold,
            threads=plan.runtime,
            expect_plate=expect_plate,
            reads_text=reads_as_text(predictor) if expect_plate else None,
        )
        if detect == "plate"
        else None
    )
    if plate_detector is not None:
        with applied(plan):
            _read_plates(predictor, plate_detector, paths, out, fmt, min_confidence, progress, crops, boxes)
        return
    with applied(plan):
        result = read_images(predictor, paths, min_confidence=min_confidence, progress=progress, bars=bars)
    _list_skips(result.skipped, read=len(result.rows))
    _write(out, lambda handle: write_rows(result.rows, handle, fmt, sources=bars))
    floor = (
        f", {result.below_min_confidence} under --min-confidence written as no read" if min_confidence else ""
    )
    bars_note = ""
    if bars:
        from platocr.tools.bars_report import count_sources

        sources = count_sources([(row.text, row.source or "digits") for row in result.rows])
        conflicts = sum(row.conflict for row in result.rows)
        ms = 1000 * result.bars_seconds / len(result.rows)
        bars_note = f"; sources: {sources.line()}; conflicts {conflicts}; bars {ms:.1f} ms/crop"
    typer.echo(
        f"read {counted(len(result.rows), 'image')}, skipped {len(result.skipped)}, in {result.seconds:.2f} s "
        f"({result.crops_per_s:.1f} crops/s, {predictor.backend} on {predictor.device}){floor}{bars_note}"
        + (f"; wrote {out}" if out is not None else ""),
        err=True,
    )


def _read_plates(
    predictor: Any,
    detector: Any,
    paths: list[str],
    out: Path | None,
    fmt: str,
    min_confidence: float,
    progress: bool,
    crops: Path | None,
    boxes: Path | None,
) -> None:
    from platocr.tools.read_plates import read_plates, write_crop_labels, write_plate_rows

    result = read_plates(
        predictor, detector, paths, min_confidence=min_confidence, progress=progress,
        crops=None if crops is None else crops / "crops",
    )  # fmt: skip
    _list_skips(result.skipped, read=result.photos)
    _write(out, lambda handle: write_plate_rows(result.rows, handle, fmt))
    if crops is not None:
        labels = write_crop_labels(result.crops, crops)
        typer.echo(f"wrote {len(result.crops)} plate crops to {crops / 'crops'} and {labels}", err=True)
    if boxes is not None:
        typer.echo(f"wrote the boxes of {counted(result.plates, 'plate')} in {counted(result.photos, 'photo')} to "
                   f"{result.write_boxes(boxes)}", err=True)  # fmt: skip
    empty = sum(row.box is None for row in result.rows)
    read = sum(bool(row.text) for row in result.rows)
    floor = (
        f", {result.below_min_confidence} under --min-confidence written as no read" if min_confidence else ""
    )
    typer.echo(
        f"found {counted(result.plates, 'plate')} in {counted(result.photos, 'photo')} ({empty} without a plate), "
        f"read {read}{floor}; "
        f"skipped {len(result.skipped)}; detector {1000 * result.detect_seconds / result.photos:.1f} ms/photo, "
        f"reader {1000 * result.read_seconds / max(result.plates, 1):.1f} ms/plate "
        f"({predictor.backend} on {predictor.device})" + (f"; wrote {out}" if out is not None else ""),
        err=True,
    )


def _list_skips(skipped: list[Any], read: int) -> None:
    """List the unreadable images on stderr; nothing read at all is an error (exit code 2)."""
    from platocr.errors import PlatocrError

    list_skips(skipped, "images")
    if not read:
        raise PlatocrError(f"no image could be read ({len(skipped)} unreadable, listed above)")


def _write(out: Path | None, write: Callable[[TextIO], None]) -> None:
    """``write`` the rows to ``out``, or to stdout when there is no ``--out``."""
    import sys

    if out is None:
        write(sys.stdout)
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        write(handle)

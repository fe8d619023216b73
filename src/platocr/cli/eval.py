"""`platocr eval`: evaluate a model on a label file (StringMatch, edit distance, CER, confusions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from platocr.cli._app import command
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


@command("eval")
def eval_command(
    checkpoint: ModelArgument,
    labels: Annotated[Path, typer.Argument(help="Label file or dataset folder to evaluate on.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this JSON file.")
    ] = None,
    batch_size: BatchSizeOption = 64,
    device: DeviceOption = "auto",
    backend: BackendOption = "auto",
    progress: ProgressOption = True,
    decode: DecodeOption = None,
    compare: Annotated[
        bool,
        typer.Option("--compare-decoders", help="Also run every decoder on the same outputs, side by side."),
    ] = False,
    bars: Annotated[
        bool,
        typer.Option(
            "--bars",
            help="Barcodes: also read the bars (zxing-cpp) and report digits, bars and both combined "
            "side by side (sources, conflicts, the floor table on the combined reads).",
        ),
    ] = False,
    detect: Annotated[
        str | None,
        typer.Option(
            "--detect",
            help="plate: LABELS is a boxes.tsv of whole frames (or its folder); report plates found at IoU 0.5, "
            "precision, false plates per frame, mean IoU, read right (ru plates), detector ms/frame.",
        ),
    ] = None,
    boxes_only: BoxesOnlyOption = False,
    expect_plate: ExpectPlateOption = False,
    detector: DetectorOption = "plate-detector",
    detect_threshold: DetectThresholdOption = None,
    thresholds: Annotated[
        bool,
        typer.Option(
            "--thresholds",
            help="--detect plate: also count plates found and false plates at every detector threshold from "
            "0.2 to 0.7 (one run), to choose --detect-threshold on frames of your own camera.",
        ),
    ] = False,
) -> None:
    """Evaluate a model on a label file (StringMatch, edit distance, CER, confusions).

    Images that cannot be decoded are skipped, counted and listed (in --json too); a missing one is an error.
    """
    import json

    if detect is not None or boxes_only or expect_plate:
        from platocr.errors import PlatocrError
        from platocr.progress import console
        from platocr.tools.detect_eval import run_detect_eval

        if compare or bars:
            raise PlatocrError("--compare-decoders and --bars read crops: they do not go with --detect plate")
        run_detect_eval(
            checkpoint, labels, detect=detect, boxes_only=boxes_only, detector=detector, json_out=json_out,
            detect_threshold=detect_threshold, thresholds=thresholds, expect_plate=expect_plate,
            console=console, progress=progress, device=device, backend=backend, batch_size=batch_size,
            decode=decode, int8=False,
        )  # fmt: skip
        return

    if bars:
        from platocr.recognition.bars_reader import require_bars

        require_bars()  # before any work: one line naming the extra
    from platocr.outputs import check_writable_file
    from platocr.progress import console
    from platocr.tools.evaluate import evaluate, print_report

    if json_out is not None:
        check_writable_file(json_out, "--json")
    report = evaluate(
        checkpoint,
        labels,
        batch_size=batch_size,
        device=device,
        backend=backend,
        progress=progress,
        decode=decode,
        compare=compare,
        bars=bars,
    )
    print_report(report, console)
    if report.decoder_comparison is not None:
        from platocr.tools.decoder_report import print_comparison

        print_comparison(report.decoder_comparison, console)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(
            json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        console.print(f"wrote {json_out}", highlight=False, soft_wrap=True)

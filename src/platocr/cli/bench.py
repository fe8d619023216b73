"""`platocr bench`: crops/s per backend/precision/device/batch (and bars + digits) and annotated-video fps,
as a table and JSON."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from platocr.cli._app import command
from platocr.outputs import check_writable_file

if TYPE_CHECKING:
    from platocr.video.bench import VideoBenchRow


@command(
    "bench",
    help="Benchmark crops/s (torch, onnx float and int8; CPU and CUDA; --bars) and video fps (threaded vs sequential).",
)
def bench_command(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the figures as JSON here.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Checkpoint or bundled name (default: a bundled one).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Time a randomly initialised model of this config.")
    ] = None,
    device: Annotated[
        str, typer.Option("--device", help="auto (CPU + CUDA if present), cpu or cuda.")
    ] = "auto",
    backend: Annotated[str, typer.Option("--backend", help="both, torch or onnx.")] = "both",
    int8: Annotated[
        bool, typer.Option("--int8/--no-int8", help="onnx on a CPU: time the int8 model too.")
    ] = True,
    bars: Annotated[
        bool,
        typer.Option("--bars", help="A barcode model: also time bars + digits (needs the barcodes extra)."),
    ] = False,
    video: Annotated[bool, typer.Option("--video/--no-video", help="Also time the video annotator.")] = True,
    quick: Annotated[bool, typer.Option("--quick", help="A short run (small batches, tiny clip).")] = False,
    threads: Annotated[
        int,
        typer.Option(
            "--threads", min=0, help="Cores to plan the thread pools for (0 = the cores free of other load)."
        ),
    ] = 0,
) -> None:
    """Measure recognition speed; without --model/--config a bundled model is timed."""
    if out is not None:
        check_writable_file(out, "--out")
    from platocr.errors import PlatocrError
    from platocr.progress import console, err_console
    from platocr.tools.bench import BenchSettings, available_devices, check_bars, pick_model, run_bench
    from platocr.tools.bench_report import CropsRow, report_tables

    if backend not in ("both", "torch", "onnx"):
        raise PlatocrError(f"unknown --backend {backend!r} (known: both, torch, onnx)")
    settings = dataclasses.replace(
        BenchSettings.quick() if quick else BenchSettings(),
        devices=available_devices(device),
        backends=("torch", "onnx") if backend == "both" else (backend,),
        video=video,
        threads=threads or None,
        int8=int8,
        bars=bars,
    )
    bench_model = pick_model(model, config)
    check_bars(bench_model, settings)  # before the notes: a plate model with --bars is one error line
    for note in bench_model.notes:
        err_console.print(f"note: {note}", highlight=False)

    def show(row: CropsRow | VideoBenchRow) -> None:
        if isinstance(row, CropsRow):
            speed = (
                f"{row.crops_per_s:.1f} crops/s" if row.crops_per_s is not None else f"not timed: {row.note}"
            )
            what = f"{row.precision} {row.reads} batch {row.batch}: {speed}"
        else:
            what = f"video {row.mode}: {row.fps:.1f} fps" + (f" ({row.note})" if row.note else "")
        err_console.print(f"{row.backend}/{row.device} {what}", highlight=False)

    report = run_bench(bench_model, settings, on_result=show)
    console.print(report_tables(report))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {out}", highlight=False)

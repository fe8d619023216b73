"""`platocr bench`: crops/s per backend/device/batch and annotated-video fps, as a table and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from platocr.cli._app import command
from platocr.outputs import check_writable_file


@command(
    "bench", help="Benchmark crops/s (torch, onnx; CPU and CUDA) and video fps (threaded vs sequential)."
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
    from platocr.tools.bench import BenchSettings, available_devices, pick_model, run_bench

    if backend not in ("both", "torch", "onnx"):
        raise PlatocrError(f"unknown --backend {backend!r} (known: both, torch, onnx)")
    changes: dict[str, Any] = {
        "devices": available_devices(device),
        "backends": ("torch", "onnx") if backend == "both" else (backend,),
        "video": video,
        "threads": threads or None,
    }
    settings = BenchSettings.quick(**changes) if quick else BenchSettings(**changes)
    bench_model = pick_model(model, config)
    for note in bench_model.notes:
        err_console.print(f"note: {note}", highlight=False)

    def show(kind: str, row: dict[str, Any]) -> None:
        what = f"batch {row['batch']}: {row['crops_per_s']:.1f} crops/s" if kind == "crops" else (
            f"video {row['mode']}: {row['fps']:.1f} fps" + (f" ({row['note']})" if row.get("note") else ""))  # fmt: skip
        err_console.print(f"{row['backend']}/{row['device']} {what}", highlight=False)

    report = run_bench(bench_model, settings, on_result=show)
    console.print(report_tables(report))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {out}", highlight=False)


def fmt_load(load: list[float] | None) -> str:
    return " ".join(f"{x:.2f}" for x in load) if load else "n/a"


def report_tables(report: dict[str, Any]) -> Any:
    """Rich renderable: a machine/model header, crops/s per batch and video fps."""
    from rich.console import Group
    from rich.table import Table

    from platocr.threads import ThreadPlan

    machine, model = report["machine"], report["model"]
    header = Table(title="platocr bench", show_header=False)
    header.add_column("item")
    header.add_column("value")
    header.add_row("machine", f"{machine['cpu']}, {machine['cores']} cores, torch {machine['torch']}, "
                   f"onnxruntime {machine['onnxruntime']}, cuda: {machine['cuda_device'] or 'none'}")  # fmt: skip
    for mode, plan in report.get("threads", {}).items():
        used_by = "crops + sequential" if mode == "sequential" else mode
        header.add_row(f"threads, {used_by}", ThreadPlan(**plan).line())
    header.add_row(
        "load avg (start / end)", f"{fmt_load(machine['load_avg'])} / {fmt_load(machine['load_avg_end'])}"
    )
    header.add_row("model", f"{model['source']} ({model['backbone']} + {model['rnn']}, input "
                   f"{model['input'][0]}x{model['input'][1]}, {model['parameters']:,} params)")  # fmt: skip
    for note in model["notes"]:
        header.add_row("note", note)
    crops = Table(title="crops/s (median call: preprocess + forward + decode)")
    for name in ("backend", "device", "batch", "crops/s", "ms/batch"):
        crops.add_column(name, justify="right")
    for row in report["crops"]:
        crops.add_row(row["backend"], row["device"], str(row["batch"]), f"{row['crops_per_s']:.1f}",
                      f"{row['ms_per_batch']:.1f}")  # fmt: skip
    parts: list[Any] = [header, crops]
    if report["video"]:
        video = Table(title="video annotator (one ROI crop per frame)")
        for name in ("backend", "device", "size", "mode", "frames", "fps", "bottleneck"):
            video.add_column(name, justify="right")
        for row in report["video"]:
            fps = f"{row['fps']:.1f}" + (" *" if row.get("note") else "")
            video.add_row(row["backend"], row["device"], "x".join(map(str, row["size"])), row["mode"],
                          str(row["frames"]), fps, str(row["bottleneck"]))  # fmt: skip
        notes = sorted({row["note"] for row in report["video"] if row.get("note")})
        if notes:
            video.caption = "* " + "; ".join(notes)
        parts.append(video)
    return Group(*parts)

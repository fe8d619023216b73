"""`platocr video`: Annotate a video file, camera or stream with OCR results in real time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from platocr.cli._app import command
from platocr.cli.options import DetectorOption, DetectThresholdOption, DeviceOption, ThreadsOption
from platocr.errors import PlatocrError
from platocr.outputs import check_writable_file

DETECT_EVERY = 3  # = platocr.video.plates.DEFAULT_DETECT_EVERY, kept here so --help imports no numpy


def load_recognizer(model: str, device: str, backend: str = "auto") -> tuple[Any, str]:
    """``(recognize, device)`` from ``platocr.recognition.predictor.Predictor`` (tests monkeypatch this)."""
    from platocr.recognition.predictor import Predictor

    predictor = Predictor.load(model, device=device, backend=backend)
    return predictor.predict, str(predictor.device)


@command("video")
def video_command(
    input_spec: Annotated[
        str, typer.Argument(metavar="IN", help="Video file, camera index (0) or stream URL.")
    ],
    output: Annotated[Path, typer.Argument(metavar="OUT", help="Annotated video to write (.mp4).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Checkpoint path or model name.")],
    roi: Annotated[
        list[str] | None, typer.Option("--roi", help="Fixed text region x,y,w,h (repeatable); fixed camera.")
    ] = None,
    detect: Annotated[
        str | None,
        typer.Option(
            "--detect",
            help="Find regions with a detector: barcode, or plate (plates anywhere, followed by a tracker; "
            "--jsonl results gain the track id, --tracks writes one row per track).",
        ),
    ] = None,
    detect_every: Annotated[
        int,
        typer.Option(
            "--detect-every",
            min=1,
            help="--detect plate: run the detector on every K-th frame, tracking in between.",
        ),
    ] = DETECT_EVERY,
    detector: DetectorOption = "plate-detector",
    detect_threshold: DetectThresholdOption = None,
    tracks: Annotated[
        Path | None,
        typer.Option(
            "--tracks",
            help="--detect plate: write the tracks (first/last frame, text, confidence) "
            "to FILE.tsv or FILE.json.",
        ),
    ] = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help="Write one JSON object per frame here.")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="threaded or sequential (same output).")] = "threaded",
    smooth: Annotated[
        int,
        typer.Option(
            "--smooth",
            min=1,
            help="Vote over the last K frames per region (--detect plate: per track; "
            "1 = over all its reads).",
        ),
    ] = 1,
    codec: Annotated[str, typer.Option("--codec", help="h264 (PyAV libx264) or mp4v (OpenCV).")] = "h264",
    device: DeviceOption = "auto",
    batch_frames: Annotated[
        int, typer.Option("--batch-frames", min=0, help="Frames per OCR batch; 0 = 8 on CUDA, 1 on CPU.")
    ] = 0,
    backend: Annotated[
        str,
        typer.Option(
            "--backend", help="Inference runtime: torch, onnx or auto (onnx on a CPU, torch on CUDA)."
        ),
    ] = "auto",
    decoder: Annotated[str, typer.Option("--decoder", help="Video decoder: auto, pyav or opencv.")] = "auto",
    max_frames: Annotated[
        int | None, typer.Option("--max-frames", min=1, help="Stop after N frames.")
    ] = None,
    bars: Annotated[
        bool,
        typer.Option(
            "--bars",
            help="Barcodes: also read the bars of each crop (zxing-cpp) and combine them with the digits; "
            "JSONL results get source and conflict.",
        ),
    ] = False,
    threads: ThreadsOption = None,
) -> None:
    """Annotate a video file, camera or stream with OCR results in real time."""
    if bars:
        from platocr.recognition.bars_reader import require_bars

        require_bars()  # before any work: one line naming the extra
    from platocr.detection import PlateDetector
    from platocr.threads import parse_threads, plan_for, session_threads

    cores = parse_threads(threads)
    check_writable_file(output)
    if jsonl is not None:
        check_writable_file(jsonl, "--jsonl")
    from platocr.video.plates import check_tracks_path, tracks_table, write_tracks

    if tracks is not None:
        if detect != "plate":
            raise PlatocrError("--tracks lists plate tracks: it needs --detect plate")
        check_tracks_path(tracks)
        check_writable_file(tracks, "--tracks")
    import warnings

    from platocr.progress import console, err_console
    from platocr.video import StageError, parse_roi, run_video
    from platocr.video.annotator import preflight
    from platocr.video.stats import stats_table

    if decoder not in ("auto", "pyav", "opencv"):
        raise PlatocrError(f"unknown --decoder {decoder!r} (known: auto, pyav, opencv)")
    rois = [parse_roi(r) for r in roi or []]
    preflight(input_spec, rois, detect, decoder, bars)  # type: ignore[arg-type]  # fail fast, before the model load
    plan = plan_for(mode, cores)  # before the model: its onnxruntime session takes the runtime share
    plate_detector = (
        PlateDetector.load(detector, threshold=detect_threshold, threads=plan.runtime, retry=False)
        if detect == "plate"
        else None
    )  # a bad name: fail fast
    with session_threads(plan.runtime):
        recognize, device_type = load_recognizer(model, device, backend)
    batch = batch_frames or (8 if device_type.startswith("cuda") else 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            stats = run_video(
                input_spec, output, recognize, rois=rois, detect=detect, detector=plate_detector,
                detect_every=detect_every, jsonl=jsonl, mode=mode, smooth=smooth,
                codec=codec, decoder=decoder, batch_frames=batch, max_frames=max_frames, bars=bars,  # type: ignore[arg-type]
                threads=plan,
            )  # fmt: skip
        except StageError as exc:  # a failure inside a stage is not a usage error: exit 1, still one line
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from None
    for warning in caught:
        err_console.print(f"warning: {warning.message}", highlight=False)
    console.print(stats_table(stats))
    console.print(f"threads: {plan.line()}", highlight=False, soft_wrap=True)
    if stats.tracks is not None:
        console.print(tracks_table(stats.tracks))
        if tracks is not None:
            write_tracks(tracks, stats.tracks)
    written = [str(p) for p in (output, jsonl, tracks) if p is not None]
    console.print(f"wrote {', '.join(written)}", highlight=False, soft_wrap=True)
    if stats.interrupted:
        typer.echo(f"interrupted: {output} closed after {stats.frames} frames", err=True)
        raise typer.Exit(code=130)  # the shell's code for Ctrl-C

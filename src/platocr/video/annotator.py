"""``run_video``: the library entry point behind ``platocr video`` and the video part of ``platocr bench``."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from platocr.errors import PlatocrError
from platocr.threads import ThreadPlan, applied, plan_for
from platocr.video.pipeline import run_stages
from platocr.video.regions import Box, RegionFinder, fixed_rois, validate_rois, whole_frame
from platocr.video.smoothing import RegionSmoother
from platocr.video.sources import Backend, is_camera, is_url, open_source
from platocr.video.stages import AnnotatorStages, FrameHook, Recognizer
from platocr.video.writers import Codec, open_writer

DETECTORS: tuple[str, ...] = ("barcode",)


def build_finder(rois: Sequence[Box], detect: str | None, frame_size: tuple[int, int]) -> RegionFinder:
    """Fixed ROIs (checked against ``frame_size`` = (width, height)), a detector, or the whole frame."""
    if rois and detect:
        raise PlatocrError("--roi and --detect exclude each other: a fixed camera needs no detector")
    if rois:
        validate_rois(rois, frame_size)
        return fixed_rois(rois)
    if detect is None:
        return whole_frame
    if detect == "barcode":
        from platocr.video.detect import BarcodeFinder

        return BarcodeFinder()
    raise PlatocrError(f"unknown --detect {detect!r} (known: {', '.join(DETECTORS)})")


def preflight(
    input_spec: str, rois: Sequence[Box] = (), detect: str | None = None, decoder: Backend = "auto"
) -> None:
    """Fail fast, before an expensive model load: a file input must open and the ROIs fit its frames.

    Live inputs are not opened twice (a stream may be slow to connect); ``run_video`` checks them.
    """
    if is_camera(input_spec) or is_url(input_spec):
        build_finder(rois, detect, (1 << 30, 1 << 30))  # option clashes only
        return
    source = open_source(input_spec, decoder)
    try:
        build_finder(rois, detect, (source.info.width, source.info.height))
    finally:
        source.close()


def run_video(
    input_spec: str,
    output: str | Path,
    recognize: Recognizer,
    *,
    rois: Sequence[Box] = (),
    detect: str | None = None,
    jsonl: str | Path | None = None,
    mode: str = "threaded",
    smooth: int = 1,
    codec: Codec = "h264",
    decoder: Backend = "auto",
    batch_frames: int = 1,
    max_frames: int | None = None,
    queue_size: int = 8,
    on_frame: FrameHook | None = None,
    bars: bool = False,
    threads: ThreadPlan | None = None,
) -> dict[str, Any]:
    """Annotate ``input_spec`` (file, camera index or URL) into the video ``output``.

    ``recognize(crops: list of BGR uint8 (h, w, 3)) -> list[Prediction]`` is the OCR (one call per batch
    of frames; ``batch_frames`` > 1 batches frames already queued, for GPUs). ``smooth`` = K frames of
    confidence-weighted vote per region. ``on_frame(index, annotated_frame)`` is called before encoding
    (tests compare modes pixel-exactly with it). ``bars``: also decode the bars of each crop and combine
    them with the digits (:func:`platocr.recognition.bars_reader.with_bars`; needs zxing-cpp); the JSONL results
    then carry ``source`` and ``conflict``. ``threads``: the decoder, encoder, OpenCV (and torch)
    thread counts (:mod:`platocr.threads`; None = planned here for ``mode``); an onnxruntime
    recognizer got its count when its session was made (``threads.session_threads``).

    Returns ``{"mode", "frames", "wall_s", "fps", "stages": {stage: {"frames", "total_s", "p50_ms",
    "p95_ms"}}, "bottleneck", "dropped", "interrupted", "input", "output", "size", "input_fps",
    "threads"}`` (``threads``: the plan as a dict).
    Raises PlatocrError for bad input and StageError when a stage fails unexpectedly; the output file is
    closed (playable) in every case.
    """
    if mode not in ("threaded", "sequential"):
        raise PlatocrError(f"unknown --mode {mode!r} (known: threaded, sequential)")
    if smooth < 1:
        raise PlatocrError(f"--smooth {smooth}: must be >= 1 (1 = no smoothing)")
    if batch_frames < 1:
        raise PlatocrError(f"batch_frames {batch_frames}: must be >= 1")
    if bars:
        from platocr.recognition.bars_reader import with_bars

        recognize = with_bars(recognize)
    plan = threads or plan_for(mode)
    output = Path(output)
    if not input_spec.isdigit() and Path(input_spec).resolve() == output.resolve():
        raise PlatocrError(f"{output}: output would overwrite the input")
    with contextlib.ExitStack() as closing:
        source = open_source(input_spec, decoder, plan.decoder)
        closing.callback(source.close)
        info = source.info
        finder = build_finder(rois, detect, (info.width, info.height))
        jsonl_file = None
        if jsonl is not None:
            try:
                jsonl_file = closing.enter_context(open(jsonl, "w", encoding="utf-8"))  # noqa: SIM115
            except OSError as exc:
                raise PlatocrError(f"{jsonl}: cannot write JSONL ({exc.strerror})") from None
        writer = open_writer(output, info.fps, (info.width, info.height), codec, threads=plan.encoder)
        closing.callback(writer.close)  # runs even after Ctrl-C or a stage error: a playable file
        stages = AnnotatorStages(
            source, writer, recognize, finder, smoother=RegionSmoother(k=smooth), jsonl=jsonl_file,
            max_frames=max_frames, on_frame=on_frame,
        )  # fmt: skip
        closing.enter_context(applied(plan))
        stats = run_stages(
            stages, mode=mode, live=info.live, batch_frames=batch_frames, queue_size=queue_size
        )
    stats.update(input=input_spec, output=str(output), size=[info.width, info.height], input_fps=info.fps,
                 threads=plan.as_dict())  # fmt: skip
    return stats

"""``run_video``: the library entry point behind ``platocr video`` and the video part of ``platocr bench``."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from platocr.errors import PlatocrError
from platocr.threads import ThreadPlan, applied, plan_for
from platocr.video.pipeline import run_stages
from platocr.video.plates import DEFAULT_DETECT_EVERY, Detector, PlateFinder
from platocr.video.regions import Box, RegionReader, fixed_rois, validate_rois, whole_frame
from platocr.video.smoothing import RegionSmoother, Smoothed
from platocr.video.sources import Backend, is_camera, is_url, open_source
from platocr.video.stages import AnnotatorStages, FrameHook, Recognizer
from platocr.video.stats import StageStats, VideoStats
from platocr.video.tracking import PlateTracker
from platocr.video.writers import Codec, open_writer

DETECTORS: tuple[str, ...] = ("barcode", "plate")


def check_regions(
    rois: Sequence[Box], detect: str | None, frame_size: tuple[int, int], bars: bool = False
) -> None:
    """Option clashes, an unknown ``detect`` and ROIs outside ``frame_size`` = (width, height): PlatocrError."""
    if rois and detect:
        raise PlatocrError("--roi and --detect exclude each other: a fixed camera needs no detector")
    if detect is not None and detect not in DETECTORS:
        raise PlatocrError(f"unknown --detect {detect!r} (known: {', '.join(DETECTORS)})")
    if detect == "plate" and bars:
        raise PlatocrError("--bars reads barcodes: it does not go with --detect plate")
    if rois:
        validate_rois(rois, frame_size)


def build_reader(
    rois: Sequence[Box],
    detect: str | None,
    frame_size: tuple[int, int],
    *,
    smooth: int = 1,
    detector: Detector | None = None,
    detect_every: int = DEFAULT_DETECT_EVERY,
) -> RegionReader:
    """Fixed ROIs, the barcode detector, or the whole frame, each with a ``smooth``-frame vote per region;
    or (``detect="plate"``) ``detector`` (None = the shipped plate detector) every ``detect_every``
    frames with a tracker whose tracks vote over their last ``smooth`` reads (1 = all of them)."""
    check_regions(rois, detect, frame_size)
    if detect == "plate":
        if detect_every < 1:
            raise PlatocrError(f"--detect-every {detect_every}: must be >= 1 (1 = detect on every frame)")
        if detector is None:
            from platocr.detection import PlateDetector

            detector = PlateDetector.load(retry=False)  # a far plate is found as its car comes nearer
        return PlateFinder(detector, detect_every, PlateTracker(smooth=smooth if smooth > 1 else 0))
    smoother = RegionSmoother(k=smooth)
    if rois:
        return Smoothed(fixed_rois(rois), smoother)
    if detect == "barcode":
        from platocr.video.detect import BarcodeFinder

        return Smoothed(BarcodeFinder(), smoother)
    return Smoothed(whole_frame, smoother)


def preflight(
    input_spec: str,
    rois: Sequence[Box] = (),
    detect: str | None = None,
    decoder: Backend = "auto",
    bars: bool = False,
) -> None:
    """Fail fast, before an expensive model load: a file input must open and the ROIs fit its frames.

    Live inputs are not opened twice (a stream may be slow to connect); ``run_video`` checks them.
    """
    if is_camera(input_spec) or is_url(input_spec):
        check_regions(rois, detect, (1 << 30, 1 << 30), bars)  # option clashes only
        return
    source = open_source(input_spec, decoder)
    try:
        check_regions(rois, detect, (source.info.width, source.info.height), bars)
    finally:
        source.close()


def run_video(
    input_spec: str,
    output: str | Path,
    recognize: Recognizer,
    *,
    rois: Sequence[Box] = (),
    detect: str | None = None,
    detector: Detector | None = None,
    detect_every: int = DEFAULT_DETECT_EVERY,
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
) -> VideoStats:
    """Annotate ``input_spec`` (file, camera index or URL) into the video ``output``.

    ``recognize(crops: list of BGR uint8 (h, w, 3)) -> list[Prediction]`` is the OCR (one call per batch
    of frames; ``batch_frames`` > 1 batches frames already queued, for GPUs). ``smooth`` = K frames of
    confidence-weighted vote per region. ``detect="plate"``: ``detector(frame) -> list[Detection]``
    (None = the shipped plate detector) runs every ``detect_every`` frames and a tracker follows the
    plates in between (:mod:`platocr.video.plates`); the stats then carry the tracks. ``on_frame(index,
    annotated_frame)`` is called before encoding (tests compare modes pixel-exactly with it). ``bars``: also
    decode the bars of each crop and combine them with the digits
    (:func:`platocr.recognition.bars_reader.with_bars`; needs zxing-cpp); the JSONL results then carry
    ``source`` and ``conflict``. ``threads``: the decoder, encoder, OpenCV (and torch) thread counts
    (:mod:`platocr.threads`; None = planned here for ``mode``); an onnxruntime recognizer (and the
    detector) got its count when its session was made (``threads.session_threads``).

    Raises PlatocrError for bad input and StageError when a stage fails unexpectedly; the output file is
    closed (playable) in every case.
    """
    if mode not in ("threaded", "sequential"):
        raise PlatocrError(f"unknown --mode {mode!r} (known: threaded, sequential)")
    if smooth < 1:
        raise PlatocrError(f"--smooth {smooth}: must be >= 1 (1 = no smoothing)")
    if batch_frames < 1:
        raise PlatocrError(f"batch_frames {batch_frames}: must be >= 1")
    check_regions(rois, detect, (1 << 30, 1 << 30), bars)
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
        regions = build_reader(rois, detect, (info.width, info.height), smooth=smooth, detector=detector,
                               detect_every=detect_every)  # fmt: skip
        jsonl_file = None
        if jsonl is not None:
            try:
                jsonl_file = closing.enter_context(open(jsonl, "w", encoding="utf-8"))  # noqa: SIM115
            except OSError as exc:
                raise PlatocrError(f"{jsonl}: cannot write JSONL ({exc.strerror})") from None
        writer = open_writer(output, info.fps, (info.width, info.height), codec, threads=plan.encoder)
        closing.callback(writer.close)  # runs even after Ctrl-C or a stage error: a playable file
        stages = AnnotatorStages(source, writer, recognize, regions, jsonl=jsonl_file, max_frames=max_frames,
                                 on_frame=on_frame)  # fmt: skip
        closing.enter_context(applied(plan))
        stats = run_stages(
            stages, mode=mode, live=info.live, batch_frames=batch_frames, queue_size=queue_size
        )
    stats.input, stats.output, stats.threads = input_spec, str(output), plan
    stats.size, stats.input_fps = (info.width, info.height), info.fps
    if isinstance(regions, PlateFinder):
        stats.tracks = regions.summaries()
        stats.detect = StageStats.of(regions.detect_seconds) if regions.detect_seconds else None
    return stats

"""Reusable video measurements: decode fps per backend, encode fps per codec, pipeline fps per mode.

``platocr bench`` calls ``time_video`` (``benchmark_video`` per mode); the numbers in the video report
come from these functions.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.recognition.prediction import Prediction
from platocr.threads import ThreadPlan
from platocr.video.sources import Backend, open_source
from platocr.video.stats import VideoStats
from platocr.video.writers import Codec, open_writer

if TYPE_CHECKING:
    from platocr.tools.bench import BenchSettings

# Below this many frames the clip's start-up (decoder, encoder, thread warm-up) decides the fps.
MIN_VIDEO_FRAMES = 100


def synthetic_frame(index: int, size: tuple[int, int]) -> np.ndarray:
    """A deterministic camera-like BGR frame (H, W, 3): a drifting texture, sensor noise, the frame number.

    The texture and noise matter for benchmarks: flat synthetic frames compress (and decode) unrealistically fast.
    """
    import cv2

    width, height = size
    texture = cv2.GaussianBlur(
        np.random.default_rng(0).integers(0, 256, (height, width, 3), np.uint8), (0, 0), 4
    )
    frame = (
        np.roll(texture, 4 * index, axis=1).astype(np.int16) * 3 - 200
    )  # stretch contrast back after the blur
    frame += np.random.default_rng(index + 1).normal(0, 6, frame.shape).astype(np.int16)
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    scale = height / 120
    cv2.putText(frame, f"{index:05d}", (width // 8, height // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                max(1, int(2 * scale)), cv2.LINE_AA)  # fmt: skip
    return frame


def write_synthetic_clip(
    path: str | Path,
    frames: int,
    size: tuple[int, int] = (320, 240),
    fps: float = 25.0,
    codec: Codec = "mp4v",
    overlay: Callable[[int, np.ndarray], None] | None = None,
) -> Path:
    """Write ``frames`` synthetic frames of ``size`` = (width, height) to ``path``; returns the path.

    ``overlay(index, frame)`` draws onto each BGR frame in place before it is written (``platocr demo``
    pastes barcode crops at a known ROI this way).
    """
    writer = open_writer(path, fps, size, codec)
    try:
        for i in range(frames):
            frame = synthetic_frame(i, size)
            if overlay is not None:
                overlay(i, frame)
            writer.write(frame)
    finally:
        writer.close()
    return Path(path)


@dataclass(frozen=True)
class CodecTiming:
    """``frames`` decoded or encoded in ``seconds`` (``fps``); ``bytes``: the encoded file's size (0 for decoding)."""

    frames: int
    seconds: float
    fps: float
    bytes: int = 0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def measure_decode(path: str | Path, backend: Backend, max_frames: int | None = None) -> CodecTiming:
    """Decode ``path`` to BGR arrays with ``backend``."""
    source = open_source(str(path), backend)
    frames, start = 0, time.perf_counter()
    try:
        while (max_frames is None or frames < max_frames) and source.read() is not None:
            frames += 1
    finally:
        source.close()
    seconds = time.perf_counter() - start
    return CodecTiming(frames, seconds, frames / seconds if seconds else 0.0)


def measure_encode(
    codec: Codec, frames: int = 120, size: tuple[int, int] = (1280, 720), preset: str | None = None
) -> CodecTiming:
    """Encode ``frames`` pre-rendered frames (16 distinct ones cycled) to a temp file; encode time only."""
    images = [synthetic_frame(i, size) for i in range(16)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "encode.mp4"
        kwargs = {"preset": preset} if preset else {}
        start = time.perf_counter()
        writer = open_writer(path, 25.0, size, codec, **kwargs)
        for i in range(frames):
            writer.write(images[i % len(images)])
        writer.close()
        seconds = time.perf_counter() - start
        size_bytes = path.stat().st_size
    return CodecTiming(frames, seconds, frames / seconds, size_bytes)


def sleeping_recognizer(ms_per_crop: float) -> Callable[[Sequence[np.ndarray]], list[Prediction]]:
    """A fake OCR of realistic cost: sleeps ``ms_per_crop`` per crop (releases the GIL like real inference)."""

    def recognize(crops: Sequence[np.ndarray]) -> list[Prediction]:
        time.sleep(ms_per_crop * len(crops) / 1000)
        return [Prediction(f"{int(c.mean()):03d}", 0.9) for c in crops]

    return recognize


def benchmark_video(
    input_path: str | Path | None = None,
    *,
    recognize: Callable[[Sequence[np.ndarray]], list[Prediction]] | None = None,
    modes: Sequence[str] = ("sequential", "threaded"),
    frames: int = 150,
    size: tuple[int, int] = (1280, 720),
    codec: Codec = "h264",
    ms_per_crop: float = 5.0,
    batch_frames: int = 1,
    rois: Sequence[tuple[int, int, int, int]] = (),
    threads: Mapping[str, ThreadPlan] | None = None,
) -> dict[str, VideoStats]:
    """Run the annotator on ``input_path`` (or a generated clip of ``frames`` at ``size``) once per mode.

    ``recognize`` defaults to ``sleeping_recognizer(ms_per_crop)``; ``rois`` empty = the whole frame is the
    crop; ``threads`` = the thread plan per mode (missing: planned by ``run_video``). Returns
    ``{mode: run_video's VideoStats}`` (frames, wall_s, fps, per-stage p50/p95 ms, bottleneck, threads).
    """
    from platocr.video.annotator import run_video

    recognize = recognize or sleeping_recognizer(ms_per_crop)
    results: dict[str, VideoStats] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if input_path is None:
            input_path = write_synthetic_clip(Path(tmp) / "input.mp4", frames, size, codec="h264")
        for mode in modes:
            results[mode] = run_video(
                str(input_path), Path(tmp) / f"out_{mode}.mp4", recognize, mode=mode, codec=codec,
                batch_frames=batch_frames, max_frames=frames, rois=rois, threads=(threads or {}).get(mode),
            )  # fmt: skip
    return results


def center_roi(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A plate-shaped ROI (x, y, w, h) over the frame number that ``synthetic_frame`` draws."""
    width, height = size
    return width // 10, height // 3, width // 2, height // 4


def video_note(frames: int) -> str | None:
    """A warning to keep next to a video figure measured on too few frames, else None."""
    if frames >= MIN_VIDEO_FRAMES:
        return None
    return f"only {frames} frames: start-up decides this fps, not throughput (needs {MIN_VIDEO_FRAMES}+)"


@dataclass(frozen=True)
class VideoBenchRow:
    """One annotator fps figure of ``platocr bench``: the OCR's backend and device, the run mode, the
    clip's ``size`` and the ``roi`` read, frames and fps, the bounding stage, each stage's median ms,
    the thread plan, and a ``note`` when the figure is not a throughput (too few frames)."""

    backend: str
    device: str
    mode: str
    size: tuple[int, int]
    roi: tuple[int, int, int, int]
    frames: int
    wall_s: float
    fps: float
    bottleneck: str | None
    stages_p50_ms: dict[str, float]
    threads: ThreadPlan | None
    note: str | None

    def as_dict(self) -> dict[str, object]:
        """The bench report's JSON row (sizes as lists, the thread plan as a dict)."""
        return {**asdict(self), "size": list(self.size), "roi": list(self.roi)}


def time_video(
    predictor: Any,
    settings: BenchSettings,
    plans: Mapping[str, ThreadPlan] | None = None,
    threaded: Any = None,
) -> list[VideoBenchRow]:
    """Annotator fps (sequential, threaded) on a generated clip, OCR on one ROI crop per frame.

    ``plans``: the thread plan of each mode (None: planned by ``run_video``); ``threaded``: the
    predictor for the threaded mode (an onnxruntime session is sized for one mode), else ``predictor``.
    Each row's ``note`` is None, or says why its fps is not a throughput figure (too few frames).
    """
    roi = center_roi(settings.video_size)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_synthetic_clip(Path(tmp) / "input.mp4", settings.video_frames, settings.video_size,
                                    codec="h264")  # fmt: skip
        for mode, reader in (("sequential", predictor), ("threaded", threaded or predictor)):
            stats = benchmark_video(
                clip, recognize=reader.predict, modes=(mode,), frames=settings.video_frames,
                size=settings.video_size, rois=[roi], threads={mode: plans[mode]} if plans else None,
            )[mode]  # fmt: skip
            rows.append(VideoBenchRow(
                reader.backend, reader.device, mode, tuple(settings.video_size), roi, stats.frames, stats.wall_s,
                stats.fps, stats.bottleneck, {name: stage.p50_ms for name, stage in stats.stages.items()},
                stats.threads, video_note(stats.frames),
            ))  # fmt: skip
    return rows

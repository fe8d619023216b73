"""The video step of ``platocr demo``: a synthetic fixed-camera clip of barcode crops, annotated.

The clip is ``platocr bench``'s generator (``video.bench.write_synthetic_clip``: drifting texture, sensor
noise) with held-out crops pasted into one fixed ROI, a new barcode every ``seconds_per_code``. The
annotation is ``video.run_video`` with that ROI, exactly what ``platocr video IN OUT --roi ...`` runs.
Because the demo knows which barcode each frame shows, it can score the per-frame reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from platocr.data.labels import LabelRow
from platocr.video.regions import Box
from platocr.video.stats import VideoStats


@dataclass
class DemoVideo:
    """What the video step wrote and measured."""

    clip: Path  # synthetic input
    annotated: Path  # platocr video's output
    jsonl: Path  # one JSON object per frame
    roi: Box
    texts: list[str]  # the barcode shown on each frame (ground truth)
    stats: VideoStats  # run_video's figures (frames, fps, wall_s, stages, bottleneck, ...)
    reads_right: int  # frames whose read equals the barcode shown
    backend: str  # runtime/device that read the frames, e.g. onnx/cpu


def centre_roi(size: tuple[int, int]) -> Box:
    """The middle half of a (width, height) frame: x, y, w, h (aspect 16:9 frames give ~1.8, a barcode's)."""
    width, height = size
    return width // 4, height // 4, width // 2, height // 2


def write_barcode_clip(
    path: Path,
    rows: Sequence[LabelRow],
    *,
    frames: int,
    size: tuple[int, int],
    fps: float,
    seconds_per_code: float = 1.0,
) -> tuple[Box, list[str]]:
    """Write the clip; returns (the ROI, the text shown on each frame).

    Crops are letterboxed into the ROI with ``preprocess.resize_pad`` (the model's own fit).
    """
    from platocr.recognition.preprocess import load_image, resize_pad
    from platocr.video.bench import write_synthetic_clip

    roi = centre_roi(size)
    x, y, w, h = roi
    per_code = max(1, round(seconds_per_code * fps))
    shown = [rows[(i // per_code) % len(rows)] for i in range(frames)]
    patches: dict[Path, np.ndarray] = {}

    def paste(index: int, frame: np.ndarray) -> None:
        row = shown[index]
        if row.path not in patches:
            patches[row.path] = resize_pad(load_image(row.path), h, w)
        frame[y : y + h, x : x + w] = patches[row.path]

    write_synthetic_clip(path, frames, size, fps, codec="h264", overlay=paste)
    return roi, [row.text for row in shown]


def read_jsonl_texts(path: Path, frames: int) -> list[str]:
    """The text read on each frame ('' where nothing was read), from ``platocr video``'s JSONL."""
    texts = [""] * frames
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["results"] and record["frame"] < frames:
            texts[record["frame"]] = record["results"][0]["text"]
    return texts


def run_demo_video(
    checkpoint: Path,
    rows: Sequence[LabelRow],
    out_dir: Path,
    *,
    seconds: float,
    size: tuple[int, int] = (640, 360),
    fps: float = 25.0,
    device: str = "auto",
) -> DemoVideo:
    """Render the clip from ``rows`` (held-out crops) into ``out_dir`` and annotate it with ``checkpoint``."""
    from platocr.recognition.predictor import Predictor
    from platocr.video import run_video

    out_dir.mkdir(parents=True, exist_ok=True)
    frames = max(1, round(seconds * fps))
    clip, annotated, jsonl = out_dir / "clip.mp4", out_dir / "out.mp4", out_dir / "results.jsonl"
    roi, texts = write_barcode_clip(clip, rows, frames=frames, size=size, fps=fps)
    predictor = Predictor.load(checkpoint, device=device, backend="auto")  # platocr video's default
    stats = run_video(str(clip), annotated, predictor.predict, rois=[roi], jsonl=jsonl)
    reads = read_jsonl_texts(jsonl, frames)
    right = sum(read == text for read, text in zip(reads, texts, strict=True))
    return DemoVideo(
        clip, annotated, jsonl, roi, texts, stats, right, f"{predictor.backend}/{predictor.device}"
    )

"""The four stage functions of the annotator (read -> ocr -> draw -> write), shared by both run modes.

Each stage is a plain method so the threaded and the sequential runner execute exactly the same code;
the runners only differ in how frames travel between them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO

import numpy as np

from platocr.recognition.prediction import Prediction
from platocr.video.draw import annotate
from platocr.video.regions import Region, RegionFinder, RegionReader
from platocr.video.smoothing import Smoothed
from platocr.video.sources import FrameSource
from platocr.video.writers import FrameWriter

Recognizer = Callable[[Sequence[np.ndarray]], Sequence[Prediction]]
FrameHook = Callable[[int, np.ndarray], None]


@dataclass
class FrameItem:
    """One frame on its way through the stages (``frame`` BGR uint8 (H, W, 3), annotated in place by draw)."""

    index: int
    frame: np.ndarray
    time_s: float  # monotonic capture time (places live frames in the output's timeline)
    regions: list[Region] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)


def frame_record(item: FrameItem, tracked: bool = False) -> dict[str, object]:
    """The JSONL object of one frame: ``{"frame": i, "results": [{"text", "confidence", "box"}]}``.

    A region read as empty text (no plate, no barcode) is left out: nothing read -> ``[]``. With
    ``--bars`` each result also has ``source`` (digits, bars or both) and ``conflict``; with tracking
    (``--detect plate``) it starts with ``track`` (the track id), its text being the track's settled text.
    """
    results: list[dict[str, object]] = []
    for region, p in zip(item.regions, item.predictions, strict=True):
        if not p.text:
            continue
        result: dict[str, object] = {"track": region.key} if tracked else {}
        result.update(text=p.text, confidence=round(float(p.confidence), 4), box=[int(v) for v in region.box])
        if p.with_bars:
            result.update(source=p.source, conflict=p.conflict)
        results.append(result)
    return {"frame": item.index, "results": results}


class AnnotatorStages:
    """Holds what the stages share: source, region reader, recognizer, writer, JSONL file.

    ``regions``: a :class:`~platocr.video.regions.RegionReader`, or a plain finder (reads shown as read).
    """

    def __init__(
        self,
        source: FrameSource,
        writer: FrameWriter,
        recognize: Recognizer,
        regions: RegionReader | RegionFinder,
        *,
        jsonl: IO[str] | None = None,
        max_frames: int | None = None,
        on_frame: FrameHook | None = None,
    ) -> None:
        self.source, self.writer, self.recognize = source, writer, recognize
        self.regions: RegionReader = regions if hasattr(regions, "settle") else Smoothed(regions)  # type: ignore[arg-type,assignment]
        self.jsonl, self.max_frames, self.on_frame = jsonl, max_frames, on_frame
        self._next_index = 0

    def read(self) -> FrameItem | None:
        """The next frame, or None at the end of the input (or after ``max_frames``)."""
        if self.max_frames is not None and self._next_index >= self.max_frames:
            return None
        frame = self.source.read()
        if frame is None:
            return None
        item = FrameItem(self._next_index, frame, time.monotonic())
        self._next_index += 1
        return item

    def ocr(self, items: Sequence[FrameItem]) -> None:
        """Find the regions of each frame and recognise all their crops in ONE call (a GPU batch).

        Items must arrive in frame order: the vote windows and the tracker depend on it.
        """
        crops: list[np.ndarray] = []
        for item in items:
            item.regions = self.regions.find(item.index, item.frame)
            crops.extend(region.crop for region in item.regions)
        predictions = list(self.recognize(crops)) if crops else []
        if len(predictions) != len(crops):
            raise RuntimeError(f"recognizer returned {len(predictions)} predictions for {len(crops)} crops")
        start = 0
        for item in items:
            raw = predictions[start : start + len(item.regions)]
            start += len(item.regions)
            item.predictions = self.regions.settle(item.index, item.regions, raw)

    def draw(self, item: FrameItem) -> None:
        """Overlay boxes, texts and confidences on the frame."""
        annotate(item.frame, item.regions, item.predictions, tracked=self.regions.tracked)

    def write(self, item: FrameItem) -> None:
        """Encode the annotated frame, append its JSONL line, call the test/bench hook."""
        self.writer.write(item.frame, item.time_s if self.source.info.live else None)
        if self.jsonl is not None:
            self.jsonl.write(json.dumps(frame_record(item, self.regions.tracked)) + "\n")
        if self.on_frame is not None:
            self.on_frame(item.index, item.frame)

"""Temporal smoothing: a confidence-weighted majority vote over the last K readings of each region.

Regions are tracked across frames by their ``key`` (ROI index) when they have one, else by IoU with the
previous box, so one misread frame does not make the overlay flicker.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from platocr.detection.boxes import box_iou
from platocr.recognition.prediction import Prediction
from platocr.video.regions import Box, Region, RegionFinder


def vote(history: Sequence[Prediction]) -> Prediction:
    """The text with the largest summed confidence; its confidence = mean confidence of its readings.

    Ties go to the most recent reading's text (the newest evidence). The rest (char confidences,
    a bars read's source) comes from that text's newest reading.
    """
    if not history:
        raise ValueError("vote needs at least one prediction")
    weight: dict[str, float] = defaultdict(float)
    readings: dict[str, list[Prediction]] = defaultdict(list)
    for pred in history:
        weight[pred.text] += pred.confidence
        readings[pred.text].append(pred)
    last_seen = {pred.text: i for i, pred in enumerate(history)}
    text = max(weight, key=lambda t: (weight[t], last_seen[t]))
    chosen = readings[text]
    return replace(chosen[-1], confidence=sum(p.confidence for p in chosen) / len(chosen))


@dataclass
class _Track:
    box: Box
    key: int | None
    history: deque[Prediction]
    missed: int = 0


@dataclass
class RegionSmoother:
    """Keeps one vote window of ``k`` readings per tracked region; ``k <= 1`` passes readings through.

    ``min_iou``: a keyless region continues the best-overlapping track above this IoU. A track not seen
    for ``k`` frames is dropped.
    """

    k: int
    min_iou: float = 0.3
    _tracks: list[_Track] = field(default_factory=list)

    def update(self, regions: Sequence[Region], predictions: Sequence[Prediction]) -> list[Prediction]:
        """Add this frame's readings (one per region, same order); return the smoothed predictions."""
        if self.k <= 1:
            return list(predictions)
        free = list(self._tracks)
        smoothed: list[Prediction] = []
        for region, pred in zip(regions, predictions, strict=True):
            track = self._match(region, free)
            if track is None:
                track = _Track(region.box, region.key, deque(maxlen=self.k))
                self._tracks.append(track)
            else:
                free.remove(track)
            track.box, track.missed = region.box, 0
            track.history.append(pred)
            smoothed.append(vote(track.history))
        for track in free:
            track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed < self.k]
        return smoothed

    def _match(self, region: Region, candidates: list[_Track]) -> _Track | None:
        if region.key is not None:
            return next((t for t in candidates if t.key == region.key), None)
        scored = [(box_iou(region.box, t.box), t) for t in candidates if t.key is None]
        best = max(scored, key=lambda s: s[0], default=(0.0, None))
        return best[1] if best[0] >= self.min_iou else None


@dataclass
class Smoothed:
    """A :class:`~platocr.video.regions.RegionReader` from a frame-only finder and a per-region vote
    (fixed ROIs, barcodes, the whole frame); ``Smoothed(whole_frame)`` passes reads through."""

    finder: RegionFinder
    smoother: RegionSmoother = field(default_factory=lambda: RegionSmoother(k=1))
    tracked: bool = False

    def find(self, index: int, frame: np.ndarray) -> list[Region]:
        return self.finder(frame)

    def settle(
        self, index: int, regions: Sequence[Region], predictions: Sequence[Prediction]
    ) -> list[Prediction]:
        return self.smoother.update(regions, predictions)

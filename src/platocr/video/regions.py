"""Where the text is in a frame: the whole frame, fixed ROIs (fixed camera), detected barcodes or plates.

A region finder is any callable ``find(frame) -> list[Region]``; the barcode finder lives in ``detect.py``.
The annotator drives a :class:`RegionReader`: it finds the regions of each frame and settles their reads
(a finder with the per-region vote, ``smoothing.Smoothed``, or the plate tracker, ``plates.PlateFinder``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from platocr.detection.boxes import Box  # x, y, width, height in frame pixels
from platocr.errors import PlatocrError

if TYPE_CHECKING:
    from platocr.recognition.prediction import Prediction


@dataclass(frozen=True, eq=False)
class Region:
    """One text region of a frame.

    ``crop`` is the BGR uint8 image (h, w, 3) given to OCR, already upright (rectified for rotated barcodes);
    ``box`` is its axis-aligned box in the frame (a plate's: the plate itself, the crop adds context);
    ``quad`` the (4, 2) float32 outline when it is rotated; ``key`` a stable identity across frames when
    the finder knows one (ROI index, plate track id), else None (match by IoU).
    """

    box: Box
    crop: np.ndarray
    quad: np.ndarray | None = None
    key: int | None = None


RegionFinder = Callable[[np.ndarray], list[Region]]


class RegionReader(Protocol):
    """Finds the regions of each frame and settles their reads; frames come in order, one call each.

    ``tracked``: the region keys are track ids, shown in the JSONL (``track``) and on the overlay.
    """

    tracked: bool

    def find(self, index: int, frame: np.ndarray) -> list[Region]: ...

    def settle(
        self, index: int, regions: Sequence[Region], predictions: Sequence[Prediction]
    ) -> list[Prediction]:
        """The predictions to show and write for ``regions`` (one per region, same order)."""
        ...


def parse_roi(text: str) -> Box:
    """``"x,y,w,h"`` (integers, w and h > 0) -> Box; PlatocrError naming the bad value otherwise."""
    parts = text.replace(" ", "").split(",")
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise PlatocrError(f"--roi {text!r}: expected four integers x,y,w,h") from None
    if w <= 0 or h <= 0:
        raise PlatocrError(f"--roi {text!r}: width and height must be positive")
    return x, y, w, h


def validate_rois(rois: Sequence[Box], frame_size: tuple[int, int]) -> None:
    """Every ROI must lie inside a frame of ``frame_size`` = (width, height); say which one does not."""
    width, height = frame_size
    for x, y, w, h in rois:
        if x < 0 or y < 0 or x + w > width or y + h > height:
            raise PlatocrError(
                f"--roi {x},{y},{w},{h} lies outside the {width}x{height} frame "
                f"(need 0 <= x, x+w <= {width}, 0 <= y, y+h <= {height})"
            )


def whole_frame(frame: np.ndarray) -> list[Region]:
    """The default finder: the frame itself is the crop (input already cropped to the text)."""
    height, width = frame.shape[:2]
    return [Region((0, 0, width, height), frame, key=0)]


def fixed_rois(rois: Sequence[Box]) -> RegionFinder:
    """A finder that cuts the same boxes from every frame (key = ROI index, for smoothing)."""
    boxes = list(rois)

    def find(frame: np.ndarray) -> list[Region]:
        return [Region(box, frame[box[1] : box[1] + box[3], box[0] : box[0] + box[2]], key=i)
                for i, box in enumerate(boxes)]  # fmt: skip

    return find

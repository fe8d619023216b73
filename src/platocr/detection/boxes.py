"""A detected plate and the crop around it that the plate reader expects."""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels

# The plate reader was trained on CropNumbers crops: the plate (aspect ~4.6) with some car around it,
# aspect ~2.8. A tight plate box is widened by this share of its width on each side and of its height
# above and below before it is read.
CONTEXT_X = 0.06
CONTEXT_Y = 0.45


@dataclass(frozen=True)
class Detection:
    """One plate found in a frame: ``box`` (x, y, w, h) in frame pixels around the plate itself, and the
    detector's ``score`` in [0, 1]."""

    box: Box
    score: float


def plate_crop_box(box: Box, frame_size: tuple[int, int]) -> Box:
    """The box to cut for the plate reader: ``box`` widened by the reader's usual context, clipped to
    ``frame_size`` = (width, height)."""
    x, y, w, h = box
    width, height = frame_size
    dx, dy = round(w * CONTEXT_X), round(h * CONTEXT_Y)
    x0, y0 = max(0, x - dx), max(0, y - dy)
    x1, y1 = min(width, x + w + dx), min(height, y + h + dy)
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)

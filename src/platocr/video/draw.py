"""Overlay of OCR results on a frame: the region outline, the text and its confidence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from platocr.recognition.prediction import Prediction
from platocr.video.regions import Region

CONFIDENT = 0.5  # below this the overlay turns orange: the reading is a guess
_GREEN, _ORANGE, _BLACK, _GREY = (60, 200, 60), (0, 140, 255), (0, 0, 0), (160, 160, 160)


def overlay_label(pred: Prediction, track: int | None = None) -> str:
    """``"TEXT 0.93"``; ``"#3 TEXT 0.93"`` for track 3; ``"TEXT 0.98 both"`` (``!`` after a conflict)
    when the bars were read too."""
    label = f"{pred.text or '-'} {pred.confidence:.2f}"
    if track is not None:
        label = f"#{track} {label}"
    if pred.with_bars and pred.text:  # --bars: which reader the text comes from
        label += f" {pred.source}" + ("!" if pred.conflict else "")
    return label


def annotate(
    frame: np.ndarray, regions: Sequence[Region], predictions: Sequence[Prediction], *, tracked: bool = False
) -> np.ndarray:
    """Draw each region with ``"TEXT 0.93"`` above it, in place on ``frame`` (BGR uint8); returns ``frame``.

    A bars + digits read (``--bars``) adds its source, and ``!`` after a conflict: ``"TEXT 0.98 both"``.
    ``tracked`` (``--detect plate``): the label starts with the track id (``"#3 A123BC77 0.97"``), and a
    track not read yet is a thin grey outline without a label (a plate too far to read, or no plate).
    """
    import cv2

    height = frame.shape[0]
    scale = max(0.4, height / 720 * 0.9)
    thickness = max(1, int(round(scale * 2)))
    for region, pred in zip(regions, predictions, strict=True):
        if tracked and not pred.text:
            x, y, w, h = region.box
            cv2.rectangle(frame, (x, y), (x + w - 1, y + h - 1), _GREY, 1)
            continue
        color = _GREEN if pred.confidence >= CONFIDENT else _ORANGE
        if region.quad is not None:
            cv2.polylines(
                frame, [np.round(region.quad).astype(np.int32)], True, color, thickness, cv2.LINE_AA
            )
        else:
            x, y, w, h = region.box
            cv2.rectangle(frame, (x, y), (x + w - 1, y + h - 1), color, thickness)
        label = overlay_label(pred, region.key if tracked else None)
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        x, y = region.box[0], region.box[1]
        top = y - th - base - 4 if y - th - base - 4 >= 0 else y  # inside the box when it touches the top
        cv2.rectangle(frame, (x, top), (x + tw + 4, top + th + base + 4), color, cv2.FILLED)
        cv2.putText(frame, label, (x + 2, top + th + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, _BLACK, thickness,
                    cv2.LINE_AA)  # fmt: skip
    return frame

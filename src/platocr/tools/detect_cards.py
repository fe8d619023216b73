"""The cards of ``platocr gallery MODEL BOXES --detect plate``: what one card is (:class:`PlateCase`)
and how it is drawn, as a PNG grid cell or an HTML card.

A card shows the part of a frame around one labelled plate or one detection: the labelled box in
green, the detector's box in red (a false plate, or the box nearest a plate missed) or blue (a plate
found), then the label, the read, and the scores or, for a plate missed, what the detector made of it.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from platocr.data.plate_boxes import PlateBox
from platocr.detection import Detection
from platocr.recognition.metrics import char_errors
from platocr.tools.detect_report import MATCH_IOU
from platocr.tools.gallery import (
    BLACK,
    FONT,
    FONT_SCALE,
    GREEN,
    GREY,
    RED,
    draw_marked,
    fit_image,
    jpeg_base64,
    marked_html,
)

if TYPE_CHECKING:
    from platocr.recognition.prediction import Prediction

KINDS = ("missed", "false plate", "misread", "found", "read right")  # the order of the cards
ERRORS = KINDS[:3]
LOW_THRESHOLD = 0.2  # the detector runs this low to tell a missed plate scored under the threshold
MISSED_WHY = ("scored under the threshold", "boxed at IoU < 0.5", "no box")
VIEW_H, VIEW_W = 180, 360  # a PNG card's picture; the HTML page inlines views up to twice that
CELL_H, CELL_W, LINE = VIEW_H + 122, VIEW_W + 16, 22
BLUE = (200, 110, 20)  # BGR


@dataclass(frozen=True)
class PlateCase:
    """One card: a labelled ``plate`` (None for a false plate) and the ``detection`` judged with it.

    For a missed plate, ``detection`` is what the detector returned nearest to it (a box overlapping it
    too little, or one under the threshold), or None; ``iou`` is theirs (0 without both)."""

    kind: str
    frame: str
    plate: PlateBox | None
    detection: Detection | None
    iou: float = 0.0
    read: Prediction | None = None


def missed_reason(case: PlateCase) -> str:
    """Which of :data:`MISSED_WHY` a missed plate is."""
    if case.detection is None:
        return MISSED_WHY[2]
    return MISSED_WHY[0] if case.iou >= MATCH_IOU else MISSED_WHY[1]


def why_missed(case: PlateCase, threshold: float | None) -> str:
    """What the detector made of a missed plate, in a few words (it ran at :data:`LOW_THRESHOLD` or
    lower to judge at ``threshold``; None: it ran at its own threshold)."""
    near = case.detection
    if near is None:
        return "no box" + (f" scoring {min(LOW_THRESHOLD, threshold):g}+" if threshold is not None else "")
    # cut, not rounded, to three decimals: 0.5498 under 0.55 must not read "0.550, under 0.55"
    score = math.floor(near.score * 1000) / 1000
    if case.iou >= MATCH_IOU:
        return f"scored {score:.3f}, under {threshold:g}" if threshold else f"score {score:.3f}"
    return f"box at IoU {case.iou:.2f}, under {MATCH_IOU} (score {score:.3f})"


def view_of(image: np.ndarray, case: PlateCase, height: int, width: int) -> np.ndarray:
    """The part of ``image`` around the case's boxes (1.5 box widths aside, 2 heights above and below),
    fitted into ``height`` x ``width``, with the boxes drawn at that scale."""
    boxes = [b for b in (case.plate.box if case.plate else None, _box(case.detection)) if b is not None]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    pad_x, pad_y = max(1.5 * (x1 - x0), 40), max(2.0 * (y1 - y0), 30)
    left, top = int(max(0, x0 - pad_x)), int(max(0, y0 - pad_y))
    right, bottom = int(min(image.shape[1], x1 + pad_x)), int(min(image.shape[0], y1 + pad_y))
    view = fit_image(image[top:bottom, left:right], height, width)
    scale = min(height / max(1, bottom - top), width / max(1, right - left))
    colour = BLUE if case.kind in ("found", "read right", "misread") else RED
    for box, ink in ((case.plate.box if case.plate else None, GREEN), (_box(case.detection), colour)):
        if box is not None:
            x, y, w, h = ((box[0] - left) * scale, (box[1] - top) * scale, box[2] * scale, box[3] * scale)
            cv2.rectangle(view, (round(x), round(y)), (round(x + w), round(y + h)), ink, 2)
    return view


def _box(detection: Detection | None) -> tuple[int, int, int, int] | None:
    return None if detection is None else detection.box


def _texts(case: PlateCase) -> tuple[str, str, set[int], set[int]]:
    """(label, read, wrong label positions, wrong read positions) as the card writes them."""
    label = "(no plate)" if case.plate is None else case.plate.text or "(no text)"
    if case.read is None:
        return label, "-" if case.kind == "missed" else "(not read)", set(), set()
    wrong_label, wrong_read = char_errors(case.plate.text, case.read.text) if case.plate else (set(), set())
    return label, case.read.text, wrong_label, wrong_read


def _meta(case: PlateCase, threshold: float | None) -> str:
    if case.kind == "missed":
        return why_missed(case, threshold)
    parts = [f"score {case.detection.score:.2f}"] if case.detection else []
    if case.plate is not None:
        parts.append(f"IoU {case.iou:.2f}")
    if case.read is not None:
        parts.append(f"conf {case.read.confidence:.2f}")
    return "  ".join(parts)


def _where(case: PlateCase, longest: int = 0) -> str:
    """The frame's file name (middle cut to ``longest`` characters, 0 = whole), region and plate width."""
    name = Path(case.frame).name
    if longest and len(name) > longest:
        name = f"{name[: longest // 2 - 1]}..{name[-(longest // 2 - 1) :]}"
    box = case.plate.box if case.plate else _box(case.detection)
    region = f"{case.plate.region}, " if case.plate and case.plate.region else ""
    return f"{name}  ({region}{box[2]} px wide)" if box else name


def card_cell(case: PlateCase, view: np.ndarray, threshold: float | None) -> np.ndarray:
    """The PNG grid's cell of one card: the view, the kind, label and read, scores, frame."""
    cell = np.full((CELL_H, CELL_W, 3), 255, dtype=np.uint8)
    cell[6 : 6 + VIEW_H, 8 : 8 + VIEW_W] = fit_image(view, VIEW_H, VIEW_W)
    error = case.kind in ERRORS
    y = 6 + VIEW_H + 20
    cv2.putText(cell, case.kind.upper(), (8, y), FONT, FONT_SCALE, RED if error else GREEN, 1, cv2.LINE_AA)
    label, read, wrong_label, wrong_read = _texts(case)
    draw_marked(cell, 8, y + LINE, "T: ", label, wrong_label)
    draw_marked(cell, 8, y + 2 * LINE, "P: ", read, wrong_read)
    lines = ((_meta(case, threshold), BLACK), (_where(case, longest=26), GREY))  # the cell is 376 px wide
    for row, (text, ink) in enumerate(lines, start=3):
        cv2.putText(cell, text, (8, y + row * LINE), FONT, FONT_SCALE * 0.8, ink, 1, cv2.LINE_AA)
    cv2.rectangle(cell, (1, 1), (CELL_W - 2, CELL_H - 2), RED if error else GREEN, 2)
    return cell


def card_html(case: PlateCase, view: np.ndarray, threshold: float | None) -> str:
    """The HTML page's card of one case: the view inlined as JPEG, the kind, label and read, scores."""
    data, _, _ = jpeg_base64(view, case.frame)
    label, read, wrong_label, wrong_read = _texts(case)
    wrong = " wrong" if case.kind in ERRORS else ""
    caption = html.escape(f"{case.kind}: T: {label}   P: {read}   {case.frame}")
    return (
        f'<div class="card{wrong}" title="{html.escape(case.frame)}">'
        f'<img alt="frame" title="{caption}" src="data:image/jpeg;base64,{data}">'
        f"<div><b>{html.escape(case.kind)}</b></div>"
        f'<div class="txt">T: {marked_html(label, wrong_label)}</div>'
        f'<div class="txt">P: {marked_html(read, wrong_read)}</div>'
        f'<div class="meta">{html.escape(_meta(case, threshold))} &middot; {html.escape(_where(case))}</div>'
        "</div>"
    )

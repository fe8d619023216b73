"""``platocr gallery MODEL BOXES --detect plate``: what the plate detector and reader got wrong in whole
frames, errors first, as a PNG grid or a self-contained HTML page.

Each card (:mod:`platocr.tools.detect_cards`) shows the part of a frame around one labelled plate or
one detection. The frames are judged by :func:`~platocr.tools.detect_eval.evaluate_detection`, so the counts are those
of ``eval --detect plate``. Order: missed plates, false plates and misread plates, each in frame order;
then the plates found, lowest detector score first. A missed plate's card says why, from everything
the detector returned when run at a low threshold: a box that overlaps it too little to count (IoU
under 0.5), a box scored under the threshold, or no box at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from platocr.detection import box_iou
from platocr.errors import PlatocrError
from platocr.tools.detect_cards import (
    ERRORS,
    KINDS,
    LOW_THRESHOLD,
    MISSED_WHY,
    VIEW_H,
    VIEW_W,
    PlateCase,
    card_cell,
    card_html,
    missed_reason,
    view_of,
)
from platocr.tools.detect_eval import Detector, FrameOutcome, evaluate_detection, same_plate
from platocr.tools.detect_report import DetectionReport
from platocr.tools.gallery import gallery_out, grid_image, html_page, write_gallery

if TYPE_CHECKING:
    from platocr.recognition.predictor import Predictor


@dataclass(frozen=True)
class DetectionGalleryResult:
    """The page or grid written, the report of the frames judged, and the cards by kind."""

    path: Path
    report: DetectionReport
    by_kind: dict[str, int] = field(default_factory=dict)
    shown: int = 0
    missed_why: dict[str, int] = field(default_factory=dict)  # MISSED_WHY -> plates

    @property
    def errors(self) -> int:
        return sum(self.by_kind.get(kind, 0) for kind in ERRORS)


def kind_counts(by_kind: dict[str, int]) -> str:
    """``"10 missed, 3 false plate, ..."``: the cards of each kind, in :data:`KINDS` order."""
    return ", ".join(f"{by_kind.get(kind, 0)} {kind}" for kind in KINDS)


def frame_cases(outcome: FrameOutcome) -> list[PlateCase]:
    """The cards of one judged frame: each labelled plate (found, read or missed) and each false plate."""
    by_plate = {i: (j, iou) for i, j, iou in outcome.matched}
    cases = []
    for i, plate in enumerate(outcome.plates):
        if i in by_plate:
            j, iou = by_plate[i]
            read = outcome.reads.get(j)
            kind = (
                "found" if read is None else "read right" if same_plate(read.text, plate.text) else "misread"
            )
            cases.append(PlateCase(kind, outcome.path, plate, outcome.found[j], iou, read))
            continue
        overlaps = [(box_iou(d.box, plate.box), d) for d in outcome.every]
        iou, near = max(overlaps, key=lambda pair: (pair[0], pair[1].score), default=(0.0, None))
        cases.append(PlateCase("missed", outcome.path, plate, near if iou > 0 else None, iou))
    matched = {j for _, j, _ in outcome.matched}
    for j, detection in enumerate(outcome.found):
        if j not in matched:
            cases.append(PlateCase("false plate", outcome.path, None, detection, read=outcome.reads.get(j)))
    return cases


def order_cases(cases: Sequence[PlateCase]) -> list[PlateCase]:
    """Errors first (missed, false plates, misread), each in frame order; then the plates found, lowest
    detector score first."""

    def key(case: PlateCase) -> tuple[int, float]:
        rank = KINDS.index(case.kind)
        found = case.kind not in ERRORS and case.detection is not None
        return (min(rank, len(ERRORS)), case.detection.score if found else 0.0)

    return sorted(cases, key=key)  # stable: frame order within a kind


def make_detection_gallery(
    detector: Detector,
    boxes: str | Path,
    out: str | Path,
    predictor: Predictor | None = None,
    *,
    threshold: float | None = None,
    limit: int = 100,
    progress: bool = True,
) -> DetectionGalleryResult:
    """Judge every frame of ``boxes`` as ``eval --detect plate`` does and write the first ``limit`` cards
    to ``out`` (.png or .html). ``threshold``: see :func:`evaluate_detection` (the detector runs lower,
    so a missed plate's card can tell its score). Example::

        find = run_once_for_all(PlateDetector.load(), 0.2, 0.55)  # from platocr.tools.detect_eval
        make_detection_gallery(find, "frames", "misses.html", Predictor.load("plates-ru"), threshold=0.55)
    """
    out = gallery_out(out)
    cases: list[PlateCase] = []
    report = evaluate_detection(
        detector, boxes, predictor, threshold=threshold, progress=progress,
        on_frame=lambda outcome: cases.extend(frame_cases(outcome)),
    )  # fmt: skip
    if not cases:
        raise PlatocrError(f"{report.source}: no plate labelled and none found: nothing to show")
    shown = order_cases(cases)[:limit]
    frames: dict[str, np.ndarray] = {}
    views = []
    for case in shown:
        if case.frame not in frames:
            frames[case.frame] = _frame(case.frame)
        views.append(view_of(frames[case.frame], case, 2 * VIEW_H, 2 * VIEW_W))
    by_kind = dict(Counter(case.kind for case in cases))
    pairs = list(zip(shown, views, strict=True))
    write_gallery(
        out,
        lambda: grid_image([card_cell(case, view, threshold) for case, view in pairs]),
        lambda: html_page(f"plate detection on {report.source}: {kind_counts(by_kind)}",
                          [card_html(case, view, threshold) for case, view in pairs]),
    )  # fmt: skip
    why = Counter(missed_reason(case) for case in cases if case.kind == "missed")
    return DetectionGalleryResult(out, report, by_kind, len(shown), {r: why[r] for r in MISSED_WHY if why[r]})


def _frame(path: str) -> np.ndarray:
    from platocr.recognition.preprocess import image_or_reason

    image = image_or_reason(path)  # it was read a moment ago by the evaluation
    if isinstance(image, str):
        raise PlatocrError(f"{path}: {image}")
    return image


def run_detection_gallery(
    model: str,
    boxes: Path,
    out: Path,
    *,
    detect: str | None,
    boxes_only: bool,
    detector: str,
    detect_threshold: float | None = None,
    expect_plate: bool = False,
    limit: int = 100,
    progress: bool = True,
    **predictor_options: Any,
) -> DetectionGalleryResult:
    """``platocr gallery MODEL BOXES --detect plate``: check the options and ``out``, load the detector
    (run low: see :data:`LOW_THRESHOLD`) and, without ``boxes_only``, ``model``; write the gallery.
    ``expect_plate``: the detector as ``read``/``eval --expect-plate`` run it (then at its own
    threshold: a missed plate's card gives no score)."""
    from platocr.detection import PlateDetector
    from platocr.tools.detect_eval import check_detect, run_once_for_all

    check_detect(detect, "--expect-plate" if expect_plate and not boxes_only else "--boxes-only")
    gallery_out(out)
    plate_detector = PlateDetector.load(detector, threshold=detect_threshold, expect_plate=expect_plate)
    find, threshold = plate_detector, None
    settings = getattr(plate_detector, "settings", None)  # tests pass plain functions as detectors
    if settings is not None and not expect_plate:
        threshold = settings.threshold
        find = run_once_for_all(plate_detector, LOW_THRESHOLD, threshold)
    predictor = None
    if not boxes_only:
        from platocr.recognition.predictor import Predictor
        from platocr.tools.read_plates import reads_as_text

        predictor = Predictor.load(model, **predictor_options)
        if expect_plate:
            plate_detector.reads_text = reads_as_text(predictor)
    return make_detection_gallery(
        find, boxes, out, predictor, threshold=threshold, limit=limit, progress=progress
    )

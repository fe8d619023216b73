"""A detected plate and the crop around it that the plate reader expects."""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels

# The plate reader was trained on CropNumbers crops: the plate (aspect ~4.6) with some car around it,
# aspect ~2.8. A plate box is widened by a share of its width on each side and of its height above and
# below (a context) before it is read. No one context suits every plate: much height is what the reader
# learned, and width keeps the region digits a loose box cuts off (the detector's boxes have mean IoU
# ~0.8); less height gives a small or blurred plate more of the reader's pixels. So a plate is read at
# each of these contexts and the reads vote; a video track reads one per frame, in turn (its reads vote).
READ_CONTEXTS: tuple[tuple[float, float], ...] = ((0.15, 0.6), (0.2, 0.25), (0.25, 0.35))


@dataclass(frozen=True)
class Detection:
    """One plate found in a frame: ``box`` (x, y, w, h) in frame pixels around the plate itself, the
    detector's ``score`` in [0, 1], and which look found it: ``retry`` 0 the first look, 1 the first retry
    (the frame looked at again at another size because the looks before found no plate;
    ``DetectorSettings.retry_sizes``), 2 the second."""

    box: Box
    score: float
    retry: int = 0


def plates_passing(found: list[Detection], threshold: float) -> list[Detection]:
    """What a detector at ``threshold`` reports of ``found``: the plates scoring at least ``threshold`` of
    the first look that has any (the first look's, or else the first retry's, ...). So one detector run
    at a low threshold, holding the plates of every look, gives the plates of every higher threshold."""
    passing = [d for d in found if d.score >= threshold]
    first = min((d.retry for d in passing), default=0)
    return [d for d in passing if d.retry == first]


def plate_crop_box(
    box: Box, frame_size: tuple[int, int], context: tuple[float, float] = READ_CONTEXTS[0]
) -> Box:
    """The box to cut for the plate reader: ``box`` widened by ``context`` = (share of its width on each
    side, share of its height above and below), clipped to ``frame_size`` = (width, height)."""
    x, y, w, h = box
    width, height = frame_size
    dx, dy = round(w * context[0]), round(h * context[1])
    x0, y0 = max(0, x - dx), max(0, y - dy)
    x1, y1 = min(width, x + w + dx), min(height, y + h + dy)
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _intersection(a: Box, b: Box) -> float:
    """The area two (x, y, w, h) boxes share."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    inter = _intersection(a, b)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def overlaps_ignored(box: Box, ignored: list[Box]) -> bool:
    """Whether ``box`` is a detection of a plate that is not judged: IoU >= 0.3 with one of ``ignored``,
    or at least half of ``box`` inside it (a cut plate's box is clipped to the frame)."""
    return any(box_iou(box, other) >= 0.3 or _inside_share(box, other) >= 0.5 for other in ignored)


def _inside_share(box: Box, other: Box) -> float:
    """The share of ``box``'s area that lies inside ``other``."""
    return _intersection(box, other) / (box[2] * box[3]) if box[2] * box[3] > 0 else 0.0


def judge_boxes(
    found: list[Box], truth: list[Box], ignored: list[Box], min_iou: float = 0.5
) -> tuple[list[int], list[tuple[int, int, float]]]:
    """Which of ``found`` are judged, and how they match ``truth``.

    Returns ``kept``: the indices of ``found`` that count (a box matching no plate of ``truth`` but lying
    on one of ``ignored`` is left out: neither found nor false), and :func:`match_boxes` of the kept boxes
    against ``truth``, with found indices into ``kept``. ``len(kept) - len(matches)`` = false plates.
    """
    matches = match_boxes(found, truth, min_iou)
    hits = {i for i, _, _ in matches}
    kept = [i for i, box in enumerate(found) if i in hits or not overlaps_ignored(box, ignored)]
    position = {i: k for k, i in enumerate(kept)}
    return kept, [(position[i], j, iou) for i, j, iou in matches]


@dataclass
class PlateCount:
    """Plates found and false plates over frames at IoU ``min_iou``, counting the detections a detector at
    ``threshold`` reports (:func:`plates_passing`): one detector run at a low threshold scores every higher
    one.

    Example::

        count = PlateCount(threshold=0.45)
        for found, truth, ignored in frames:   # detections; plate boxes; boxes of plates not judged
            count.add(found, truth, ignored)
        print(count.recall, count.false_per_frame, count.f1)
    """

    threshold: float
    min_iou: float = 0.5
    frames: int = 0
    plates: int = 0
    found: int = 0
    false_plates: int = 0

    def add(self, found: list[Detection], truth: list[Box], ignored: list[Box]) -> None:
        """Count one frame, judged by :func:`judge_boxes`."""
        kept, matches = judge_boxes(
            [d.box for d in plates_passing(found, self.threshold)], truth, ignored, self.min_iou
        )
        self.frames += 1
        self.plates += len(truth)
        self.found += len(matches)
        self.false_plates += len(kept) - len(matches)

    @property
    def recall(self) -> float:
        return self.found / self.plates if self.plates else 1.0

    @property
    def precision(self) -> float:
        detections = self.found + self.false_plates
        return self.found / detections if detections else 1.0

    @property
    def false_per_frame(self) -> float:
        return self.false_plates / self.frames if self.frames else 0.0

    @property
    def f1(self) -> float:
        wrong_or_missed = self.plates - self.found + self.false_plates
        return 2 * self.found / (2 * self.found + wrong_or_missed) if self.found or wrong_or_missed else 1.0


def match_boxes(found: list[Box], truth: list[Box], min_iou: float = 0.5) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching, highest IoU first: ``(found index, truth index, IoU)`` for each pair
    with IoU >= ``min_iou``. ``found`` unmatched = false plates, ``truth`` unmatched = missed plates."""
    pairs = sorted(
        ((box_iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)), reverse=True
    )
    used_f: set[int] = set()
    used_t: set[int] = set()
    matched = []
    for iou, i, j in pairs:
        if iou < min_iou:
            break
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
            matched.append((i, j, iou))
    return matched

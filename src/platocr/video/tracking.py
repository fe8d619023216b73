"""Plates followed across frames: detections linked into tracks, each track voting over its reads.

A track's box moves at a constant velocity between detections, so frames without a detection (detection
runs every k-th frame) and a detection the detector missed are bridged by the predicted box. Detections
are matched to the predicted boxes greedily, best IoU first; a detection that overlaps no prediction
(a small plate moving fast) may still continue the nearest track of a similar size. A track not
detected for more than ``max_lost`` frames ends (on a detection run that misses it).

Each track (:class:`platocr.video.track.Track`) keeps its reads and settles its text by a
confidence-weighted vote over the non-empty ones.

Motion alone cannot tell a car that leaves from the next one that stops in its place (a gate): when a
track that the detector had lost is found again and its reads since then agree on another plate, the
track ends and those reads start a new one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from platocr.detection import Detection
from platocr.detection.boxes import box_iou
from platocr.recognition.prediction import Prediction
from platocr.video.regions import Box, Region
from platocr.video.track import MAX_READS, MIN_WEIGHT, FBox, Track, TrackSummary, int_box, plate_distance

__all__ = ["PlateTracker", "Track", "TrackSummary", "plate_distance"]


def _clip(box: FBox, frame_size: tuple[int, int]) -> Box | None:
    """``box`` cut to the frame, or None when too little of it is left to read (off the frame)."""
    x, y, w, h = box
    width, height = frame_size
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(width, round(x + w)), min(height, round(y + h))
    if x1 - x0 < 4 or y1 - y0 < 2:
        return None
    return x0, y0, x1 - x0, y1 - y0


@dataclass
class PlateTracker:
    """Links per-frame plate detections into tracks with stable ids (1, 2, ...) and settles their texts.

    ``min_iou``: a detection continues the track whose predicted box it overlaps most, above this IoU;
    below it, the nearest track of a similar size within ``max_jump`` of the plate's width.
    ``max_lost``: frames a track may go undetected (bridged by its predicted box) before a detection run
    that misses it ends it; counted in frames so that it means the same time whatever ``--detect-every``.
    ``smooth``: reads per vote (0 = the track's last ``MAX_READS``). ``min_weight``: the summed
    confidence a text needs before it is shown (the settled text stays '' until then).

    Example::

        tracker = PlateTracker()
        tracks = tracker.step(0, detector(frame), (1280, 720))   # detection frame
        tracks = tracker.step(1, None, (1280, 720))              # in between: predicted boxes
        settled = tracker.tracks[tracks[0].id].add_read(Prediction("A123BC77", 0.9), frame=1)
        [s.text for s in tracker.summaries()]
    """

    min_iou: float = 0.1
    max_jump: float = 1.5
    max_lost: int = 12  # 0.4 s at 30 fps: a detector missing a plate for a few runs in a row (glare, blur)
    smooth: int = 0
    min_weight: float = MIN_WEIGHT
    tracks: dict[int, Track] = field(default_factory=dict)  # every track so far, ended ones too
    _alive: list[Track] = field(default_factory=list)
    _step: int = -1

    def step(
        self, frame: int, detections: Sequence[Detection] | None, frame_size: tuple[int, int]
    ) -> list[tuple[Track, Box]]:
        """Advance one frame (``frame`` = its index); ``detections`` None = no detection ran on it.

        Returns the live tracks with their boxes in this frame (detected, else predicted), clipped to
        ``frame_size`` = (width, height); a track predicted off the frame is left out (and ends).
        """
        self._step += 1
        if detections is not None:
            self._match(list(detections), frame)
        visible = []
        for track in list(self._alive):
            box = _clip(track.predicted(self._step), frame_size)
            if box is None:
                self._alive.remove(track)  # left the frame: no use waiting for it
                continue
            visible.append((track, box))
        return visible

    def _match(self, detections: list[Detection], frame: int) -> None:
        predicted = {t.id: t.predicted(self._step) for t in self._alive}
        pairs = sorted(
            ((box_iou(int_box(predicted[t.id]), d.box), t, d) for t in self._alive for d in detections),
            key=lambda p: -p[0],
        )
        matched: dict[int, Detection] = {}
        used: set[int] = set()
        for overlap, track, det in pairs:
            if overlap < self.min_iou:
                break
            if track.id not in matched and id(det) not in used:
                matched[track.id] = det
                used.add(id(det))
        for track in self._alive:  # no overlap: the nearest similar-sized track, if close enough
            if track.id in matched:
                continue
            near = [(self._distance(predicted[track.id], d), d) for d in detections if id(d) not in used]
            near = [(dist, d) for dist, d in near if dist is not None]
            if near:
                det = min(near, key=lambda n: n[0])[1]
                matched[track.id] = det
                used.add(id(det))
        for track in list(self._alive):
            det = matched.get(track.id)
            if det is None:
                track.missed += 1
                if self._step - track.seen_step > self.max_lost:
                    self._alive.remove(track)
                continue
            self._update(track, det, frame)
        for det in detections:
            if id(det) not in used:
                box: FBox = tuple(map(float, det.box))  # type: ignore[assignment]
                keep = self.smooth or MAX_READS
                track = Track(len(self.tracks) + 1, box, self._step, frame, frame, det.score,
                              reads=deque(maxlen=keep), read_frames=deque(maxlen=keep),
                              min_weight=self.min_weight)  # fmt: skip
                self.tracks[track.id] = track
                self._alive.append(track)

    def _distance(self, box: FBox, det: Detection) -> float | None:
        """Centre distance over the plate's width, when the sizes agree within 1.5x and it is within
        ``max_jump``; else None."""
        x, y, w, h = box
        dx, dy, dw, dh = det.box
        if not (1 / 1.5 <= dw / w <= 1.5 and 1 / 1.5 <= dh / h <= 1.5):
            return None
        dist = (((x + w / 2) - (dx + dw / 2)) ** 2 + ((y + h / 2) - (dy + dh / 2)) ** 2) ** 0.5 / w
        return dist if dist <= self.max_jump else None

    def _update(self, track: Track, det: Detection, frame: int) -> None:
        new = tuple(map(float, det.box))
        dt = self._step - track.seen_step
        if dt > 0:
            step_v = tuple((n - o) / dt for n, o in zip(new, track.box, strict=True))
            # Halfway to the newest motion: a detector's jitter of a pixel or two does not swing it.
            if track.matched_once:
                step_v = tuple(0.5 * a + 0.5 * b for a, b in zip(track.velocity, step_v, strict=True))
            track.velocity = step_v  # type: ignore[assignment]
            track.matched_once = True
        if track.missed:
            track.found_again = frame
        track.box, track.seen_step, track.missed, track.score = new, self._step, 0, det.score  # type: ignore[assignment]
        track.last_frame = max(track.last_frame, frame)

    def update(
        self, regions: Sequence[Region], predictions: Sequence[Prediction], frame: int
    ) -> list[Prediction]:
        """Add this frame's reads (one per region, ``region.key`` = track id); return the settled reads.

        A track whose reads show :meth:`Track.another_car` hands over to a new track from the next frame
        on; this frame still shows the old one's text under its id."""
        settled = []
        for region, prediction in zip(regions, predictions, strict=True):
            track = self.tracks[region.key]  # type: ignore[index]
            shown = track.add_read(prediction, frame)
            if track.another_car() and track in self._alive:
                new = track.hand_over(len(self.tracks) + 1)
                self.tracks[new.id] = new
                self._alive[self._alive.index(track)] = new
                shown = track.settled
            settled.append(shown)
        return settled

    def summaries(self) -> list[TrackSummary]:
        """One summary per track so far, in id order."""
        return [self.tracks[i].summary() for i in sorted(self.tracks)]

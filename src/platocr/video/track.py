"""One plate followed over frames: its box and motion, its reads, and the text they settle on.

A track settles its text with :func:`platocr.video.smoothing.vote` over the non-empty reads
(confidence-weighted): an empty read (the plate model saw no plate, or the ``plate-ru`` decoding rejected
what it saw) is no evidence against a text read in another frame. :class:`platocr.video.tracking.PlateTracker`
links the detections into tracks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from platocr.recognition.prediction import Prediction
from platocr.video.regions import Box
from platocr.video.smoothing import vote

FBox = tuple[float, float, float, float]  # x, y, width, height; fractional while predicted
MAX_READS = 256  # reads a track keeps for its vote (about 8 s at 30 fps): older ones drop out
# A text is shown once its reads' confidences add up to this: one sure read, or several unsure ones
# agreeing. One read at 0.03 (the reader's best guess at a sign or a grille) is not a plate.
MIN_WEIGHT = 0.5
# Another car in a lost track's place: this many sure reads in a row (one per reading context) of a text
# more than two edits from the settled one, ends cut off aside (:func:`plate_distance`)
NEW_CAR_READS = 3
NEW_CAR_CONFIDENCE = 0.5
_NO_READ = Prediction("", 0.0)


@dataclass(frozen=True)
class TrackSummary:
    """What one track saw: ``first_frame``..``last_frame`` (the first and last frame it was detected or
    read on), the settled ``text`` ('' = never read), its ``confidence`` (mean over the reads of that
    text), ``reads`` (all reads) and ``agreeing`` (reads of the settled text), ``box`` (its last box)."""

    track: int
    first_frame: int
    last_frame: int
    text: str
    confidence: float
    reads: int
    agreeing: int
    box: Box

    def as_dict(self) -> dict[str, object]:
        return {
            "track": self.track, "first_frame": self.first_frame, "last_frame": self.last_frame,
            "text": self.text, "confidence": round(self.confidence, 4), "reads": self.reads,
            "agreeing": self.agreeing, "box": list(self.box),
        }  # fmt: skip


@dataclass(eq=False)
class Track:
    """One plate followed over frames: its last measured box at step ``seen_step``, its velocity per
    step, and its reads."""

    id: int
    box: FBox
    seen_step: int
    first_frame: int
    last_frame: int
    score: float
    velocity: FBox = (0.0, 0.0, 0.0, 0.0)
    missed: int = 0  # detection runs in a row without a match
    matched_once: bool = False  # velocity is known after the second detection
    reads: deque[Prediction] = field(default_factory=lambda: deque(maxlen=MAX_READS))
    read_frames: deque[int] = field(default_factory=lambda: deque(maxlen=MAX_READS))  # frame of each read
    read_count: int = 0
    settled: Prediction = _NO_READ
    min_weight: float = MIN_WEIGHT
    found_again: int | None = None  # the frame the detector last found it after losing it

    def predicted(self, step: int) -> FBox:
        """The box expected at ``step`` (constant velocity from the last detection)."""
        dt = step - self.seen_step
        x, y, w, h = (v + dv * dt for v, dv in zip(self.box, self.velocity, strict=True))
        return x, y, max(w, 1.0), max(h, 1.0)

    def add_read(self, prediction: Prediction, frame: int) -> Prediction:
        """Count one read of this track at ``frame``; returns the read to show: the settled one (text ''
        until a text has ``min_weight`` of confidence), or no read while the detector has lost the track
        and this frame's read is empty or another plate (the car has most likely gone)."""
        self.read_count += 1
        if prediction.text:
            self.last_frame = max(self.last_frame, frame)
            self.reads.append(prediction)
            self.read_frames.append(frame)
            self._settle()
            if self.missed and self._other_plate(prediction.text):
                return Prediction("", prediction.confidence)  # another plate where the lost one should be
        elif self.missed:
            return Prediction("", prediction.confidence)
        return self.settled

    def _other_plate(self, text: str) -> bool:
        return bool(self.settled.text) and plate_distance(text, self.settled.text) > 2

    def _settle(self) -> None:
        if not self.reads:
            self.settled = _NO_READ
            return
        voted = vote(self.reads)
        weight = sum(p.confidence for p in self.reads if p.text == voted.text)
        self.settled = voted if weight >= self.min_weight else _NO_READ

    def another_car(self) -> bool:
        """Whether the last :data:`NEW_CAR_READS` reads, all since the detector found this track again,
        are sure reads of one plate that is not the settled one."""
        if self.found_again is None or len(self.reads) <= NEW_CAR_READS:
            return False
        recent = list(self.reads)[-NEW_CAR_READS:]
        text = recent[0].text
        return (
            self.read_frames[-NEW_CAR_READS] >= self.found_again
            and all(p.text == text and p.confidence >= NEW_CAR_CONFIDENCE for p in recent)
            and self._other_plate(text)
        )

    def hand_over(self, new_id: int) -> Track:
        """A new track that continues this one's box and motion with its last :data:`NEW_CAR_READS`
        reads, which leave this one (its settled text and last frame are then those of its own reads)."""
        moved = [(self.reads.pop(), self.read_frames.pop()) for _ in range(NEW_CAR_READS)][::-1]
        self.read_count -= NEW_CAR_READS
        self._settle()
        self.last_frame = self.read_frames[-1] if self.read_frames else self.first_frame
        new = Track(new_id, self.box, self.seen_step, moved[0][1], moved[-1][1], self.score, self.velocity,
                    matched_once=self.matched_once, reads=deque(maxlen=self.reads.maxlen),
                    read_frames=deque(maxlen=self.reads.maxlen), min_weight=self.min_weight)  # fmt: skip
        for prediction, frame in moved:
            new.read_count += 1
            new.reads.append(prediction)
            new.read_frames.append(frame)
        new._settle()
        return new

    def summary(self) -> TrackSummary:
        agreeing = sum(p.text == self.settled.text for p in self.reads) if self.settled.text else 0
        return TrackSummary(self.id, self.first_frame, self.last_frame, self.settled.text,
                            self.settled.confidence, self.read_count, agreeing, int_box(self.box))  # fmt: skip


def plate_distance(a: str, b: str) -> int:
    """Edits between the shorter text and the closest stretch of the longer one: a plate whose ends the
    frame's edge or a loose box cut off reads at distance 0 from its whole text."""
    short, long = sorted((a, b), key=len)
    n = len(short)
    return min(
        Levenshtein.distance(short, long[i : i + m])
        for m in {max(1, n - 1), n, n + 1}
        for i in range(max(1, len(long) - m + 1))
    )


def int_box(box: FBox) -> Box:
    """``box`` in whole pixels, at least 1 px wide and high."""
    x, y, w, h = box
    return round(x), round(y), max(1, round(w)), max(1, round(h))

"""``--detect plate``: plates found anywhere in the frame by the plate detector and followed by a tracker.

The detector runs on every ``every``-th frame; in between, each track's box is predicted (constant
velocity). Every live track is read on every frame, from its detected or predicted box: reading costs
a few ms per plate against tens for a detection, and each read is one more vote, so the settled text
is right sooner and holds through a frame of motion blur or glare.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from platocr.detection import READ_CONTEXTS, Detection, plate_crop_box
from platocr.errors import PlatocrError
from platocr.recognition.prediction import Prediction
from platocr.video.regions import Region
from platocr.video.tracking import PlateTracker, TrackSummary

if TYPE_CHECKING:
    from rich.table import Table

Detector = Callable[[np.ndarray], list[Detection]]
# The detector network (640 px input) costs ~18 ms per 720p frame on one idle-ish core (~30 inside the
# busy pipeline), the plate reader a few ms per plate. On the 300-frame 720p synthetic clip, threaded,
# 2 cores shared with a training run (load 3.3-4), a trained detector: every frame 29.2 fps, every 2nd
# 40.9, every 3rd 47.4, with 266 / 265 / 264 of 266 plate-frames read right (a new plate waits up to
# k-1 frames for its first box). Every 3rd keeps 30 fps with room for a busier machine.
DEFAULT_DETECT_EVERY = 3


class PlateFinder:
    """Region reader for ``--detect plate``: ``find`` gives one region per live track (``key`` = the
    track id, ``box`` = the plate, ``crop`` = the plate with one of the reader's contexts, the next on
    each frame, see :data:`platocr.detection.READ_CONTEXTS`); ``settle`` adds the reads to their tracks
    and returns each track's settled read.

    Example::

        finder = PlateFinder(PlateDetector.load(retry=False), every=3)
        regions = finder.find(0, frame)
        settled = finder.settle(0, regions, predictor.predict([r.crop for r in regions]))
        finder.summaries()   # per track: first/last frame, text, confidence
    """

    tracked = True  # the JSONL and the overlay show track ids

    def __init__(
        self, detector: Detector, every: int = DEFAULT_DETECT_EVERY, tracker: PlateTracker | None = None
    ):
        if every < 1:
            raise PlatocrError(f"--detect-every {every}: must be >= 1 (1 = detect on every frame)")
        self.detector, self.every = detector, every
        self.tracker = tracker or PlateTracker()
        self.detect_seconds: list[float] = []  # one entry per detection run
        self._calls = 0

    def find(self, index: int, frame: np.ndarray) -> list[Region]:
        """The plates of frame ``index`` (frames must come in order: the tracker predicts from the last)."""
        detections = None
        if self._calls % self.every == 0:
            start = time.perf_counter()
            detections = self.detector(frame)
            self.detect_seconds.append(time.perf_counter() - start)
        self._calls += 1
        height, width = frame.shape[:2]
        # the reader's contexts in turn: over a track's frames its reads vote as one photo's do
        context = READ_CONTEXTS[index % len(READ_CONTEXTS)]
        regions = []
        for track, box in self.tracker.step(index, detections, (width, height)):
            x, y, w, h = plate_crop_box(box, (width, height), context)
            regions.append(Region(box, frame[y : y + h, x : x + w], key=track.id))
        return regions

    def settle(
        self, index: int, regions: Sequence[Region], predictions: Sequence[Prediction]
    ) -> list[Prediction]:
        return self.tracker.update(regions, predictions, index)

    def summaries(self) -> list[TrackSummary]:
        return self.tracker.summaries()


TRACK_FORMATS = (".tsv", ".json")
TRACK_COLUMNS = tuple("track first_frame last_frame text confidence reads agreeing x y w h".split())


def check_tracks_path(path: str | Path) -> None:
    """``--tracks`` must end in .tsv or .json (PlatocrError otherwise)."""
    if Path(path).suffix.lower() not in TRACK_FORMATS:
        raise PlatocrError(f"--tracks must end in {' or '.join(TRACK_FORMATS)}, got {path}")


def write_tracks(path: str | Path, tracks: Sequence[TrackSummary]) -> None:
    """Every track, read or not (text '' = never read), in id order: a TSV with ``TRACK_COLUMNS``
    (confidence 4 decimals; x y w h = the last box) or, for ``.json``, ``{"tracks": [TrackSummary.as_dict()]}``.
    """
    path = Path(path)
    check_tracks_path(path)
    if path.suffix.lower() == ".json":
        body = json.dumps({"tracks": [t.as_dict() for t in tracks]}, indent=2, ensure_ascii=False) + "\n"
    else:
        lines = ["\t".join(TRACK_COLUMNS)]
        for t in tracks:
            lines.append("\t".join(map(str, (t.track, t.first_frame, t.last_frame, t.text, f"{t.confidence:.4f}",
                                             t.reads, t.agreeing, *t.box))))  # fmt: skip
        body = "\n".join(lines) + "\n"
    path.write_text(body, encoding="utf-8")


def tracks_table(tracks: Sequence[TrackSummary]) -> Table:
    """A rich Table of the tracks that were read (the never-read ones counted in the caption)."""
    from rich.table import Table

    read = [t for t in tracks if t.text]
    table = Table(title=f"{len(read)} plates read ({len(tracks)} tracks)")
    for column in ("track", "frames", "text", "confidence", "reads (agreeing)"):
        table.add_column(column, justify="left" if column == "text" else "right")
    for t in read:
        table.add_row(str(t.track), f"{t.first_frame}-{t.last_frame}", t.text, f"{t.confidence:.2f}",
                      f"{t.reads} ({t.agreeing})")  # fmt: skip
    if len(read) < len(tracks):
        table.caption = f"{len(tracks) - len(read)} tracks never read (no plate text): not listed"
    return table

"""Plate tracker: stable ids, bridged misses and in-between frames, crossing plates, the per-track vote."""

from __future__ import annotations

import numpy as np
import pytest

from platocr.detection import READ_CONTEXTS, Detection
from platocr.recognition.prediction import Prediction
from platocr.video.plates import PlateFinder
from platocr.video.regions import Region
from platocr.video.tracking import PlateTracker, plate_distance

SIZE = (640, 360)


def plate(x: float, y: float, w: int = 80, h: int = 18) -> Detection:
    return Detection((round(x), round(y), w, h), 0.9)


def ids(visible: list) -> dict[int, tuple[int, int, int, int]]:
    return {track.id: box for track, box in visible}


def test_ids_stay_the_same_while_plates_move() -> None:
    tracker = PlateTracker()
    for f in range(10):
        seen = ids(tracker.step(f, [plate(50 + 8 * f, 100), plate(400, 250 - 5 * f)], SIZE))
        assert set(seen) == {1, 2}
        assert seen[1][0] == 50 + 8 * f and seen[2][1] == 250 - 5 * f
    assert [s.track for s in tracker.summaries()] == [1, 2]


def test_a_missed_detection_and_frames_without_detection_are_bridged_by_the_predicted_box() -> None:
    tracker = PlateTracker(max_lost=1)
    for f in range(3):
        tracker.step(f, [plate(100 + 10 * f, 100)], SIZE)
    ((track, box),) = tracker.step(3, [], SIZE)  # the detector missed it: predicted
    assert track.id == 1 and box[0] == 130
    ((track, box),) = tracker.step(4, None, SIZE)  # no detection run on this frame: predicted
    assert box[0] == 140
    ((track, box),) = tracker.step(5, [plate(150, 100)], SIZE)  # found again: same track
    assert track.id == 1 and box[0] == 150
    assert tracker.step(6, [], SIZE) and tracker.step(7, [], SIZE) == []  # 2 frames undetected > 1: ended
    ((track, _),) = tracker.step(8, [plate(400, 300)], SIZE)
    assert track.id == 2  # a new plate gets a new id, never a reused one


@pytest.mark.parametrize("occluded", [False, True])
def test_crossing_plates_keep_their_ids(occluded: bool) -> None:
    """Two plates pass each other (boxes overlap for a few frames); with ``occluded`` the detector sees
    only the front one while they overlap."""
    tracker = PlateTracker()
    for f in range(16):
        left, right = plate(100 + 20 * f, 150), plate(400 - 20 * f, 156)
        overlapping = abs(left.box[0] - right.box[0]) < 40  # two frames
        found = [left] if occluded and overlapping else [left, right]
        seen = ids(tracker.step(f, found, SIZE))
        assert abs(seen[1][0] - (100 + 20 * f)) <= 1, f  # track 1 stays the plate moving right
        assert abs(seen[2][0] - (400 - 20 * f)) <= 1, f
    assert len(tracker.tracks) == 2


def test_a_fast_small_plate_with_no_overlap_continues_its_track() -> None:
    tracker = PlateTracker()
    for f in range(4):  # 60 px wide, 70 px per detection run: no IoU between runs
        ((track, _),) = tracker.step(f, [plate(20 + 70 * f, 200, w=60, h=14)], SIZE)
        assert track.id == 1


def test_the_vote_settles_and_ignores_empty_reads() -> None:
    tracker = PlateTracker()
    ((track, _),) = tracker.step(0, [plate(100, 100)], SIZE)
    reads = [
        ("", 0.99),
        ("A123BC77", 0.9),
        ("A128BC77", 0.6),
        ("", 0.99),
        ("A123BC77", 0.8),
        ("A128BC77", 0.7),
    ]
    shown = [track.add_read(Prediction(text, conf), frame) for frame, (text, conf) in enumerate(reads)]
    assert [p.text for p in shown] == ["", "A123BC77", "A123BC77", "A123BC77", "A123BC77", "A123BC77"]
    (summary,) = tracker.summaries()
    assert (summary.text, summary.reads, summary.agreeing) == ("A123BC77", 6, 2)
    assert summary.confidence == pytest.approx(0.85) and (summary.first_frame, summary.last_frame) == (0, 5)


def test_plate_finder_detects_every_kth_frame_and_crops_with_context() -> None:
    calls: list[int] = []

    def detector(frame: np.ndarray) -> list[Detection]:
        calls.append(1)
        return [plate(200, 150, w=100, h=22)]

    finder = PlateFinder(detector, every=3)
    frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    shapes = []
    for index in range(7):
        (region,) = finder.find(index, frame)
        assert region.key == 1 and region.box == (200, 150, 100, 22)
        assert region.crop.shape[1] > 100 and region.crop.shape[0] > 22  # the reader's context around it
        shapes.append(region.crop.shape)
        (settled,) = finder.settle(index, [region], [Prediction("A123BC77", 0.9)])
        assert settled.text == "A123BC77"
    assert len(calls) == 3 == len(finder.detect_seconds)  # frames 0, 3, 6
    # each frame reads the track at the next of the reader's contexts: its votes cover them all
    turn = len(READ_CONTEXTS)
    assert len(set(shapes[:turn])) == turn and shapes[turn] == shapes[0]
    (summary,) = finder.summaries()
    assert (summary.first_frame, summary.last_frame, summary.reads) == (0, 6, 7)


def test_a_lost_track_shows_its_text_only_while_the_reader_still_sees_a_plate() -> None:
    tracker = PlateTracker(max_lost=3)
    ((track, _),) = tracker.step(0, [plate(100, 100)], SIZE)
    assert track.add_read(Prediction("A123BC77", 0.9), 0).text == "A123BC77"
    tracker.step(1, [], SIZE)  # the detector lost it (missed by blur, or the car left)
    assert track.add_read(Prediction("A123BC77", 0.8), 1).text == "A123BC77"  # still read: still shown
    tracker.step(2, [], SIZE)
    assert track.add_read(Prediction("", 0.9), 2).text == ""  # nothing read where it should be: hidden
    (summary,) = tracker.summaries()
    assert (summary.text, summary.last_frame, summary.reads) == ("A123BC77", 1, 3)


def test_a_lone_unsure_read_is_not_shown_until_reads_agree() -> None:
    tracker = PlateTracker()
    ((track, _),) = tracker.step(0, [plate(100, 100)], SIZE)
    assert track.add_read(Prediction("H1A22", 0.03), 0).text == ""  # the reader's guess at a grille
    assert [track.add_read(Prediction("A123BC77", 0.3), f).text for f in (1, 2)] == ["", "A123BC77"]  # 0.6
    ((_, _),) = tracker.step(3, [plate(100, 100)], SIZE)
    (summary,) = tracker.summaries()
    assert (summary.text, summary.agreeing) == ("A123BC77", 2)


def _read_frames(tracker: PlateTracker, frames: range, text: str, found: bool = True) -> list[str]:
    """Run ``frames`` with the plate detected at (100, 100) (or missed) and read as ``text``; the shown texts."""
    shown = []
    for f in frames:
        visible = tracker.step(f, [plate(100, 100)] if found else [], SIZE)
        regions = [Region(box, np.zeros((4, 4, 3), np.uint8), key=track.id) for track, box in visible]
        shown += [p.text for p in tracker.update(regions, [Prediction(text, 0.9)] * len(regions), f)]
    return shown


def test_another_car_in_a_lost_tracks_place_gets_its_own_track() -> None:
    """A gate: one car leaves the stop line, the detector loses it, the next one stops in its place."""
    tracker = PlateTracker(max_lost=12)
    assert _read_frames(tracker, range(10), "A123BC77")[-1] == "A123BC77"
    # lost for a few frames; what is read at the predicted box is the next car's plate: not shown as A123BC77
    assert _read_frames(tracker, range(10, 14), "M456KX99", found=False) == [""] * 4
    # found again: three sure reads of the other plate hand the place to a new track
    assert _read_frames(tracker, range(14, 18), "M456KX99") == ["A123BC77"] * 3 + ["M456KX99"]
    first, second = tracker.summaries()
    assert (first.track, first.text, first.agreeing) == (1, "A123BC77", 10)
    assert (second.track, second.text, second.first_frame, second.last_frame) == (2, "M456KX99", 14, 17)


def test_a_car_read_a_little_differently_after_it_was_lost_keeps_its_track() -> None:
    tracker = PlateTracker(max_lost=12)
    _read_frames(tracker, range(10), "A123BC77")
    _read_frames(tracker, range(10, 14), "A123BC77", found=False)
    # one character misread and the region's last digit cut: the same car
    assert _read_frames(tracker, range(14, 20), "A128BC7") == ["A123BC77"] * 6
    assert [s.track for s in tracker.summaries()] == [1]


def test_a_plate_cut_by_the_frame_is_the_same_plate() -> None:
    assert plate_distance("T084O", "T084OO26") == 0  # its region cut off
    assert plate_distance("084OO26", "T084OO26") == 0
    assert plate_distance("A128BC7", "A123BC77") == 1
    assert plate_distance("E056CT190", "Y546OY94") > 2  # another car

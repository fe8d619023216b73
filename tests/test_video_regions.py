"""Video regions: barcode detection + rectification, ROI parsing, the smoothing vote and IoU tracking."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from platocr.detection.boxes import box_iou
from platocr.errors import PlatocrError
from platocr.formats.ean import encode
from platocr.recognition.prediction import Prediction
from platocr.video import RegionSmoother, parse_roi, run_video
from platocr.video.detect import BarcodeFinder
from platocr.video.regions import Region
from platocr.video.smoothing import vote
from platocr.video.writers import open_writer

CODE = "4006381333931"


def ean13_label(code: str = CODE, module: int = 3) -> np.ndarray:
    """A white label (BGR) with the bars of ``code`` and its digits printed below them."""
    modules = encode(code).modules
    bar_h, x0, y0 = 60 * module, 11 * module, 4 * module
    label = np.full((bar_h + 20 * module, (len(modules) + 22) * module), 255, np.uint8)
    for i, bit in enumerate(modules):
        if bit == "1":
            label[y0 : y0 + bar_h, x0 + i * module : x0 + (i + 1) * module] = 0
    text = f"{code[0]} {code[1:7]} {code[7:]}"
    cv2.putText(
        label, text, (2 * module, y0 + bar_h + 12 * module), cv2.FONT_HERSHEY_SIMPLEX, module * 0.42, 0, 2
    )
    return cv2.cvtColor(label, cv2.COLOR_GRAY2BGR)


def barcode_frame(angle: float) -> np.ndarray:
    """A 700x700 grey frame with the label in the middle, turned ``angle`` degrees counter-clockwise."""
    label = ean13_label()
    frame = np.full((700, 700, 3), 180, np.uint8)
    y, x = (700 - label.shape[0]) // 2, (700 - label.shape[1]) // 2
    frame[y : y + label.shape[0], x : x + label.shape[1]] = label
    matrix = cv2.getRotationMatrix2D((350, 350), angle, 1.0)
    return cv2.warpAffine(frame, matrix, (700, 700), borderValue=(180, 180, 180))


def row_difference(crop: np.ndarray, fraction: float) -> float:
    """Mean |row - a mid-bar row|: ~0 inside the bars (every row alike), large in the digit band."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    height = grey.shape[0]
    return float(np.abs(grey[int(height * fraction)] - grey[int(height * 0.4)]).mean())


@pytest.mark.timeout(60)
@pytest.mark.parametrize("angle", [0, 30, 90])  # 90 = vertical, turned per the dataset convention
def test_barcode_is_found_and_rectified_upright_with_its_digits(angle: float) -> None:
    (region,) = BarcodeFinder()(barcode_frame(angle))
    assert region.quad is not None and region.quad.shape == (4, 2)
    crop = region.crop
    assert crop.shape[1] > crop.shape[0]  # reading direction is horizontal in the crop
    assert crop.shape[1] >= 1.15 * 95 * 3  # all 95 modules (3 px each) and the outer digit, even where
    # the detector's own quad covers only part of the bars (it does at 90 degrees)
    assert row_difference(crop, 0.25) < 20  # bars on top, vertical
    assert row_difference(crop, 0.93) > 40  # digits in the bottom band
    x, y, w, h = region.box
    assert 0 <= x and 0 <= y and x + w <= 700 and y + h <= 700


def test_barcode_finder_on_empty_frame_finds_nothing() -> None:
    assert BarcodeFinder()(np.full((240, 320, 3), 128, np.uint8)) == []


@pytest.mark.timeout(60)
def test_detect_barcode_through_the_pipeline(tmp_path: Path) -> None:
    clip = tmp_path / "barcode.mp4"
    writer = open_writer(clip, 10.0, (700, 700), "mp4v")
    for angle in (0, 10, 20):
        writer.write(barcode_frame(angle))
    writer.close()
    seen: list[tuple[int, int, int]] = []

    def recognize(crops: list[np.ndarray]) -> list[Prediction]:
        seen.extend(c.shape for c in crops)
        return [Prediction(CODE, 0.9) for _ in crops]

    stats = run_video(
        str(clip), tmp_path / "out.mp4", recognize, detect="barcode", jsonl=tmp_path / "o.jsonl"
    )
    assert stats.frames == 3 and len(seen) == 3
    for line in (tmp_path / "o.jsonl").read_text().splitlines():
        (result,) = json.loads(line)["results"]
        x, y, w, h = result["box"]
        assert result["text"] == CODE and x < 350 < x + w and y < 350 < y + h  # around the centred label


def test_parse_roi() -> None:
    assert parse_roi("1, 2,30,40") == (1, 2, 30, 40)
    for bad in ("1,2,3", "a,b,c,d", "0,0,0,5"):
        with pytest.raises(PlatocrError, match="--roi"):
            parse_roi(bad)


def test_vote_weights_by_confidence_and_breaks_ties_by_recency() -> None:
    history = [Prediction("A123BC77", 0.9), Prediction("A128BC77", 0.95), Prediction("A123BC77", 0.8)]
    winner = vote(history)
    assert winner.text == "A123BC77" and winner.confidence == pytest.approx(0.85)
    assert vote([Prediction("X", 0.5), Prediction("Y", 0.5)]).text == "Y"
    with pytest.raises(ValueError):
        vote([])


def test_smoother_tracks_by_key_and_by_iou() -> None:
    smoother = RegionSmoother(k=3)
    crop = np.zeros((4, 4, 3), np.uint8)
    keyed = [Region((0, 0, 10, 10), crop, key=0)]
    readings = ["111", "111", "171", "111"]
    out = [smoother.update(keyed, [Prediction(t, 0.9)])[0].text for t in readings]
    assert out == ["111", "111", "111", "111"]  # the one bad frame does not flicker

    moving = RegionSmoother(k=3)
    for dx, text in enumerate(["777", "777", "111"]):
        (smoothed,) = moving.update([Region((50 + dx, 50, 40, 20), crop)], [Prediction(text, 0.9)])
    assert smoothed.text == "777"  # same track despite the drift (IoU > 0.3)
    (far,) = moving.update([Region((300, 300, 40, 20), crop)], [Prediction("111", 0.9)])
    assert far.text == "111"  # a disjoint box starts its own track
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(1 / 3)


def test_smoothing_off_passes_readings_through() -> None:
    preds = [Prediction("1", 0.1)]
    assert RegionSmoother(k=1).update([Region((0, 0, 1, 1), np.zeros((1, 1, 3), np.uint8))], preds) == preds

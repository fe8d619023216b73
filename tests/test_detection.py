"""The plate detector: decoding its centre map, boxes, training targets, and a tiny train -> ONNX -> load run."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import write_scenes

from platocr.detection import (
    READ_CONTEXTS,
    Detection,
    PlateDetector,
    box_iou,
    judge_boxes,
    match_boxes,
    overlaps_ignored,
    plate_crop_box,
    plates_passing,
)
from platocr.detection.boxes import Box, PlateCount
from platocr.detection.detector import decode_plates, find_plates, letterbox
from platocr.detection.settings import DetectorSettings
from platocr.errors import PlatocrError
from platocr.recognition.prediction import Prediction
from platocr.tools.read_plates import plate_crops, read_boxes


def _output_with(
    plates: list[tuple[int, int, float, float, float]], rows: int = 24, cols: int = 40
) -> np.ndarray:
    """A network output (1, 5, rows, cols) with plates given as (cell x, cell y, w cells, h cells, prob)."""
    out = np.zeros((1, 5, rows, cols), np.float32)
    for x, y, w, h, p in plates:
        out[0, 0, y, x] = p
        out[0, 1:, y, x] = (0.5, 0.5, math.log(w), math.log(h))
    return out


def test_decode_reads_centres_sizes_and_scale() -> None:
    settings = DetectorSettings(stride=4, threshold=0.3)
    out = _output_with([(10, 5, 20.0, 4.0, 0.9), (30, 20, 10.0, 2.0, 0.2)])
    # scale 0.5: input pixels are half the frame's, so frame boxes are twice the size
    found = decode_plates(out, settings, scale=0.5)
    assert len(found) == 1  # the second centre is under the threshold
    (x, y, w, h), score = found[0]
    assert score == pytest.approx(0.9)
    assert (w, h) == (160, 32)  # 20 cells * 4 px / 0.5
    assert (x + w / 2, y + h / 2) == (84, 44)  # (10 + 0.5) * 4 / 0.5, (5 + 0.5) * 4 / 0.5


def test_decode_keeps_one_box_of_overlapping_centres() -> None:
    out = _output_with([(10, 5, 20.0, 4.0, 0.9), (12, 5, 20.0, 4.0, 0.8)])
    found = decode_plates(out, DetectorSettings(threshold=0.3), scale=1.0)
    assert [score for _, score in found] == [pytest.approx(0.9)]


def _toy_network(image: np.ndarray) -> np.ndarray:
    """A stand-in network over (1, 3, H, W) input that finds white rectangles, with the box right only
    for those 40-200 input px wide; wider ones it boxes 1.5 times too wide."""
    import cv2

    out = np.zeros((1, 5, image.shape[2] // 4, image.shape[3] // 4), np.float32)
    count, _, stats, _ = cv2.connectedComponentsWithStats((image[0, 0] > 0.9).astype(np.uint8))
    for x, y, w, h, _ in stats[1:count]:
        cx, cy, seen_w = (x + w / 2) / 4, (y + h / 2) / 4, w if w <= 200 else 1.5 * w
        out[0, :, int(cy), int(cx)] = (0.9, cx % 1, cy % 1, math.log(seen_w / 4), math.log(h / 4))
    return out


def test_find_plates_takes_the_box_from_a_closer_look() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[300:408, 200:700] = 255  # a plate 500 px wide: 250 px in the look at the whole frame
    frame[600:630, 1000:1100] = 255  # 50 px wide there: boxed right at once
    plate = (200, 300, 500, 108)
    one_look = find_plates(_toy_network, frame, DetectorSettings(threshold=0.5, second_look_size=0))
    assert len(one_look) == 2 and box_iou(one_look[0].box, plate) < 0.7
    found = find_plates(_toy_network, frame, DetectorSettings(threshold=0.5))
    boxes = sorted(d.box for d in found)
    assert box_iou(boxes[0], plate) > 0.95 and box_iou(boxes[1], (1000, 600, 100, 30)) > 0.9
    assert [d.score for d in found] == [pytest.approx(0.9)] * 2  # the score is the whole-frame look's


def _far_sighted_network(image: np.ndarray) -> np.ndarray:
    """:func:`_toy_network` blind to rectangles under 30 input px wide (a small plate at 640 px)."""
    import cv2

    seen = image.copy()
    count, labels, stats, _ = cv2.connectedComponentsWithStats((image[0, 0] > 0.9).astype(np.uint8))
    for index in range(1, count):
        if stats[index, 2] < 30:
            seen[0, :, labels == index] = 0.0
    return _toy_network(seen)


def test_a_frame_without_a_plate_is_looked_at_again_larger() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[600:612, 1000:1050] = 255  # 50 px wide: 25 px at 640 (not seen), 37.5 px at 960
    settings = DetectorSettings(threshold=0.5, second_look_size=0, retry_sizes=(960,))
    found = find_plates(_far_sighted_network, frame, settings)
    assert [d.retry for d in found] == [1] and box_iou(found[0].box, (1000, 600, 50, 12)) > 0.8
    assert find_plates(_far_sighted_network, frame, replace(settings, retry_sizes=())) == []
    frame[100:150, 100:400] = 255  # a large plate: the first look finds it, so no retry
    assert [d.retry for d in find_plates(_far_sighted_network, frame, settings)] == [0]


def _near_sighted_network(image: np.ndarray) -> np.ndarray:
    """:func:`_toy_network` blind to rectangles over 250 input px wide (a close-up's plate at 640 px)."""
    import cv2

    seen = image.copy()
    count, labels, stats, _ = cv2.connectedComponentsWithStats((image[0, 0] > 0.9).astype(np.uint8))
    for index in range(1, count):
        if stats[index, 2] > 250:
            seen[0, :, labels == index] = 0.0
    return _toy_network(seen)


def test_the_retries_go_on_until_a_plate_is_found() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[300:400, 300:900] = 255  # 600 px wide: 300 px at 640 and 450 at 960 (not seen), 195 at 416
    settings = DetectorSettings(threshold=0.5, second_look_size=0, retry_sizes=(960, 416))
    found = find_plates(_near_sighted_network, frame, settings)
    assert [d.retry for d in found] == [2] and box_iou(found[0].box, (300, 300, 600, 100)) > 0.8
    assert find_plates(_near_sighted_network, frame, replace(settings, retry_sizes=(960,))) == []


def test_a_sweep_gets_every_look_and_counts_each_threshold_as_a_run_at_it() -> None:
    first, again = Detection((0, 0, 40, 10), 0.5), Detection((100, 100, 30, 8), 0.8, retry=1)
    third = Detection((300, 300, 60, 12), 0.95, retry=2)
    assert plates_passing([first, again, third], 0.4) == [first]
    assert plates_passing([first, again, third], 0.6) == [again]  # at 0.6 the first look finds nothing
    assert plates_passing([first, again, third], 0.9) == [third]
    assert plates_passing([first, again, third], 0.99) == []
    count = PlateCount(0.6)
    count.add([first, again], [(100, 100, 30, 8)], [])
    assert (count.found, count.false_plates) == (1, 0)
    # the toy network scores its plates 0.9 (float32, a hair under): a sweep to 0.95 needs every look
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[100:150, 100:400] = 255
    frame[600:612, 1000:1050] = 255
    settings = DetectorSettings(threshold=0.5, second_look_size=0, retry_sizes=(960,))
    both = find_plates(_far_sighted_network, frame, settings, sweep_to=0.95)
    assert sorted(d.retry for d in both) == [0, 1, 1]
    assert len(plates_passing(both, 0.5)) == 1 and len(plates_passing(both, 0.95)) == 0
    assert [d.retry for d in find_plates(_far_sighted_network, frame, settings, sweep_to=0.85)] == [0]
    every = find_plates(_far_sighted_network, frame, replace(settings, retry_sizes=(960, 416)), sweep_to=0.95)
    assert sorted(d.retry for d in every) == [0, 1, 1, 2]  # 416 px sees the large plate only


def test_a_photo_expected_to_show_a_plate_gets_the_best_one_proposed() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[300:340, 300:500] = 255  # the toy network scores every plate 0.9
    strict = DetectorSettings(threshold=0.95, second_look_size=0, retry_sizes=(960,))
    assert find_plates(_toy_network, frame, strict) == []
    (best,) = find_plates(_toy_network, frame, strict, expect_plate=True)
    assert best.score == pytest.approx(0.9) and box_iou(best.box, (300, 300, 200, 40)) > 0.9
    frame[600:630, 900:1000] = 255  # two plates: still the one best
    assert len(find_plates(_toy_network, frame, strict, expect_plate=True)) == 1
    # a plate at the threshold: as without expect_plate; nothing proposed: nothing
    assert len(find_plates(_toy_network, frame, replace(strict, threshold=0.5), expect_plate=True)) == 2
    assert find_plates(_toy_network, np.zeros_like(frame), strict, expect_plate=True) == []
    with pytest.raises(PlatocrError, match="cannot expect a plate"):
        find_plates(_toy_network, frame, strict, sweep_to=0.99, expect_plate=True)


def test_the_expected_plate_is_one_the_reader_reads_as_text() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[300:340, 300:500] = 255
    frame[600:630, 900:1000] = 255  # both score 0.9 (the toy network)
    strict = DetectorSettings(threshold=0.95, second_look_size=0, retry_sizes=())
    asked: list[int] = []

    def reads_right_one(image: np.ndarray, boxes: list[Box]) -> list[bool]:
        asked.append(len(boxes))
        return [box[0] > 800 for box in boxes]  # only the plate on the right reads as text

    (chosen,) = find_plates(_toy_network, frame, strict, expect_plate=True, reads_text=reads_right_one)
    assert box_iou(chosen.box, (900, 600, 100, 30)) > 0.9 and asked == [2]
    # nothing reads as text: the best-scoring one, as without a reader
    (best,) = find_plates(
        _toy_network, frame, strict, expect_plate=True, reads_text=lambda i, b: [False] * len(b)
    )
    assert best == find_plates(_toy_network, frame, strict, expect_plate=True)[0]
    # a plate passing the threshold needs no reader
    find_plates(
        _toy_network, frame, replace(strict, threshold=0.5), expect_plate=True, reads_text=reads_right_one
    )
    assert asked == [2]


def test_settings_keep_the_retry_sizes_and_read_a_single_retry_size() -> None:
    settings = DetectorSettings(retry_sizes=(960, 416))
    assert settings.as_metadata()["detector.retry_sizes"] == "960,416"
    assert DetectorSettings.from_metadata(settings.as_metadata()) == settings
    assert DetectorSettings.from_metadata({"detector.retry_size": "960"}).retry_sizes == (960,)
    assert DetectorSettings.from_metadata({"detector.retry_size": "0"}).retry_sizes == ()
    assert DetectorSettings.from_metadata({}).retry_sizes == (960, 416, 1280)


def test_letterbox_scales_the_longer_side_and_pads_to_the_stride() -> None:
    frame = np.full((720, 1280, 3), 255, np.uint8)
    image, scale = letterbox(frame, 640, 4)
    assert scale == 0.5
    assert image.shape == (1, 3, 384, 640)  # 360 padded to a multiple of 32
    assert image[0, :, :360].min() == 1.0 and image[0, :, 360:].max() == 0.0


def test_boxes_match_one_to_one_by_iou() -> None:
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    matched = match_boxes([(0, 0, 10, 10), (1, 0, 10, 10)], [(0, 0, 10, 10)])
    assert [(i, j) for i, j, _ in matched] == [(0, 0)]  # the second found box is a false plate


def test_plate_crop_box_widens_and_stays_in_the_frame() -> None:
    x, y, w, h = plate_crop_box((100, 100, 200, 40), (1280, 720))
    assert x < 100 and y < 100 and x + w > 300 and y + h > 140
    assert plate_crop_box((0, 0, 50, 10), (52, 20)) == (0, 0, 52, 16)  # clipped right, 10 + 6 below
    assert plate_crop_box((100, 100, 200, 40), (1280, 720), (0.25, 0.25)) == (50, 90, 300, 60)
    assert plate_crop_box((100, 100, 200, 40), (1280, 720)) == plate_crop_box(
        (100, 100, 200, 40), (1280, 720), READ_CONTEXTS[0]
    )


def test_a_plate_is_read_at_every_context_and_the_reads_vote() -> None:
    class Reader:
        calls: list[int] = []

        def predict(self, crops: list[np.ndarray]) -> list[Prediction]:
            self.calls.append(len(crops))
            # the tallest crop (most context) reads one text, the others another that wins the vote
            tallest = max(c.shape[0] for c in crops)
            return [
                Prediction("A123BC77", 0.5) if c.shape[0] == tallest else Prediction("A123BC777", 0.3)
                for c in crops
            ]

    image = np.zeros((720, 1280, 3), np.uint8)
    crops = plate_crops(image, (100, 100, 200, 40))
    assert len(crops) == len(READ_CONTEXTS) and len({c.shape for c in crops}) == len(READ_CONTEXTS)
    reader = Reader()
    (read,) = read_boxes(reader, image, [(100, 100, 200, 40)])  # type: ignore[arg-type]
    assert (read.text, read.confidence) == ("A123BC777", 0.3) and reader.calls == [len(READ_CONTEXTS)]
    assert read_boxes(reader, image, []) == [] and reader.calls == [len(READ_CONTEXTS)]


def test_unknown_detector_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlatocrError, match="not a shipped detector"):
        PlateDetector.load("no-such-detector")
    with pytest.raises(PlatocrError, match="file not found"):
        PlateDetector.load(tmp_path / "missing.onnx")


def test_a_file_that_is_not_a_detector_is_one_clear_error(tmp_path: Path) -> None:
    from platocr.recognition.zoo import MODELS_DIR

    (tmp_path / "broken.onnx").write_bytes(b"not an onnx model\n")
    with pytest.raises(PlatocrError, match="broken.onnx: not a readable ONNX file"):
        PlateDetector.load(tmp_path / "broken.onnx")
    with pytest.raises(PlatocrError, match="plates-ru.onnx: not a plate detector .*'images'.*'frame'"):
        PlateDetector.load(MODELS_DIR / "plates-ru.onnx")
    # the detector copied without its verifier, or with something else in its place
    detector = tmp_path / "plate-detector.onnx"
    detector.write_bytes((MODELS_DIR / "plate-detector.onnx").read_bytes())
    with pytest.raises(PlatocrError, match="plate-verifier.onnx: file not found .*next to its detector"):
        PlateDetector.load(detector)
    (tmp_path / "plate-verifier.onnx").write_bytes((MODELS_DIR / "plates-ru.onnx").read_bytes())
    with pytest.raises(PlatocrError, match="plate-verifier.onnx: not a plate verifier"):
        PlateDetector.load(detector)
    assert PlateDetector.load(detector, verify=False).verifier is None
    assert PlateDetector.load(detector, verify=False, retry=False).settings.retry_sizes == ()


def test_read_with_a_broken_detector_is_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from platocr.cli import app

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model\n")
    photo = tmp_path / "car.png"
    photo.write_bytes(b"")
    result = CliRunner().invoke(
        app, ["read", "plates-ru", str(photo), "--detect", "plate", "--detector", str(broken)]
    )
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and "broken.onnx: not a readable ONNX file" in lines[0]


def test_training_targets_mark_the_centre_cell() -> None:
    pytest.importorskip("torch")
    from platocr.train.detector_data import centre_targets

    heat, regression, mask = centre_targets(np.array([[40, 20, 80, 16]], np.float32), 32, 48)
    iy, ix = np.unravel_index(np.argmax(heat[0]), heat[0].shape)
    assert (ix, iy) == (20, 7)  # centre (80, 28) px / stride 4
    assert heat[0, iy, ix] == 1.0 and mask.sum() == 1
    assert regression[2, iy, ix] == pytest.approx(math.log(20))


def test_overlaps_ignored() -> None:
    cut = (0, 100, 40, 20)  # a plate cut by the left edge, clipped to the frame
    assert overlaps_ignored((0, 100, 60, 20), [cut])  # the detector's box runs past the clipped one
    assert overlaps_ignored((10, 104, 20, 10), [cut])  # wholly inside
    assert not overlaps_ignored((200, 100, 40, 20), [cut]) and not overlaps_ignored((0, 100, 40, 20), [])


def test_judge_boxes_leaves_out_detections_of_plates_not_judged() -> None:
    truth, cut = [(100, 100, 80, 20)], [(0, 300, 40, 20)]
    found = [(0, 300, 60, 20), (102, 101, 80, 20), (400, 50, 60, 20)]  # cut plate, plate, false plate
    kept, matches = judge_boxes(found, truth, cut)
    assert kept == [1, 2] and [(i, j) for i, j, _ in matches] == [(0, 0)]  # index 0 of kept = found[1]
    assert len(kept) - len(matches) == 1  # one false plate
    assert judge_boxes(found, truth, [])[0] == [0, 1, 2]


def test_plate_count_counts_only_detections_at_or_above_its_threshold() -> None:
    truth, cut = [(100, 100, 80, 20)], [(0, 300, 40, 20)]
    found = [
        Detection((102, 101, 80, 20), 0.6),
        Detection((400, 50, 60, 20), 0.4),
        Detection((0, 300, 60, 20), 0.9),
    ]
    counts = {t: PlateCount(t) for t in (0.3, 0.5, 0.7)}
    for count in counts.values():
        count.add(found, truth, cut)
        count.add([], [], [])  # a frame without plates or detections
    # the plate and the false plate; the cut one is not judged
    assert [(c.frames, c.plates, c.found, c.false_plates) for c in counts.values()] == [
        (2, 1, 1, 1),
        (2, 1, 1, 0),
        (2, 1, 0, 0),
    ]
    at_03 = counts[0.3]
    assert (at_03.recall, at_03.precision, at_03.false_per_frame) == (1.0, 0.5, 0.5)
    assert at_03.f1 == pytest.approx(2 / 3)
    assert counts[0.5].f1 == 1.0 and counts[0.7].f1 == 0.0
    assert PlateCount(0.5).f1 == 1.0  # nothing to find and nothing found


def test_train_export_and_load_a_tiny_detector(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from typer.testing import CliRunner

    from platocr.cli import app

    runner = CliRunner()
    scenes = write_scenes(tmp_path / "scenes", 3, seed=5)
    run = tmp_path / "run"
    result = runner.invoke(app, ["train-detector", "--train", str(scenes), "--val", str(scenes), "--out", str(run),
                                 "--steps", "2", "--batch-size", "2", "--val-every", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recall" in result.output and (run / "best.pt").is_file()
    chosen = json.loads((run / "run.json").read_text())["threshold"]
    assert PlateDetector.load(run / "plate-detector.onnx").settings.threshold == chosen  # best val F1
    assert f"threshold {chosen}" in result.output
    more = runner.invoke(app, ["train-detector", "--train", str(scenes), "--val", str(scenes), "--out",
                               str(tmp_path / "more"), "--steps", "1", "--batch-size", "2", "--init", str(run / "best.pt")])  # fmt: skip
    assert more.exit_code == 0, more.output
    assert json.loads((tmp_path / "more" / "run.json").read_text())["training"]["init"] == str(
        run / "best.pt"
    )
    detector = PlateDetector.load(run / "plate-detector.onnx", threshold=0.01)
    assert detector.settings.stride == 4
    # the same weights exported again, the threshold chosen anew on the val frames
    script = Path(__file__).parents[1] / "scripts" / "export_detector.py"
    again = subprocess.run([sys.executable, str(script), str(run / "best.pt"), "--val", str(scenes), "--out",
                            str(tmp_path / "again")], capture_output=True, text=True, check=False)  # fmt: skip
    assert again.returncode == 0, again.stderr
    exported = json.loads((tmp_path / "again" / "thresholds.json").read_text())
    assert (
        PlateDetector.load(tmp_path / "again" / "plate-detector.onnx").settings.threshold
        == exported["threshold"]
    )
    bad = subprocess.run([sys.executable, str(script), str(scenes / "boxes.tsv"), "--val", str(scenes), "--out",
                          str(tmp_path / "bad")], capture_output=True, text=True, check=False)  # fmt: skip
    assert (
        bad.returncode == 2
        and bad.stderr.startswith("error: checkpoint")
        and len(bad.stderr.splitlines()) == 1
    )
    found = detector(np.zeros((120, 200, 3), np.uint8))
    assert all(isinstance(d, Detection) and 0 <= d.box[0] < 200 for d in found)


def test_the_shipped_torch_weights_are_the_shipped_detector() -> None:
    torch = pytest.importorskip("torch")
    from platocr.train.detector import load_detector_checkpoint

    model = load_detector_checkpoint("plate-detector")
    shipped = PlateDetector.load()
    frame = np.random.default_rng(0).integers(0, 255, (1, 3, 160, 224)).astype(np.float32) / 255
    with torch.no_grad():
        expected = model(torch.from_numpy(frame)).numpy()
    got = shipped._session.run(None, {shipped._session.get_inputs()[0].name: frame})[0]
    assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-3


def test_fine_tune_the_shipped_detector_on_your_own_frames(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from typer.testing import CliRunner

    from platocr.cli import app

    runner = CliRunner()
    frames = write_scenes(tmp_path / "my_camera", 2, seed=9)
    result = runner.invoke(app, ["train-detector", "--init", "plate-detector", "--train", str(frames), "--val",
                                 str(frames), "--out", str(tmp_path / "run"), "--steps", "1", "--batch-size", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "start fresh" not in result.output  # every tensor came from the shipped weights
    assert PlateDetector.load(tmp_path / "run" / "plate-detector.onnx").settings.threshold > 0
    missing = runner.invoke(app, ["train-detector", "--init", str(tmp_path / "nope.pt"), "--train", str(frames),
                                  "--val", str(frames), "--out", str(tmp_path / "run2")])  # fmt: skip
    assert missing.exit_code == 2 and "--init" in missing.output and "not found" in missing.output


def test_train_detector_without_frames_says_so(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from platocr.cli import app

    empty = tmp_path / "boxes.tsv"
    empty.write_text("filename\ttext\tx\ty\twidth\theight\tregion\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train-detector", "--train", str(empty), "--val", str(empty),
                                      "--out", str(tmp_path / "run")])  # fmt: skip
    assert result.exit_code == 2
    assert "no frames" in result.output


def test_train_detector_refuses_an_init_that_is_not_a_detector(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from platocr.cli import app

    boxes = tmp_path / "boxes.tsv"
    (tmp_path / "images").mkdir()
    import cv2

    cv2.imwrite(str(tmp_path / "images" / "a.jpg"), np.zeros((64, 64, 3), np.uint8))
    boxes.write_text(
        "filename\ttext\tx\ty\twidth\theight\tregion\nimages/a.jpg\t\t\t\t\t\t\n", encoding="utf-8"
    )
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    result = CliRunner().invoke(app, ["train-detector", "--train", str(boxes), "--val", str(boxes),
                                      "--out", str(tmp_path / "run"), "--init", str(junk)])  # fmt: skip
    assert result.exit_code == 2
    assert "not a detector checkpoint" in result.output


def test_train_detector_leaves_out_files_that_are_not_images(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from platocr.cli import app

    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "junk.jpg").write_bytes(b"not a picture")
    boxes = tmp_path / "boxes.tsv"
    boxes.write_text(
        "filename\ttext\tx\ty\twidth\theight\tregion\nimages/junk.jpg\t\t\t\t\t\t\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["train-detector", "--train", str(boxes), "--val", str(boxes),
                                      "--out", str(tmp_path / "run")])  # fmt: skip
    assert result.exit_code == 2
    assert "1 image(s) skipped" in result.output and "cannot decode" in result.output
    assert "no frames to use" in result.output

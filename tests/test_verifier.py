"""The plate verifier: its crops, how it rescores the detector's plates, and a tiny train -> load run."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import write_scenes
from test_detection import _toy_network

from platocr.detection import PlateDetector, box_iou
from platocr.detection.detector import find_plates
from platocr.detection.settings import DetectorSettings
from platocr.detection.verifier import crops_to_input, cut_crops, verified_score
from platocr.errors import PlatocrError


def test_crops_hold_the_box_with_its_context_at_the_verifier_size() -> None:
    frame = np.zeros((200, 400, 3), np.uint8)
    frame[90:110, 150:250] = (255, 0, 0)  # a blue plate (BGR), 100x20
    crops = cut_crops(frame, [(150, 90, 100, 20), (0, 0, 5, 5)])
    assert crops.shape == (2, 32, 96, 3) and crops.dtype == np.uint8
    # 25% of the width on each side, 50% of the height above and below: the plate fills the middle
    assert crops[0, 16, 48, 0] == 255 and crops[0, 1, 48, 0] == 0 and crops[0, 16, 2, 0] == 0
    batch = crops_to_input(crops)
    assert batch.shape == (2, 3, 32, 96) and batch.dtype == np.float32
    assert batch[0, 2, 16, 48] == 1.0 and batch[0, 0, 16, 48] == 0.0  # RGB: blue is the last channel
    grey = cut_crops(frame[..., 0], [(150, 90, 100, 20)])
    assert grey.shape == (1, 32, 96, 3)


def test_the_verifier_rescores_the_plates_and_the_first_look_proposes_lower() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[300:330, 200:330] = 255
    frame[600:630, 1000:1130] = 255
    calls: list[int] = []

    def verify(image: np.ndarray, boxes: list) -> np.ndarray:
        calls.append(len(boxes))
        return np.array([0.1 if box[0] < 640 else 1.0 for box in boxes], np.float32)

    # the toy network scores every plate 0.9: alone, a threshold of 0.92 finds none
    settings = DetectorSettings(threshold=0.92, candidate_threshold=0.5)
    assert find_plates(_toy_network, frame, settings) == []
    found = find_plates(_toy_network, frame, settings, verify)
    assert calls == [2] and len(found) == 1
    assert box_iou(found[0].box, (1000, 600, 130, 30)) > 0.9
    assert found[0].score == pytest.approx(math.sqrt(0.9)) == pytest.approx(verified_score(0.9, 1.0))
    assert verified_score(0.9, 0.1) < 0.92  # the other plate, turned down


def test_fitting_needs_plates_and_other_things() -> None:
    pytest.importorskip("torch")
    from platocr.train.verifier import Candidates, VerifierTraining, fit_verifier

    only_plates = Candidates(np.zeros((4, 32, 96, 3), np.uint8), np.ones(4, np.int8), np.zeros(4, np.int64),
                             np.full(4, 0.5, np.float32), np.zeros((4, 4), np.int64), np.zeros(4, bool), [])  # fmt: skip
    with pytest.raises(PlatocrError, match="needs both"):
        fit_verifier(only_plates, VerifierTraining(epochs=1), log=lambda _: None)


def test_train_a_tiny_verifier_and_load_it_with_its_detector(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    from typer.testing import CliRunner

    from platocr.cli import app
    from platocr.tools.detect_eval import evaluate_detection

    runner = CliRunner()
    scenes = write_scenes(tmp_path / "scenes", 10, seed=4)
    out = tmp_path / "ver"
    result = runner.invoke(app, ["train-verifier", "--train", str(scenes), "--val", str(scenes), "--out", str(out),
                                 "--epochs", "1", "--candidate-threshold", "0.05", "--no-progress"])  # fmt: skip
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["train_candidates"]["plates"] > 0 and run["train_candidates"]["others"] > 0
    detector = PlateDetector.load(out / "plate-detector.onnx")
    assert detector.verifier is not None
    assert detector.settings.threshold == run["threshold"] and detector.settings.candidate_threshold == 0.05
    assert PlateDetector.load(out / "plate-detector.onnx", verify=False).verifier is None
    # what the run counted on the validation frames is what the detector and its verifier find there
    report = evaluate_detection(detector, scenes, threshold=None, progress=False)
    counted = run["val_verified"][str(run["threshold"])]
    assert (report.found, report.detections - report.found) == (counted["found"], counted["false_plates"])
    # the shipped detector is compared as it is used: with its own verifier
    assert run["val_detector_as_given"]["verifier"] is True
    # so is this run's detector: as given, it finds on the val frames what this run counted for it
    again = runner.invoke(app, ["train-verifier", "--train", str(scenes), "--val", str(scenes), "--out",
                                str(tmp_path / "again"), "--detector", str(out / "plate-detector.onnx"),
                                "--epochs", "1", "--candidate-threshold", "0.05", "--no-progress"])  # fmt: skip
    assert again.exit_code == 0, again.output
    given = json.loads((tmp_path / "again" / "run.json").read_text())["val_detector_as_given"]
    chosen = run["val_verified"][str(run["threshold"])]
    assert given["verifier"] is True and (given["found"], given["false_plates"]) == (
        chosen["found"],
        chosen["false_plates"],
    )
    # eval names the verifier it used
    listed = runner.invoke(app, ["eval", "plates-ru", str(scenes), "--detect", "plate", "--boxes-only", "--detector",
                                 str(out / "plate-detector.onnx"), "--no-progress", "--json", str(tmp_path / "e.json")])  # fmt: skip
    assert listed.exit_code == 0, listed.output
    assert json.loads((tmp_path / "e.json").read_text())["verifier"] == str(out / "plate-verifier.onnx")
    # a detector whose verifier is missing says so in one line
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(out / "plate-detector.onnx", alone)
    with pytest.raises(PlatocrError, match="plate verifier .*file not found"):
        PlateDetector.load(alone / "plate-detector.onnx")
    missing = runner.invoke(app, ["eval", "plates-ru", str(scenes), "--detect", "plate", "--boxes-only",
                                  "--detector", str(alone / "plate-detector.onnx"), "--no-progress"])  # fmt: skip
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_train_verifier_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from platocr.cli import app

    runner = CliRunner()
    empty = tmp_path / "boxes.tsv"
    empty.write_text("filename\ttext\tx\ty\twidth\theight\tregion\n", encoding="utf-8")
    result = runner.invoke(app, ["train-verifier", "--train", str(empty), "--val", str(empty),
                                 "--out", str(tmp_path / "run")])  # fmt: skip
    assert result.exit_code == 2 and "no frames" in result.output
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["train-verifier", "--train", str(empty), "--val", str(empty),
                                 "--out", str(blocker / "run")])  # fmt: skip
    assert result.exit_code == 2 and "--out" in result.output
    result = runner.invoke(app, ["train-verifier", "--train", str(empty), "--val", str(empty), "--out",
                                 str(tmp_path / "run"), "--detector", "nope"])  # fmt: skip
    assert result.exit_code == 2 and "nope" in result.output


def test_importing_the_detector_does_not_load_opencv() -> None:
    """OpenCV starts threads when imported; a command's thread plan, made after its imports, would count
    them as the machine's load and plan fewer threads."""
    import subprocess
    import sys

    code = "import sys, platocr.detection; assert 'cv2' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode == 0


def test_the_shipped_detector_loads_its_verifier_without_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from platocr.detection import PlateDetector; d = PlateDetector.load(); "
        "assert d.verifier is not None and d.settings.verifier; d(np.zeros((720, 1280, 3), np.uint8)); "
        "heavy = [m for m in ('torch', 'timm', 'onnx') if m in sys.modules]; assert not heavy, heavy"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_proposals_are_labelled_against_the_boxes_and_damaged_frames_left_out(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    import cv2

    from platocr.detection import Detection
    from platocr.train.detector_data import LabelledFrame
    from platocr.train.verifier import count_plates, mine_candidates

    image = tmp_path / "a.jpg"
    cv2.imwrite(str(image), np.zeros((100, 200, 3), np.uint8))
    damaged = tmp_path / "b.jpg"
    damaged.write_bytes(image.read_bytes()[:20])  # a JPEG's signature, not a whole image
    plate = np.array([[50, 40, 60, 14]], np.float32)
    frames = [LabelledFrame(str(damaged), plate), LabelledFrame(str(image), plate)]

    def detector(frame: np.ndarray) -> list[Detection]:
        # on the plate, a loose box on it, something else
        return [
            Detection((51, 40, 60, 14), 0.9),
            Detection((50, 40, 120, 30), 0.5),
            Detection((150, 5, 40, 10), 0.3),
        ]

    found = mine_candidates(detector, frames)  # type: ignore[arg-type]
    assert found.unread == [0] and found.labels.tolist() == [1, -1, 0] and found.crops.shape == (3, 32, 96, 3)
    counts = count_plates(found, frames, found.scores, (0.4,))[0.4]
    assert (counts.frames, counts.plates, counts.found, counts.false_plates) == (1, 1, 1, 1)

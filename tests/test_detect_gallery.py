"""``platocr gallery MODEL BOXES --detect plate``: cards judged as eval --detect plate judges, errors first."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import pytest
from conftest import write_scenes
from test_detect_plate import PLATE, frames  # noqa: F401 (a fixture)
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.plate_boxes import PlateBox
from platocr.detection import Detection
from platocr.recognition.prediction import Prediction
from platocr.tools.detect_cards import PlateCase, why_missed
from platocr.tools.detect_eval import FrameOutcome
from platocr.tools.detect_gallery import frame_cases, order_cases

runner = CliRunner()


def test_gallery_detect_plate_shows_errors_first(frames: Path, tmp_path: Path) -> None:  # noqa: F811
    # frames: a.png has a ru plate read right, an eu plate found and a false plate; b.png a ru plate
    # whose only box overlaps it at IoU 0.4 (missed) and is a false plate; d.png and e.png are unreadable
    page, grid = tmp_path / "g.html", tmp_path / "g.png"
    for out in (page, grid):
        result = runner.invoke(
            app,
            ["gallery", "plates-ru", str(frames), "--detect", "plate", "--out", str(out), "--no-progress"],
        )
        assert result.exit_code == 0, result.output
        assert "5 of 5 cards from 3 frames (1 missed, 2 false plate, 0 misread, 1 found, 1 read right" in (
            result.output
        )
        assert "skipped 2 unreadable frames" in result.output and "d.png" in result.output
    text = page.read_text(encoding="utf-8")
    assert len(re.findall(r'src="data:image/jpeg;base64,[A-Za-z0-9+/=]{100,}"', text)) == 5
    kinds = re.findall(r"<div><b>([a-z ]+)</b></div>", text)
    assert kinds == [
        "missed",
        "false plate",
        "false plate",
        "read right",
        "found",
    ]  # equal scores: frame order
    assert "box at IoU 0.40, under 0.5" in text and PLATE in text
    image = cv2.imread(str(grid))
    assert image is not None and image.shape[1] == 4 * 376 and image.shape[0] > 2 * 250


def test_a_missed_plate_says_what_the_detector_made_of_it() -> None:
    plate = PlateBox("A123BC77", (10, 10, 100, 20), "ru")
    under = Detection((10, 10, 100, 20), 0.4)  # the plate's own box, scored under the threshold
    outcome = FrameOutcome("f.png", [plate], [under], [], [], {})
    (case,) = frame_cases(outcome)
    assert case.kind == "missed" and case.detection == under and case.iou == pytest.approx(1.0)
    assert why_missed(case, 0.55) == "scored 0.400, under 0.55"
    just_under = PlateCase("missed", "f.png", plate, Detection(plate.box, 0.5499), 1.0)
    assert why_missed(just_under, 0.55) == "scored 0.549, under 0.55"
    (nothing,) = frame_cases(FrameOutcome("f.png", [plate], [], [], [], {}))
    assert why_missed(nothing, 0.55) == "no box scoring 0.2+"


def test_cards_are_ordered_errors_first_then_lowest_score() -> None:
    plates = [PlateBox("A123BC77", (0, 0, 100, 20), "ru"), PlateBox("B456CD77", (200, 0, 100, 20), "ru"),
              PlateBox("C789EE77", (400, 0, 100, 20), "ru"), PlateBox("", (0, 100, 100, 20), "eu")]  # fmt: skip
    found = [Detection(p.box, score) for p, score in zip(plates, (0.9, 0.6, 0.7, 0.8), strict=True)]
    found.append(Detection((300, 300, 80, 20), 0.65))  # no plate there
    reads = {0: Prediction("A123BC77", 0.9), 1: Prediction("B456CD77", 0.8), 2: Prediction("C780EE77", 0.7)}
    matched = [(i, i, 1.0) for i in range(4)]
    cases = frame_cases(FrameOutcome("f.png", plates, found, found, matched, reads))
    ordered = [(c.kind, c.plate.text if c.plate else "") for c in order_cases(cases)]
    assert ordered == [("false plate", ""), ("misread", "C789EE77"), ("read right", "B456CD77"),
                       ("found", ""), ("read right", "A123BC77")]  # fmt: skip


def test_gallery_detect_plate_counts_as_eval_does(tmp_path: Path) -> None:
    scenes = write_scenes(tmp_path / "scenes", 3, seed=5)
    out, report = tmp_path / "g.png", tmp_path / "r.json"
    result = runner.invoke(
        app, ["gallery", "plates-ru", str(scenes), "--detect", "plate", "--boxes-only", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    evaluated = runner.invoke(
        app, ["eval", "plates-ru", str(scenes), "--detect", "plate", "--boxes-only", "--json", str(report)]
    )
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(report.read_text())
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (missed|false plate|found)", result.output)}
    assert counts == {
        "missed": figures["plates"] - figures["found"],
        "false plate": figures["false_plates"],
        "found": figures["found"],
    }


def test_gallery_expect_plate_counts_as_eval_expect_plate_does(tmp_path: Path) -> None:
    scenes = write_scenes(tmp_path / "scenes", 3, seed=5)
    out, report = tmp_path / "g.html", tmp_path / "r.json"
    options = ["--detect", "plate", "--expect-plate"]
    result = runner.invoke(app, ["gallery", "plates-ru", str(scenes), *options, "--out", str(out)])
    assert result.exit_code == 0, result.output
    evaluated = runner.invoke(app, ["eval", "plates-ru", str(scenes), *options, "--json", str(report)])
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(report.read_text())
    kinds = r"(\d+) (missed|false plate|misread|found|read right)"
    counts = {kind: int(n) for n, kind in re.findall(kinds, result.output)}
    assert (
        counts["missed"] == figures["plates"] - figures["found"]
        and counts["false plate"] == figures["false_plates"]
    )
    assert counts["found"] + counts["misread"] + counts["read right"] == figures["found"]
    assert counts["read right"] == figures["read_right"]


def test_gallery_detect_plate_bad_input_is_one_line(frames: Path, tmp_path: Path) -> None:  # noqa: F811
    for args, needle in (
        ([str(frames), "--detect", "car", "--out", str(tmp_path / "g.png")], "only plate"),
        (
            [str(frames), "--boxes-only", "--out", str(tmp_path / "g.png")],
            "--boxes-only needs --detect plate",
        ),
        (
            [str(frames), "--expect-plate", "--out", str(tmp_path / "g.png")],
            "--expect-plate needs --detect plate",
        ),
        ([str(frames), "--detect", "plate", "--out", str(tmp_path / "g.gif")], "must end in .png or .html"),
        ([str(frames), "--detect", "plate", "--out", str(frames / "images/a.png/g.png")], "--out"),
        ([str(tmp_path / "nowhere"), "--detect", "plate", "--out", str(tmp_path / "g.png")], "not found"),
    ):
        result = runner.invoke(app, ["gallery", "plates-ru", *args])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and needle in lines[0], result.output

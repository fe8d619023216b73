"""``platocr read MODEL PHOTOS --detect plate --crops DIR --boxes FILE``: the plates found, saved as draft label
files (crops for the reader, boxes for the detector)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from test_detect_plate import PLATE, bright_boxes, frames  # noqa: F401 (a fixture)
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.labels import open_dataset
from platocr.data.plate_boxes import load_plate_boxes
from platocr.detection import Detection

runner = CliRunner()


@pytest.fixture
def photos(frames: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # noqa: F811
    """Three photos (3 plates, 1, none) and the stand-in detector in place of the shipped one."""
    monkeypatch.setattr("platocr.detection.PlateDetector.load", lambda *args, **kwargs: bright_boxes)
    return [str(frames / "images" / name) for name in ("a.png", "b.png", "c.png")]


def test_read_detect_plate_saves_each_plate_crop_with_its_read(photos: list[str], tmp_path: Path) -> None:
    out = tmp_path / "draft"
    result = runner.invoke(
        app, ["read", "plates-ru", *photos, "--detect", "plate", "--crops", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote 4 plate crops to {out / 'crops'} and {out / 'labels.tsv'}" in result.output
    rows = open_dataset(out)
    assert [row.text for row in rows] == [PLATE] * 4  # the stand-in reader's read: a draft to check
    assert [Path(row.source).name for row in rows] == ["a.png"] * 3 + ["b.png"]
    assert [row.path.name for row in rows] == ["000001_a_1.jpg", "000001_a_2.jpg", "000001_a_3.jpg",
                                               "000002_b_1.jpg"]  # fmt: skip
    first = cv2.imread(str(rows[0].path))
    # the plate (10, 10, 100 x 20) with 15% of its width aside and 60% of its height above and below,
    # cut by the photo's top and left edges: rows 0-42, columns 0-125
    assert first is not None and first.shape[:2] == (10 + 20 + 12, 10 + 100 + 15)


def test_read_crops_and_expect_plate_bad_use_is_one_line(frames: Path, tmp_path: Path) -> None:  # noqa: F811
    photo = str(frames / "images/a.png")
    for args, needle in (
        ([photo, "--crops", str(tmp_path / "d")], "--crops saves the plates found in whole photos"),
        ([photo, "--detect", "plate", "--crops", photo], "--crops"),
        ([photo, "--expect-plate"], "--expect-plate is about the plates in whole photos"),
        ([photo, "--boxes", str(tmp_path / "b.tsv")], "--boxes lists the plates found in whole photos"),
        ([photo, "--detect", "plate", "--boxes", str(tmp_path / "b.txt")], "expected a .tsv file name"),
        ([photo, "--detect", "plate", "--boxes", str(frames)], "--boxes"),  # a folder
        (
            [
                photo,
                "--detect",
                "plate",
                "--boxes",
                str(tmp_path / "o.tsv"),
                "--out",
                str(tmp_path / "o.tsv"),
            ],
            "--boxes and --out both name",
        ),  # fmt: skip
    ):
        result = runner.invoke(app, ["read", "plates-ru", *args])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and needle in lines[0], result.output


def test_expect_plate_reaches_the_detector(
    frames: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class StandIn:
        source = ""

        def __init__(self, expect_plate: bool = False, reads_text: object = None, **_: object) -> None:
            self.expect_plate, self.reads_text = expect_plate, reads_text

        def __call__(self, frame: np.ndarray) -> list[Detection]:
            return bright_boxes(frame)

    loaded: list[StandIn] = []
    monkeypatch.setattr(
        "platocr.detection.PlateDetector.load", lambda *a, **kw: loaded.append(StandIn(**kw)) or loaded[-1]
    )
    for args in (
        ["eval", "plates-ru", str(frames)],
        ["read", "plates-ru", str(frames / "images/a.png"), "--out", str(tmp_path / "o.tsv")],
    ):
        result = runner.invoke(app, [*args, "--detect", "plate", "--expect-plate", "--no-progress"])
        assert result.exit_code == 0, result.output
    assert [d.expect_plate for d in loaded] == [True, True]
    # both let the plate reader help choose the expected plate: it reads a box of the frame
    image = cv2.imread(str(frames / "images/a.png"))
    boxes = [d.box for d in bright_boxes(image)]
    for stand_in in loaded:
        says = stand_in.reads_text(image, boxes)
        assert len(says) == len(boxes) and all(isinstance(s, bool) for s in says)


def test_read_detect_plate_boxes_draft_reads_back_as_the_detector_found_them(
    photos: list[str], tmp_path: Path
) -> None:
    draft = tmp_path / "draft" / "boxes.tsv"  # its folder does not exist yet
    result = runner.invoke(
        app, ["read", "plates-ru", *photos, "--detect", "plate", "--boxes", str(draft), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote the boxes of 4 plates in 3 photos to {draft}" in result.output
    loaded = load_plate_boxes(draft)
    assert not loaded.skipped
    assert [frame.image.name for frame in loaded.frames] == ["a.png", "b.png", "c.png"]  # c.png: no plate
    for frame in loaded.frames:
        found = bright_boxes(cv2.imread(str(frame.image)))
        assert [plate.box for plate in frame.plates] == [det.box for det in found]
        assert all(plate.text == PLATE and plate.region == "" for plate in frame.plates)
    # judged against its own draft, the same detector finds every plate and no false one
    report = tmp_path / "self.json"
    result = runner.invoke(app, ["eval", "plates-ru", str(draft), "--detect", "plate", "--no-progress",
                                 "--json", str(report)])  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    figures = json.loads(report.read_text(encoding="utf-8"))
    assert figures["found"] == figures["plates"] == 4 and figures["false_plates"] == 0, figures

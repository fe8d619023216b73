"""Synthetic full frames with plate boxes, the boxes.tsv reader, and the synthetic plate clip."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.plate_boxes import (
    COLUMNS,
    FramePlates,
    PlateBox,
    load_plate_boxes,
    read_plate_boxes,
    write_plate_boxes,
)
from platocr.errors import PlatocrError
from platocr.synth.plate_frames import render_scene
from platocr.synth.plates import LABEL_RE

REAL_FRAMES = Path(__file__).resolve().parents[2] / "shared" / "data" / "plates_fullframe"


def _scenes(count: int, size=(640, 360), foreign: float = 0.3):
    return [render_scene(np.random.default_rng(seed), size, foreign) for seed in range(count)]


def test_same_seed_same_frame_and_plates() -> None:
    a, b = (render_scene(np.random.default_rng(11), (640, 360)) for _ in range(2))
    assert np.array_equal(a.image, b.image) and a.plates == b.plates
    c = render_scene(np.random.default_rng(12), (640, 360))
    assert not np.array_equal(a.image, c.image)


def test_boxes_lie_inside_the_frame_around_a_plate() -> None:
    scenes = _scenes(40)
    plates = [(scene, plate) for scene in scenes for plate in scene.plates]
    assert len(plates) > 30 and any(not scene.plates for scene in scenes)  # some frames have no plate
    assert {"ru", "foreign"} <= {plate.kind for _, plate in plates} <= {"ru", "ru-part", "foreign", "ignore"}
    for scene, plate in plates:
        if plate.kind == "ignore":  # cut by the edge: its box is clipped to the frame
            x, y, w, h = plate.box
            assert x >= 0 and y >= 0 and x + w <= 640 and y + h <= 360 and w >= 4
            continue
        assert scene.image.shape == (360, 640, 3) and scene.image.dtype == np.uint8
        x, y, w, h = plate.box
        assert x >= 0 and y >= 0 and x + w <= 640 and y + h <= 360 and 25 <= w <= 220 and h < w
        # A plate is text on a board: far more contrast inside its box than a flat patch of paint.
        grey = cv2.cvtColor(scene.image[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
        assert grey.std() > 8, plate
        if plate.kind.startswith("ru"):
            assert LABEL_RE.match(plate.text), plate.text
        else:
            assert plate.text.isalnum() and plate.text.upper() == plate.text


def test_a_russian_box_is_the_plate_itself_and_hidden_or_cut_plates_are_marked() -> None:
    plates = [p for scene in _scenes(60, (1280, 720), foreign=0.0) for p in scene.plates]
    aspects = [p.box[2] / p.box[3] for p in plates if p.kind == "ru"]
    # A 520x112 mm plate seen a little from above is about 4 wide per 1 high; with its plastic frame and
    # dealer text the box was about 3.4.
    assert 3.7 < float(np.median(aspects)) < 4.8
    assert any(p.kind == "ru-part" for p in plates)  # poles, people and barriers hide some plates in part
    assert any(p.kind == "ignore" for p in plates)  # cut by the frame's edge or mostly hidden: not judged


def test_a_cameras_date_and_time_is_drawn_last_and_clear_of_the_plates() -> None:
    changed = 0
    for seed in range(12):
        plain = render_scene(np.random.default_rng(seed))
        captioned = render_scene(np.random.default_rng(seed), camera_text=1.0)
        assert captioned.plates == plain.plates  # drawn last: the frame and its plates are as before
        differs = np.any(captioned.image != plain.image, axis=2)
        changed += bool(differs.any())
        for plate in plain.plates:
            x, y, w, h = plate.box
            assert not differs[y : y + h, x : x + w].any(), (seed, plate)
        # the text sits in a corner: nothing changes in the middle of the frame
        assert not differs[200:520, 300:980].any()
    assert changed >= 6


def test_foreign_share_is_respected() -> None:
    kinds = {p.kind for scene in _scenes(12, foreign=0.0) for p in scene.plates}
    assert "ru" in kinds and kinds <= {"ru", "ru-part", "ignore"}
    kinds = {p.kind for scene in _scenes(12, foreign=1.0) for p in scene.plates}
    assert "foreign" in kinds and kinds <= {"foreign", "ignore"}


def test_cli_writes_the_real_sets_columns_and_repeats_itself(tmp_path: Path) -> None:
    args = ["synth", "scenes", "--count", "5", "--seed", "4", "--size", "640x360", "--workers", "1"]
    first = CliRunner().invoke(
        app, [*args[:2], str(tmp_path / "a"), *args[2:], "--preview", str(tmp_path / "p.png")]
    )
    assert first.exit_code == 0, first.output
    assert CliRunner().invoke(app, [*args[:2], str(tmp_path / "b"), *args[2:]]).exit_code == 0
    for name in ["boxes.tsv"] + [f"images/{i:06d}.jpg" for i in range(1, 6)]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    lines = (tmp_path / "a" / "boxes.tsv").read_text().splitlines()
    assert lines[0].split("\t") == list(COLUMNS)
    frames = read_plate_boxes(tmp_path / "a")
    assert [f.image.name for f in frames] == [f"{i:06d}.jpg" for i in range(1, 6)]
    assert all(p.region in ("ru", "ru-part", "foreign", "ignore") for f in frames for p in f.plates)
    assert cv2.imread(str(tmp_path / "p.png")) is not None
    bad = CliRunner().invoke(app, [*args[:2], str(tmp_path / "c"), "--size", "big"])
    assert bad.exit_code == 2 and "--size" in bad.output


def test_frames_without_plates_are_listed(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    for name in ("a.jpg", "b.jpg"):
        (tmp_path / "images" / name).write_bytes(b"jpeg")
    frames = [
        FramePlates(tmp_path / "images/a.jpg", ()),
        FramePlates(tmp_path / "images/b.jpg", (PlateBox("A123BC77", (1, 2, 30, 8), "ru"),)),
    ]
    path = write_plate_boxes(frames, tmp_path / "boxes.tsv")
    assert path.read_text().splitlines()[1] == "images/a.jpg" + "\t" * 6
    assert read_plate_boxes(path) == frames


def test_reader_names_the_bad_line_and_skips_missing_images(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images/ok.jpg").write_bytes(b"jpeg")
    header = "\t".join(COLUMNS)
    good = "images/ok.jpg\tAB123\t10\t20\t80\t20\teu"
    (tmp_path / "boxes.tsv").write_text(f"{header}\n{good}\nimages/gone.jpg\tX1\t1\t1\t5\t5\tus\n")
    loaded = load_plate_boxes(tmp_path)
    assert [f.plates for f in loaded.frames] == [(PlateBox("AB123", (10, 20, 80, 20), "eu"),)]
    assert loaded.skipped == [(tmp_path / "images/gone.jpg", "not found")]
    (tmp_path / "boxes.tsv").write_text(f"{header}\n{good}\nimages/ok.jpg\tAB1\t10\tten\t80\t20\teu\n")
    with pytest.raises(PlatocrError, match=r"boxes\.tsv:3: y must be a whole number"):
        read_plate_boxes(tmp_path / "boxes.tsv")
    (tmp_path / "boxes.tsv").write_text("filename\ttext\tx\n")
    with pytest.raises(PlatocrError, match=r"boxes\.tsv:1: header lacks y, width, height"):
        read_plate_boxes(tmp_path)
    with pytest.raises(PlatocrError, match="no boxes.tsv"):
        read_plate_boxes(tmp_path / "images")


@pytest.mark.skipif(not REAL_FRAMES.is_dir(), reason="plates_fullframe is not here")
def test_reads_the_real_full_frame_set_unchanged() -> None:
    loaded = load_plate_boxes(REAL_FRAMES)
    assert len(loaded.frames) >= 400 and not loaded.skipped
    assert all(len(f.plates) == 1 for f in loaded.frames)
    assert {p.region for f in loaded.frames for p in f.plates} <= {"eu", "br", "us"}


def test_clip_truth_matches_its_frames(tmp_path: Path) -> None:
    video = tmp_path / "gate.mp4"
    args = ["synth", "clip", str(video), "--frames", "45", "--seed", "2", "--size", "320x180", "--fps", "10"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "gate.truth.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(45))
    rx, ry, rw, rh = (int(v) for v in (tmp_path / "gate.roi.txt").read_text().split(","))
    boxes = [p["box"] for r in records for p in r["plates"]]
    assert boxes and all(LABEL_RE.match(p["text"]) for r in records for p in r["plates"])
    for x, y, w, h in boxes:
        assert rx <= x and ry <= y and x + w <= rx + rw and y + h <= ry + rh <= 180
    capture = cv2.VideoCapture(str(video))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 45
    capture.release()


def test_badges_and_lamps_draw_in_place_and_skip_tiny_ones() -> None:
    from platocr.synth.plate_props import badge, lamp

    rng = np.random.default_rng(2)
    for draw in (
        lambda img, size: badge(img, (100, 30), size, (100, 100, 100), rng),
        lambda img, size: lamp(img, (60, 20, size * 4, size), (40, 40, 200), rng),
    ):
        img = np.full((60, 200, 3), 100, np.uint8)
        draw(img, 14)
        assert np.count_nonzero((img != 100).any(axis=2)) > 20  # something car-like was drawn
        tiny = np.full((60, 200, 3), 100, np.uint8)
        draw(tiny, 2)
        assert (tiny == 100).all()  # too small to show: nothing drawn


def test_real_plate_photos_take_the_place_of_drawn_russian_plates(tmp_path: Path) -> None:
    photo = np.full((60, 200, 3), 90, np.uint8)
    cv2.rectangle(photo, (20, 15), (179, 49), (235, 235, 235), -1)
    cv2.putText(photo, "A123BC", (26, 44), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20, 20, 20), 2)
    cv2.imwrite(str(tmp_path / "plate.png"), photo)
    write_plate_boxes([FramePlates(tmp_path / "plate.png", (PlateBox("A123BC77", (20, 15, 160, 35), "ru"),))],
                      tmp_path / "real.tsv")  # fmt: skip
    out = tmp_path / "scenes"
    args = ["synth", "scenes", str(out), "--count", "6", "--seed", "3", "--foreign", "0", "--workers", "1",
            "--real-plates", str(tmp_path / "real.tsv"), "--real-share", "1"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    texts = {p.text for frame in read_plate_boxes(out) for p in frame.plates if p.region in ("ru", "ru-part")}
    assert texts == {"A123BC77"}  # every Russian plate is the photo
    empty = tmp_path / "empty.tsv"
    write_plate_boxes([FramePlates(tmp_path / "plate.png", (PlateBox("", (20, 15, 160, 35), "ru"),))], empty)
    refused = CliRunner().invoke(app, ["synth", "scenes", str(tmp_path / "other"), "--count", "1",
                                       "--real-plates", str(empty)])  # fmt: skip
    assert refused.exit_code == 2 and "no plate with a text" in refused.output


def test_plate_boxes_are_found_in_plate_crops_for_real_plate_scenes(tmp_path: Path) -> None:
    import subprocess
    import sys

    made = CliRunner().invoke(
        app, ["synth", "plates", str(tmp_path / "crops"), "--count", "4", "--seed", "1"]
    )
    assert made.exit_code == 0, made.output
    script = Path(__file__).parents[1] / "scripts" / "plate_boxes_in_crops.py"
    out = tmp_path / "boxes" / "real.tsv"
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "crops" / "labels.tsv"), str(out)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    frames = read_plate_boxes(out)
    assert frames and all(len(f.plates) == 1 and f.plates[0].text for f in frames)
    for frame in frames:  # each box lies inside its crop and has a plate's shape
        height, width = cv2.imread(str(frame.image)).shape[:2]
        x, y, w, h = frame.plates[0].box
        assert x + w <= width and y + h <= height and 2.0 <= w / h <= 6.5
    scenes = CliRunner().invoke(app, ["synth", "scenes", str(tmp_path / "scenes"), "--count", "2", "--workers", "1",
                                      "--real-plates", str(out)])  # fmt: skip
    assert scenes.exit_code == 0, scenes.output

"""``--detect plate`` in video, read and eval, with a stand-in detector (bright boxes) and reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from conftest import write_scenes
from typer.testing import CliRunner

from platocr.cli import app
from platocr.detection import Detection
from platocr.recognition.prediction import Prediction
from platocr.video import run_video
from platocr.video.writers import open_writer

SIZE, FRAMES = (320, 240), 12
SCENE_SEED = 9  # a rendered street frame with one Russian plate (render_scene at 640x360)
PLATE, OTHER = "A123BC77", ""  # what the stand-in reader reads on the bright plate and the grey box


def bright_boxes(frame: np.ndarray) -> list[Detection]:
    """Stand-in detector: every bright blob of a dark frame, the brightest first."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    count, _, stats, _ = cv2.connectedComponentsWithStats((grey > 100).astype(np.uint8))
    found = []
    for x, y, w, h, area in stats[1:count]:
        if area >= 60:
            score = float(grey[y : y + h, x : x + w].max()) / 255
            found.append(Detection((int(x), int(y), int(w), int(h)), score))
    return sorted(found, key=lambda d: -d.score)


def stand_in_reader(crops: list[np.ndarray]) -> list[Prediction]:
    """Reads the bright (230) plate as PLATE and the grey (150) box as no plate."""
    return [Prediction(PLATE if crop.max() > 200 else OTHER, 0.9) for crop in crops]


def draw_plates(index: int) -> np.ndarray:
    frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    x = 20 + 12 * index  # the plate drives right; the grey box stands still
    frame[150:168, x : x + 70] = 230
    frame[40:60, 200:280] = 150
    return frame


@pytest.fixture(scope="module")
def plate_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plates") / "street.mp4"
    writer = open_writer(path, 25.0, SIZE, "mp4v")
    for i in range(FRAMES):
        writer.write(draw_plates(i))
    writer.close()
    return path


@pytest.mark.timeout(60)
def test_video_tracks_plates_and_modes_agree(plate_clip: Path, tmp_path: Path) -> None:
    outputs = {}
    for mode, batch in (("sequential", 1), ("threaded", 1), ("threaded", 4)):
        jsonl = tmp_path / f"{mode}{batch}.jsonl"
        stats = run_video(
            str(plate_clip), tmp_path / f"{mode}{batch}.mp4", stand_in_reader, detect="plate", detector=bright_boxes,
            detect_every=2, jsonl=jsonl, mode=mode, batch_frames=batch, codec="mp4v",
        )  # fmt: skip
        outputs[(mode, batch)] = jsonl.read_text()
    assert len(set(outputs.values())) == 1  # the tracker gives the same tracks in every mode
    records = [json.loads(line) for line in outputs[("sequential", 1)].splitlines()]
    assert [r["frame"] for r in records] == list(range(FRAMES))
    for i, record in enumerate(records):  # the grey box is tracked but never read: left out
        (result,) = record["results"]
        assert (
            result["track"] == 1
            and result["text"] == PLATE
            and set(result) == {"track", "text", "confidence", "box"}
        )
        if i != 1:  # frame 1 keeps frame 0's box: the velocity is known from the second detection on
            assert abs(result["box"][0] - (20 + 12 * i)) <= 2  # predicted on odd frames, detected on even
    assert stats.tracks is not None and [(t.text, t.first_frame, t.last_frame) for t in stats.tracks] == [
        (PLATE, 0, FRAMES - 1),
        ("", 0, FRAMES - 2),  # never read: its last frame is its last detection (every 2nd frame)
    ]
    assert stats.detect is not None and stats.detect.frames == FRAMES // 2
    assert stats.as_dict()["tracks"][0]["reads"] == FRAMES


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    """video's plate reader and detector replaced by the stand-ins (every crop PLATE, bright boxes)."""
    monkeypatch.setattr(
        "platocr.cli.video.load_recognizer", lambda model, device, backend: (stand_in_reader, "cpu")
    )
    monkeypatch.setattr("platocr.detection.PlateDetector.load", lambda *args, **kwargs: bright_boxes)


@pytest.mark.timeout(60)
def test_video_cli_detect_plate_writes_tracks(plate_clip: Path, tmp_path: Path, stand_ins: None) -> None:
    out, jsonl, tracks = tmp_path / "o.mp4", tmp_path / "o.jsonl", tmp_path / "tracks.tsv"
    args = [
        "video",
        str(plate_clip),
        str(out),
        "--model",
        "plates-ru",
        "--detect",
        "plate",
        "--jsonl",
        str(jsonl),
    ]
    result = CliRunner().invoke(
        app, [*args, "--tracks", str(tracks), "--codec", "mp4v", "--detect-every", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "1 plates read (2 tracks)" in result.output and PLATE in result.output
    assert "1 tracks never read" in result.output
    rows = [line.split("\t") for line in tracks.read_text().splitlines()]
    assert rows[0] == [
        "track",
        "first_frame",
        "last_frame",
        "text",
        "confidence",
        "reads",
        "agreeing",
        "x",
        "y",
        "w",
        "h",
    ]
    assert rows[1][:7] == ["1", "0", str(FRAMES - 1), PLATE, "0.9000", str(FRAMES), str(FRAMES)]
    assert rows[2][3] == ""  # the grey box: a track, never read


def test_video_cli_detect_plate_bad_options_are_one_line(
    plate_clip: Path, tmp_path: Path, stand_ins: None
) -> None:
    base = ["video", str(plate_clip), str(tmp_path / "o.mp4"), "--model", "m"]
    for extra, needle in (
        (["--detect", "plate", "--roi", "0,0,10,10"], "exclude each other"),
        (["--detect", "face"], "unknown --detect 'face'"),
        (["--tracks", str(tmp_path / "t.tsv")], "needs --detect plate"),
        (["--detect", "plate", "--tracks", str(tmp_path / "t.txt")], "--tracks must end in .tsv or .json"),
    ):
        result = CliRunner().invoke(app, [*base, *extra])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and needle in lines[0], result.output
    assert not (tmp_path / "o.mp4").exists()


def test_detect_every_default_matches_the_library() -> None:
    from platocr.cli.video import DETECT_EVERY
    from platocr.video.plates import DEFAULT_DETECT_EVERY

    assert DETECT_EVERY == DEFAULT_DETECT_EVERY


class StandInPredictor:
    """What read and eval use of a Predictor: ``predict`` (reads every crop as PLATE), backend, device."""

    backend, device = "fake", "cpu"

    def predict(self, crops: list[np.ndarray], **kwargs: object) -> list[Prediction]:
        return [Prediction(PLATE, 0.9) for _ in crops]


def blobs_photo(path: Path, boxes: list[tuple[int, int, int, int]]) -> Path:
    image = np.zeros((240, 320, 3), np.uint8)
    for x, y, w, h in boxes:
        image[y : y + h, x : x + w] = 230
    cv2.imwrite(str(path), image)
    return path


@pytest.fixture()
def frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A boxes.tsv with known IoUs: a.png holds a plate at IoU 1 (ru), one at IoU 0.6 (eu) and a false
    plate; b.png a detection at IoU 0.4 with its ru plate (a miss and a false plate); c.png no plate;
    d.png is missing and e.png does not decode."""
    monkeypatch.setattr("platocr.detection.PlateDetector.load", lambda *args, **kwargs: bright_boxes)
    monkeypatch.setattr(
        "platocr.recognition.predictor.Predictor.load", lambda *args, **kwargs: StandInPredictor()
    )
    folder = tmp_path / "frames"
    (folder / "images").mkdir(parents=True)
    blobs_photo(folder / "images/a.png", [(10, 10, 100, 20), (220, 100, 80, 20), (100, 180, 60, 20)])
    blobs_photo(folder / "images/b.png", [(50, 50, 100, 20)])
    blobs_photo(folder / "images/c.png", [])
    (folder / "images/e.png").write_bytes(b"not a png")
    rows = [
        "filename\ttext\tx\ty\twidth\theight\tregion",
        f"images/a.png\t{PLATE}\t10\t10\t100\t20\tru",
        "images/a.png\tXYZ123\t200\t100\t80\t20\teu",
        "images/b.png\tB456CD77\t50\t50\t40\t20\tru",
        "images/c.png\t\t\t\t\t\t",
        "images/d.png\tC789EE77\t1\t1\t50\t10\tru",
        "images/e.png\tC789EE77\t1\t1\t50\t10\tru",
    ]
    (folder / "boxes.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _eval_detect(source: Path, out: Path, *extra: str) -> tuple[Any, dict[str, Any]]:
    """Run ``platocr eval plates-ru SOURCE --detect plate --json OUT`` and return (result, the JSON)."""
    result = CliRunner().invoke(
        app, ["eval", "plates-ru", str(source), "--detect", "plate", "--json", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    return result, json.loads(out.read_text())


def test_eval_detect_plate_figures(frames: Path, tmp_path: Path) -> None:
    result, report = _eval_detect(frames, tmp_path / "report.json")
    assert (report["frames"], report["plates"], report["detections"], report["found"]) == (3, 3, 4, 2)
    assert report["recall"] == pytest.approx(2 / 3) and report["precision"] == pytest.approx(0.5)
    assert report["false_plates"] == 2 and report["false_plates_per_frame"] == pytest.approx(2 / 3)
    assert report["mean_iou"] == pytest.approx(0.8)
    assert (report["read_right"], report["read_plates"], report["read_right_rate"]) == (1, 2, 0.5)
    # the stand-in reader gives every crop a text, so both false plates would be shown as plates
    assert (report["false_reads"], report["false_reads_per_frame"]) == (2, pytest.approx(2 / 3))
    assert report["by_region"] == {"eu": {"plates": 1, "found": 1}, "ru": {"plates": 2, "found": 1}}
    # the 100 px plate read right, the 40 px one missed
    assert report["read_by_width"] == {
        "100-159 px": {"plates": 1, "right": 1},
        "< 100 px": {"plates": 1, "right": 0},
    }
    assert "plates < 100 px wide" in result.output
    assert sorted(Path(s["path"]).name for s in report["skipped"]) == ["d.png", "e.png"]
    assert "66.7% (2/3)" in result.output and "50.0% (1/2)" in result.output

    boxes_only, report = _eval_detect(frames / "boxes.tsv", tmp_path / "report.json", "--boxes-only")
    assert report["read_right_rate"] is None and "--boxes-only" in boxes_only.output


def test_eval_counts_found_and_false_plates_at_each_threshold(tmp_path: Path) -> None:
    from platocr.tools.detect_eval import evaluate_detection

    folder = tmp_path / "frames"
    (folder / "images").mkdir(parents=True)
    image = np.zeros((240, 320, 3), np.uint8)
    image[10:30, 10:110] = 230  # a plate the stand-in scores 0.90
    image[100:120, 200:280] = 150  # a plate it scores 0.59
    image[180:200, 40:120] = 200  # no plate, scored 0.78
    cv2.imwrite(str(folder / "images/a.png"), image)
    (folder / "boxes.tsv").write_text(
        "filename\ttext\tx\ty\twidth\theight\tregion\n"
        "images/a.png\tA\t10\t10\t100\t20\teu\nimages/a.png\tB\t200\t100\t80\t20\teu\n",
        encoding="utf-8",
    )
    report = evaluate_detection(bright_boxes, folder, threshold=0.8, sweep=(0.5, 0.8, 0.95), progress=False)
    assert (report.found, report.false_plates) == (1, 0)  # only the 0.90 plate scores >= 0.8
    counts = [(c.threshold, c.plates, c.found, c.false_plates) for c in report.by_threshold]
    assert counts == [(0.5, 2, 2, 1), (0.8, 2, 1, 0), (0.95, 2, 0, 0)]
    assert report.as_dict()["by_threshold"][0] == {
        "threshold": 0.5,
        "min_iou": 0.5,
        "frames": 1,
        "plates": 2,
        "found": 2,
        "false_plates": 1,
    }


def test_eval_thresholds_option_runs_the_shipped_detector_once(tmp_path: Path) -> None:
    scenes = write_scenes(tmp_path / "scenes", 2, seed=4)
    result, report = _eval_detect(scenes, tmp_path / "report.json", "--boxes-only", "--thresholds")
    assert "by detector threshold" in result.output and "(run at 0.2)" in result.output
    assert [c["threshold"] for c in report["by_threshold"]][:2] == [0.2, 0.25] and len(
        report["by_threshold"]
    ) == 11
    used = next(c for c in report["by_threshold"] if c["threshold"] == report["threshold"])
    assert (used["found"], used["false_plates"]) == (report["found"], report["false_plates"])


def test_eval_a_detection_of_a_plate_not_judged_counts_neither_way(frames: Path, tmp_path: Path) -> None:
    # a.png's third blob is a plate cut by the frame's edge (region ignore): found, but not judged
    with (frames / "boxes.tsv").open("a", encoding="utf-8") as handle:
        handle.write("images/a.png\tE111EE11\t100\t180\t50\t20\tignore\n")
    result, report = _eval_detect(frames, tmp_path / "report.json")
    assert (report["plates"], report["detections"], report["found"], report["false_plates"]) == (3, 3, 2, 1)
    assert report["ignored_detections"] == 1 and "ignore" not in report["by_region"]
    assert "not judged" in result.output


def test_eval_detect_plate_bad_input_is_one_line(frames: Path, tmp_path: Path) -> None:
    for args, needle in (
        ([str(tmp_path / "nowhere"), "--detect", "plate"], "not found"),
        ([str(frames), "--boxes-only"], "--boxes-only needs --detect plate"),
        ([str(frames), "--detect", "car"], "only plate"),
        ([str(frames), "--expect-plate"], "--expect-plate needs --detect plate"),
        (
            [str(frames), "--detect", "plate", "--expect-plate", "--thresholds"],
            "does not go with --expect-plate",
        ),
        ([str(frames), "--detect", "plate", "--json", str(frames / "images/a.png/x.json")], "--json"),
    ):
        result = CliRunner().invoke(app, ["eval", "plates-ru", *args])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and needle in lines[0], result.output


def test_detect_threshold_reaches_the_detector(
    frames: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[object] = []
    monkeypatch.setattr(
        "platocr.detection.PlateDetector.load",
        lambda *a, **kw: asked.append(kw.get("threshold")) or bright_boxes,
    )
    image = str(frames / "images/a.png")
    for args in (
        ["eval", "plates-ru", str(frames)],
        ["read", "plates-ru", image, "--out", str(tmp_path / "o.tsv")],
    ):
        result = CliRunner().invoke(
            app, [*args, "--detect", "plate", "--detect-threshold", "0.3", "--no-progress"]
        )
        assert result.exit_code == 0, result.output
    assert asked == [0.3, 0.3]
    bad = CliRunner().invoke(
        app, ["read", "plates-ru", image, "--detect", "plate", "--detect-threshold", "1.5"]
    )
    assert bad.exit_code == 2 and "--detect-threshold" in bad.output


def test_read_detect_plate_rows(frames: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("platocr.detection.PlateDetector.load", lambda *args, **kwargs: bright_boxes)
    images = frames / "images"
    out = tmp_path / "plates.tsv"
    args = ["read", "plates-ru", str(images / "a.png"), str(images / "c.png"), str(images / "e.png")]
    result = CliRunner().invoke(app, [*args, "--detect", "plate", "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert rows[0] == ["path", "x", "y", "w", "h", "text", "confidence", "score"]
    assert [row[1:5] for row in rows[1:4]] == [["10", "10", "100", "20"], ["220", "100", "80", "20"],
                                               ["100", "180", "60", "20"]]  # fmt: skip
    assert all(row[5:7] == [PLATE, "0.9000"] for row in rows[1:4])
    assert rows[4] == [str(images / "c.png"), "", "", "", "", "", "", ""]  # no plate: one empty row
    assert (
        "e.png: cannot decode" in result.output
        and "found 3 plates in 2 photos (1 without a plate)" in result.output
    )

    jsonl = tmp_path / "plates.jsonl"
    result = CliRunner().invoke(
        app, [*args[:3], str(images / "c.png"), "--detect", "plate", "--out", str(jsonl)]
    )
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert records[0]["box"] == [10, 10, 100, 20] and records[-1] == {
        "path": str(images / "c.png"), "box": None, "text": "", "confidence": None, "score": None,
    }  # fmt: skip
    one = CliRunner().invoke(app, ["read", "plates-ru", str(images / "c.png"), "--detect", "plate"])
    assert one.exit_code == 0 and "found 0 plates in 1 photo (1 without a plate)" in one.output
    bars = CliRunner().invoke(app, [*args, "--detect", "plate", "--bars"])
    assert bars.exit_code == 2 and "does not go with --detect plate" in bars.output


def test_overlay_labels() -> None:
    from platocr.video.draw import overlay_label

    assert overlay_label(Prediction(PLATE, 0.97)) == f"{PLATE} 0.97"  # a plain read names no source
    assert overlay_label(Prediction(PLATE, 0.97), track=3) == f"#3 {PLATE} 0.97"
    both = Prediction("4006381333931", 0.98, source="both", digits="4006381333931", bars="4006381333931")
    assert overlay_label(both) == "4006381333931 0.98 both"


def shipped_detector() -> Path:
    from platocr.recognition.zoo import MODELS_DIR

    return MODELS_DIR / "plate-detector.onnx"


@pytest.mark.timeout(60)
@pytest.mark.skipif(not shipped_detector().is_file(), reason="the plate detector is not shipped in this tree")
def test_shipped_detector_and_reader_follow_a_plate(tmp_path: Path) -> None:
    """The shipped detector and plates-ru end to end on a rendered street frame (a seed whose plate they
    read, so this checks the wiring, not the accuracy: eval --detect plate measures that): read
    --detect's row of the plate, then a clip of the frame panning gives the plate one track, all along."""
    from platocr.detection import PlateDetector, box_iou
    from platocr.recognition.predictor import Predictor
    from platocr.synth.plate_frames import render_scene
    from platocr.tools.read_plates import read_plates

    scene = render_scene(np.random.default_rng(SCENE_SEED), (640, 360), foreign=0.0)
    (truth,) = scene.plates
    detector, reader = PlateDetector.load(), Predictor.load("plates-ru")
    photo = tmp_path / "street.png"
    cv2.imwrite(str(photo), scene.image)
    rows = read_plates(reader, detector, [str(photo)], progress=False).rows
    assert [row.text for row in rows if row.box and box_iou(row.box, truth.box) >= 0.5] == [truth.text]

    clip = tmp_path / "pan.mp4"
    writer = open_writer(clip, 25.0, (640, 360), "mp4v")
    for i in range(8):
        writer.write(np.roll(scene.image, 4 * i, axis=1))  # the camera pans: the plate moves 4 px a frame
    writer.close()
    stats = run_video(str(clip), tmp_path / "out.mp4", reader.predict, detect="plate", detector=detector,
                      mode="sequential", codec="mp4v")  # fmt: skip
    assert (truth.text, 0, 7) in [(t.text, t.first_frame, t.last_frame) for t in stats.tracks or []]

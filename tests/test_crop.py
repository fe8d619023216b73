"""platocr crop: barcode photos -> crops/ + labels.tsv, faulty rows skipped and listed, reruns reuse work."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.crop import CropSkipError, crop_dataset
from platocr.data.crop_annotations import read_annotations
from platocr.errors import PlatocrError

runner = CliRunner()
HEADER = "filename\tcode\tx_from\ty_from\twidth\theight\n"


def make_photo(path: Path, width: int = 120, height: int = 80) -> Path:
    """A grey photo with a white/black vertical strip at x 80..100, y 10..70 (white on top)."""
    image = np.full((height, width, 3), 128, np.uint8)
    image[10:40, 80:100] = 255
    image[40:70, 80:100] = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image)
    return path


def make_dataset(root: Path, rows: list[str], photos: tuple[str, ...] = ("p1.jpg",)) -> Path:
    """root/images/<photos> + root/annotations.tsv with the given data lines (after the header)."""
    for name in photos:
        make_photo(root / "images" / name)
    (root / "annotations.tsv").write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return root


def read_labels(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_happy_path_sizes_labels_and_rotation(tmp_path: Path) -> None:
    data = make_dataset(
        tmp_path / "data",
        ["images/p1.jpg\t0012345678905\t10\t20\t50\t20", "images/p1.jpg\t96385074\t80\t10\t20\t60"],
    )
    report = crop_dataset(data, tmp_path / "out", workers=1, show_progress=False)
    assert (report.photos, report.rows_in, report.written, report.reused, report.skipped) == (1, 2, 2, 0, [])

    rows = read_labels(tmp_path / "out" / "labels.tsv")
    assert list(rows[0]) == ["path", "text", "source"]
    assert [(r["path"], r["text"], r["source"]) for r in rows] == [
        ("crops/p1_2.jpg", "0012345678905", "images/p1.jpg"),
        ("crops/p1_3.jpg", "96385074", "images/p1.jpg"),
    ]
    horizontal = cv2.imread(str(tmp_path / "out" / rows[0]["path"]))
    assert horizontal.shape == (20, 50, 3)
    vertical = cv2.imread(str(tmp_path / "out" / rows[1]["path"]), cv2.IMREAD_GRAYSCALE)
    assert vertical.shape == (20, 60)  # 20 wide x 60 tall box, turned to horizontal
    # ROTATE_90_CLOCKWISE moves the box's white top to the right-hand side.
    assert vertical[:, 40:].mean() > 200 and vertical[:, :20].mean() < 50


def test_pad_is_a_fraction_of_the_text_height_and_clips_at_the_border(tmp_path: Path) -> None:
    data = make_dataset(
        tmp_path / "data", ["images/p1.jpg\t1\t20\t30\t40\t20", "images/p1.jpg\t2\t80\t10\t20\t68"]
    )
    report = crop_dataset(data, tmp_path / "out", pad=0.25, workers=1, show_progress=False)
    assert report.clipped == 0  # padding that meets the border is not an annotation fault
    shapes = [
        cv2.imread(str(tmp_path / "out" / "crops" / name)).shape[:2] for name in ("p1_2.jpg", "p1_3.jpg")
    ]
    assert shapes[0] == (30, 50)  # 5 px (0.25 x 20) on every side
    assert shapes[1] == (30, 75)  # vertical: 5 px (0.25 x width 20), y 5..83 clipped to 5..80, rotated


def test_rerun_reuses_fresh_crops_and_redoes_stale_ones(tmp_path: Path) -> None:
    data = make_dataset(
        tmp_path / "data",
        ["p1.jpg\t1\t10\t10\t40\t20", "p2.jpg\t2\t10\t10\t40\t20"],
        photos=("p1.jpg", "p2.jpg"),
    )
    out = tmp_path / "out"
    crop_dataset(data, out, workers=1, show_progress=False)
    again = crop_dataset(data, out, workers=1, show_progress=False)
    assert (again.written, again.reused) == (0, 2)
    assert len(read_labels(out / "labels.tsv")) == 2  # reused crops are still listed

    later = os.stat(out / "crops" / "p2_3.jpg").st_mtime_ns + 10**9
    os.utime(data / "images" / "p2.jpg", ns=(later, later))  # the photo changed after its crop
    third = crop_dataset(data, out, workers=1, show_progress=False)
    assert (third.written, third.reused) == (1, 1)

    padded = crop_dataset(data, out, pad=0.1, workers=1, show_progress=False)
    assert (padded.written, padded.reused) == (2, 0)  # other settings: nothing reusable


def test_cli_reports_reused_on_rerun(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data", ["images/p1.jpg\t1\t10\t10\t40\t20"])
    args = ["crop", str(data), str(tmp_path / "out"), "--workers", "1"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "0 written, 1 reused, 0 skipped" in result.stdout
    assert "photos/s" in result.stdout


def test_box_partly_outside_is_clipped_and_kept(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data", ["images/p1.jpg\t1\t100\t-10\t40\t30"])
    report = crop_dataset(data, tmp_path / "out", workers=1, show_progress=False)
    assert (report.written, report.clipped, report.skipped) == (1, 1, [])
    assert cv2.imread(str(tmp_path / "out" / "crops" / "p1_2.jpg")).shape[:2] == (20, 20)
    assert (
        crop_dataset(data, tmp_path / "out", workers=1, show_progress=False).clipped == 1
    )  # also when reused


BAD_ROWS = {
    "missing image": ("images/gone.jpg\t1\t10\t10\t40\t20", "image not found"),
    "corrupt image": ("images/corrupt.jpg\t1\t10\t10\t40\t20", "unreadable image"),
    "box fully outside": ("images/p1.jpg\t1\t500\t10\t40\t20", "entirely outside"),
    "zero-area box": ("images/p1.jpg\t1\t10\t10\t0\t20", "zero-area box"),
    "negative box": ("images/p1.jpg\t1\t10\t10\t40\t-5", "negative box size"),
    "non-digit code": ("images/p1.jpg\t12A4\t10\t10\t40\t20", "non-digit code '12A4'"),
    "empty code": ("images/p1.jpg\t\t10\t10\t40\t20", "empty code"),
    "non-integer number": ("images/p1.jpg\t1\t10.5\t10\t40\t20", "non-integer x_from '10.5'"),
    "wrong column count": ("images/p1.jpg\t1\t10\t10", "expected 6 columns"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_bad_row_is_skipped_counted_and_listed(tmp_path: Path, case: str) -> None:
    bad_row, reason = BAD_ROWS[case]
    data = make_dataset(tmp_path / "data", ["images/p1.jpg\t7\t10\t10\t40\t20", bad_row])
    (data / "images" / "corrupt.jpg").write_bytes(b"\xff\xd8 not really a jpeg" * 10)

    result = runner.invoke(app, ["crop", str(data), str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "1 written, 0 reused, 1 skipped" in result.stdout
    filename = bad_row.split("\t")[0]
    assert re.search(rf"{re.escape(filename)}\s*│\s*3\s*│", result.stdout), result.stdout  # file and line
    assert reason in " ".join(result.stdout.split())  # the table may wrap long reasons
    assert [row["text"] for row in read_labels(tmp_path / "out" / "labels.tsv")] == ["7"]

    strict = runner.invoke(app, ["crop", str(data), str(tmp_path / "strict"), "--workers", "1", "--strict"])
    assert strict.exit_code == 2
    error = strict.stderr.strip().splitlines()[-1]
    assert error.startswith("error: 1 of 2 rows skipped") and "line 3" in error and reason in error
    assert not (tmp_path / "strict" / "labels.tsv").exists()


def test_every_row_skipped_is_an_error_without_labels(tmp_path: Path) -> None:
    data = make_dataset(
        tmp_path / "data", ["images/gone.jpg\t1\t10\t10\t40\t20", "images/p1.jpg\tx\t1\t1\t5\t5"]
    )
    with pytest.raises(CropSkipError, match="2 of 2 rows skipped") as caught:
        crop_dataset(data, tmp_path / "out", workers=1, show_progress=False)
    report = caught.value.report
    assert report.rows_in == report.written + report.reused + len(report.skipped) == 2
    assert not (tmp_path / "out" / "labels.tsv").exists()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no data dir", "data folder not found"),
        ("no annotations", "no annotations.tsv"),
        ("header only", "no annotation rows"),
    ],
)
def test_unusable_input_is_one_line_exit_2(tmp_path: Path, setup: str, message: str) -> None:
    data = tmp_path / "data"
    if setup != "no data dir":
        make_photo(data / "images" / "p1.jpg")
    if setup == "header only":
        (data / "annotations.tsv").write_text(HEADER, encoding="utf-8")
    result = runner.invoke(app, ["crop", str(data), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and message in result.stderr


def test_lenient_annotations_bom_crlf_whitespace_no_header(tmp_path: Path) -> None:
    path = tmp_path / "annotations.tsv"
    path.write_bytes(
        "\ufeffimages/a b.jpg 0042 1 2 30 10\r\nimages/c.jpg\t007\t3.0\t4\t30\t10\t\r\n\r\n".encode()
    )
    annotations, skipped = read_annotations(path)
    assert skipped == []
    assert [(a.line, a.filename, a.code, a.box) for a in annotations] == [
        (1, "images/a b.jpg", "0042", (1, 2, 30, 10)),
        (2, "images/c.jpg", "007", (3, 4, 30, 10)),
    ]
    path.write_text("file\tcode\tx\ty\tw\th\n", encoding="utf-8")
    with pytest.raises(PlatocrError, match=r"annotations.tsv:1: header must be"):
        read_annotations(path)


def test_two_workers_give_the_same_labels(tmp_path: Path) -> None:
    photos = tuple(f"p{i:02d}.jpg" for i in range(10))  # more than one chunk of the process pool
    rows = [f"images/{name}\t{i}\t10\t10\t40\t20" for i, name in enumerate(photos)]
    data = make_dataset(tmp_path / "data", rows, photos=photos)
    report = crop_dataset(data, tmp_path / "out", workers=2, show_progress=False)
    assert (report.photos, report.written) == (10, 10)
    labels = read_labels(tmp_path / "out" / "labels.tsv")
    assert [row["text"] for row in labels] == [str(i) for i in range(10)]
    assert all((tmp_path / "out" / row["path"]).is_file() for row in labels)

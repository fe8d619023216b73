"""platocr read: inputs (files, folders, globs, label files, stdin), outputs, skips, and eval's reads."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.recognition.zoo import MODELS_DIR

runner = CliRunner()
PLATES_ONNX = MODELS_DIR / "plates-ru.onnx"


@pytest.fixture(scope="module")
def plates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``labels.tsv`` of 20 synthetic plate crops (2 of them negatives) in ``crops/``."""
    from platocr.synth.plates import generate_plate_dataset

    out = tmp_path_factory.mktemp("plates")
    generate_plate_dataset(out, count=20, seed=3, negatives=0.1, workers=1, show_progress=False)
    return out / "labels.tsv"


def read(*args: str, stdin: str | None = None) -> tuple[int, list[list[str]], str]:
    """(exit code, TSV rows of stdout without the header, stderr) of ``platocr read ... --no-progress``."""
    result = runner.invoke(app, ["read", *args, "--no-progress"], input=stdin)
    rows = list(csv.reader(io.StringIO(result.stdout), delimiter="\t"))
    if result.stdout:
        assert rows[0] == ["path", "text", "confidence"], result.output
    return result.exit_code, rows[1:], result.stderr


def test_read_gives_evals_predictions(plates: Path) -> None:
    from platocr.tools.evaluate import evaluate

    code, rows, err = read("plates-ru", str(plates), "--backend", "torch")
    assert code == 0, err
    report = evaluate("plates-ru", plates, progress=False, backend="torch")
    assert report.backend == "torch on cpu" and len(report.rows) == 20
    expected = {str(row.path): d.text for row, d in zip(report.rows, report.decoded, strict=True)}
    assert {str(Path(path).resolve()): text for path, text, _ in rows} == expected
    assert (
        sum(text == row.text for text, row in zip(expected.values(), report.rows, strict=True)) >= 15
    )  # it reads plates
    # paths as found from the label file as given, confidences with 4 decimals
    assert rows[0][0] == str(plates.parent / "crops" / "000001.jpg")
    assert all(len(conf.split(".")[1]) == 4 for _, _, conf in rows)
    assert "read 20 images, skipped 0" in err and "crops/s" in err
    # an exported .onnx reads the same
    code, onnx_rows, err = read(str(PLATES_ONNX), str(plates))
    assert code == 0 and "onnx on cpu" in err
    assert [text for _, text, _ in onnx_rows] == [text for _, text, _ in rows]


def test_folders_recursive_globs_and_stdin(plates: Path, tmp_path: Path) -> None:
    crops = sorted((plates.parent / "crops").glob("*.jpg"))
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a").mkdir()
    shutil.copy(crops[0], tmp_path / "b" / "deep" / "x.JPG")  # extensions in any case
    shutil.copy(crops[1], tmp_path / "a" / "y.png")
    shutil.copy(crops[2], tmp_path / "b" / "z.jpeg")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    code, rows, err = read(str(PLATES_ONNX), str(tmp_path))
    assert code == 0, err
    found = [
        str(tmp_path / "a" / "y.png"),
        str(tmp_path / "b" / "deep" / "x.JPG"),
        str(tmp_path / "b" / "z.jpeg"),
    ]
    assert [path for path, _, _ in rows] == found
    code, rows, _ = read(str(PLATES_ONNX), str(tmp_path / "b" / "**" / "*.*"))  # a quoted glob
    assert code == 0 and [path for path, _, _ in rows] == found[1:]
    code, rows, _ = read(str(PLATES_ONNX), "-", stdin=f"{found[2]}\n\n{tmp_path / 'a'}\n")
    assert code == 0 and [path for path, _, _ in rows] == [found[2], found[0]]
    code, _, err = read(str(PLATES_ONNX), "-", stdin=f"{tmp_path / 'nope.jpg'}\n")
    assert code == 2 and "input not found" in err and "stdin line 1" in err


@pytest.mark.parametrize("suffix", [".tsv", ".csv", ".jsonl"])
def test_out_formats(plates: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / "sub" / f"reads{suffix}"
    code, rows, err = read(str(PLATES_ONNX), str(plates.parent / "crops"), "--out", str(out), "-b", "7")
    assert code == 0 and rows == [] and f"wrote {out}" in err
    text = out.read_text(encoding="utf-8")
    if suffix == ".jsonl":
        records = [json.loads(line) for line in text.splitlines()]
        assert set(records[0]) == {"path", "text", "confidence"} and len(records) == 20
    else:
        table = list(csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ","))
        assert table[0] == ["path", "text", "confidence"] and len(table) == 21


def test_min_confidence_writes_no_read_and_keeps_the_confidence(plates: Path) -> None:
    _, plain, _ = read(str(PLATES_ONNX), str(plates))
    code, floored, err = read(str(PLATES_ONNX), str(plates), "--min-confidence", "1")
    assert code == 0 and all(text == "" for _, text, _ in floored)
    assert [conf for *_, conf in floored] == [conf for *_, conf in plain]
    dropped = sum(bool(text) for _, text, _ in plain)
    assert f"{dropped} under --min-confidence written as no read" in err


def test_unreadable_images_are_skipped_and_listed(plates: Path, tmp_path: Path) -> None:
    shutil.copy(plates.parent / "crops" / "000001.jpg", tmp_path / "good.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    code, rows, err = read(str(PLATES_ONNX), str(tmp_path))
    assert code == 0 and [path for path, _, _ in rows] == [str(tmp_path / "good.jpg")]
    assert "skipped 1 unreadable images:" in err and f"{tmp_path / 'broken.jpg'}: cannot decode" in err
    assert "Traceback" not in err
    code, rows, err = read(str(PLATES_ONNX), str(tmp_path / "broken.jpg"))
    assert code == 2 and rows == [] and "error: no image could be read" in err


def test_bad_input_is_one_line_exit_2(plates: Path, tmp_path: Path) -> None:
    (tmp_path / "folder.tsv").mkdir()
    # --out is checked first: the model and the input are not even looked at
    for out, message in [(tmp_path / "folder.tsv", "is a folder"), (tmp_path / "r.txt", "must end in")]:
        code, _, err = read("nosuch.pt", str(tmp_path / "missing"), "--out", str(out))
        assert code == 2 and message in err and err.count("\n") == 1 and err.startswith("error: --out")
    code, _, err = read(str(PLATES_ONNX), str(tmp_path / "missing.jpg"))
    assert code == 2 and err == f"error: input not found: {tmp_path / 'missing.jpg'}\n"
    code, _, err = read(str(PLATES_ONNX), str(tmp_path / "*.png"))
    assert code == 2 and "no file matches" in err
    (tmp_path / "empty").mkdir()
    code, _, err = read(str(PLATES_ONNX), str(tmp_path / "empty"))
    assert code == 2 and "no images found" in err
    code, _, err = read(str(PLATES_ONNX), "-", stdin="")
    assert code == 2 and "no images found in standard input (-)" in err

"""platocr gallery: PNG grid and self-contained HTML, errors first."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
from typer.testing import CliRunner

from platocr.cli import app
from platocr.data.labels import LabelRow
from platocr.recognition.prediction import Prediction
from platocr.tools.gallery import order_items

runner = CliRunner()


def test_gallery_png_and_html(trained_run: Path, tiny_dataset: tuple[Path, Path], tmp_path: Path) -> None:
    png, page = tmp_path / "g.png", tmp_path / "g.html"
    for out in (png, page):
        result = runner.invoke(
            app,
            [
                "gallery",
                str(trained_run / "best.pt"),
                str(tiny_dataset[1]),
                "--out",
                str(out),
                "--limit",
                "6",
            ],
        )
        assert result.exit_code == 0, result.output
        assert "6 of 10 crops" in result.output
    image = cv2.imread(str(png))
    # cells large enough to read barcode digits
    assert image is not None and image.shape[0] > 150 and image.shape[1] >= 4 * 360
    text = page.read_text(encoding="utf-8")
    assert len(re.findall(r'src="data:image/jpeg;base64,[A-Za-z0-9+/=]{100,}"', text)) == 6
    assert "<html" in text and "</html>" in text


def test_gallery_refuses_other_extensions(
    trained_run: Path, tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["gallery", str(trained_run / "best.pt"), str(tiny_dataset[1]), "--out", str(tmp_path / "g.gif")]
    )
    assert result.exit_code == 2 and "must end in .png or .html" in result.output


def test_errors_first_then_lowest_confidence(tmp_path: Path) -> None:
    rows = [LabelRow(tmp_path / f"{i}.png", text) for i, text in enumerate(["A1", "B2", "C3", "D4"])]
    decoded = [
        Prediction("A1", 0.9, (0.9, 1.0)),
        Prediction("B7", 0.8, (0.8, 1.0)),
        Prediction("C3", 0.5, (0.5, 1.0)),
        Prediction("D", 0.95, (0.95,)),
    ]
    order = [item.row.text for item in order_items(rows, decoded)]
    assert order == ["B2", "D4", "C3", "A1"]


def test_gallery_uses_the_checkpoints_decoder_like_eval(
    trained_run: Path, tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    from platocr.recognition.checkpoint import load_checkpoint
    from platocr.tools.evaluate import evaluate
    from platocr.tools.gallery import make_gallery

    configured = load_checkpoint(trained_run / "best.pt", "cpu").config.decode
    for decode in (None, "beam"):
        result = make_gallery(
            trained_run / "best.pt", tiny_dataset[1], tmp_path / "g.png", decode=decode, progress=False
        )
        report = evaluate(trained_run / "best.pt", tiny_dataset[1], decode=decode, progress=False)
        assert result.decode == (decode or configured) == report.decode
        wrong = sum(row.text != d.text for row, d in zip(report.rows, report.decoded, strict=True))
        assert result.errors == wrong


def test_gallery_refuses_an_unknown_decoder(
    trained_run: Path, tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    args = ["gallery", str(trained_run / "best.pt"), str(tiny_dataset[1]), "--out", str(tmp_path / "g.png")]
    result = runner.invoke(app, [*args, "--decode", "nosuch"])
    assert result.exit_code == 2 and "nosuch" in result.output


def test_gallery_html_shows_readable_crops_that_enlarge(
    tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    from platocr.recognition.zoo import MODELS_DIR

    page = tmp_path / "g.html"
    args = [
        "gallery",
        str(MODELS_DIR / "plates-ru.onnx"),
        str(tiny_dataset[1]),
        "--out",
        str(page),
        "--no-progress",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert "max-width: 360px" in text and 'id="zoom"' in text and "<script>" in text
    assert "80x24 px" in text  # the crop's own size: inlined at full resolution
    assert "http" not in text.replace("http-equiv", "")  # self-contained


def test_gallery_out_is_checked_before_the_work(tmp_path: Path) -> None:
    (tmp_path / "taken.html").mkdir()
    result = runner.invoke(
        app, ["gallery", "nosuch.pt", str(tmp_path / "none.tsv"), "--out", str(tmp_path / "taken.html")]
    )
    assert (
        result.exit_code == 2 and result.output.startswith("error: --out") and "is a folder" in result.output
    )

"""``--bars`` in read, eval and video: sources, conflicts, report fields, and the missing extra."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from platocr.cli import app
from platocr.errors import PlatocrError
from platocr.recognition import bars
from platocr.recognition.bars import BARS_CONFIDENCE, BARS_MISSING
from platocr.recognition.bars_reader import read_bars, require_bars, with_bars
from platocr.recognition.prediction import Prediction
from platocr.synth.barcode_render import render_label
from platocr.tools.bars_report import count_sources, score_reads
from platocr.video.smoothing import vote

runner = CliRunner()
EAN13, EAN13_OTHER, UPCA, EAN8 = "4006381333931", "5901234123457", "036000291452", "96385074"


def rendered(code: str, symbology: str, seed: int = 0, *, spoil: str = "", module: int = 3) -> np.ndarray:
    """A BGR crop of a rendered label; ``spoil``: ``bars`` (a white stain across their middle),
    ``digits`` (the digit row cut off) or another code (its digits under these bars)."""
    label = render_label(code, symbology, np.random.default_rng(seed), module)
    ink = label.ink.copy()
    top = int(min(box[1] for box in label.digit_boxes))  # where the digit row starts
    width = ink.shape[1]
    if spoil == "bars":
        ink[:top, width * 2 // 5 : width * 3 // 5] = 0
    elif spoil == "digits":
        ink[top - 2 :, :] = 0
    elif spoil:
        ink[top:] = render_label(spoil, symbology, np.random.default_rng(seed), module).ink[top:]
    grey = np.pad(255 - ink, 12, constant_values=255)
    return np.repeat(grey[:, :, None], 3, axis=2)


# (name, label, crop): one per source, a UPC-A and a conflict (bars EAN13, digits EAN13_OTHER)
CROPS = [
    ("both", EAN13, dict(code=EAN13, symbology="ean13")),
    ("digits", EAN13_OTHER, dict(code=EAN13_OTHER, symbology="ean13", seed=1, spoil="bars")),
    ("bars", UPCA, dict(code=UPCA, symbology="upca", seed=2, spoil="digits")),
    ("ean8", EAN8, dict(code=EAN8, symbology="ean8", seed=3)),
    ("conflict", EAN13, dict(code=EAN13, symbology="ean13", seed=4, spoil=EAN13_OTHER)),
]


@pytest.fixture(scope="module")
def crops(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``labels.tsv`` of the :data:`CROPS` in ``crops/``."""
    import cv2

    pytest.importorskip("zxingcpp")
    out = tmp_path_factory.mktemp("bars")
    (out / "crops").mkdir()
    lines = ["path\ttext"]
    for name, label, spec in CROPS:
        cv2.imwrite(str(out / "crops" / f"{name}.png"), rendered(**spec))
        lines.append(f"crops/{name}.png\t{label}")
    (out / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out / "labels.tsv"


def test_read_bars_sources_and_conflicts() -> None:
    pytest.importorskip("zxingcpp")
    images = [rendered(**spec) for _, _, spec in CROPS]
    digits = [Prediction(EAN13, 0.6, (0.9,) * 13), Prediction(EAN13_OTHER, 0.9), Prediction("", 0.0),
              Prediction("", 0.0), Prediction(EAN13_OTHER, 0.5)]  # fmt: skip
    reads = read_bars(images, digits)
    assert [(r.text, r.source, r.conflict) for r in reads] == [
        (EAN13, "both", False),
        (EAN13_OTHER, "digits", False),
        (UPCA, "bars", False),
        (EAN8, "bars", False),
        (EAN13, "bars", True),  # the bars (0.95) outweigh digits at 0.5
    ]
    assert reads[0].char_confidences == (0.9,) * 13 and reads[2].char_confidences == ()
    assert (reads[4].digits, reads[4].bars) == (EAN13_OTHER, EAN13)
    assert reads[2].confidence == BARS_CONFIDENCE
    # One read type: the merged reads are Predictions that say the bars were read; the digits' do not.
    assert all(type(r) is Prediction and r.with_bars for r in reads) and not any(d.with_bars for d in digits)
    with pytest.raises(PlatocrError, match="2 crops but 1"):
        read_bars(images[:2], digits[:1])
    recognize = with_bars(lambda batch: [Prediction("", 0.0)] * len(batch))
    assert [r.source for r in recognize(images[:1])] == ["bars"]


def test_counts_scores_and_the_vote_keep_the_source() -> None:
    assert count_sources([(EAN13, "both"), ("", "digits"), (UPCA, "bars")]).line() == (
        "both 1, bars 1, digits 0, no read 1"
    )
    score = score_reads([UPCA, EAN13, EAN8, ""], ["0" + UPCA, EAN13, "", ""])
    assert (score.string_match, score.wrong, score.other_layout, score.no_read) == (0.5, 1, 1, 1)
    history = [
        Prediction(EAN13, 0.9, (), "both", digits=EAN13, bars=EAN13),
        Prediction("1", 0.1),
        Prediction(EAN13, 0.5, (), "bars", digits="", bars=EAN13),
    ]
    voted = vote(history)
    assert voted.with_bars and voted.source == "bars" and voted.confidence == 0.7
    with pytest.raises(PlatocrError, match="not digits only"):
        require_bars("0123456789ABC")


def read_cli(*args: str) -> tuple[int, list[list[str]], str]:
    result = runner.invoke(app, ["read", *args, "--no-progress"])
    return result.exit_code, list(csv.reader(io.StringIO(result.stdout), delimiter="\t")), result.stderr


def test_read_bars_adds_a_source_column(crops: Path, tmp_path: Path) -> None:
    code, rows, err = read_cli("barcodes-ean", str(crops), "--bars")
    assert code == 0, err
    assert rows[0] == ["path", "text", "confidence", "source"]
    got = {Path(path).stem: (text, source) for path, text, _, source in rows[1:]}
    assert got == {
        "both": (EAN13, "both"),
        "digits": (EAN13_OTHER, "digits"),
        "bars": (UPCA, "bars"),
        "ean8": (EAN8, "both"),
        # The printed digits say another code, read weakly (0.04): under barcodes-ean's confidence floor
        # (0.13) that read is no read, so the bars give the code without a conflict (eval, which reads
        # without the floor, still counts the conflict: see below).
        "conflict": (EAN13, "bars"),
    }
    assert "sources: both 2, bars 2, digits 1, no read 0; conflicts 0" in err
    out = tmp_path / "reads.jsonl"
    code, _, err = read_cli("barcodes-ean", str(crops), "--bars", "--out", str(out))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert code == 0 and set(records[0]) == {"path", "text", "confidence", "source", "conflict"}
    assert [r["conflict"] for r in records if Path(r["path"]).stem == "conflict"] == [False]
    code, rows, _ = read_cli("barcodes-ean", str(crops))  # no --bars: the plain columns
    assert code == 0 and rows[0] == ["path", "text", "confidence"] and len(rows[1]) == 3
    code, _, err = read_cli("plates-ru", str(crops), "--bars")
    assert code == 2 and "not digits only" in err


def test_eval_bars_reports_digits_bars_and_combined(crops: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    args = ["eval", "barcodes-ean", str(crops), "--bars", "--backend", "onnx", "--no-progress"]
    result = runner.invoke(app, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "digits (OCR), bars and both combined" in result.output and "combined reads under" in result.output
    report = json.loads(out.read_text())
    figures = report["bars"]
    assert set(figures) == {"digits", "bars", "combined", "sources", "conflicts", "conflicts_right",
                            "floors", "bars_ms_per_crop"}  # fmt: skip
    assert report["string_match"] == figures["digits"]["string_match"]  # the OCR-only figures
    assert figures["digits"] == {"string_match": 0.6, "wrong": 1, "other_layout": 0, "no_read": 1}
    assert figures["bars"] == {"string_match": 0.8, "wrong": 0, "other_layout": 0, "no_read": 1}
    assert figures["combined"] == {"string_match": 1.0, "wrong": 0, "other_layout": 0, "no_read": 0}
    assert figures["sources"] == {"digits": 1, "bars": 2, "both": 2, "no_read": 0}
    assert (figures["conflicts"], figures["conflicts_right"]) == (1, 1)
    assert figures["floors"][0] == {"floor": 0.0, "string_match": 1.0, "wrong": 0, "no_read": 0}
    plain = runner.invoke(app, [*args[:3], "--backend", "onnx", "--no-progress", "--json", str(out)])
    assert plain.exit_code == 0 and "bars" not in json.loads(out.read_text())


@pytest.mark.parametrize("command", ["read", "eval", "video"])
def test_bars_without_the_extra_is_one_line_before_any_work(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bars, "bars_available", lambda: False)
    missing = str(tmp_path / "missing")  # no input at all: the extra is checked first
    args = {"read": ["m", missing], "eval": ["m", missing], "video": [missing, "o.mp4", "--model", "m"]}
    result = runner.invoke(app, [command, *args[command], "--bars"])
    assert result.exit_code == 2
    assert result.output == f"error: {BARS_MISSING}\n"
    assert "pip install 'platocr[barcodes]'" in result.output


def test_without_the_extra_the_plain_read_still_works(crops: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bars, "bars_available", lambda: False)
    monkeypatch.setitem(sys.modules, "zxingcpp", None)  # `import zxingcpp` fails
    code, rows, err = read_cli("barcodes-ean", str(crops))
    assert code == 0 and len(rows) == 1 + len(CROPS), err


@pytest.fixture(scope="module")
def barcode_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[int, int, int, int]]:
    """A 4-frame 480x360 clip with an EAN-13 label at a fixed place; (clip, its x,y,w,h)."""
    from platocr.video.bench import write_synthetic_clip

    patch = rendered(EAN13, "ean13", module=2)
    h, w = patch.shape[:2]

    def paste(index: int, frame: np.ndarray) -> None:
        frame[40 : 40 + h, 20 : 20 + w] = patch

    path = tmp_path_factory.mktemp("clip") / "in.mp4"
    return write_synthetic_clip(path, 4, (480, 360), 10.0, "mp4v", paste), (20, 40, w, h)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("where", ["roi", "detect"])
def test_video_bars_jsonl_says_the_source(
    where: str, barcode_clip: tuple[Path, tuple[int, int, int, int]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pytest.importorskip("zxingcpp")
    clip, roi = barcode_clip
    digits = EAN13 if where == "roi" else ""  # the detector's crops: the digits read nothing

    def recognize(batch: list[np.ndarray]) -> list[Prediction]:
        return [Prediction(digits, 0.5) for _ in batch]

    monkeypatch.setattr(
        "platocr.cli.video.load_recognizer", lambda model, device, backend: (recognize, "cpu")
    )
    jsonl = tmp_path / "o.jsonl"
    region = ["--roi", ",".join(map(str, roi))] if where == "roi" else ["--detect", "barcode"]
    args = ["video", str(clip), str(tmp_path / "o.mp4"), "--model", "m", *region, "--jsonl", str(jsonl)]
    result = runner.invoke(app, [*args, "--bars", "--codec", "mp4v"])
    assert result.exit_code == 0, result.output
    results = [r for line in jsonl.read_text().splitlines() for r in json.loads(line)["results"]]
    assert len(results) == 4
    expected = "both" if where == "roi" else "bars"
    assert all((r["text"], r["source"], r["conflict"]) == (EAN13, expected, False) for r in results)
    result = runner.invoke(app, [*args, "--codec", "mp4v"])  # without --bars: no source
    assert result.exit_code == 0 and all(
        "source" not in r for r in json.loads(jsonl.read_text().splitlines()[0])["results"]
    )

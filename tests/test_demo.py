"""`platocr demo` runs the whole tour on a tiny set and reports what it wrote and measured."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from platocr.cli import app
from platocr.tools.demo import prepare_out

# Two training steps of four crops: the tour runs in seconds, the code paths are the real ones.
TINY = ["--photos", "20", "--steps", "2", "--video-seconds", "0.4", "--set", "train.steps_per_epoch=1",
        "--set", "train.batch_size=4", "--device", "cpu"]  # fmt: skip


def test_demo_tour_writes_every_artefact_and_figure(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    for name in ("photos/annotations.tsv", "photos_preview.png", "crops/labels.tsv", "split/train.tsv",
                 "split/val.tsv", "split/test.tsv", "probe.yaml", "train/best.pt", "train/curves.png",
                 "eval.json", "gallery.html", "read.tsv", "video/clip.mp4", "video/out.mp4", "video/results.jsonl"):  # fmt: skip
        assert (out / name).is_file(), name
    text = result.output
    assert "photos on two sides: 0" in text
    assert "max text length 13" in text  # the probe measured EAN-13 labels, and training kept them
    assert "Fine-tune barcodes-ean" in text  # the probe's config starts from the shipped model
    assert re.search(r"from barcodes-ean \(platocr_vgg_t, 64x\d+\): 2 steps \(step budget\)", text)
    assert re.search(r"epoch \d by string_match: StringMatch [\d.]+, CER [\d.]+", text)
    evaluated = json.loads((out / "eval.json").read_text())
    assert f"StringMatch {evaluated['string_match']:.3f}" in text
    assert "barcodes-ean as shipped: StringMatch" in text
    reads = (out / "read.tsv").read_text().splitlines()
    assert reads[0] == "path\ttext\tconfidence"
    assert f"the same text as eval for {len(reads) - 1} of {len(reads) - 1}" in text
    frames = (out / "video/results.jsonl").read_text().splitlines()
    assert len(frames) == 10  # 0.4 s at 25 fps, one JSON object per frame
    assert re.search(rf"{len(frames)} frames 640x360 annotated at [\d.]+ fps \((onnx|torch)/cpu", text)
    assert re.search(rf"frames read right \d+/{len(frames)}", text)

    (out / "notes.txt").write_text("the user's")
    prepare_out(out)  # a second demo into the same folder clears exactly the demo's outputs
    assert sorted(p.name for p in out.iterdir()) == [".platocr-demo", "notes.txt"]


def test_demo_refuses_a_file_as_out(tmp_path: Path) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("not a folder")
    result = CliRunner().invoke(app, ["demo", "--out", str(target), "--photos", "20"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: --out {target}: exists and is not a folder"]


def test_demo_refuses_a_foreign_folder_and_a_missing_config(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty and not an earlier demo" in result.output
    assert (tmp_path / "mine.txt").read_text() == "keep me"

    missing = tmp_path / "nope.yaml"
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "d"), "--config", str(missing)])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: --config {missing}: file not found"

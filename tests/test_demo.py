"""`platocr demo` runs the whole tour on a tiny set and reports what it wrote and measured."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from platocr.cli import app
from platocr.config import Config
from platocr.demo import prepare_out
from platocr.demo_probe import input_overrides
from platocr.probe import Candidate, ProbeReport

# One training step per epoch and an instant budget: the tour runs in seconds, the code paths are the real ones.
TINY = ["--photos", "20", "--minutes", "0", "--video-seconds", "0.4", "--set", "train.steps_per_epoch=1",
        "--set", "train.batch_size=4", "--device", "cpu"]  # fmt: skip


def test_demo_tour_writes_every_artefact_and_figure(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    for name in ("photos/annotations.tsv", "photos_preview.png", "crops/labels.tsv", "split/train.tsv",
                 "split/val.tsv", "split/test.tsv", "probe.yaml", "train/best.pt", "train/curves.png",
                 "eval.json", "gallery.html", "video/clip.mp4", "video/out.mp4", "video/results.jsonl"):  # fmt: skip
        assert (out / name).is_file(), name
    text = result.output
    assert "photos on two sides: 0" in text
    assert "max text length 13" in text  # the probe measured EAN-13 labels, and training kept them
    assert re.search(r"1 epochs \(time budget\)", text)
    assert re.search(r"epoch 1 by string_match: StringMatch [\d.]+, CER [\d.]+", text)
    assert re.search(r"quick\.yaml \(platocr_vgg_t, 64x\d+\)", text)  # trained at the probe's barcode size
    evaluated = json.loads((out / "eval.json").read_text())
    assert f"StringMatch {evaluated['string_match']:.3f}" in text
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


def probe_report(*settings: tuple[int, int | None, int, float]) -> ProbeReport:
    """A 64x192 probe of 13-character labels with (stage, time_stride, native stride, ms) candidates."""
    candidates = [
        Candidate("platocr_vgg_t", stage, stride, native, (64, 1, 192 // (stride or native)),
                  192 // (stride or native), 192 / (stride or native) / 13, 1000, {8: ms})
        for stage, stride, native, ms in settings
    ]  # fmt: skip
    return ProbeReport(Path("train.tsv"), None, 13, (64, 192), "cpu", candidates)


def test_training_input_follows_the_probe_and_keeps_the_configs_stage() -> None:
    cfg = Config()
    model = dataclasses.replace(cfg.model, feature_stage=-1, time_stride=4)
    cfg = dataclasses.replace(cfg, model=model)
    report = probe_report((-2, None, 8, 5.0), (-2, 4, 8, 1.0), (-1, None, 16, 5.0), (-1, 4, 16, 9.0))
    size = ["input.height=64", "input.width=192"]
    assert input_overrides(report, cfg) == size  # T = 192 / 4 = 48 frames for 13 digits: enough
    coarse = dataclasses.replace(cfg, model=dataclasses.replace(model, time_stride=8))  # T = 24 < 2 x 13
    assert input_overrides(report, coarse) == [*size, "model.time_stride=4"]
    other_stage = dataclasses.replace(cfg, model=dataclasses.replace(model, feature_stage=-3))
    assert input_overrides(report, other_stage) == [*size, "model.feature_stage=-2", "model.time_stride=4"]
    assert input_overrides(probe_report((-1, None, 16, 1.0)), coarse) == size  # nothing fits: size only

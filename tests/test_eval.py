"""Metrics on hand-made lists, and platocr eval through the CLI (JSON keys, ranges, bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_tiny_crops
from typer.testing import CliRunner

from platocr.cli import app
from platocr.recognition.metrics import (
    FloorRow,
    LengthAccuracy,
    accuracy_by_length,
    char_errors,
    confidence_floors,
    confusions,
    text_metrics,
)

runner = CliRunner()


@pytest.mark.parametrize(
    ("targets", "predictions", "string_match", "edit_distance", "cer"),
    [
        (["A123BC77"], ["A123BC77"], 1.0, 0.0, 0.0),
        (["A123BC77", "0123"], ["A123BC71", "0123"], 0.5, 0.5, 1 / 12),
        (["ABC", "12"], ["AC", "125"], 0.0, 1.0, 2 / 5),  # one deletion, one insertion
        (["", ""], ["", "7"], 0.5, 0.5, 1.0),  # negatives: no target chars -> divide by 1
        (["1234"], [""], 0.0, 4.0, 1.0),
    ],
)
def test_text_metrics_table(
    targets: list[str], predictions: list[str], string_match: float, edit_distance: float, cer: float
) -> None:
    m = text_metrics(targets, predictions)
    assert m.n == len(targets)
    assert m.string_match == pytest.approx(string_match)
    assert m.edit_distance == pytest.approx(edit_distance)
    assert m.cer == pytest.approx(cer)


def test_confidence_floors_turn_unsure_reads_into_no_reads() -> None:
    targets = ["12", "34", "56", ""]
    reads = [("12", 0.9), ("35", 0.1), ("56", 0.2), ("7", 0.05)]
    rows = {row.floor: row for row in confidence_floors(targets, reads, floors=(0.0, 0.1, 0.3))}
    assert rows[0.0] == FloorRow(floor=0.0, string_match=0.5, wrong=2, no_read=0)
    assert rows[0.1] == FloorRow(floor=0.1, string_match=0.75, wrong=1, no_read=0)  # "7" dropped
    assert rows[0.3] == FloorRow(floor=0.3, string_match=0.5, wrong=0, no_read=2)
    assert rows[0.0].as_dict() == {"floor": 0.0, "string_match": 0.5, "wrong": 2, "no_read": 0}


def test_confusions_and_by_length() -> None:
    conf = confusions(["A123BC77", "B8", "XY"], ["A123BC71", "B", "XYZ"])
    assert conf.substitutions == {("7", "1"): 1}
    assert conf.deletions == {"8": 1}
    assert conf.insertions == {"Z": 1}
    by_length = accuracy_by_length(["AB", "CD", "EFG"], ["AB", "C", "EFG"])
    assert by_length == [
        LengthAccuracy(length=2, n=2, string_match=0.5),
        LengthAccuracy(length=3, n=1, string_match=1.0),
    ]
    assert by_length[0].as_dict() == {"length": 2, "n": 2, "string_match": 0.5}
    assert char_errors("A123", "A1Z3") == ({2}, {2})
    assert char_errors("AB", "") == ({0, 1}, set())


def test_eval_json(trained_run: Path, tiny_dataset: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    result = runner.invoke(
        app, ["eval", str(trained_run / "best.pt"), str(tiny_dataset[1]), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "StringMatch" in result.output and "CER" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n"] == 10
    assert 0.0 <= report["string_match"] <= 1.0
    assert report["edit_distance"] >= 0.0 and report["cer"] >= 0.0 and report["crops_per_s"] > 0
    assert sum(row["n"] for row in report["by_length"]) == 10
    assert set(report["confusions"]) == {"substitutions", "deletions", "insertions"}
    floors = report["confidence_floors"]
    assert floors[0]["floor"] == 0.0 and floors[0]["string_match"] == report["string_match"]
    assert "confidence floor" in result.output


def test_eval_counts_out_of_vocab_targets_as_errors(trained_run: Path, tmp_path: Path) -> None:
    labels = write_tiny_crops(tmp_path / "odd", 2, texts=["A€1"])
    out = tmp_path / "eval.json"
    result = runner.invoke(app, ["eval", str(trained_run / "best.pt"), str(labels), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "outside the model vocab" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["out_of_vocab"] == 2 and report["string_match"] == 0.0 and "€" in report["unknown_chars"]


def test_eval_bad_input_is_one_line_exit_2(trained_run: Path, tmp_path: Path) -> None:
    labels = write_tiny_crops(tmp_path / "d", 2)
    result = runner.invoke(app, ["eval", str(tmp_path / "nope.pt"), str(labels)])
    assert result.exit_code == 2 and "error: checkpoint not found" in result.output
    not_a_checkpoint = tmp_path / "junk.pt"
    not_a_checkpoint.write_bytes(b"not a checkpoint")
    result = runner.invoke(app, ["eval", str(not_a_checkpoint), str(labels)])
    assert result.exit_code == 2 and "not a readable checkpoint" in result.output
    (tmp_path / "d" / "crops" / "0000.png").unlink()
    result = runner.invoke(app, ["eval", str(trained_run / "best.pt"), str(labels)])
    assert result.exit_code == 2 and "image not found" in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1


def test_eval_skips_and_lists_unreadable_images(trained_run: Path, tmp_path: Path) -> None:
    labels = write_tiny_crops(tmp_path / "d", 4)
    broken = tmp_path / "d" / "crops" / "0001.png"
    broken.write_bytes(b"\x89PNG not really")
    out = tmp_path / "eval.json"
    result = runner.invoke(app, ["eval", str(trained_run / "best.pt"), str(labels), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped 1 unreadable images" in result.output and "0001.png" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["n"] == 3 and report["backend"] == "onnx on cpu"  # auto, the default, on a CPU
    assert [skip["path"] for skip in report["skipped"]] == [str(broken)]


def test_eval_json_is_checked_before_the_work(tmp_path: Path) -> None:
    (tmp_path / "taken.json").mkdir()
    result = runner.invoke(
        app, ["eval", "nosuch.pt", str(tmp_path / "none.tsv"), "--json", str(tmp_path / "taken.json")]
    )
    assert (
        result.exit_code == 2 and result.output.startswith("error: --json") and "is a folder" in result.output
    )


def test_eval_reads_an_onnx_model(tiny_dataset: tuple[Path, Path]) -> None:
    from platocr.recognition.zoo import MODELS_DIR
    from platocr.tools.evaluate import evaluate

    report = evaluate(MODELS_DIR / "plates-ru.onnx", tiny_dataset[1], progress=False)
    assert report.backend == "onnx on cpu" and report.metrics.n == 10 and report.decode == "plate-ru"
    assert report.voting is not None and report.voting.voted == 10  # plates-ru: two-crop voting on each crop
    assert "string_match_first_crop" in report.as_dict()["voting"]

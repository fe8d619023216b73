"""Budgets that mean what they say: train.max_steps cuts mid-epoch and reproduces, the learning check."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import torch
from conftest import run_tiny_training
from typer.testing import CliRunner

from platocr.cli import app
from platocr.recognition.checkpoint import read_checkpoint


def _epochs(run: Path) -> list[str]:
    with (run / "metrics.csv").open(encoding="utf-8") as handle:
        return [row["epoch"] for row in csv.DictReader(handle)]


def _flat(result: object) -> str:
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def test_max_steps_cuts_mid_epoch_and_resume_alone_goes_on(
    tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    train, val = tiny_dataset
    out = tmp_path / "run"
    first = run_tiny_training(out, [str(train)], val, "--set", "train.epochs=5", "--set", "train.max_steps=3")
    assert first.exit_code == 0, first.output
    text = _flat(first)
    assert "step budget spent: epoch 2 ends after 1 of 2 steps" in text
    assert "done: 2 epochs (step budget), 3 steps" in text
    assert (out / "best.pt").is_file() and _epochs(out) == ["1", "2"]
    last = read_checkpoint(out / "last.pt")
    assert last["scheduler"]["last_epoch"] == 3 and last["epoch"] == 2
    assert last["metrics"]["lr"] < 1e-6  # the schedule was planned to end at the budget
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["train"] == [f"{train.resolve()}:1"] and record["val"] == str(val.resolve())

    # --resume RUN alone: config, data and device come from the run folder; the budget counts on.
    resumed = CliRunner().invoke(
        app, ["train", "--resume", str(out), "--no-progress", "--set", "train.max_steps=5"]
    )
    assert resumed.exit_code == 0, resumed.output
    assert "done: 3 epochs (step budget), 5 steps" in _flat(resumed)
    assert (
        _epochs(out) == ["1", "2", "3"] and read_checkpoint(out / "last.pt")["scheduler"]["last_epoch"] == 5
    )

    # what is given again must agree with the run
    other = CliRunner().invoke(app, ["train", "--resume", str(out), "--train", str(val), "--no-progress"])
    assert other.exit_code == 2 and "differs from the run's" in other.output, other.output
    elsewhere = CliRunner().invoke(app, ["train", "--resume", str(out), "--out", str(tmp_path / "x")])
    assert elsewhere.exit_code == 2 and "different run folders" in elsewhere.output


def test_same_seed_and_max_steps_give_the_same_weights(
    tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    train, _ = tiny_dataset
    budget = [
        "--set",
        "train.max_steps=2",
        "--set",
        "train.max_minutes=null",
        "--set",
        "train.learning_check=2",
    ]
    weights = []
    for name in ("a", "b"):
        result = run_tiny_training(tmp_path / name, [str(train)], None, *budget)
        assert result.exit_code == 0, result.output
        weights.append(read_checkpoint(tmp_path / name / "last.pt")["model"])
        # without --val the learning check reads a few unaugmented training crops
        assert "still reads almost nothing on 24 training crops (no --val)" in _flat(result)
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_learning_check_warns_when_the_model_still_reads_nothing(
    tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    train, val = tiny_dataset
    steps = ["--set", "train.epochs=2", "--set", "train.steps_per_epoch=1", "--set", "train.learning_check=1"]
    result = run_tiny_training(tmp_path / "run", [str(train)], val, *steps)
    assert result.exit_code == 0, result.output
    text = _flat(result)
    # at the first validation after 1 step, and again when the run ends (after 2)
    assert "warning: after 1 step the model still reads almost nothing on val (StringMatch 0.00, CER" in text
    assert "warning: after 2 steps the model still reads almost nothing on val" in text
    assert "try --init plates-ru or barcodes-ean (fine-tune), more steps (train.max_steps)" in text
    assert text.count("warning:") == 2


def test_a_step_budget_shorter_than_the_learning_check_still_warns_at_the_end(
    tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    train, val = tiny_dataset
    steps = ["--set", "train.max_steps=2", "--set", "train.epochs=5", "--set", "train.steps_per_epoch=1"]
    result = run_tiny_training(tmp_path / "run", [str(train)], val, *steps)
    assert result.exit_code == 0, result.output
    text = _flat(result)
    assert "warning: after 2 steps the model still reads almost nothing on val" in text
    assert text.count("warning:") == 1  # the end of the run only: the first check (600 steps) was never due

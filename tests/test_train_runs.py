"""Runs that go wrong or start elsewhere: Ctrl-C, unreadable images, --init without a CONFIG."""

from __future__ import annotations

import csv
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TINY_RUN, run_tiny_training, write_tiny_crops
from typer.testing import CliRunner

from platocr.cli import app
from platocr.recognition.checkpoint import read_checkpoint
from platocr.recognition.config import load_config
from platocr.train.display import TrainDisplay


def _flat(result: object) -> str:
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def _ctrl_c_at_step(monkeypatch: pytest.MonkeyPatch, step: int, press: Callable[[], None]) -> None:
    """Press Ctrl-C (``press``) once, right after the ``step``-th training step of the run."""
    original = TrainDisplay.epoch_bar
    done = [0]

    def epoch_bar(self: TrainDisplay, *args: object, **kwargs: object) -> tuple:
        on_step, task = original(self, *args, **kwargs)

        def hook(loss: float, rows: int) -> None:
            on_step(loss, rows)
            done[0] += 1
            if done[0] == step:
                press()

        return hook, task

    monkeypatch.setattr(TrainDisplay, "epoch_bar", epoch_bar)


def _sigint() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def _raise() -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("press", [_sigint, _raise], ids=["signal", "exception"])
def test_ctrl_c_saves_last_pt_and_says_how_to_resume(
    tiny_dataset: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    press: Callable[[], None],
) -> None:
    train, val = tiny_dataset
    out = tmp_path / "run"
    _ctrl_c_at_step(monkeypatch, 1, press)
    result = run_tiny_training(out, [str(train)], val, "--set", "train.epochs=2")
    assert result.exit_code == 130, result.output
    assert f"interrupted: resume with: platocr train --resume {out}" in _flat(result)
    assert "Traceback" not in result.output
    last = read_checkpoint(out / "last.pt")
    assert last["scheduler"]["last_epoch"] == 1 and last["epoch"] == 1  # the cut epoch, not validated
    assert last["metrics"]["string_match"] != last["metrics"]["string_match"]  # nan
    assert not (out / "best.pt").exists()
    if press is _raise:
        return
    monkeypatch.undo()
    resumed = CliRunner().invoke(app, ["train", "--resume", str(out), "--no-progress"])
    assert resumed.exit_code == 0, resumed.output
    assert read_checkpoint(out / "last.pt")["scheduler"]["last_epoch"] == 3 and (out / "best.pt").is_file()


def test_unreadable_images_are_skipped_and_reported(tmp_path: Path) -> None:
    train = write_tiny_crops(tmp_path / "train", 8, seed=1)
    (tmp_path / "train" / "crops" / "0002.png").write_bytes(b"not an image")
    val = write_tiny_crops(tmp_path / "val", 3, seed=2)
    (tmp_path / "val" / "crops" / "0000.png").write_bytes(b"")
    out = tmp_path / "run"
    result = run_tiny_training(out, [str(train)], val)
    assert result.exit_code == 0, result.output
    text = _flat(result)
    assert (
        f"skipped 2 unreadable image(s): {train}:4 0002.png (cannot decode); {val}:2 0000.png (empty file)"
        in text
    )
    assert "7 training rows, 2 validation rows" in text
    with (out / "skipped.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [(Path(r["path"]).name, r["labels"], r["line"]) for r in rows] == [
        ("0002.png", str(train), "4"),
        ("0000.png", str(val), "2"),
    ]
    broken = write_tiny_crops(tmp_path / "broken", 2)
    for image in (tmp_path / "broken" / "crops").iterdir():
        image.write_bytes(b"x")
    nothing = run_tiny_training(tmp_path / "run2", [str(broken)], None)
    assert nothing.exit_code == 2 and "none of its images can be read (2 unreadable" in _flat(nothing)


def test_init_alone_starts_from_the_models_own_config(
    tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    train, val = tiny_dataset
    out = tmp_path / "ft"
    args = ["train", "--init", "barcodes-ean", "--out", str(out), "--train", str(train), "--val", str(val)]
    result = CliRunner().invoke(app, [*args, "--vocab", "auto", "--no-progress", *TINY_RUN])
    assert result.exit_code == 0, result.output
    assert "head: blank + 10 of 13 characters carried (0-9), 3 new (ABC)" in _flat(result)
    cfg = load_config(out / "config.yaml")
    assert cfg.input.deskew and cfg.train.init == "barcodes-ean" and cfg.data.vocab == "0123456789ABC"
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["init"] == "barcodes-ean"
    missing = CliRunner().invoke(app, ["train", "--out", str(tmp_path / "x"), "--train", str(train)])
    assert missing.exit_code == 2 and "give a CONFIG" in missing.output
    unwritable = tmp_path / "file"
    unwritable.write_text("", encoding="utf-8")
    refused = run_tiny_training(unwritable / "run", [str(train)], val)
    assert refused.exit_code == 2 and "--out" in refused.output and "not a folder" in refused.output

"""platocr train through the CLI: run folder, checkpoint reload, resume, vocab filtering, bad input."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import QUICK_CONFIG, REPO, TINY_RUN, run_tiny_training, write_tiny_crops

from platocr.recognition.checkpoint import load_checkpoint, read_checkpoint
from platocr.recognition.preprocess import load_image, to_model_input


def metrics_rows(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_train_writes_a_complete_run_folder(trained_run: Path) -> None:
    for name in ("best.pt", "last.pt", "metrics.csv", "curves.png", "config.yaml", "vocab.txt"):
        assert (trained_run / name).is_file(), name
    rows = metrics_rows(trained_run)
    assert [row["epoch"] for row in rows] == ["1"]
    assert set(rows[0]) == {
        "epoch",
        "train_loss",
        "val_loss",
        "string_match",
        "cer",
        "edit_distance",
        "lr",
        "seconds",
        "samples_per_s",
    }
    assert 0.0 <= float(rows[0]["string_match"]) <= 1.0
    assert float(rows[0]["samples_per_s"]) > 0
    # vocab auto = the sorted characters of the training labels, saved in the resolved config too.
    vocab = (trained_run / "vocab.txt").read_text(encoding="utf-8").strip()
    assert vocab == "".join(sorted(vocab)) and set(vocab) <= set("0123456789ABC")
    assert f"vocab: {vocab}" in (trained_run / "config.yaml").read_text(encoding="utf-8").replace("'", "")


def test_checkpoint_alone_is_enough_to_predict(trained_run: Path, tiny_dataset: tuple[Path, Path]) -> None:
    payload = read_checkpoint(trained_run / "last.pt")
    assert payload["format"] == "platocr/1" and payload["epoch"] == 1
    assert {"optimizer", "scheduler", "config", "vocab", "git_rev", "created"} <= set(payload)
    loaded = load_checkpoint(trained_run / "best.pt")
    assert not loaded.model.training
    assert loaded.tokenizer.vocab == (trained_run / "vocab.txt").read_text(encoding="utf-8").strip()
    image = load_image(tiny_dataset[1].parent / "crops" / "0000.png")
    with torch.no_grad():
        batch = torch.from_numpy(to_model_input([image], loaded.config.input, rgb=False))
        first = loaded.model(batch)
        again = load_checkpoint(trained_run / "best.pt").model(batch)
    assert first.shape[0] == 1 and first.shape[2] == loaded.tokenizer.num_classes
    assert torch.allclose(first, again)
    assert len(loaded.tokenizer.decode_greedy(first.numpy())) == 1


def test_resume_continues_the_epoch_count(tiny_dataset: tuple[Path, Path], tmp_path: Path) -> None:
    train, val = tiny_dataset
    out = tmp_path / "run"
    first = run_tiny_training(out, [str(train)], val)
    assert first.exit_code == 0, first.output
    again = run_tiny_training(out, [str(train)], val)
    assert again.exit_code == 2 and "--resume" in again.output  # never overwrite a run silently
    resumed = run_tiny_training(out, [str(train)], val, "--resume", str(out), "--set", "train.epochs=2")
    assert resumed.exit_code == 0, resumed.output
    assert [row["epoch"] for row in metrics_rows(out)] == ["1", "2"]
    assert read_checkpoint(out / "last.pt")["epoch"] == 2


def test_a_spent_time_budget_ends_the_epoch_after_one_step_and_resume_anneals_on_time(
    tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    train, val = tiny_dataset
    out = tmp_path / "run"
    budget = ["--set", "train.epochs=3", "--set", "train.max_minutes=0"]
    cut = run_tiny_training(out, [str(train)], val, *budget)
    assert cut.exit_code == 0, cut.output
    text = " ".join(cut.output.split())
    assert re.search(r"cpu: \d+ torch threads? \(", text)
    assert "epoch 1 ends after 1 of 2 steps" in text and "done: 1 epochs (time budget)" in text
    # one step is too few to learn anything: the run says so instead of handing over a useless model
    assert "warning: the time budget (train.max_minutes 0) allowed only 1 step on this machine" in text
    assert (out / "best.pt").is_file() and [row["epoch"] for row in metrics_rows(out)] == ["1"]
    # quick.yaml's 10-minute budget fits the second epoch: the schedule ends with its 2 steps.
    resumed = run_tiny_training(out, [str(train)], val, "--resume", str(out), "--set", "train.epochs=2")
    assert resumed.exit_code == 0, resumed.output
    rows = metrics_rows(out)
    assert [row["epoch"] for row in rows] == ["1", "2"]
    assert read_checkpoint(out / "last.pt")["scheduler"]["last_epoch"] == 3  # 1 cut step + 2
    assert float(rows[1]["lr"]) < 1e-6  # annealed to lr/1e4 at the last planned step


def test_out_of_vocab_labels_are_reported_per_source(tiny_dataset: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = tiny_dataset
    odd = write_tiny_crops(tmp_path / "odd", 4, texts=["AZ1", "12"])
    result = run_tiny_training(tmp_path / "run", [str(train), f"{odd}:0.5"], None, "--vocab", "0123456789ABC")
    assert result.exit_code == 0, result.output
    assert f"{odd}: excluded 2 of 4 rows" in " ".join(result.output.split())
    assert "'Z'" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "train.lrr=1"], "unknown key 'train.lrr'"),
        (["--resume", "{out}"], "no "),
        (["--train", "missing/labels.tsv"], "dataset not found"),
    ],
)
def test_bad_training_input_is_one_line_exit_2(
    tiny_dataset: tuple[Path, Path], tmp_path: Path, extra: list[str], message: str
) -> None:
    out = tmp_path / "run"
    result = run_tiny_training(out, [str(tiny_dataset[0])], None, *(arg.format(out=out) for arg in extra))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error:") and message in lines[-1], result.output


def test_labels_with_a_missing_image_or_no_rows_are_refused(tmp_path: Path) -> None:
    labels = write_tiny_crops(tmp_path / "d", 3)
    (tmp_path / "d" / "crops" / "0001.png").unlink()
    result = run_tiny_training(tmp_path / "run", [str(labels)], None)
    assert result.exit_code == 2 and "image not found" in result.output and "labels.tsv:3" in result.output
    empty = tmp_path / "empty.tsv"
    empty.write_text("path\ttext\n", encoding="utf-8")
    result = run_tiny_training(tmp_path / "run2", [str(empty)], None)
    assert result.exit_code == 2 and "empty" in result.output


@pytest.mark.slow
def test_ddp_two_cpu_processes(tiny_dataset: tuple[Path, Path], tmp_path: Path) -> None:
    """The same command under torchrun: 2 gloo processes, rank 0 writes the run folder."""
    train, val = tiny_dataset
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "platocr",
        "train",
        str(QUICK_CONFIG),
        "--out",
        str(tmp_path / "ddp"),
        "--train",
        str(train),
        "--val",
        str(val),
        "--vocab",
        "auto",
        "--device",
        "cpu",
        "--no-progress",
        *TINY_RUN,
        "--set",
        "train.steps_per_epoch=1",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("done: 1 epochs") == 1  # only rank 0 reports
    rows = metrics_rows(tmp_path / "ddp")
    assert len(rows) == 1 and float(rows[0]["samples_per_s"]) > 0
    assert read_checkpoint(tmp_path / "ddp" / "last.pt")["epoch"] == 1


def test_init_with_another_vocab_carries_the_head_rows_of_the_shared_characters(
    trained_run: Path, tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    train, val = tiny_dataset
    source = read_checkpoint(trained_run / "best.pt")["model"]
    old = (trained_run / "vocab.txt").read_text(encoding="utf-8").strip()
    vocab = "Z" + old[::-1]  # one new character, the shared ones in another order
    # train.init in the config (here through --set) says where the run starts, like --init
    result = run_tiny_training(
        tmp_path / "ft", [str(train)], val, "--set", f"train.init={trained_run / 'best.pt'}",
        "--vocab", vocab, "--set", "train.lr=1e-12",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"head: blank + {len(old)} of {len(vocab)} characters carried" in text and ", 1 new (Z)" in text
    tuned = read_checkpoint(tmp_path / "ft" / "last.pt")["model"]
    first_conv = next(k for k in source if k.endswith("weight") and source[k].ndim == 4)
    assert torch.allclose(tuned[first_conv], source[first_conv], atol=1e-6)
    for key in ("head.weight", "head.bias"):
        assert tuned[key].shape[0] == len(vocab) + 1
        assert torch.allclose(tuned[key][0], source[key][0], atol=1e-6)  # the CTC blank
        for char in old:
            assert torch.allclose(
                tuned[key][1 + vocab.index(char)], source[key][1 + old.index(char)], atol=1e-6
            )
    result = run_tiny_training(tmp_path / "bad", [str(train)], val, "--init", str(tmp_path / "none.pt"))
    assert result.exit_code == 2 and "checkpoint not found" in result.output


def test_ema_saves_the_averaged_weights_and_resume_goes_on_averaging(
    tiny_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    train, val = tiny_dataset
    out = tmp_path / "run"
    ema = ["--set", "train.ema=0.5", "--set", "train.metric=loss"]
    result = run_tiny_training(out, [str(train)], val, *ema)
    assert result.exit_code == 0, result.output
    last = read_checkpoint(out / "last.pt")
    averaged = last["extra"]["ema"]
    assert int(averaged["n_averaged"]) == 2  # one update per optimisation step
    best = read_checkpoint(out / "best.pt")["model"]
    # best.pt = the average (keys without AveragedModel's "module." prefix), not the last step's weights.
    key = next(k for k, v in best.items() if v.is_floating_point() and v.ndim > 1)
    assert torch.equal(best[key], averaged[f"module.{key}"])
    assert not torch.equal(best[key], last["model"][key])
    resumed = run_tiny_training(out, [str(train)], val, *ema, "--resume", str(out), "--set", "train.epochs=2")
    assert resumed.exit_code == 0, resumed.output
    assert int(read_checkpoint(out / "last.pt")["extra"]["ema"]["n_averaged"]) == 4
    bad = run_tiny_training(tmp_path / "bad", [str(train)], val, "--set", "train.ema=1.5")
    assert bad.exit_code == 2 and "train.ema" in bad.output

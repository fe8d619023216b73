"""Shared pytest setup: the ``slow`` marker and a tiny rendered text-crop dataset."""

from __future__ import annotations

import random
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # One torch thread: the tests run beside DataLoader workers and subprocesses on a 2-core CI
    # machine, where two OpenMP threads spin against them and a forward pass stalls for seconds.
    import torch

    torch.set_num_threads(1)
    config.addinivalue_line("markers", "slow: takes more than a few seconds (deselect with -m 'not slow')")


TINY_VOCAB = "0123456789ABC"


def write_tiny_crops(folder: Path, count: int, *, seed: int = 0, texts: list[str] | None = None) -> Path:
    """Render ``count`` small text crops with cv2.putText; returns ``folder/labels.tsv``.

    Texts are random 3-5 character strings over ``TINY_VOCAB`` unless ``texts`` is given; an empty
    text renders a blank crop (a negative).
    """
    import cv2
    import numpy as np

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "crops").mkdir(exist_ok=True)
    lines = ["path\ttext"]
    for i in range(count):
        text = texts[i % len(texts)] if texts else "".join(rng.choices(TINY_VOCAB, k=rng.randint(3, 5)))
        image = np.full((24, 80, 3), rng.randint(180, 255), dtype=np.uint8)
        cv2.putText(image, text, (3, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (20, 20, 20), 1, cv2.LINE_AA)
        name = f"crops/{i:04d}.png"
        cv2.imwrite(str(folder / name), image)
        lines.append(f"{name}\t{text}")
    labels = folder / "labels.tsv"
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return labels


def write_scenes(folder: Path, count: int, *, seed: int) -> Path:
    """``platocr synth scenes folder --count count --seed seed`` on one worker; returns ``folder``."""
    from typer.testing import CliRunner

    from platocr.cli import app

    args = ["synth", "scenes", str(folder), "--count", str(count), "--seed", str(seed), "--workers", "1"]
    made = CliRunner().invoke(app, args)
    assert made.exit_code == 0, made.output
    return folder


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(train labels, val labels) of a few rendered crops, shared by the train/eval/gallery tests."""
    root = tmp_path_factory.mktemp("tiny")
    train = write_tiny_crops(root / "train", 24, seed=1)
    val = write_tiny_crops(root / "val", 10, seed=2, texts=["A12", "B345", "C6789", "", "0123"])
    return train, val


REPO = Path(__file__).resolve().parents[1]
QUICK_CONFIG = REPO / "configs" / "quick.yaml"
# Two optimisation steps of four crops, no worker processes: the smallest run that exercises everything.
TINY_RUN = [
    "--set",
    "train.epochs=1",
    "--set",
    "train.steps_per_epoch=2",
    "--set",
    "train.batch_size=4",
    "--set",
    "train.num_workers=0",
]


def run_tiny_training(out: Path, train: list[str], val: Path | None, *extra: str) -> object:
    """``platocr train configs/quick.yaml`` on tiny data through the CLI; returns the CliRunner result."""
    from typer.testing import CliRunner

    from platocr.cli import app

    args = ["train", str(QUICK_CONFIG), "--out", str(out), "--no-progress", "--vocab", "auto", *TINY_RUN]
    for spec in train:
        args += ["--train", spec]
    if val is not None:
        args += ["--val", str(val)]
    return CliRunner().invoke(app, [*args, *extra])


@pytest.fixture(scope="session")
def trained_run(tiny_dataset: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder from a 2-step training on the tiny dataset (best.pt, last.pt, metrics.csv, ...)."""
    train, val = tiny_dataset
    out = tmp_path_factory.mktemp("run") / "run"
    result = run_tiny_training(out, [str(train)], val)
    assert result.exit_code == 0, result.output
    return out
